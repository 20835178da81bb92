package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sign-step test alone (PRADA, fixed sample seed) against an attacker who has read
 * detectors/README.md (issue 9): the most sign steps in a window of 200 over 800 queries of the
 * {@link Wide} JbDA attacker, behind a model front that clips its inputs to 0..16 (so outliers cost
 * the attacker nothing). 30 is a step score of 1 (step_high), under 10 a score of 0 (step_low). What
 * is still open is asserted as it is, so that a change shows (and the README gets updated); {@code
 * dev.moat.detectors.SignStepCrestBypassTest} runs the same attackers against every detector.
 */
class SignStepCrestStepsTest {

    static final int CAUGHT = OutlierQueryTest.CAUGHT;

    /**
     * (a) Clipped values jittered off the bound by up to 0.1 (of a range of 16): before, eps 0.3 with
     * sizes U(0, 2) took 25 / 18 steps (784 / 3,072) against 35 / 31 unjittered; now 35 / 35 (29 / 29
     * since {@code DataMoves#fullRangeFlips}, session 14). Jitter up to 1.0 (6% of the range, wider than
     * the clip band of 1/64 of the end values' spread) still takes 21 / 20 (22 / 11 since; open). Since
     * {@code DataMoves#naturalSpacing} (session 16) eps 0.3 with sizes U(0, 2) is under it whatever
     * the jitter: its median move is 0.3 of the range, as far as two photographs differ.
     */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void jitteredClipValuesBypass(int dims) {
        Wide w = new Wide(dims);
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("jitter-sign-0.3", steps(w, w.jbda(21, 0.3, Wide.Step.PLAIN, 1, 0, 0.1)));
        m.put("jitter-uniform-0.1", steps(w, w.jbda(22, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0, 0.1)));
        m.put("jitter-uniform-0.3", steps(w, w.jbda(23, 0.3, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0, 0.1)));
        m.put("no-jitter-uniform-0.3", steps(w, w.jbda(23, 0.3, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0, 0)));
        m.put("jitter-1-uniform-0.3", steps(w, w.jbda(23, 0.3, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0, 1.0)));
        System.out.printf("jittered clip values %d: most steps in 200 %s%n", dims, m);
        assertThat(m.get("jitter-sign-0.3")).isGreaterThanOrEqualTo(CAUGHT);
        assertThat(m.get("jitter-uniform-0.1")).isGreaterThanOrEqualTo(CAUGHT);
        // since DataMoves#naturalSpacing (session 16: photographs): 0-2 of 200, were 29 / 29 (35 / 35
        // before fullRangeFlips) and 22 / 11 with jitter 1.0; a flat displacement whose median move is a
        // fifth of the values' reach or more is two natural records, not a step (the price, pinned here
        // and in OutlierQueryTest; WideRandomStepTest's engine flags eps 0.3 by ood at 160-170 rows)
        assertThat(m.get("jitter-uniform-0.3")).isLessThan(CAUGHT / 3);
        assertThat(m.get("no-jitter-uniform-0.3")).isLessThan(CAUGHT / 3);
        assertThat(m.get("jitter-1-uniform-0.3")).isLessThan(CAUGHT / 3);
    }

    /**
     * (b) Step sizes per coordinate from a heavy-tailed law (|Cauchy|, lognormal sigma 1, each capped
     * at 5x its median; exponential): a few large moves put the crest over the Gaussian limit, and
     * a crest that ignored them would pass natural neighbours (their moves are heavy-tailed too).
     * Open: 0-3 steps in 200. `ood` flags these keys at 120-170 rows.
     */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void heavyTailedStepSizesBypass(int dims) {
        Wide w = new Wide(dims);
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("cauchy", steps(w, w.jbda(31, 0.1, Wide.Step.CAUCHY_SIZE, 1, 0)));
        m.put("lognormal", steps(w, w.jbda(32, 0.1, Wide.Step.LOGNORMAL_SIZE, 1, 0)));
        m.put("exponential", steps(w, w.jbda(33, 0.1, Wide.Step.EXPONENTIAL_SIZE, 1, 0)));
        System.out.printf("heavy-tailed sizes %d: most steps in 200 %s%n", dims, m);
        m.forEach((k, v) ->
                assertThat(v).as("%s: closed? update detectors/README.md", k).isLessThan(10));
    }

