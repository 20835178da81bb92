package dev.moat.detectors.prada;

import dev.moat.detectors.stats.OrderStatistics;

/**
 * Each {@link CrossKeyParents} store's per-coordinate scales: when the coordinates' spreads are of
 * mixed scales (the largest {@value #MIXED} times the median or more: tabular data), rows are stored
 * and searched in units of each coordinate's spread, from its median ({@link #rescale}); images and
 * other inputs on one scale stay in raw units. Every width's store estimates them, from the newest
 * {@value #RAW_ROWS} rows as sent ({@link WidthStore#raw}): narrow stores (every coordinate stored)
 * and, since session 19, the samples of {@code coordinates} of wider inputs too, unless a quarter of
 * the sample is flat ({@link #SAMPLED_FLAT_MAX}). When the scales change, every held row is re-coded
 * in the new units through the detector's {@link LoadedRow} and its {@link ClassBand} rebuilt, and
 * the store's epoch moves (a key's largest value is in the scales of one epoch). The stores on mixed
 * scales take the repeated move ({@link NarrowMoves}).
 */
final class StoreScales {

    /**
     * Narrow inputs (every coordinate stored: tabular data, whose features are often on scales from
     * 0.1 to 1,000) keep their newest rows as sent, this many, to estimate each coordinate's spread.
     * Without it a 10%-of-range JbDA step on 13 mixed-scale features was measured in raw units, where
     * the few large features decide the distance: the true parent was among the 3 nearest other-key
     * rows for 12% of the children (and beyond the 64 nearest for 40%), and a one-byte code per
     * coordinate on one step for the row left the small features' moves unresolved
     * ({@code Sybil13Probe}); in units of each feature's spread it is the nearest for 84%.
     */
    static final int RAW_ROWS = 1024;

    /**
     * Rows stored before the scales are first estimated; then at {@value #RAW_ROWS}, then every
     * {@code store_size} ({@link #rescaleEvery}).
     */
    static final int FIRST_RESCALE = 256;

    /**
     * A store that samples a wider input's coordinates and is on one scale estimates its scales again
     * this many times less often ({@link #rescaleEvery}).
     */
    static final int SAMPLED_ONE_SCALE_SLOWER = 4;

    /**
     * The coordinates are of mixed scales, and are stored and searched in units of their spreads,
     * when the largest spread is at least this many times the median one (images and other inputs on
     * one scale are left in raw units, as before).
     */
    static final float MIXED = 16f;

    /**
     * A store that samples a wider input's coordinates is of mixed scales only while fewer than one
     * in this many of them are flat (no spread between their 10th and 90th percentiles).
     */
    static final int SAMPLED_FLAT_MAX = 4;

    /**
     * A coordinate's spread (its 10th to 90th percentile) grown past {@link #GROWTH} times its anchor is
     * at most this many times its interquartile range (1.9 times for normal data): rows past the 90th
     * percentile, a tenth of them, move the former without bound, and only more than a quarter of the
     * rows moves the latter far.
     */
    static final float QUARTILES = 4f;

    /** A spread may grow to this many times its anchor (its first full estimate) whatever the quartiles say. */
    static final float GROWTH = 2f;

    /** New scales replace the old ones (and the store is re-coded) only if one moved by more than this share. */
    static final float RESCALE_CHANGE = 0.1f;

    /** The row scratch the held rows are re-coded through (the detector's). */
    private final LoadedRow row;

    private final float[] x;

    /** Times a narrow store's scales changed and its rows were re-coded, since the start (tests). */
    long rescaled;

    /** {@link #rescale}'s quantiles (its scratch: the store is one worker's). */
    private final OrderStatistics orderStatistics = new OrderStatistics();

    StoreScales(LoadedRow row) {
        this.row = row;
        this.x = row.x;
    }

