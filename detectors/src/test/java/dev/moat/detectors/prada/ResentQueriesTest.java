package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Re-sent queries are no new steps (issue 9, session 16, {@code RecentRows#resent}): a query
 * that does not join G_c is never anyone's nearest member, so each time a customer re-sent it (a
 * retry, or a photo of its album sent again) it met the same parent and, when its first send had
 * passed for a step, was counted again: every one of the 140 steps of twelve object-photo customers
 * over 1,500 rows was a re-send. Now a step whose query lies within an eighth of the step's length
 * of one of the key's recent rows is not counted. PRADA alone, a fixed sample seed, the wide
 * digits; JbDA (random sizes, eps 0.1) after 300 natural rows.
 */
class ResentQueriesTest {

    static final int QUERIES = 1_200;

    /**
     * Steps counted over the whole run and steps left uncounted as re-sends, each query of {@code src}
     * sent {@code times} in a row, with {@code noise} added to each copy after the first.
     */
    static long[] steps(Wide w, QuerySource src, int times, double noise) {
        PradaDetector d = new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L)));
        PradaState s = d.newState();
        QuerySource natural = w.honest(5);
        Random r = new UnsharedRandom(3);
        int steps = 0;
        for (int q = 0; q < QUERIES; ) {
            boolean warm = q < 300;
            QuerySource from = warm ? natural : src;
            double[] x = from.next();
            double[] answer = w.predict(x);
            from.observe(x, answer);
            for (int t = 0; t < (warm ? 1 : times) && q < QUERIES; t++, q++) {
                double[] sent = x.clone();
                if (t > 0) {
                    for (int j = 0; j < sent.length; j++) {
                        sent[j] = Math.max(0, Math.min(16, sent[j] + noise * r.nextGaussian()));
                    }
                }
                d.update(s, sent, w.predict(sent), q * 1_000L);
                steps += d.lastStepForTest() ? 1 : 0;
            }
        }
        return new long[] {steps, d.recentRows.resends};
    }

    /**
     * Each attack query sent three times in a row (as is, or each copy with noise of 0.05 of 16 in
     * every coordinate, a re-encoding) counts about once; each sent once, none is a re-send, though
     * JbDA's children of one parent toward other classes are each other's neighbours (the thief who
     * read this: a child within an eighth of a step of an earlier query of his is nearly that query,
     * and teaches him next to nothing).
     */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void aStepSentAgainIsCountedOnce(int dims) {
        Wide w = new Wide(dims);
        long[] once = steps(w, w.jbda(11, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), 1, 0);
        long[] thrice = steps(w, w.jbda(11, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), 3, 0);
        long[] noisy = steps(w, w.jbda(11, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), 3, 0.05);
        System.out.printf(
                "re-sent steps %d: once %s, thrice %s, thrice with noise %s (steps, re-sends)%n",
                dims,
                java.util.Arrays.toString(once),
                java.util.Arrays.toString(thrice),
                java.util.Arrays.toString(noisy));
        // 900 distinct attack queries once, 300 sent three times: a third as many distinct steps
        assertThat(once[0]).isGreaterThan(100);
        assertThat(once[1]).isZero();
        assertThat(thrice[0]).isLessThan(once[0] / 2);
        assertThat(thrice[1]).isGreaterThan(thrice[0]);
        assertThat(noisy[0]).isLessThan(once[0] / 2);
        assertThat(noisy[1]).isGreaterThan(noisy[0]);
    }
}
