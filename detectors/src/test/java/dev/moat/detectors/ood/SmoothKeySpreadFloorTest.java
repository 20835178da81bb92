package dev.moat.detectors.ood;

import static dev.moat.detectors.ood.OodRoughnessTest.run;
import static dev.moat.detectors.ood.OodRoughnessTest.scores;
import static dev.moat.detectors.ood.OodRoughnessTest.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.ood.OodRoughnessTest.Key;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code ood}'s spread test on a key whose own inputs are smooth ({@link Roughness#smooth}, session
 * 32): judged past {@code spread_wide_floor} at any width, as inputs wider than {@code
 * spread_max_width} are. One real detector at 32 inputs, driven with inputs and a confident answer (the
 * confidence test sees nothing: every key's answers are alike), twelve vibration monitors as the peers.
 */
class SmoothKeySpreadFloorTest {

    static final int WIDTH = 32;

    /** The noisier monitor's noise, in percent of the swing (the peers': 1). */
    static final double NOISIER = 2.5;

    /**
     * Windows of one machine type: a tone of period 16 samples and swing 0.2 at the key's own level
     * ({@code level}), a random phase each window, and noise of {@code noise} percent of the swing.
     */
    static Function<SplittableRandom, double[]> machine(double level, double noise) {
        return r -> {
            double phase = 2 * Math.PI * r.nextDouble();
            double[] x = new double[WIDTH];
            for (int j = 0; j < WIDTH; j++) {
                x[j] = level + 0.2 * Math.sin(2 * Math.PI * j / 16 + phase) + noise * 0.002 * r.nextGaussian();
            }
            return x;
        };
    }

    /** A fresh random walk each row from a random level in [0, 3.3): smooth, and no machine's window. */
    static Function<SplittableRandom, double[]> walks() {
        return r -> {
            double v = 3.3 * r.nextDouble();
            double[] x = new double[WIDTH];
            for (int j = 0; j < WIDTH; j++) {
                v += 0.05 * r.nextGaussian();
                x[j] = v;
            }
            return x;
        };
    }

    /**
     * Twelve monitors of one machine type at their own levels, then a monitor whose sensor is noisier
     * (2.5% of the swing where the others' is 1%: 5.8x the peers' spread along the directions their
     * windows barely vary on, and its windows still smooth), a key of uniform random rows and one of
     * smooth random walks. Under the defaults the noisier monitor stays at 0 while the random rows (the
     * roughness test) and the walks (the spread test, about 2,000x, past the floor of 8x) reach 1. With
     * {@code rough_share: 0} (the roughness test, and so the rule, off) the noisier monitor is scored 1
     * against the peers' threshold (1.49x), which is what makes this test able to fail; so it was when
     * the rule waited for 64 roughness reads ({@link Roughness#SMOOTH_MIN}).
     */
    @Test
    void aSmoothKeyIsJudgedPastTheWideFloorAndRandomRowsAndWalksAreNot() {
        for (double share : new double[] {Roughness.ROUGH_SHARE, 0}) {
            OodDetector ood = new OodDetector(OodSettings.from(Map.of("rough_share", share, "input_seed", 7L)));
            SplittableRandom rnd = new SplittableRandom(3);
            List<Key> keys = new ArrayList<>();
            for (int k = 0; k < 12; k++) {
                keys.add(new Key("monitor-" + k, ood, machine(1 + 0.05 * k, 1)));
            }
            long[] now = {0};
            run(ood, keys, 600, now, rnd);
            Key noisy = new Key("noisier-monitor", ood, machine(1.3, NOISIER));
            Key random = new Key("random", ood, uniform(WIDTH));
            Key walk = new Key("walks", ood, walks());
            List<Key> late = new ArrayList<>(keys);
            late.add(noisy);
            late.add(random);
            late.add(walk);
            run(ood, late, 600, now, rnd);
            Map<String, Double> scores = scores(late);
            System.out.printf("rough_share %.2f: ood max scores %s%n", share, scores);
            assertThat(walk.maxScore).as("%s", scores).isEqualTo(1.0);
            if (share > 0) {
                assertThat(noisy.maxScore).as("%s", scores).isLessThan(0.5);
                assertThat(random.maxScore).as("%s", scores).isEqualTo(1.0);
                keys.forEach(
                        k -> assertThat(k.maxScore).as(k.name + " %s", scores).isLessThan(0.5));
            } else {
                assertThat(noisy.maxScore).as("%s", scores).isEqualTo(1.0);
            }
        }
    }
}