    /**
     * Each coordinate's spread (the 10th to the 90th percentile of the newest {@value #RAW_ROWS} rows
     * as sent; past {@value #GROWTH} times the coordinate's anchor, its first estimate over {@value
     * #RAW_ROWS} rows, at most {@value #QUARTILES} interquartile ranges, or the largest anchored
     * spread where the quartiles are equal; at least a thousandth of the largest): when the largest is {@value #MIXED} times
     * the median or more, the store's values are divided by them from now on, and every held row is
     * re-coded in those units and its band rebuilt (the newest from their raw copies, the older ones
     * from their codes). Runs at {@value #FIRST_RESCALE} rows, at {@value #RAW_ROWS}, then every
     * {@link #rescaleEvery} rows: about one row re-coded per row stored.
     */
    void rescale(WidthStore st) {
        int m = st.m;
        int n = st.rawCount;
        float[] spread = new float[m];
        float[] centre = new float[m];
        float[] col = new float[n];
        float[] anchor = st.anchor;
        float largest = 0;
        int flat = 0;
        // the five ranks read below, selected without a sort (the sorts of 128 columns of 1,024 values every
        // store_size rows were about a seventh of a row's cost at 3,072 inputs)
        int[] ranks = {n / 10, n / 4, n / 2, n - 1 - n / 4, n - 1 - n / 10};
        float[] at = new float[ranks.length];
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < n; i++) {
                col[i] = st.raw[i * m + j];
            }
            orderStatistics.select(col, n, ranks, at);
            float s = at[4] - at[0];
            centre[j] = at[2];
            s = s > 0 ? s : 0;
            flat += s > 0 ? 0 : 1;
            if (anchor != null && s > GROWTH * anchor[j]) {
                // grown past GROWTH x its anchor: only as far as QUARTILES x the interquartile range (more
                // than a tenth of the rows, an attacker's far outliers, move the 10th-90th percentiles
                // without bound; only more than a quarter move the quartiles far), or for a coordinate
                // whose quartiles are equal (mostly one value) the widest anchored spread. Only growth:
                // quartiles on the edge of an integer feature's values fall between them when a few rows do
                float q = at[3] - at[1];
                s = Math.max(GROWTH * anchor[j], Math.min(s, q > 0 ? QUARTILES * q : st.anchorLargest));
            }
            spread[j] = s;
            largest = Math.max(largest, s);
        }
        if (anchor == null && n >= RAW_ROWS) {
            st.anchor = spread.clone();
            for (float a : spread) {
                st.anchorLargest = Math.max(st.anchorLargest, a);
            }
        }
        float[] inv = null;
        if (largest > 0 && Float.isFinite(largest)) {
            for (int j = 0; j < m; j++) {
                spread[j] = Math.max(spread[j], largest / 1000);
            }
            float[] sorted = spread.clone();
            java.util.Arrays.sort(sorted);
            // a sample of a wider input's coordinates is of mixed scales only where most of them vary: images
            // with a background (strokes, objects on black) have sampled pixels that are nearly always 0, whose
            // floored spreads read as mixed scales (honest stroke images were then framed as steps)
            if (largest >= MIXED * sorted[m / 2] && (m == st.width || SAMPLED_FLAT_MAX * flat < m)) {
                inv = new float[m];
                for (int j = 0; j < m; j++) {
                    inv[j] = 1 / spread[j];
                }
            }
        }
        float[] old = st.inv;
        float[] oldCentre = st.centre;
        if (old == null && inv == null) {
            return;
        }
        if (old != null && inv != null) {
            boolean moved = false;
            for (int j = 0; j < m; j++) {
                moved |= Math.abs(inv[j] / old[j] - 1) > RESCALE_CHANGE
                        || Math.abs(centre[j] - oldCentre[j]) * inv[j] > RESCALE_CHANGE;
            }
            if (!moved) {
                return;
            }
        }
        st.inv = inv;
        st.centre = inv == null ? null : centre;
        st.epoch++;
        rescaled++;
        // every held row, oldest first, re-coded in the new units into fresh bands
        int cap = st.keys.length;
        int stride = ByteRows.stride(m);
        int rawRows = st.raw.length / m;
        st.bands = new ClassBand[st.bands.length];
        for (int age = st.count - 1; age >= 0; age--) {
            int slot = Math.floorMod(st.next - 1 - age, cap);
            if (age < st.rawCount) {
                System.arraycopy(st.raw, Math.floorMod(st.rawNext - 1 - age, rawRows) * m, x, 0, m);
            } else {
                ByteRows.decode(st.rows, slot * stride, m, x);
                if (old != null) {
                    for (int j = 0; j < m; j++) {
                        x[j] = x[j] / old[j] + oldCentre[j];
                    }
                }
            }
            if (inv != null) {
                for (int j = 0; j < m; j++) {
                    x[j] = (x[j] - centre[j]) * inv[j];
                }
            }
            row.stats(m);
            row.place(st, slot, st.classes[slot], st.keys[slot].hashCode());
        }
    }

    /**
     * Rows stored between two estimates of the scales after the first {@value #RAW_ROWS}: {@code
     * store_size} (at least {@value #RAW_ROWS}), and {@value #SAMPLED_ONE_SCALE_SLOWER} times that for
     * a store that samples a wider input's coordinates and is on one scale (images: the estimate's
     * five quantiles of 128 columns of 1,024 values were about a tenth of a row's cost at 3,072 inputs,
     * session 40). What that leaves: a width whose traffic turns from one scale to mixed scales (another
     * model of the same width put behind the gateway) is stored in raw units for up to four {@code
     * store_size}s of rows (16,384 at the default) instead of one before it is re-coded; a store that is of mixed scales, and every narrow one,
     * follows its scales as before.
     */
    static long rescaleEvery(WidthStore st) {
        long every = Math.max(RAW_ROWS, st.keys.length);
        return st.m < st.width && st.inv == null ? every * SAMPLED_ONE_SCALE_SLOWER : every;
    }
}
