package dev.moat.detectors.ood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code ood}'s roughness test ({@link Roughness#roughness}, session 26): rows as rough as white noise
 * from a key whose peers' rows are smooth. One real detector, driven with inputs and a confident
 * answer (the confidence test sees nothing: every key's answers are alike).
 */
class OodRoughnessTest {

    static final double[] ANSWER = {0.9, 0.05, 0.05};

    /** A key: its name, its state, its rows, its highest score. */
    static final class Key {
        final String name;
        final OodDetector.State state;
        final Function<SplittableRandom, double[]> rows;
        double maxScore;

        Key(String name, OodDetector ood, Function<SplittableRandom, double[]> rows) {
            this.name = name;
            this.state = ood.newState();
            this.rows = rows;
        }
    }

    /** Windows of a vibration: a tone of a key's own period and level, plus noise of 1% of its swing. */
    static Function<SplittableRandom, double[]> vibration(int width, long seed) {
        SplittableRandom own = new SplittableRandom(seed);
        double period = 8 + 24 * own.nextDouble();
        double level = 1 + own.nextDouble();
        double swing = 0.1 + 0.3 * own.nextDouble();
        return r -> {
            double phase = 2 * Math.PI * r.nextDouble();
            double[] x = new double[width];
            for (int j = 0; j < width; j++) {
                x[j] = level + swing * Math.sin(2 * Math.PI * j / period + phase) + 0.01 * swing * r.nextGaussian();
            }
            return x;
        };
    }

    /** Uniform random rows in [0, 3.3). */
    static Function<SplittableRandom, double[]> uniform(int width) {
        return r -> {
            double[] x = new double[width];
            for (int j = 0; j < width; j++) {
                x[j] = 3.3 * r.nextDouble();
            }
            return x;
        };
    }

    static void run(OodDetector ood, List<Key> keys, int rounds, long[] now, SplittableRandom rnd) {
        for (int i = 0; i < rounds; i++, now[0] += 100) {
            for (Key k : keys) {
                ood.update(k.state, k.rows.apply(rnd), ANSWER, now[0]);
                k.maxScore = Math.max(k.maxScore, ood.score(k.state, now[0]));
            }
        }
    }

    /**
     * A detector whose spread tests are off ({@code spread_wide_floor: 0}, {@code spread_max_width:
     * 0}): only the roughness test can score these keys.
     */
    static OodDetector roughnessOnly() {
        return new OodDetector(
                OodSettings.from(Map.of("input_seed", 7L, "spread_wide_floor", 0, "spread_max_width", 0)));
    }

    static Map<String, Double> scores(List<Key> keys) {
        Map<String, Double> out = new LinkedHashMap<>();
        keys.forEach(k -> out.put(k.name, Math.round(k.maxScore * 100) / 100.0));
        return out;
    }

    /** Half von Neumann's ratio, against numpy: {@code np.sum(np.diff(x)**2)/(n-1)/(2*np.var(x))}, n = 32. */
    @Test
    void roughnessIsHalfVonNeumannsRatio() {
        int n = 32;
        double[] sin = new double[n];
        double[] mod = new double[n];
        double[] line = new double[n + 3];
        double[] alt = new double[n];
        for (int j = 0; j < n; j++) {
            sin[j] = Math.sin(0.37 * j);
            mod[j] = ((j * 7919) % 101) / 101.0;
            line[j + 3] = j;
            alt[j] = j % 2 == 0 ? 1 : -1;
        }
        assertThat(Roughness.roughness(sin, 0, n)).isCloseTo(0.0636758869863836, within(1e-12));
        assertThat(Roughness.roughness(mod, 0, n)).isCloseTo(1.4326412425191732, within(1e-12));
        assertThat(Roughness.roughness(line, 3, n)).isCloseTo(0.005865102639296188, within(1e-12));
        assertThat(Roughness.roughness(alt, 0, n)).isCloseTo(2.0, within(1e-12));
        assertThat(Roughness.roughness(new double[n], 0, n)).isNaN();
    }

    /**
     * Twelve vibration monitors (128-sample windows, each its own period, level and swing) and, after
     * them, a key sending uniform random rows and one sending the monitors' windows with random-size
     * steps (up to 20% of the range in every sample; up to 10%, 0.14: steps whose sizes are small against the tone pass): both are scored 1 within 200 rows, no monitor
     * reaches 0.25. With {@code rough_share: 0} (off) neither is scored (the confidence test sees
     * nothing here, and the spread test is off: {@code spread_wide_floor: 0}), which is what makes this
     * test able to fail.
     */
    @Test
    void noiseAmongSmoothPeersIsScored() {
        for (double share : new double[] {Roughness.ROUGH_SHARE, 0}) {
            OodDetector ood = new OodDetector(
                    OodSettings.from(Map.of("rough_share", share, "input_seed", 7L, "spread_wide_floor", 0)));
            SplittableRandom rnd = new SplittableRandom(3);
            List<Key> keys = new ArrayList<>();
            for (int k = 0; k < 12; k++) {
                keys.add(new Key("monitor-" + k, ood, vibration(128, 100 + k)));
            }
            long[] now = {0};
            run(ood, keys, 400, now, rnd);
            Key random = new Key("random", ood, uniform(128));
            Function<SplittableRandom, double[]> base = vibration(128, 999);
            Key steps = new Key("random-size-steps", ood, r -> {
                double[] x = base.apply(r);
                for (int j = 0; j < x.length; j++) {
                    x[j] += (r.nextBoolean() ? 1 : -1) * 0.66 * r.nextDouble();
                }
                return x;
            });
            List<Key> late = new ArrayList<>(keys);
            late.add(random);
            late.add(steps);
            run(ood, late, 200, now, rnd);
            Map<String, Double> scores = scores(late);
            System.out.printf("rough_share %.2f: %s; %s%n", share, scores, ood.reason(random.state, now[0]));
            keys.forEach(k -> assertThat(k.maxScore).as(k.name + " %s", scores).isLessThan(0.25));
            if (share > 0) {
                assertThat(random.maxScore).as("%s", scores).isEqualTo(1.0);
                assertThat(steps.maxScore).as("%s", scores).isEqualTo(1.0);
                assertThat(ood.reason(random.state, now[0])).contains("rough as noise");
            } else {
                assertThat(random.maxScore).as("%s", scores).isZero();
                assertThat(steps.maxScore).as("%s", scores).isZero();
            }
        }
    }

    /**
     * Records, embeddings, word counts: no order, so every key's rows are as rough as noise, the peers'
     * median is not smooth, and nothing is scored (random rows there are for the other tests).
     */
    @Test
    void rowsWithoutOrderAreNotJudged() {
        OodDetector ood = new OodDetector(OodSettings.from(Map.of("input_seed", 7L)));
        SplittableRandom rnd = new SplittableRandom(4);
        List<Key> keys = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            SplittableRandom own = new SplittableRandom(200 + k);
            double[] scale = new double[100];
            for (int j = 0; j < scale.length; j++) {
                scale[j] = Math.exp(4 * own.nextDouble());
            }
            keys.add(new Key("records-" + k, ood, r -> {
                double[] x = new double[scale.length];
                for (int j = 0; j < x.length; j++) {
                    x[j] = scale[j] * r.nextDouble();
                }
                return x;
            }));
        }
        long[] now = {0};
        run(ood, keys, 400, now, rnd);
        Key random = new Key("random", ood, uniform(100));
        keys.add(random);
        run(ood, keys, 300, now, rnd);
        Map<String, Double> scores = scores(keys);
        keys.forEach(k -> assertThat(k.maxScore).as(k.name + " %s", scores).isZero());
    }

    /**
     * The attacker who has read that a key's statistic is kept for its first width: rows of another
     * width sent first, or between every random row, and keys of twenty other widths filling the
     * widths' peers first. Rows of a width without smooth peers are not judged, so the random rows of
     * the model's width are (score 1); a width many keys report outlives the others.
     */
    @Test
    void otherWidthsFirstOrBetweenHideNothingBypass() {
        OodDetector ood = roughnessOnly();
        SplittableRandom rnd = new SplittableRandom(5);
        List<Key> others = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            others.add(new Key("width-" + (40 + k), ood, vibration(40 + k, 300 + k)));
        }
        long[] now = {0};
        run(ood, others, 200, now, rnd);
        List<Key> keys = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            keys.add(new Key("monitor-" + k, ood, vibration(128, 100 + k)));
        }
        run(ood, keys, 400, now, rnd);
        Function<SplittableRandom, double[]> junk = uniform(64);
        Function<SplittableRandom, double[]> random = uniform(128);
        int[] row = {0};
        Key mixed = new Key("random-between-junk", ood, r -> row[0]++ % 2 == 0 ? junk.apply(r) : random.apply(r));
        Key first = new Key("junk-first", ood, r -> row[0] == 0 ? junk.apply(r) : random.apply(r));
        List<Key> late = new ArrayList<>(keys);
        late.add(mixed);
        late.add(first);
        run(ood, late, 400, now, rnd);
        Map<String, Double> scores = scores(late);
        System.out.println("other widths: " + scores);
        assertThat(mixed.maxScore).as("%s", scores).isEqualTo(1.0);
        assertThat(first.maxScore).as("%s", scores).isEqualTo(1.0);
        keys.forEach(k -> assertThat(k.maxScore).as(k.name + " %s", scores).isLessThan(0.25));
    }

    /**
     * The attacker who has read that the roughness peers keep at most {@value dev.moat.detectors.internal.WidthPeers#WIDTHS}
     * widths and replace the one the fewest keys report: seven widths of eight trusted keys each fill
     * the table beside the model's (six monitors), and one key of yet another width reports right
     * after the monitors every cycle. Were the model's width replaced because it has the fewest
     * reports, the monitors would rebuild it and the lone key evict it again every 64 rows, so no row
     * of the model's width would ever meet ready peers and random rows would go unjudged (score 0,
     * measured with the rule taken out). A width whose peers are ready ({@code min_keys}) is never
     * replaced (the lone width gets no peers instead): the random rows are scored 1.
     */
    @Test
    void evictingTheModelsWidthOverAndOverBypass() {
        OodDetector ood = roughnessOnly();
        SplittableRandom rnd = new SplittableRandom(6);
        List<Key> keys = new ArrayList<>();
        for (int w = 0; w < dev.moat.detectors.internal.WidthPeers.WIDTHS - 1; w++) {
            for (int k = 0; k < 8; k++) {
                keys.add(new Key("width-" + (40 + w) + "-" + k, ood, vibration(40 + w, 300 + 10 * w + k)));
            }
        }
        List<Key> monitors = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            monitors.add(new Key("monitor-" + k, ood, vibration(128, 100 + k)));
        }
        keys.addAll(monitors);
        keys.add(new Key("lone-width-50", ood, vibration(50, 500)));
        long[] now = {0};
        run(ood, keys, 400, now, rnd);
        Key random = new Key("random", ood, uniform(128));
        keys.add(random);
        run(ood, keys, 400, now, rnd);
        List<Key> shown = new ArrayList<>(monitors);
        shown.add(random);
        Map<String, Double> scores = scores(shown);
        System.out.println("evicting the model's width: " + scores);
        assertThat(random.maxScore).as("%s", scores).isEqualTo(1.0);
        monitors.forEach(k -> assertThat(k.maxScore).as(k.name + " %s", scores).isLessThan(0.25));
    }
}
