package dev.moat.detectors.ood;

import static dev.moat.detectors.ood.OodClassReferenceBypassTest.run;
import static dev.moat.detectors.ood.OodClassReferenceBypassTest.scores;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.ood.OodClassReferenceBypassTest.Key;
import dev.moat.detectors.ood.OodClassReferenceBypassTest.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code ood}'s thresholds widen with how much the trusted peers differ from each other (issue 9:
 * honest customers whose data sit at their own levels), driving one real {@link OodDetector} (one
 * worker's) with answers of a synthetic model whose confidence is set by the test (u = -log10(1 -
 * top-1 confidence); ood's bins are u in tenths), 3 classes, 100 ms of event time per round.
 */
class OodPeerSpreadTest {

    static final int CLASSES = 3;

    /** Answers of a random class with u uniform in [lo, hi] (clipped to [0, 3.99]). */
    static Source level(double lo, double hi) {
        return (r, key) -> new double[] {r.nextInt(CLASSES), Math.max(0, Math.min(3.99, r.nextDouble(lo, hi)))};
    }

    /**
     * Twelve honest keys, each at its own level: u uniform over a band of width 2 shifted by -0.6 to
     * +0.6 from key to key (the way a sensor at its own level gets answers at its own confidence).
     * With the widening (default {@code max_widening} 3) none reaches 0.5 and a key sending
     * unconfident answers (u 0-1) is still flagged; with {@code max_widening: 1} (the thresholds of
     * before) the least confident honest keys are flagged.
     */
    @Test
    void keysAtTheirOwnLevelsStayOkAndUnconfidentKeysAreStillFlagged() {
        for (double maxWidening : new double[] {3, 1}) {
            OodDetector ood = new OodDetector(OodSettings.from(Map.of("max_widening", maxWidening)));
            SplittableRandom rnd = new SplittableRandom(5);
            List<Key> keys = new ArrayList<>();
            for (int k = 0; k < 12; k++) {
                double shift = -0.6 + 1.2 * k / 11;
                keys.add(new Key("honest-" + k, ood, level(1.5 + shift, 3.5 + shift)));
            }
            long now = run(ood, CLASSES, keys, 3_000, 0, rnd);
            Key unconfident = new Key("unconfident", ood, level(0, 1));
            keys.add(unconfident);
            run(ood, CLASSES, keys, 600, now, rnd);
            Map<String, Double> scores = scores(keys, k -> k.maxScore);
            double widening = ood.widening(now);
            System.out.printf("max_widening %.0f: widening x%.2f, ood max scores %s%n", maxWidening, widening, scores);
            assertThat(unconfident.maxScore).as("%s", scores).isEqualTo(1.0);
            if (maxWidening > 1) {
                assertThat(widening).isGreaterThan(1.5);
                keys.stream()
                        .filter(k -> k.name.startsWith("honest"))
                        .forEach(k -> assertThat(k.maxScore)
                                .as(k.name + " %s", scores)
                                .isLessThan(0.5));
            } else {
                assertThat(keys.get(0).maxScore).as("%s", scores).isEqualTo(1.0);
            }
        }
    }

    /**
     * The attacker who has read that the thresholds widen with the trusted keys' D- (how much more
     * confident than their reference they are): Sybil keys that send natural answers without the
     * least confident quarter (u 2.0-3.5 where honest keys send 1.5-3.5) look more confident than the
     * peers, stay trusted, and once they are a quarter of the trusted weight they set the spread
     * (its 0.75 quantile): the thresholds widen by 3 and a key at D+ 0.3 (u 0.9-2.9), flagged
     * without them, is not. Pinned as a bypass: it needs a quarter of each worker's trusted weight
     * (keys that have been trusted for an hour weigh ten times a new one) sending confident natural
     * data, and it buys at most {@code max_widening} (3): D+ from 0.36 to 0.6. Under a quarter it
     * buys nothing, and unconfident keys (u 0-1) are flagged whatever the Sybils do.
     */
    @Test
    void confidentSybilsWidenTheThresholdsUpToMaxWideningBypass() {
        for (int sybils : new int[] {0, 2, 4}) {
            OodDetector ood = new OodDetector(OodSettings.from(Map.of()));
            SplittableRandom rnd = new SplittableRandom(9);
            List<Key> keys = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                keys.add(new Key("honest-" + k, ood, level(1.5, 3.5)));
            }
            for (int k = 0; k < sybils; k++) {
                keys.add(new Key("sybil-" + k, ood, level(2.0, 3.5)));
            }
            long now = run(ood, CLASSES, keys, 3_000, 0, rnd);
            Key shifted = new Key("shifted", ood, level(0.9, 2.9));
            Key unconfident = new Key("unconfident", ood, level(0, 1));
            keys.add(shifted);
            keys.add(unconfident);
            run(ood, CLASSES, keys, 600, now, rnd);
            Map<String, Double> scores = scores(keys, k -> k.maxScore);
            double widening = ood.widening(now);
            System.out.printf("%d sybils: widening x%.2f, ood max scores %s%n", sybils, widening, scores);
            assertThat(unconfident.maxScore).as("%s", scores).isEqualTo(1.0);
            keys.stream()
                    .filter(k -> !k.name.equals("shifted") && !k.name.equals("unconfident"))
                    .forEach(k ->
                            assertThat(k.maxScore).as(k.name + " %s", scores).isLessThan(0.25));
            if (sybils * 4 < 10 + sybils) {
                assertThat(widening).as("%s", scores).isLessThan(1.2);
                assertThat(shifted.maxScore).as("%s", scores).isEqualTo(1.0);
            } else {
                assertThat(widening).as("%s", scores).isBetween(1.5, 3.0);
                assertThat(shifted.maxScore).as("bypass: %s", scores).isLessThan(0.5);
            }
        }
    }
}
