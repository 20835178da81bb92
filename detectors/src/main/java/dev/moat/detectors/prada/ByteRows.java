package dev.moat.detectors.prada;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * PRADA's stored queries, one byte per coordinate. A row of {@code dims} coordinates takes
 * {@code dims + 8} bytes: the codes, then the row's offset and step (two little-endian floats), and
 * coordinate i decodes to {@code offset + step * (code[i] & 0xFF)}. The offset is the row's smallest
 * value and the step its range / 255, so a coordinate is off by at most half a step: 0.2% of the
 * row's range (0.03 on a 0..16 pixel scale, 0.002 on 0..1). A row of whole numbers spanning at most
 * 255 (pixels as most image clients send them, 0..255 or 0..16) is stored exactly (step 1).
 *
 * <p>That error is far below the nearest-neighbour distances PRADA tests (several units on the
 * digits data) and below the sign-step test's 3% tolerance on steps of at least 2% of the input
 * range; it is what lets 100,000 light keys fit in 512 MiB (a float row takes 256 bytes, this one 72).
 */
final class ByteRows {

    static final int HEADER = 8;
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private ByteRows() {}

    static int stride(int dims) {
        return dims + HEADER;
    }

    static float offset(byte[] rows, int base, int dims) {
        return (float) FLOAT.get(rows, base + dims);
    }

    static float step(byte[] rows, int base, int dims) {
        return (float) FLOAT.get(rows, base + dims + 4);
    }

    static float getFloat(byte[] bytes, int at) {
        return (float) FLOAT.get(bytes, at);
    }

    static void putFloat(byte[] bytes, int at, float v) {
        FLOAT.set(bytes, at, v);
    }

    /**
     * Stores x[0..dims) as the row at {@code base}; returns the stored row's sum of squares as
     * {@link #decode} gives it back (the same floats, summed in the same order), computed while the
     * codes are written.
     */
    static double encode(float[] x, int dims, byte[] rows, int base) {
        // the smallest and the largest value, each in two lanes (Math.min and max take -0 under +0 and
        // keep a NaN whatever the order, so the lanes give the one pass's result; a NaN's bits never
        // reach the row: it makes the step 0 and the offset 0): a Math.min waits on the one before it
        // (several instructions on x86), the lanes' overlap
        float lo0 = Float.POSITIVE_INFINITY;
        float lo1 = Float.POSITIVE_INFINITY;
        float hi0 = Float.NEGATIVE_INFINITY;
        float hi1 = Float.NEGATIVE_INFINITY;
        boolean whole = true;
        int i = 0;
        for (; i + 2 <= dims; i += 2) {
            float v0 = x[i];
            float v1 = x[i + 1];
            lo0 = Math.min(lo0, v0);
            lo1 = Math.min(lo1, v1);
            hi0 = Math.max(hi0, v0);
            hi1 = Math.max(hi1, v1);
            whole &= isWhole(v0) & isWhole(v1);
        }
        for (; i < dims; i++) {
            float v = x[i];
            lo0 = Math.min(lo0, v);
            hi0 = Math.max(hi0, v);
            whole &= isWhole(v);
        }
        return encode(x, dims, rows, base, Math.min(lo0, lo1), Math.max(hi0, hi1), whole);
    }

    /**
     * As {@link #encode(float[], int, byte[], int)}, and also x's own sum of squares, {@code (double)
     * x[i] * x[i]} added in coordinate order, into {@code sums[0]} (the stored row's into {@code
     * sums[1]}): PRADA's recent rows need both, and the two sums' additions, each waiting on the last,
     * overlap the range's in one pass.
     */
    static void encode(float[] x, int dims, byte[] rows, int base, double[] sums) {
        float lo0 = Float.POSITIVE_INFINITY;
        float lo1 = Float.POSITIVE_INFINITY;
        float hi0 = Float.NEGATIVE_INFINITY;
        float hi1 = Float.NEGATIVE_INFINITY;
        boolean whole = true;
        double sumSq = 0;
        int i = 0;
        for (; i + 2 <= dims; i += 2) {
            float v0 = x[i];
            float v1 = x[i + 1];
            lo0 = Math.min(lo0, v0);
            lo1 = Math.min(lo1, v1);
            hi0 = Math.max(hi0, v0);
            hi1 = Math.max(hi1, v1);
            whole &= isWhole(v0) & isWhole(v1);
            sumSq += (double) v0 * v0;
            sumSq += (double) v1 * v1;
        }
        for (; i < dims; i++) {
            float v = x[i];
            lo0 = Math.min(lo0, v);
            hi0 = Math.max(hi0, v);
            whole &= isWhole(v);
            sumSq += (double) v * v;
        }
        sums[0] = sumSq;
        sums[1] = encode(x, dims, rows, base, Math.min(lo0, lo1), Math.max(hi0, hi1), whole);
    }

