package dev.moat.detectors.stats;

import java.util.Arrays;

/**
 * A few order statistics of a column of floats at once, without sorting it: a radix selection. Each
 * value becomes an int that orders as {@link Float#compare} does (so -0.0 before 0.0 and NaN last, as
 * {@link Arrays#sort} puts them); one pass finds the range, one counts the values in {@value
 * #BUCKETS} buckets of it, one gathers the values of the buckets that hold a wanted rank, and a
 * bucket is then sorted when small or selected the same way when large (its range is at most a
 * {@value #BUCKETS}th of the one before, so four levels reach single values). Three passes of
 * integer work per column, where a sort takes about log2(n) passes of comparisons.
 *
 * <p>Why hand-written: the JDK sorts only, and a store's rescale needs five quantiles of each of 128
 * columns of 1,024 values ({@code StoreScales#rescale}), where the sorts were about a seventh of
 * a row's cost at 3,072 inputs (benchmarks/JMH.md, "Session 27"). The results are exactly those of
 * {@code Arrays.sort} (checked against it by {@code OrderStatisticsTest}). Not thread-safe: an
 * instance keeps its scratch.
 */
public final class OrderStatistics {

    /** Buckets per level (8 bits of the range). */
    static final int BUCKETS = 256;

    /** A bucket of at most this many values is sorted rather than bucketed again. */
    static final int SORT_AT_MOST = 48;

    /**
     * Levels that bucket: a range of 2^32 keys is one of at most 2^24 after one, 2^16, 2^8, then of
     * single values (which end at the range pass, before bucketing).
     */
    static final int LEVELS = 4;

    private int[] keys = new int[0];

    private int[] found = new int[0];

    /** Each level's scratch (a level's buckets are selected one after another, so they share it). */
    private final int[][] counts = new int[LEVELS][BUCKETS];

    private final int[][] slots = new int[LEVELS][BUCKETS];

    private final int[][] gathered = new int[LEVELS][0];

    /**
     * Writes to {@code out[r]} the value {@code Arrays.sort(a, 0, n)} would put at {@code ranks[r]},
     * for each r ({@code ranks} ascending, each in [0, n)). {@code a} is not changed.
     */
    public void select(float[] a, int n, int[] ranks, float[] out) {
        if (keys.length < n) {
            keys = new int[n];
            for (int d = 0; d < LEVELS; d++) {
                gathered[d] = new int[n];
            }
        }
        for (int i = 0; i < n; i++) {
            keys[i] = key(a[i]);
        }
        if (found.length < ranks.length) {
            found = new int[ranks.length];
        }
        select(keys, 0, n, ranks, 0, ranks.length, 0, 0);
        for (int r = 0; r < ranks.length; r++) {
            out[r] = value(found[r]);
        }
    }

    /** An int that orders as {@link Float#compare} orders the floats (NaN canonical, last). */
    static int key(float v) {
        int bits = Float.floatToIntBits(v);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    static float value(int key) {
        return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7FFFFFFF));
    }

    /**
     * The keys at ranks {@code ranks[first..end) - base} of {@code k[from..from+n)} into {@link #found},
     * same indices; {@code depth} names the level's scratch.
     */
    private void select(int[] k, int from, int n, int[] ranks, int first, int end, int base, int depth) {
        if (n <= SORT_AT_MOST) {
            Arrays.sort(k, from, from + n);
            for (int r = first; r < end; r++) {
                found[r] = k[from + ranks[r] - base];
            }
            return;
        }
        int to = from + n;
        int lo = k[from];
        int hi = k[from];
        for (int i = from + 1; i < to; i++) {
            lo = Math.min(lo, k[i]);
            hi = Math.max(hi, k[i]);
        }
        if (lo == hi) {
            // one value (a background of zeros, an integer feature's mode): nothing to place
            Arrays.fill(found, first, end, lo);
            return;
        }
        int[] counts = this.counts[depth];
        int[] slot = slots[depth];
        int[] into = gathered[depth];
        long span = (long) hi - lo;
        int shift = Math.max(0, 64 - Long.numberOfLeadingZeros(span) - 8);
        Arrays.fill(counts, 0);
        for (int i = from; i < to; i++) {
            counts[(int) (((long) k[i] - lo) >>> shift)]++;
        }
        // the buckets holding a wanted rank, each given a place in `into`; slot[b] -1 for the others
        Arrays.fill(slot, -1);
        int placed = 0;
        int below = 0; // values in the buckets before b
        int b = 0;
        for (int r = first; r < end; r++) {
            int rank = ranks[r] - base;
            while (below + counts[b] <= rank) {
                below += counts[b++];
            }
            if (slot[b] < 0) {
                slot[b] = placed;
                placed += counts[b];
            }
        }
        // gather: slot[b] moves on to the bucket's end
        for (int i = from; i < to; i++) {
            int q = (int) (((long) k[i] - lo) >>> shift);
            int at = slot[q];
            if (at >= 0) {
                into[at] = k[i];
                slot[q] = at + 1;
            }
        }
        // each wanted bucket, in order, with the ranks that fall in it: sorted when small, else again
        below = 0;
        b = 0;
        int r = first;
        while (r < end) {
            int rank = ranks[r] - base;
            while (below + counts[b] <= rank) {
                below += counts[b++];
            }
            int last = r + 1;
            while (last < end && ranks[last] - base < below + counts[b]) {
                last++;
            }
            int size = counts[b];
            select(into, slot[b] - size, size, ranks, r, last, base + below, depth + 1);
            r = last;
        }
    }
}
