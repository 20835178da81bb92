package dev.moat.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import org.junit.jupiter.api.Test;

class MetricsTest {

    /** A classifier that always answers class {@code c}. */
    static Classifier constant(int c) {
        return new Classifier() {
            @Override
            public double[] predict(double[] x) {
                double[] p = new double[Digits.CLASSES];
                p[c] = 1;
                return p;
            }

            @Override
            public double[] inputGradient(double[] x, int cls) {
                return new double[x.length];
            }
        };
    }

    @Test
    void fidelityOfTheModelWithItselfIsOne() {
        assertThat(Metrics.fidelity(
                        DigitsModel.get(), DigitsModel.get(), Digits.get().test()))
                .isEqualTo(1.0);
    }

    @Test
    void fidelityOfAConstantIsTheShareOfThatClassInTheReferenceLabels() {
        Digits.Part test = Digits.get().test();
        long threes = java.util.Arrays.stream(test.x())
                .filter(x -> DigitsModel.get().label(x) == 3)
                .count();
        assertThat(Metrics.fidelity(constant(3), DigitsModel.get(), test))
                .isCloseTo((double) threes / test.size(), within(1e-12));
    }

    @Test
    void fidelityOfAnEmptyPartIsNaN() {
        assertThat(Metrics.fidelity(constant(0), constant(0), new Digits.Part(new double[0][], new int[0])))
                .isNaN();
    }

    @Test
    void l1ComparesOverTheLongerRow() {
        assertThat(Metrics.l1(new double[] {0.5, 0.5}, new double[] {1, 0})).isEqualTo(1.0);
        assertThat(Metrics.l1(new double[] {1}, new double[] {0.5, 0.5})).isEqualTo(1.0);
    }

    @Test
    void targetsRenormaliseTopKRowsAndExpandLabels() {
        assertThat(Metrics.target(new double[] {0.6, 0.2, 0, 0, 0, 0, 0, 0, 0, 0}, 10)[0])
                .isCloseTo(0.75, within(1e-12));
        assertThat(Metrics.target(new double[] {7}, 10)).containsExactly(0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
        assertThat(Metrics.target(new double[10], 10)[4]).isEqualTo(0.1);
        assertThat(Metrics.label(new double[] {7})).isEqualTo(7);
        assertThat(Metrics.label(new double[] {0.1, 0.7, 0.2})).isEqualTo(1);
    }

    @Test
    void labelOnlyAttackersKeepTheArgmax() {
        double[][] seen = AttackRun.labelsOf(new double[][] {{0.1, 0.9}, {0.8, 0.2}});
        assertThat(seen).isDeepEqualTo(new double[][] {{1}, {0}});
    }

    /** A classifier given by a labelling function (one-hot answers). */
    static final class Fixed implements Classifier {
        private final java.util.function.ToIntFunction<double[]> labeller;

        Fixed(java.util.function.ToIntFunction<double[]> labeller) {
            this.labeller = labeller;
        }

        @Override
        public double[] predict(double[] x) {
            double[] p = new double[Digits.CLASSES];
            p[labeller.applyAsInt(x)] = 1;
            return p;
        }

        @Override
        public double[] inputGradient(double[] x, int cls) {
            return new double[x.length];
        }
    }
}
