package dev.moat.policies.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.moat.policies.RandomDistributions;
import dev.moat.policies.TransformContext;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Expected vectors were computed with NumPy from the formula in REFERENCES.md (clip, r, clip,
 * normalise), independently of this code.
 */
class ReverseSigmoidTest {

    private static TransformContext ctx() {
        return TransformContext.seeded(1, null, "k", Instant.EPOCH);
    }

    private static void assertVector(double[] actual, double... expected) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("index %d", i).isCloseTo(expected[i], offset(1e-12));
        }
    }

    @Test
    void matchesTheFormula() {
        double[] p = {0.7, 0.2, 0.1};
        new ReverseSigmoid(1.0, 0.5).apply(p, ctx());
        assertVector(p, 0.45388944362237477, 0.2794054009373897, 0.26670515544023554);

        double[] q = {0.5, 0.3, 0.2};
        new ReverseSigmoid(1.0, 0.2).apply(q, ctx());
        assertVector(q, 0.44998916112114923, 0.3080300024581353, 0.24198083642071552);
    }

    @Test
    void liftsAnExactZero() {
        double[] p = {0.9, 0.1, 0.0};
        new ReverseSigmoid(1.0, 0.2).apply(p, ctx());
        assertVector(p, 0.5334641130958023, 0.14020950574719027, 0.3263263811570075);
    }

    @Test
    void restoresTheTop1WhereTheRawFormulaMovesIt() {
        double r = 0.6 / 7;
        double[] input = {0.2, 0.19, 0.01, r, r, r, r, r, r, r};
        double[] raw = input.clone();
        ReverseSigmoid rs = new ReverseSigmoid(1.0, 0.5);
        rs.perturbRaw(raw);
        double tail = 0.09736309268780308;
        assertVector(
                raw,
                0.10162142561785314,
                0.10080149347962547,
                0.11603543208789978,
                tail,
                tail,
                tail,
                tail,
                tail,
                tail,
                tail);

        double[] served = input.clone();
        rs.apply(served, ctx());
        // the values of class 0 (original top-1) and class 2 (raw top-1) are swapped
        assertVector(
                served,
                0.11603543208789978,
                0.10080149347962547,
                0.10162142561785314,
                tail,
                tail,
                tail,
                tail,
                tail,
                tail,
                tail);
    }

    @Test
    void aBinarySingleColumnPerturbsPAndOneMinusPSeparately() {
        double[] p = {0.8};
        new ReverseSigmoid(1.0, 0.5).apply(p, ctx());
        assertThat(p[0]).isCloseTo(0.6333333333333334, offset(1e-12));
    }

    /** Regression: top_k zeros all lift to one value; after restoration they tied with the top-1. */
    @Test
    void zerosLiftedAboveTheTop1DoNotTieWithItAfterRestoration() {
        double[] p = {0.0, 0.3, 0.0, 0.4, 0.3, 0.0, 0.0};
        double[] raw = p.clone();
        new ReverseSigmoid(1.0, 0.2).perturbRaw(raw);
        assertThat(RandomDistributions.argmax(raw)).isZero(); // the lifted zeros outrank class 3
        new ReverseSigmoid(1.0, 0.2).apply(p, ctx());
        for (int i = 0; i < p.length; i++) {
            if (i != 3) {
                assertThat(p[i]).isLessThan(p[3]);
            }
        }
        assertThat(RandomDistributions.sum(p)).isCloseTo(1.0, offset(1e-12));
    }

    /**
     * REFERENCES.md: on random 10-class posteriors the raw formula keeps top-1 in 99.97% of answers
     * at (1, 0.1), 97.1% at (1, 0.2), 78.9% at (1, 0.5), and 68% with 100 classes at (1, 0.1).
     * The source does not say how the posteriors were drawn. Softmax of N(0, 3^2) logits matches:
     * NumPy on 200,000 draws gives 99.98%, 97.05%, 78.54% and 67.99%; uniform-on-simplex
     * (Dirichlet(1)) does not (99.94%, 94.8%, 23.4%; 0% with 100 classes).
     */
    @Test
    void rawFormulaReproducesTheReferenceTop1SurvivalOnSoftmaxPosteriors() {
        assertThat(rawSurvival(10, 1.0, 0.1)).isCloseTo(0.9997, offset(0.0005));
        assertThat(rawSurvival(10, 1.0, 0.2)).isCloseTo(0.971, offset(0.004));
        assertThat(rawSurvival(10, 1.0, 0.5)).isCloseTo(0.789, offset(0.01));
        assertThat(rawSurvival(100, 1.0, 0.1)).isCloseTo(0.68, offset(0.01));
    }

    @Test
    void servedAnswersKeepTheTop1Always() {
        RandomDistributions gen = new RandomDistributions(12);
        ReverseSigmoid rs = new ReverseSigmoid(1.0, 0.5);
        for (int n = 0; n < 50_000; n++) {
            double[] p = gen.softmax(new double[10], 3.0);
            int top = RandomDistributions.argmax(p);
            rs.apply(p, ctx());
            assertThat(RandomDistributions.argmax(p)).isEqualTo(top);
        }
    }

    private static double rawSurvival(int classes, double beta, double gamma) {
        RandomDistributions gen = new RandomDistributions(classes * 1000L + (long) (gamma * 100));
        ReverseSigmoid rs = new ReverseSigmoid(beta, gamma);
        int draws = 100_000;
        int kept = 0;
        for (int n = 0; n < draws; n++) {
            double[] p = gen.softmax(new double[classes], 3.0);
            int top = RandomDistributions.argmax(p);
            rs.perturbRaw(p);
            if (RandomDistributions.argmax(p) == top) {
                kept++;
            }
        }
        return (double) kept / draws;
    }
}
