package dev.moat.detectors.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Arrays;
import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.api.Test;

/** {@link SymmetricEigen} against Commons Math's {@link EigenDecomposition} on random covariances. */
class SymmetricEigenTest {

    @Test
    void matchesCommonsMathOnRandomCovariances() {
        Random r = new UnsharedRandom(7);
        for (int n : new int[] {1, 2, 3, 5, 13, 16}) {
            for (int trial = 0; trial < 20; trial++) {
                int stride = 16;
                double[][] full = covariance(r, n, trial % 3 == 0);
                double[] a = new double[stride * stride];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        a[i * stride + j] = full[i][j];
                    }
                }
                double[] values = new double[n];
                double[] vectors = new double[stride * stride];
                SymmetricEigen.decompose(a, n, stride, values, vectors);

                double[] expected = new EigenDecomposition(new Array2DRowRealMatrix(full)).getRealEigenvalues();
                double[] got = values.clone();
                Arrays.sort(got);
                Arrays.sort(expected);
                double scale = Math.abs(expected[n - 1]) + 1;
                for (int k = 0; k < n; k++) {
                    assertThat(got[k])
                            .as("n=%d trial %d value %d", n, trial, k)
                            .isCloseTo(expected[k], within(1e-9 * scale));
                }
                // each column k is a unit eigenvector of values[k]: A v = lambda v
                for (int k = 0; k < n; k++) {
                    double norm = 0;
                    for (int i = 0; i < n; i++) {
                        double av = 0;
                        for (int j = 0; j < n; j++) {
                            av += full[i][j] * vectors[j * stride + k];
                        }
                        assertThat(av).isCloseTo(values[k] * vectors[i * stride + k], within(1e-9 * scale));
                        norm += vectors[i * stride + k] * vectors[i * stride + k];
                    }
                    assertThat(norm).isCloseTo(1, within(1e-12));
                }
            }
        }
    }

    /** X^T X / m of m random rows, optionally with two nearly collinear columns (an ill-conditioned one). */
    private static double[][] covariance(Random r, int n, boolean collinear) {
        int m = 3 * n + 5;
        double[][] x = new double[m][n];
        for (double[] row : x) {
            for (int j = 0; j < n; j++) {
                row[j] = r.nextGaussian() * (1 + j);
            }
            if (collinear && n > 1) {
                row[n - 1] = row[0] + 1e-3 * r.nextGaussian();
            }
        }
        double[][] c = new double[n][n];
        for (double[] row : x) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    c[i][j] += row[i] * row[j] / m;
                }
            }
        }
        return c;
    }
}
