package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.ClassBand.BREC;
import static dev.moat.detectors.prada.ClassBand.SKETCH;

/**
 * The row a {@link CrossKeyParents} is searching for a parent or storing, in the scratch of the one
 * worker that owns the detector: {@link #load} gathers a store's sample of an input's coordinates
 * ({@link StepSample}) into {@link #x}, keeps them as sent in {@link #rawX} (from which the store's
 * scales are estimated, {@link StoreScales#rescale}) and, on a mixed-scale store, puts x in units of each
 * coordinate's spread; {@link #place} writes x into a slot of the store, one byte per coordinate
 * ({@link ByteRows}), and its bound record into its class's {@link ClassBand}.
 *
 * <p>Cost per stored row (every row): one pass over the sampled coordinates to load them (with their
 * min, max and whether all are whole), one to quantise them and build the band record from the codes,
 * and an append to the class's band; a ring eviction moves the band's last record into its place: at
 * most 2 records written per row stored ({@code CrossKeyCostTest}). No allocation once the ring and
 * the class arrays exist.
 */
final class LoadedRow {

    /** The loaded row's sample of coordinates, in the store's units (scaled on a mixed-scale store). */
    final float[] x;

    /** The row {@link #load} loaded, as sent (narrow stores only; x holds it scaled). */
    final float[] rawX;

    /** What {@link #load} found of x: its smallest and largest value, whether all are whole numbers. */
    float xLo;

    float xHi;
    boolean xWhole;

    /** The query's band record, and a stored row's (while it is written). */
    final float[] xRec = new float[BREC];

    LoadedRow(int coordinates) {
        this.x = new float[coordinates];
        this.rawX = new float[coordinates];
    }

    /**
     * The store's sample of input into x[0..m), and in the same pass its smallest and largest value
     * and whether all are whole numbers (what the row's encoding needs: no second pass over x).
     */
    void load(WidthStore st, double[] input) {
        int m = st.m;
        int stride = st.stride;
        int width = st.width;
        float[] x = this.x;
        // the gather alone first: its loads are independent (each a likely cache miss on a wide row),
        // and a loop this short keeps many more of them in flight than one that also folds min, max
        // and wholeness into each step
        StepSample.gather(input, x, m, width, st.start, stride);
        System.arraycopy(x, 0, rawX, 0, m);
        float[] inv = st.inv;
        if (inv != null) {
            float[] centre = st.centre;
            for (int i = 0; i < m; i++) {
                x[i] = (x[i] - centre[i]) * inv[i];
            }
        }
        stats(m);
    }

    /** The smallest and largest of x[0..m) and whether all are whole, into xLo, xHi, xWhole. */
    void stats(int m) {
        float[] x = this.x;
        // the smallest and largest as Math.min and Math.max give them (-0 under +0; NaN if any is NaN),
        // on the values' order keys (FloatOrder.key of the raw bits): an int minimum is one cycle where
        // C2's float one is a blend sequence several times as long, and each is a chain through the row
        int kLo = Integer.MAX_VALUE;
        int kHi = Integer.MIN_VALUE;
        // negative once a value is NaN (its magnitude bits over +inf's)
        int nan = 0;
        // whether every value is whole (ByteRows.isWhole), as the OR of each value's bits against its
        // rint's: no comparison in the loop (on noisy rows it was a coin flip per value). A NaN value
        // may count as whole here, but then lo and hi are NaN and the row's step is 0 whatever this says.
        long notWhole = 0;
        for (int i = 0; i < m; i++) {
            float v = x[i];
            int bits = Float.floatToRawIntBits(v);
            int k = FloatOrder.key(bits);
            kLo = Math.min(kLo, k);
            kHi = Math.max(kHi, k);
            nan |= 0x7F800000 - (bits & 0x7FFFFFFF);
            double d = v;
            notWhole |= Double.doubleToRawLongBits(d) ^ Double.doubleToRawLongBits(Math.rint(d));
        }
        // m >= 1: the keys are of values of the row
        xLo = nan < 0 ? Float.NaN : Float.intBitsToFloat(FloatOrder.key(kLo));
        xHi = nan < 0 ? Float.NaN : Float.intBitsToFloat(FloatOrder.key(kHi));
        xWhole = notWhole == 0;
    }

    /**
     * Stores x[0..m) (as {@link #load} left it) as the row at {@code base}, as {@link ByteRows#encode}
     * would, and writes the band record of the stored (decoded) values into out, as {@link ClassBand#record}
     * of them would, in one pass over x: the bounds must hold against what the search decodes.
     */
    void encodeAndRecord(byte[] rows, int base, int m, float[] out) {
        float step = ByteRows.step(xLo, xHi, xWhole);
        float lo = ByteRows.offset(xLo, step);
        float inv = step == 0 ? 0 : 1 / step;
        double all = 0;
        double kept = 0;
        for (int j = 0; j < SKETCH; j++) {
            int from = (int) ((long) j * m / SKETCH);
            int to = (int) ((long) (j + 1) * m / SKETCH);
            double sum = 0;
            for (int i = from; i < to; i++) {
                int code = ByteRows.code(x[i], lo, inv);
                rows[base + i] = (byte) code;
                float v = lo + step * ByteRows.value(code);
                double a = v;
                sum += a;
                all += a * a;
            }
            double p = to > from ? sum / Math.sqrt(to - from) : 0;
            kept += p * p;
            out[1 + j] = (float) p;
        }
        ByteRows.putOffsetAndStep(rows, base, m, lo, step);
        out[0] = (float) Math.sqrt(Math.max(0, all - kept));
    }

    /** Writes x (as {@link #load} or {@link StoreScales#rescale} left it) into the slot and its class's band. */
    void place(WidthStore st, int slot, int c, int keyHash) {
        int base = slot * ByteRows.stride(st.m);
        encodeAndRecord(st.rows, base, st.m, xRec);
        st.offsets[slot] = ByteRows.offset(st.rows, base, st.m);
        st.steps[slot] = ByteRows.step(st.rows, base, st.m);
        if (c >= st.bands.length) {
            st.bands = java.util.Arrays.copyOf(st.bands, c + 1);
        }
        if (st.bands[c] == null) {
            st.bands[c] = new ClassBand();
        }
        st.bands[c].insert(xRec, slot, keyHash, st.bandAt);
        st.classes[slot] = c;
    }
}
