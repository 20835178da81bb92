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
        // 64 and 12 outputs as PRADA and coverage use them, 3 (fewer than the rows summed together),
        // 30 (not a multiple of them); rows as long as the matrix and shorter (zero-padded)
        for (int d : new int[] {100, 784, 3072}) {
            for (int k : new int[] {64, 12, 3, 30}) {
                SparseProjection r = new SparseProjection(d, k, 42 + k);
                // the matrix, from unit vectors: every entry 0 or +-scale
                double[][] column = new double[d][k];
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
                double[] out = new double[k];
                for (int t = 0; t < 50; t++) {
                    double[] x = new double[t % 5 == 4 ? d - 1 - rnd.nextInt(d / 2) : d];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = rnd.nextGaussian() * 3 + (rnd.nextInt(4) == 0 ? 0 : 8);
                    }
                    r.project(x, out);
                    for (int j = 0; j < k; j++) {
                        double sum = 0;
                        for (int i = 0; i < x.length; i++) {
                            if (column[i][j] > 0) {
                                sum += x[i];
                            } else if (column[i][j] < 0) {
                                sum += -x[i];
                            }
                        }
                        assertThat(Double.doubleToRawLongBits(out[j]))
                                .as("d=%d k=%d row %d, x of %d", d, k, j, x.length)
                                .isEqualTo(Double.doubleToRawLongBits(sum * scale));
                    }
                }
            }
        }
    }

    @Test
    void aRememberedProjectionIsTheComputedOneForTheSameMatrixOnly() throws Exception {
        SparseProjection[] matrices = {
            new SparseProjection(3072, 64, 1),
            new SparseProjection(3072, 64, 2),
            new SparseProjection(3072, 12, 1),
            new SparseProjection(3000, 64, 1),
            new SparseProjection(3072, 64, 1), // another instance of the first matrix
        };
        Random rnd = new Random(5);
        double[][] rows = new double[40][3072];
        for (double[] x : rows) {
            for (int i = 0; i < x.length; i++) {
                x[i] = rnd.nextDouble() * 16;
            }
        }
        double[][][] computed = new double[matrices.length][rows.length][];
        for (int m = 0; m < matrices.length; m++) {
            for (int r = 0; r < rows.length; r++) {
                computed[m][r] = new double[matrices[m].outDims()];
                matrices[m].project(rows[r], computed[m][r]);
            }
        }
        double[][] lastChanged = new double[1][];
        java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                new java.util.concurrent.atomic.AtomicReference<>();
        Thread remembering = new Thread(() -> {
            try {
                SparseProjection.rememberRowsOnThisThread();
                double[] out = new double[64];
                // each row through every matrix twice (the second time remembered), more rows than slots
                for (int pass = 0; pass < 2; pass++) {
                    for (int r = 0; r < rows.length; r++) {
                        for (int m = 0; m < matrices.length; m++) {
                            for (int again = 0; again < 2; again++) {
                                java.util.Arrays.fill(out, Double.NaN);
                                matrices[m].project(rows[r], out);
                                assertThat(java.util.Arrays.copyOf(out, matrices[m].outDims()))
                                        .as("matrix %d row %d", m, r)
                                        .isEqualTo(computed[m][r]);
                            }
                        }
                    }
                }
                // forgotten rows are projected again: the last row, changed after forgetting, gets its new projection
                SparseProjection.forgetRowsOnThisThread();
                rows[rows.length - 1][0] += 1000;
                matrices[0].project(rows[rows.length - 1], out);
                assertThat(out).isNotEqualTo(computed[0][rows.length - 1]);
                lastChanged[0] = out.clone();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        remembering.start();
        remembering.join();
        assertThat(failure.get()).isNull();
        // and as computed without remembering (this thread never remembers)
        double[] expected = new double[64];
        matrices[0].project(rows[rows.length - 1], expected);
        assertThat(lastChanged[0]).isEqualTo(expected);
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

    /**
     * Alternating input widths must not rebuild the matrix on every row (a client alternating widths
     * could otherwise make each event cost a fresh matrix): the last widths are kept, and what they
     * give is what a fresh projection with the same width and seed gives.
     */
    @Test
    void alternatingWidthsReuseTheirProjections() {
        SparseProjection.ByWidth byWidth = new SparseProjection.ByWidth(64, 7);
        int[] widths = {3072, 3071, 784, 100, 3072, 3071, 784, 100, 200, 300, 400, 500};
        java.util.Map<Integer, SparseProjection> first = new java.util.HashMap<>();
        for (int w : widths) {
            SparseProjection p = byWidth.of(w);
            assertThat(p.inDims()).isEqualTo(w);
            assertThat(p).isSameAs(first.computeIfAbsent(w, x -> p));
        }
        Random rnd = new Random(3);
        for (int w : new int[] {3072, 100, 3071}) {
            double[] x = new double[w];
            for (int i = 0; i < w; i++) {
                x[i] = rnd.nextGaussian();
            }
            double[] a = new double[64];
            double[] b = new double[64];
            byWidth.of(w).project(x, a);
            new SparseProjection(w, 64, 7).project(x, b);
            assertThat(a).containsExactly(b);
        }
        // more widths than are kept: the oldest is built again (a new instance), the newest is kept
        for (int w = 1000; w < 1010; w++) {
            byWidth.of(w);
        }
        assertThat(byWidth.of(3072)).isNotSameAs(first.get(3072));
        assertThat(byWidth.of(1009)).isSameAs(byWidth.of(1009));
    }
}
