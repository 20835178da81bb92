package dev.moat.policies.watermark;

/**
 * The canonical byte form of a query's features that the watermark hashes: every feature is put on
 * the grid 10^-D (D decimals, {@link #DEFAULT_DECIMALS} unless configured) as the fixed-point
 * integer round(x * 10^D) (half up), written as a big-endian 64-bit integer.
 *
 * <p>Why a grid: the same query must get the same answer every time (DAWN, Szyller et al. 2021,
 * requires deterministic watermarking), yet clients re-encode numbers (float32 vs float64,
 * {@code 0.1} vs {@code 0.10000000149011612}); with D = 4 such re-encodings of values below about
 * 100 land on the same integer except at grid boundaries. It also makes {@code -0.0} equal
 * {@code 0.0}. Non-finite values: NaN encodes as {@link Long#MIN_VALUE}, +-infinity saturate to
 * {@link Long#MAX_VALUE} / {@code Long.MIN_VALUE + 1}. Unlike the DAWN reference code, which
 * hashes only the first 25 bytes, every feature is hashed.
 */
public final class CanonicalInput {

    private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    /** Four decimals: finer than any feature scale we expect, coarser than float32 noise. */
    public static final int DEFAULT_DECIMALS = 4;

    public static final int MAX_DECIMALS = 12;

    private final int decimals;
    private final double scale;

    public CanonicalInput(int decimals) {
        if (decimals < 0 || decimals > MAX_DECIMALS) {
            throw new IllegalArgumentException(
                    "watermark grid decimals: " + decimals + " (expected: 0-" + MAX_DECIMALS + ")");
        }
        this.decimals = decimals;
        this.scale = Math.pow(10, decimals);
    }

    public static CanonicalInput defaultGrid() {
        return new CanonicalInput(DEFAULT_DECIMALS);
    }

    public int decimals() {
        return decimals;
    }

    /** The fixed-point integer one feature is encoded as. */
    public long quantise(double x) {
        double v = x * scale;
        if (Math.abs(v) < 0x1p52) { // false for NaN and infinities
            // Math.round(v), which is floor(v + 1/2) computed exactly, without its bit surgery (it
            // was 5 % of mode b's event loop): t = v truncated, f = v - t its fraction, exact below
            // 2^52; floor(t + f + 1/2) is t + 1 when f >= 1/2, t - 1 when f < -1/2, else t
            long t = (long) v;
            double f = v - t;
            return t + (f >= 0.5 ? 1 : 0) - (f < -0.5 ? 1 : 0);
        }
        if (Double.isNaN(x)) {
            return Long.MIN_VALUE;
        }
        long q = Math.round(v); // an integer already, or saturates at Long.MIN_VALUE / MAX_VALUE
        return q == Long.MIN_VALUE ? Long.MIN_VALUE + 1 : q;
    }

    /** The quantisation as it was first written (Math.round); the reference {@link #quantise} must equal. */
    long quantiseByRound(double x) {
        if (Double.isNaN(x)) {
            return Long.MIN_VALUE;
        }
        long q = Math.round(x * scale);
        return q == Long.MIN_VALUE ? Long.MIN_VALUE + 1 : q;
    }

    /** Bytes needed for {@code features} features. */
    public static int encodedLength(int features) {
        return features * Long.BYTES;
    }

    /** Writes the canonical form of {@code input} into {@code out} from 0; returns its length. */
    public int encode(double[] input, byte[] out) {
        int pos = 0;
        for (double x : input) {
            BIG_ENDIAN_LONG.set(out, pos, quantise(x));
            pos += Long.BYTES;
        }
        return pos;
    }

    /** The canonical form as a new array; for keys and tests, not the hot path. */
    public byte[] encode(double[] input) {
        byte[] out = new byte[encodedLength(input.length)];
        encode(input, out);
        return out;
    }
}