    /** The codes and header of x[0..dims) given its smallest and largest value; returns the stored row's sum of squares. */
    private static double encode(float[] x, int dims, byte[] rows, int base, float lo, float hi, boolean whole) {
        float step = step(lo, hi, whole);
        lo = offset(lo, step);
        float inv = step == 0 ? 0 : 1 / step;
        double sumSq = 0;
        for (int i = 0; i < dims; i++) {
            int code = code(x[i], lo, inv);
            rows[base + i] = (byte) code;
            float v = lo + step * code;
            sumSq += (double) v * v;
        }
        FLOAT.set(rows, base + dims, lo);
        FLOAT.set(rows, base + dims + 4, step);
        return sumSq;
    }

    /** Whether v counts as a whole number for {@link #step(float, float, boolean)}. */
    static boolean isWhole(float v) {
        return v == Math.rint(v);
    }

    /**
     * The step of a row whose smallest value is lo, largest hi, and whose values are all whole
     * numbers when {@code whole}: 0 for a constant (or non-finite) row, 1 for whole numbers spanning
     * at most 255, else the range / 255.
     */
    static float step(float lo, float hi, boolean whole) {
        if (!(hi > lo) || !Float.isFinite(hi - lo)) {
            // constant row (or non-finite values, which the distances cannot use anyway)
            return 0;
        }
        return whole && hi - lo <= 255 ? 1 : (hi - lo) / 255f;
    }

    /** The offset stored for a row whose smallest value is lo and whose step is {@code step}. */
    static float offset(float lo, float step) {
        return step == 0 && !Float.isFinite(lo) ? 0 : lo;
    }

    /**
     * The code of v in a row of offset lo and step 1 / inv (inv 0 for a step of 0): {@code
     * Math.round((v - lo) * inv)} clamped to 0..255, without {@code Math.round}'s bit twiddling (not
     * an intrinsic on Java 17; 9 % of a stored row's cost): for 0 <= f < 2^28 the double f + 0.5 is
     * exact, so truncating it is floor(f + 1/2), which is what {@code Math.round} returns; larger f
     * clamp to 255 and negative f (or NaN) to 0 either way ({@code ByteRowsTest.codeIsMathRound}).
     */
    static int code(float v, float lo, float inv) {
        return Math.max(0, Math.min(255, (int) ((double) ((v - lo) * inv) + 0.5)));
    }

    static void putOffsetAndStep(byte[] rows, int base, int dims, float lo, float step) {
        FLOAT.set(rows, base + dims, lo);
        FLOAT.set(rows, base + dims + 4, step);
    }

    /** Decodes the row at {@code base} into out[0..dims). */
    static void decode(byte[] rows, int base, int dims, float[] out) {
        float lo = offset(rows, base, dims);
        float step = step(rows, base, dims);
        for (int i = 0; i < dims; i++) {
            out[i] = lo + step * (rows[base + i] & 0xFF);
        }
    }

    /** The largest error of a stored row's coordinates: none for whole numbers (step 1), else half a step. */
    static float quantisation(byte[] rows, int base, int dims) {
        float step = step(rows, base, dims);
        return step == 1f ? 0f : step / 2;
    }

    /**
     * Each code's value as a float ({@code CODE_VALUE[c] == (float) c}): a load from a 1 KB table
     * instead of an int-to-float conversion per coordinate (the distance took about 140 ns per row of
     * 128 codes with the conversion, about 95 with the table, in cache, loaded machine; likely the
     * conversion's dependency on its target register, not checked in the assembly). The same floats,
     * so the same sums.
     */
    private static final float[] CODE_VALUE = new float[256];

    static {
        for (int c = 0; c < 256; c++) {
            CODE_VALUE[c] = c;
        }
    }

    /** {@code (float) code} for a code of 0..255, from the table (as {@link #distanceSquared} reads it). */
    static float value(int code) {
        return CODE_VALUE[code];
    }

    /**
     * Squared distance from q[0..m) to the row whose codes start at {@code base} (decoded with
     * {@code lo} and {@code step} on the fly), or a partial sum at least {@code best} once past it
     * (checked every 16 coordinates): PRADA's nearest member and the cross-key store's nearest row.
     */
    static float distanceSquared(float[] q, byte[] rows, int base, int m, float lo, float step, float best) {
        float[] value = CODE_VALUE;
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        while (i + 16 <= m) {
            for (int end = i + 16; i < end; i += 4) {
                float d0 = q[i] - (lo + step * value[rows[base + i] & 0xFF]);
                float d1 = q[i + 1] - (lo + step * value[rows[base + i + 1] & 0xFF]);
                float d2 = q[i + 2] - (lo + step * value[rows[base + i + 2] & 0xFF]);
                float d3 = q[i + 3] - (lo + step * value[rows[base + i + 3] & 0xFF]);
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }
            if (s0 + s1 + s2 + s3 >= best) {
                return s0 + s1 + s2 + s3;
            }
        }
        float sum = s0 + s1 + s2 + s3;
        for (; i < m; i++) {
            float d = q[i] - (lo + step * value[rows[base + i] & 0xFF]);
            sum += d * d;
        }
        return sum;
    }
}
