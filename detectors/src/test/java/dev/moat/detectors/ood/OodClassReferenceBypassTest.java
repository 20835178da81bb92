package dev.moat.detectors.ood;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Regressions for two ways around {@code ood}'s per-class references (found in review, issue 9),
 * driving one real {@link OodDetector} (one worker's) with answers of a synthetic model whose
 * confidence per class is set by the test: u = -log10(1 - top-1 confidence), ood's bins are u in
 * tenths.
 */
class OodClassReferenceBypassTest {

    /** One key: what it sends (class and u of each answer) and what ood made of it. */
    static final class Key {
        final String name;
        final OodDetector.State state;
        final Source source;
        double maxScore;
        /** For a drifting key: how far (in u) it has drifted, and at how many answers it last moved. */
        double drift;

        long movedAt;

        Key(String name, OodDetector detector, Source source) {
            this.name = name;
            this.state = detector.newState();
            this.source = source;
        }
    }

    interface Source {
        /** The next answer of {@code key} as {class, u}. */
        double[] next(SplittableRandom rnd, Key key);
    }

    /** A prediction over {@code classes} classes: top-1 {@code cls} with confidence 1 - 10^-u, the rest spread evenly. */
    static double[] prediction(int classes, int cls, double u) {
        double c = 1 - Math.pow(10, -u);
        double[] p = new double[classes];
        java.util.Arrays.fill(p, (1 - c) / (classes - 1));
        p[cls] = c;
        return p;
    }

    /** Runs {@code rounds} rounds; in each, every key sends one answer; 100 ms of event time per round. */
    /** The harness's inputs so far (each answer is of a distinct input). */
    private static long inputs;

    static long run(OodDetector ood, int classes, List<Key> keys, int rounds, long now, SplittableRandom rnd) {
        for (int r = 0; r < rounds; r++, now += 100) {
            for (Key k : keys) {
                double[] a = k.source.next(rnd, k);
                // every answer is of another input (one input for all: its answers in the same bins are re-sends)
                double[] input = {++inputs};
                ood.update(k.state, input, prediction(classes, (int) a[0], a[1]), now);
                k.maxScore = Math.max(k.maxScore, ood.score(k.state, now));
            }
        }
        return now;
    }

    static Source uniform(int fromClass, int toClass, double uLow, double uHigh) {
        return (rnd, key) ->
                new double[] {fromClass + rnd.nextInt(toClass - fromClass + 1), rnd.nextDouble(uLow, uHigh)};
    }

    /**
     * Three Sybil keys send only a class honest customers never send, starting at honest confidence
     * and growing less confident by half a bin per report (200 answers) while ood scores them 0 (so
     * they stay trusted). Before: they were all of that class's trusted answers, so its reference
     * followed them without bound; and since classes without a reference used the pointwise maximum
     * over every class's reference, that loosened those too: a key sending unconfident answers of the
     * Sybils' class, or of a class no one sends, went unflagged. Now a class that three keys make up
     * more than two thirds of is held to the pooled reference and the envelope of the well-fed
     * classes, and only well-fed classes make that envelope.
     */
    @Test
    void threeSybilKeysCannotDriftARareClassOrTheEnvelope() {
        int classes = 10;
        int rare = 9;
        int untracked = 8;
        OodDetector ood = new OodDetector(OodSettings.from(Map.of()));
        SplittableRandom rnd = new SplittableRandom(7);
        List<Key> keys = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            keys.add(new Key("honest-" + k, ood, uniform(0, 6, 2.0, 3.5)));
        }
        for (int k = 0; k < 3; k++) {
            keys.add(new Key("sybil-" + k, ood, (r, key) -> {
                if (key.state.queries >= key.movedAt + 200) {
                    key.movedAt = key.state.queries;
                    key.drift += key.state.score == 0 ? 0.05 : -0.05;
                }
                return new double[] {rare, Math.max(0.05, r.nextDouble(2.0, 3.5) - key.drift)};
            }));
        }
        long now = run(ood, classes, keys, 20_000, 0, rnd);
        Key rareClass = new Key("unconfident-rare-class", ood, uniform(rare, rare, 0.3, 1.0));
        Key noReference = new Key("unconfident-class-without-reference", ood, uniform(untracked, untracked, 0.3, 1.0));
        keys.add(rareClass);
        keys.add(noReference);
        run(ood, classes, keys, 500, now, rnd);
        Map<String, Double> scores = scores(keys, k -> k.maxScore);
        System.out.println("ood max scores after the Sybils' drift: " + scores + ", drift (u) "
                + scores(keys.subList(8, 11), k -> k.drift));
        assertThat(rareClass.maxScore).as("%s", scores).isEqualTo(1.0);
        assertThat(noReference.maxScore).as("%s", scores).isEqualTo(1.0);
        keys.stream()
                .filter(k -> k.name.startsWith("honest"))
                .forEach(k -> assertThat(k.maxScore).as(k.name + " %s", scores).isLessThan(0.25));
    }

    /**
     * On a model with more classes than a worker codes (255), a key sprays 300 rare classes before
     * anyone else answers, then goes on sending them in turn. Before: codes went to classes at first
     * sight from any key, so the sprayer's took them all and the customers' classes went untracked,
     * compared with the pooled reference: a key sending class-0 answers as unconfident as the pooled
     * mix (class 0's honest answers are the most confident) went unflagged. Now, once the codes are
     * taken, a trusted key's new class takes over the code of the least recently seen class without a
     * reference, so the customers' classes get theirs back and that key is flagged.
     */
    @Test
    void sprayingRareClassesFirstDoesNotUseUpTheClassCodes() {
        int classes = 400;
        OodDetector ood = new OodDetector(OodSettings.from(Map.of()));
        SplittableRandom rnd = new SplittableRandom(11);
        // honest answers: class 0 confident (u 3.0-3.9), classes 1-6 less so (u 1.0-3.9)
        Source honest = (r, key) -> {
            int c = r.nextInt(7);
            return new double[] {c, c == 0 ? r.nextDouble(3.0, 3.9) : r.nextDouble(1.0, 3.9)};
        };
        Key sprayer = new Key("sprayer", ood, (r, key) ->
                new double[] {100 + key.state.queries % 300, r.nextDouble(2.0, 3.5)});
        List<Key> keys = new ArrayList<>(List.of(sprayer));
        long now = run(ood, classes, keys, 300, 0, rnd);
        for (int k = 0; k < 8; k++) {
            keys.add(new Key("honest-" + k, ood, honest));
        }
        now = run(ood, classes, keys, 3_000, now, rnd);
        // class 0 answers drawn from the honest mix of all classes: the pooled level, below class 0's own
        Key pooledLevel =
                new Key("class-0-at-the-pooled-level", ood, (r, key) -> new double[] {0, honest.next(r, key)[1]});
        keys.add(pooledLevel);
        run(ood, classes, keys, 500, now, rnd);
        Map<String, Double> scores = scores(keys, k -> k.maxScore);
        System.out.println("ood max scores after the spray: " + scores);
        assertThat(pooledLevel.maxScore).as("%s", scores).isEqualTo(1.0);
        keys.stream()
                .filter(k -> k.name.startsWith("honest"))
                .forEach(k -> assertThat(k.maxScore).as(k.name + " %s", scores).isLessThan(0.25));
    }

    static Map<String, Double> scores(List<Key> keys, ToDoubleFunction<Key> f) {
        Map<String, Double> out = new LinkedHashMap<>();
        keys.forEach(k -> out.put(k.name, Math.round(f.applyAsDouble(k) * 100) / 100.0));
        return out;
    }
}