    /**
     * (c) Outliers that move: in every query a sixteenth (an eighth, a thirty-second) of the
     * coordinates, fresh ones, at +-1e6..2e6. The step test no longer lets them set its floor or spoil
     * its crest (moves over 16x the median are left out: {@code SignStepsTest}), but PRADA finds no
     * parent: the outliers dominate the projected distances (the nearest stored query is any one) and a
     * stored row is quantised over its own range (a parent with one outlier in its sample decodes to
     * nothing). Open: 17-22 steps at a sixteenth, 3-8 at an eighth. `ood` flags them at 50-100 rows.
     */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void movingOutliersRaiseTheFloorBypass(int dims) {
        Wide w = new Wide(dims);
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("outliers-sign", steps(w, Wide.movingOutliers(w.jbda(41, 0.1, Wide.Step.PLAIN, 1, 0), 1, 1.0 / 16, 1e6)));
        m.put(
                "outliers-uniform",
                steps(w, Wide.movingOutliers(w.jbda(42, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), 2, 1.0 / 16, 1e6)));
        m.put(
                "outliers-sign-eighth",
                steps(w, Wide.movingOutliers(w.jbda(43, 0.1, Wide.Step.PLAIN, 1, 0), 3, 1.0 / 8, 1e6)));
        m.put(
                "outliers-uniform-32nd",
                steps(w, Wide.movingOutliers(w.jbda(44, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), 4, 1.0 / 32, 1e6)));
        System.out.printf("moving outliers %d: most steps in 200 %s%n", dims, m);
        // a thirty-second: 34 / 31 at this sample seed on the scattered sample, 25 / 16 on runs of 5
        // (StepSample, the smooth-displacement fix); over sample seeds 1, 2, 3, 7 the scattered sample
        // gave 14-34 / 22-31 and the runs 17-25 / 12-35: past step_high (30) at one seed in four either
        // way, so asserted as half of it
        assertThat(m.get("outliers-uniform-32nd")).isGreaterThanOrEqualTo(CAUGHT / 2);
        // open: documented, asserted as measured less some slack
        assertThat(m.get("outliers-sign")).isBetween(12, CAUGHT - 1);
        assertThat(m.get("outliers-sign-eighth")).isLessThan(CAUGHT);
    }

    /**
     * Honest keys near the bounds, adversarially for the clip band: natural digits with sensor noise
     * clipped at 0 and 16 and then every clipped value jittered off the bound by up to 0.1 (a sensor
     * whose black level wobbles), as floats and rounded to whole numbers 0..255.
     */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void honestKeysWithJitterAtTheBoundsTakeNoSteps(int dims) {
        Wide w = new Wide(dims);
        int most = 0;
        for (int k = 0; k < 3; k++) {
            java.util.Random r = new UnsharedRandom(k);
            java.util.function.UnaryOperator<double[]> jitter = x -> {
                for (int j = 0; j < x.length; j++) {
                    x[j] = x[j] <= 0 ? 0.1 * r.nextDouble() : x[j] >= 16 ? 16 - 0.1 * r.nextDouble() : x[j];
                }
                return x;
            };
            int a = OutlierQueryTest.steps(w, w.honestNoisy(900 + k), null, jitter);
            int b = OutlierQueryTest.steps(
                    w, w.honestNoisy(900 + k), null, x -> OutlierQueryTest.BYTES.apply(jitter.apply(x)));
            System.out.printf("honest jittered at the bounds %d-%d: most steps in 200 %d, bytes %d%n", dims, k, a, b);
            most = Math.max(most, Math.max(a, b));
        }
        assertThat(most).isLessThanOrEqualTo(OutlierQueryTest.HONEST_MAX);
    }

    static int steps(Wide w, QuerySource src) {
        PradaDetector d = new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L)));
        PradaState s = d.newState();
        int most = 0;
        for (int q = 0; q < OutlierQueryTest.QUERIES; q++) {
            double[] x = src.next();
            double[] p = clipped(w, x);
            src.observe(x, p);
            d.update(s, x, p, q * 1_000L);
            most = Math.max(most, s.stepWindow().count());
        }
        return most;
    }

    /** The wide model behind a front that clips its inputs to the pixel range 0..16. */
    static double[] clipped(Wide w, double[] x) {
        double[] c = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            c[j] = Math.max(0, Math.min(16, x[j]));
        }
        return w.predict(c);
    }
}
