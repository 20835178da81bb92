package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ByteRowsTest {

    @Test
    void wholeNumbersWithinAByteAreStoredExactly() {
        int dims = 64;
        float[] x = new float[dims];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < dims; i++) {
            x[i] = 100 + rnd.nextInt(256);
        }
        byte[] rows = new byte[2 * ByteRows.stride(dims)];
        ByteRows.encode(x, dims, rows, ByteRows.stride(dims));
        float[] out = new float[dims];
        ByteRows.decode(rows, ByteRows.stride(dims), dims, out);
        assertThat(out).containsExactly(x);
    }

    @Test
    void otherRowsAreWithinHalfAStepOfTheirRange() {
        int dims = 64;
        SplittableRandom rnd = new SplittableRandom(2);
        for (int trial = 0; trial < 200; trial++) {
            float[] x = new float[dims];
            double scale = Math.pow(10, rnd.nextInt(-3, 4));
            for (int i = 0; i < dims; i++) {
                x[i] = (float) ((rnd.nextDouble() - 0.3) * scale);
            }
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (float v : x) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            byte[] rows = new byte[ByteRows.stride(dims)];
            ByteRows.encode(x, dims, rows, 0);
            float[] out = new float[dims];
            ByteRows.decode(rows, 0, dims, out);
            double tolerance = (hi - lo) / 255 * 0.5 * 1.001 + 1e-6 * Math.abs(hi);
            for (int i = 0; i < dims; i++) {
                assertThat((double) Math.abs(out[i] - x[i])).isLessThanOrEqualTo(tolerance);
            }
        }
    }

    @Test
    void constantRowsDecodeToTheConstant() {
        float[] x = new float[16];
        java.util.Arrays.fill(x, 0.37f);
        byte[] rows = new byte[ByteRows.stride(16)];
        ByteRows.encode(x, 16, rows, 0);
        float[] out = new float[16];
        ByteRows.decode(rows, 0, 16, out);
        assertThat(out).containsOnly(0.37f);
    }

    /** The one-lane encoding (before the range was taken in lanes), which {@link ByteRows#encode} must reproduce byte for byte. */
    private static double oneLane(float[] x, int dims, byte[] rows, int base) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        boolean whole = true;
        for (int i = 0; i < dims; i++) {
            lo = Math.min(lo, x[i]);
            hi = Math.max(hi, x[i]);
            whole &= ByteRows.isWhole(x[i]);
        }
        float step = ByteRows.step(lo, hi, whole);
        lo = ByteRows.offset(lo, step);
        float inv = step == 0 ? 0 : 1 / step;
        double sumSq = 0;
        for (int i = 0; i < dims; i++) {
            int code = ByteRows.code(x[i], lo, inv);
            rows[base + i] = (byte) code;
            float v = lo + step * code;
            sumSq += (double) v * v;
        }
        ByteRows.putOffsetAndStep(rows, base, dims, lo, step);
        return sumSq;
    }

    @Test
    void lanesEncodeAsOnePass() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -1e30f
        };
        for (int trial = 0; trial < 20_000; trial++) {
            int dims = 1 + rnd.nextInt(140);
            float[] x = new float[dims];
            int kind = rnd.nextInt(4);
            for (int i = 0; i < dims; i++) {
                x[i] = switch (kind) {
                    case 0 -> rnd.nextInt(17);
                    case 1 -> (float) rnd.nextGaussian();
                    case 2 -> rnd.nextInt(10) == 0 ? special[rnd.nextInt(special.length)] : rnd.nextInt(3) - 1;
                    default -> rnd.nextBoolean() ? -0f : 0f;
                };
            }
            byte[] expected = new byte[ByteRows.stride(dims) + 3];
            byte[] got = new byte[ByteRows.stride(dims) + 3];
            byte[] withSums = new byte[ByteRows.stride(dims) + 3];
            double sumSq = oneLane(x, dims, expected, 3);
            assertThat(Double.doubleToRawLongBits(ByteRows.encode(x, dims, got, 3)))
                    .isEqualTo(Double.doubleToRawLongBits(sumSq));
            assertThat(got).as("trial %d", trial).containsExactly(expected);
            double[] sums = new double[2];
            ByteRows.encode(x, dims, withSums, 3, sums);
            assertThat(withSums).containsExactly(expected);
            double own = 0;
            for (int i = 0; i < dims; i++) {
                own += (double) x[i] * x[i];
            }
            assertThat(Double.doubleToRawLongBits(sums[0])).isEqualTo(Double.doubleToRawLongBits(own));
            assertThat(Double.doubleToRawLongBits(sums[1])).isEqualTo(Double.doubleToRawLongBits(sumSq));
        }
    }

    /** The old encoding's code, which {@link ByteRows#code} must reproduce bit for bit. */
    private static int roundCode(float v, float lo, float inv) {
        return Math.max(0, Math.min(255, Math.round((v - lo) * inv)));
    }

    @Test
    void codeIsMathRound() {
        float[] edges = {
            0f,
            -0f,
            0.49999997f,
            0.5f,
            0.50000006f,
            1.5f,
            2.5f,
            254.5f,
            254.49998f,
            255.49998f,
            255.5f,
            -0.5f,
            -0.49999997f,
            -1e-30f,
            1e-30f,
            Float.MIN_VALUE,
            8388607.5f,
            8388608f,
            1e9f,
            3e38f,
            Float.MAX_VALUE,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN
        };
        for (float f : edges) {
            assertThat(ByteRows.code(f, 0f, 1f)).as("f=%s", f).isEqualTo(roundCode(f, 0f, 1f));
            assertThat(ByteRows.code(Math.nextUp(f), 0f, 1f)).isEqualTo(roundCode(Math.nextUp(f), 0f, 1f));
            assertThat(ByteRows.code(Math.nextDown(f), 0f, 1f)).isEqualTo(roundCode(Math.nextDown(f), 0f, 1f));
        }
        SplittableRandom rnd = new SplittableRandom(4);
        for (int t = 0; t < 2_000_000; t++) {
            float lo = (float) ((rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(-4, 5)));
            float step = (float) (rnd.nextDouble() * Math.pow(10, rnd.nextInt(-5, 3)));
            float inv = t % 50 == 0 ? 0 : 1 / step;
            // values over the row's range and a little past it, and exact half steps
            float v = t % 3 == 0
                    ? lo + step * (rnd.nextInt(-2, 258) + 0.5f)
                    : lo + (float) ((rnd.nextDouble() * 1.1 - 0.05) * 255 * step);
            assertThat(ByteRows.code(v, lo, inv)).isEqualTo(roundCode(v, lo, inv));
        }
    }

    @Test
    void sortedRingKeepsTheLatestValuesSortedInOneArray() {
        SortedRing ring = new SortedRing();
        SplittableRandom rnd = new SplittableRandom(3);
        float[] all = new float[1000];
        for (int i = 0; i < all.length; i++) {
            all[i] = (float) rnd.nextDouble();
            ring.add(all[i], 300);
            int n = Math.min(i + 1, 300);
            float[] expected = java.util.Arrays.copyOfRange(all, i + 1 - n, i + 1);
            java.util.Arrays.sort(expected);
            assertThat(ring.count()).isEqualTo(n);
            float[] got = java.util.Arrays.copyOfRange(ring.sortedValues(), ring.sortedFrom(), ring.sortedFrom() + n);
            assertThat(got).containsExactly(expected);
        }
        assertThat(ring.sortedValues()).hasSize(600);
    }
}
