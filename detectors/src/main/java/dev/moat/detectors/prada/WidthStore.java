package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.StoreScales.FIRST_RESCALE;
import static dev.moat.detectors.prada.StoreScales.RAW_ROWS;

/**
 * One input width's ring of rows, {@link CrossKeyParents}' store: the last {@code store_size} (4,096)
 * rows of that width, each kept as a sample of {@code coordinates} (128) raw coordinates (all of
 * them for narrower inputs; for wider ones runs of 5 consecutive coordinates at a secret offset and
 * stride ({@link StepSample}), like PRADA's per-key sample but one for the store, so every key's rows
 * are comparable), one byte per coordinate ({@link ByteRows}), with its predicted class, its place in
 * its class's {@link ClassBand} and the key that sent it; and the newest rows as sent, from which the
 * per-coordinate scales are estimated. Rows are found again by slot; {@link #serial} tells which row a
 * slot holds.
 */
final class WidthStore {

    /** Which store this is, of every store this instance made (a width's store made again is another). */
    final long id;

    final int width;
    final int m;
    final int start;
    final int stride;
    final byte[] rows;
    /** Per slot, the row's position in its class's band (to take it out when it leaves the ring). */
    final int[] bandAt;

    final int[] classes;
    final float[] offsets;
    final float[] steps;
    final String[] keys;
    ClassBand[] bands = new ClassBand[0];
    long total;
    int next;
    int count;
    /**
     * The newest {@value StoreScales#RAW_ROWS} rows' sampled values as sent (floats, every coordinate of
     * narrow stores), from which the per-coordinate scales are estimated (wide stores too since
     * session 19: mixed-scale records wider than {@code coordinates}).
     */
    final float[] raw;

    int rawNext;
    int rawCount;
    /**
     * Per coordinate, the factor each value is multiplied by before it is stored or searched (1 over
     * the coordinate's spread) when the input's coordinates are of mixed scales; null: raw values.
     */
    float[] inv;
    /** Per coordinate, the value subtracted before {@link #inv} is applied (its median). */
    float[] centre;
    /**
     * Per coordinate, its 10th-90th percentile spread at the first estimate over {@value StoreScales#RAW_ROWS}
     * rows (null before): a spread grows past {@value StoreScales#GROWTH} times it only as far as the quartiles
     * say (see {@link StoreScales#rescale}).
     */
    float[] anchor;
    /** The largest of {@link #anchor}. */
    float anchorLargest;
    /** Rows stored when the scales are next estimated. */
    long nextRescale = FIRST_RESCALE;
    /** Incremented each time the scales change (a key's largest value is in the scales of one epoch). */
    int epoch;

    WidthStore(long id, int width, int m, int start, int stride, int capacity) {
        this.id = id;
        this.width = width;
        this.m = m;
        this.start = start;
        this.stride = stride;
        this.rows = new byte[capacity * ByteRows.stride(m)];
        this.bandAt = new int[capacity];
        this.classes = new int[capacity];
        this.offsets = new float[capacity];
        this.steps = new float[capacity];
        this.keys = new String[capacity];
        this.raw = new float[Math.min(RAW_ROWS, capacity) * m];
    }

    /**
     * The serial (rows stored before it, in the store's life) of the row in {@code slot}: the ring
     * writes its slots in turn, so the slot's row is the last one written there.
     */
    static long serial(WidthStore st, int slot) {
        return st.total - 1 - Math.floorMod(st.next - 1 - slot, st.keys.length);
    }
}
