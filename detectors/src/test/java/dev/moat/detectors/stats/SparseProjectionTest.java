package dev.moat.detectors.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The very sparse projection: its matrix read back column by column through unit vectors, the
 * projection of any row bit for bit the signed sum of that row's entries in index order (what PRADA's
 * and coverage's stored state depends on), and distances kept like a Johnson-Lindenstrauss map.
 */
class SparseProjectionTest {

    @Test
    void projectionIsTheSignedSumInIndexOrderBitForBit() {
        for (int d : new int[] {100, 784, 3072}) {
            SparseProjection r = new SparseProjection(d, 64, 42);
            // the matrix, from unit vectors: every entry 0 or +-scale
            double[][] column = new double[d][64];
            double scale = 0;
            for (int i = 0; i < d; i++) {
                double[] e = new double[d];
                e[i] = 1;
                r.project(e, column[i]);
                for (double v : column[i]) {
                    if (v != 0) {
                        assertThat(scale == 0 || Math.abs(v) == scale).isTrue();
                        scale = Math.abs(v);
                    }
                }
            }
            Random rnd = new Random(d);
            double[] out = new double[64];
            for (int t = 0; t < 50; t++) {
                double[] x = new double[d];
                for (int i = 0; i < d; i++) {
                    x[i] = rnd.nextGaussian() * 3 + (rnd.nextInt(4) == 0 ? 0 : 8);
                }
                r.project(x, out);
                for (int j = 0; j < 64; j++) {
                    double sum = 0;
                    for (int i = 0; i < d; i++) {
                        if (column[i][j] > 0) {
                            sum += x[i];
                        } else if (column[i][j] < 0) {
                            sum += -x[i];
                        }
                    }
                    assertThat(Double.doubleToRawLongBits(out[j]))
                            .as("d=%d row %d", d, j)
                            .isEqualTo(Double.doubleToRawLongBits(sum * scale));
                }
            }
        }
    }

    @Test
    void distancesAreKeptWithinJohnsonLindenstraussNoise() {
        int d = 3072;
        SparseProjection r = new SparseProjection(d, 64, 7);
        Random rnd = new Random(3);
        double[] px = new double[64];
        double[] py = new double[64];
        int within = 0;
        for (int t = 0; t < 200; t++) {
            double[] x = new double[d];
            double[] y = new double[d];
            for (int i = 0; i < d; i++) {
                x[i] = rnd.nextGaussian();
                y[i] = rnd.nextGaussian();
            }
            r.project(x, px);
            r.project(y, py);
            double in = 0;
            double outSq = 0;
            for (int i = 0; i < d; i++) {
                in += (x[i] - y[i]) * (x[i] - y[i]);
            }
            for (int j = 0; j < 64; j++) {
                outSq += (px[j] - py[j]) * (px[j] - py[j]);
            }
            double ratio = Math.sqrt(outSq / in);
            if (ratio > 0.7 && ratio < 1.3) {
                within++;
            }
        }
        // k = 64: the ratio's standard deviation is about 1/sqrt(2k) = 0.09, so +-0.3 is over 3 sigma
        assertThat(within).isGreaterThanOrEqualTo(195);
    }

    @Test
    void shorterInputsAreZeroPadded() {
        SparseProjection r = new SparseProjection(50, 8, 1);
        double[] shortRow = {1, 2, 3};
        double[] padded = new double[50];
        System.arraycopy(shortRow, 0, padded, 0, 3);
        double[] a = new double[8];
        double[] b = new double[8];
        r.project(shortRow, a);
        r.project(padded, b);
        assertThat(a).containsExactly(b);
    }
}
