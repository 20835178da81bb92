package dev.moat.detectors.internal;

import java.util.SplittableRandom;

/**
 * Whether a query is the key's last one read a few coordinates later along a series (session 30):
 * a machine's monitor that sends overlapping windows of its series (hop 1-8 samples) repeats its
 * situation as a camera re-sending a scene does, but a vibration's next window is no near-copy of
 * the last (the sine's phase moved); read later, it is the same samples plus the new ones.
 *
 * <p>On a block of {@value #BLOCK} consecutive coordinates at a secret place (drawn from the seed),
 * {@code input[t]} is compared with the last query's {@code [t + h]} for h of 1 to {@value
 * #MAX_SHIFT} (a quarter of the width at most): at the best h the sum of squared differences must be
 * at most {@code near}^2 of both the block's unshifted one (the last query as it was) and the
 * block's contrast (its squared deviations from its mean). Fixed at the first width seen; inputs of
 * another width, and inputs whose block would be narrower than {@value #MIN_BLOCK} (under 21
 * coordinates), never follow. A non-finite value never follows (the bound is then not finite).
 *
 * <p>Users: {@link Runs} ({@code ood}'s runs, where a window that follows joins the run while its
 * answer stays near the anchor's) and {@code coverage} (a window that follows opens no cell that
 * counts). Per key the caller keeps the last query's block and the shifts after it ({@link
 * #remember}, {@value #BLOCK} + {@value #MAX_SHIFT} 16-bit codes at most and their range, 160
 * bytes); per query their coding and decoding and at most {@value #MAX_SHIFT} shifts of {@value
 * #BLOCK} differences, each abandoned once over the bound. Not thread-safe (the worker's: a scratch
 * array of the decoded values).
 */
public final class SeriesWindows {

    /** The longest shift along the input, in coordinates, at which a query reads as the key's last one read later. */
    static final int MAX_SHIFT = 16;

    /**
     * Coordinates of the block compared at each shift; fewer on inputs under {@code BLOCK +
     * MAX_SHIFT}, where the shifts are at most a quarter of the width.
     */
    static final int BLOCK = 48;

    /** No shift is looked for on inputs whose block would be narrower than this. */
    static final int MIN_BLOCK = 16;

    private final double near;
    private final long seed;
    private int width = -1;
    /** The block's first coordinate, its length and the shifts tried; block 0: none at this width. */
    private int blockStart;

    private int block;
    private int shifts;

    /**
     * @param near the largest distance at the best shift, in units of the smaller of the block's
     *     unshifted distance and its contrast
     * @param seed where the block lies (secret in production)
     */
    public SeriesWindows(double near, long seed) {
        this.near = near;
        this.seed = seed;
    }

    private boolean fits(double[] input) {
        if (width < 0) {
            width = input.length;
            shifts = Math.min(MAX_SHIFT, width / 4);
            block = Math.min(BLOCK, width - shifts);
            if (block < MIN_BLOCK) {
                block = 0;
            } else {
                blockStart = new SplittableRandom(~seed).nextInt(width - block - shifts + 1);
            }
        }
        return block > 0 && input.length == width;
    }

    /** {@link #remember}'s codes: 16 bits a value over the values' own range. */
    static final int CODES = 0xFFFF;

    /** Chars after the codes: the lowest value (a double) and the step (a float). */
    private static final int KEPT = 6;

    /** The last query's values as {@link #follows} reads them, decoded from its codes. */
    private final double[] lastValues = new double[BLOCK + MAX_SHIFT];

    /** Whether {@code input} is {@code last}'s query (as {@link #remember} kept it; null: none) read later. */
    public boolean follows(double[] input, char[] last) {
        if (last == null || input == null || !fits(input) || last.length != block + shifts + KEPT) {
            return false;
        }
        int n = block + shifts;
        double lo = Double.longBitsToDouble(
                (long) last[n] << 48 | (long) last[n + 1] << 32 | (long) last[n + 2] << 16 | last[n + 3]);
        float step = Float.intBitsToFloat(last[n + 4] << 16 | last[n + 5]);
        double[] values = lastValues;
        for (int j = 0; j < n; j++) {
            // a NaN lo or step (a value that was not finite) decodes to NaN, and nothing follows it
            values[j] = lo + (double) step * last[j];
        }
        // one pass: the block's sum and sum of squares (its contrast, the squared deviations from its mean,
        // is their difference) and its distance from the last query unshifted; the sums are of each value
        // less the block's first, so that a series at a level far above its swing loses no digits to it
        double first = input[blockStart];
        double sum = 0;
        double squares = 0;
        double still = 0;
        for (int t = 0; t < block; t++) {
            double v = input[blockStart + t];
            double c = v - first;
            double d = v - values[t];
            sum += c;
            squares += c * c;
            still += d * d;
        }
        double contrast = Math.max(0, squares - sum * sum / block);
        double bound = near * near * Math.min(contrast, still);
        if (!(bound > 0 && bound < Double.POSITIVE_INFINITY)) {
            return false;
        }
        for (int h = 1; h <= shifts; h++) {
            // abandoned once over the bound, checked every 8 coordinates (a check per coordinate was most of
            // the time on inputs that are no series, where every shift is tried and fails within a few)
            double e = 0;
            int t = 0;
            for (; t + 8 <= block && e <= bound; t += 8) {
                int at = blockStart + t;
                for (int u = 0; u < 8; u++) {
                    double d = input[at + u] - values[t + u + h];
                    e += d * d;
                }
            }
            for (; t < block && e <= bound; t++) {
                double d = input[blockStart + t] - values[t + h];
                e += d * d;
            }
            if (e <= bound) {
                return true;
            }
        }
        return false;
    }

    /**
     * Keeps {@code input}'s block and the shifts after it for the next query's {@link #follows}: into
     * {@code last} (allocated when null) and returns it; null for an input of another width than the
     * first, or too narrow (the key's last query is then forgotten). Kept as 16-bit codes over the
     * values' own range (the lowest value's double bits and the step's float bits in the last six
     * chars: 140 bytes and the array's header, where floats took 256): a code's error, at most half
     * a 65,535th of the range, is far under what {@link #follows} tells apart (a quarter of the
     * block's contrast).
     */
    public char[] remember(char[] last, double[] input) {
        if (input == null || !fits(input)) {
            return null;
        }
        int n = block + shifts;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        boolean finite = true;
        for (int j = 0; j < n; j++) {
            double v = input[blockStart + j];
            finite &= Double.isFinite(v);
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double low = finite ? lo : Double.NaN;
        float step = finite ? (float) ((hi - lo) / CODES) : Float.NaN;
        char[] kept = last != null && last.length == n + KEPT ? last : new char[n + KEPT];
        // v - lo is at least 0: the cast of it plus a half rounds to the nearest code (a multiply, not a
        // division and a rint per value: this runs on every query of every key)
        double inv = step > 0 ? 1 / (double) step : 0;
        for (int j = 0; j < n; j++) {
            kept[j] = (char) Math.min(CODES, (int) ((input[blockStart + j] - lo) * inv + 0.5));
        }
        long lowBits = Double.doubleToRawLongBits(low);
        int stepBits = Float.floatToRawIntBits(step);
        kept[n] = (char) (lowBits >>> 48);
        kept[n + 1] = (char) (lowBits >>> 32);
        kept[n + 2] = (char) (lowBits >>> 16);
        kept[n + 3] = (char) lowBits;
        kept[n + 4] = (char) (stepBits >>> 16);
        kept[n + 5] = (char) stepBits;
        return kept;
    }
}
