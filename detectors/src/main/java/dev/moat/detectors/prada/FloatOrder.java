package dev.moat.detectors.prada;

import java.util.Arrays;

/**
 * Branchless order on floats for {@link SignSteps}' hot loops: int order keys ({@link #key}) whose
 * comparisons ({@link #greater}, {@link #differs}) C2 compiles without a branch (a float comparison
 * whose answer is a coin flip on natural rows it compiles to one), and the k-th smallest of an array
 * ({@link #select} on floats, {@link #selectBits} on positive floats' bits) without a branch on the
 * data. Called by {@link SignSteps} (the moves' median, the floor's scale), {@link RepeatedMoves}
 * and {@link LastDigits}, {@link CrossKeyParents} (its candidates' keys), {@link PradaDetector} and
 * {@link ShiftedWindows} (medians). Pure functions; the arrays passed in are the callers' scratch.
 */
final class FloatOrder {

    private FloatOrder() {}

    /**
     * An int that orders as the float v does (for v not NaN; -0 as 0): a positive float's bits, a
     * negative one's with the magnitude bits flipped. Comparing these costs no branch.
     */
    static int key(float v) {
        return key(Float.floatToRawIntBits(v + 0f));
    }

    /** {@link #key(float)} of a float's bits; also its own inverse (the bits of the float whose key is k). */
    static int key(int bits) {
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    /** 1 if a > b, else 0, without a branch. */
    static int greater(int a, int b) {
        return (int) (((long) b - a) >>> 63);
    }

    /** 1 if a != b, else 0, without a branch. */
    static int differs(int a, int b) {
        int d = a ^ b;
        return (d | -d) >>> 31;
    }

    /**
     * The k-th smallest of a[0..n) (what {@code a[k]} would be after sorting a[0..n)), using
     * {@code b} (at least n long) as scratch; both arrays' contents are left scrambled. Quickselect
     * with a three-way partition that has no data-dependent branch (each value is written to both
     * sides and only the side counters move), so random magnitudes cost no mispredictions: on 64
     * values about a quarter of the time of Hoare's branchy selection and a sixth of a sort. A
     * median-of-three pivot; after {@code 2 log2(n)} rounds that did not converge (values chosen
     * against the pivot rule) it sorts what is left, so the worst case stays O(n log n). The values
     * are finite or infinite, never NaN.
     */
    static float select(float[] a, float[] b, int n, int k) {
        int rounds = 2 * (32 - Integer.numberOfLeadingZeros(n));
        while (n > 1) {
            if (rounds-- == 0) {
                Arrays.sort(a, 0, n);
                return a[k];
            }
            float x = a[0];
            float y = a[n >>> 1];
            float z = a[n - 1];
            float pivot = x < y ? (y < z ? y : Math.max(x, z)) : (x < z ? x : Math.max(y, z));
            int less = 0;
            int greater = 0;
            for (int i = 0; i < n; i++) {
                float v = a[i];
                a[less] = v; // less <= i: overwrites only values already read
                b[greater] = v;
                less += v < pivot ? 1 : 0;
                greater += v > pivot ? 1 : 0;
            }
            if (k < less) {
                n = less;
            } else if (k >= n - greater) {
                k -= n - greater;
                n = greater;
                float[] t = a;
                a = b;
                b = t;
            } else {
                return pivot; // the pivot is in the array, so every round drops at least one value
            }
        }
        return a[0];
    }

    /**
     * {@link #select} on the bits of positive floats (which order as the floats do): the same k-th
     * smallest, its comparisons on ints, with no branch on the data.
     */
    static int selectBits(int[] a, int[] b, int n, int k) {
        // a radix step first while many are left: one pass for the range, one counting the values
        // in RADIX_BUCKETS buckets of it (b is the counts' scratch), one keeping those of the k-th
        // smallest's bucket; about 0.7 times the quickselect's time on 128 moves
        while (n >= RADIX_MIN) {
            int lo = a[0];
            int hi = a[0];
            for (int i = 1; i < n; i++) {
                int v = a[i];
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            int span = hi - lo; // unsigned: at most 2^32 - 1
            if (span == 0) {
                return lo;
            }
            int shift = Math.max(0, 32 - Integer.numberOfLeadingZeros(span) - RADIX_BITS);
            Arrays.fill(b, 0, RADIX_BUCKETS, 0);
            for (int i = 0; i < n; i++) {
                b[(a[i] - lo) >>> shift]++;
            }
            int q = 0;
            while (k >= b[q]) {
                k -= b[q++];
            }
            int kept = 0;
            for (int i = 0; i < n; i++) {
                int v = a[i];
                a[kept] = v; // kept <= i: overwrites only values already read
                kept += differs((v - lo) >>> shift, q) ^ 1;
            }
            n = kept;
        }
        return quickSelectBits(a, b, n, k);
    }

    /** {@link #selectBits}' buckets a radix step: {@code 1 << RADIX_BITS}. */
    static final int RADIX_BITS = 6;

    static final int RADIX_BUCKETS = 1 << RADIX_BITS;
    /** Values from which {@link #selectBits} takes a radix step (b then holds its counts). */
    static final int RADIX_MIN = RADIX_BUCKETS;

    /** {@link #selectBits} by quickselect (a median-of-three pivot, partitions without a branch on the data). */
    private static int quickSelectBits(int[] a, int[] b, int n, int k) {
        int rounds = 2 * (32 - Integer.numberOfLeadingZeros(n));
        while (n > 1) {
            if (rounds-- == 0) {
                Arrays.sort(a, 0, n);
                return a[k];
            }
            int x = a[0];
            int y = a[n >>> 1];
            int z = a[n - 1];
            int pivot = x < y ? (y < z ? y : Math.max(x, z)) : (x < z ? x : Math.max(y, z));
            int less = 0;
            int greater = 0;
            for (int i = 0; i < n; i++) {
                int v = a[i];
                a[less] = v; // less <= i: overwrites only values already read
                b[greater] = v;
                less += greater(pivot, v);
                greater += greater(v, pivot);
            }
            if (k < less) {
                n = less;
            } else if (k >= n - greater) {
                k -= n - greater;
                n = greater;
                int[] t = a;
                a = b;
                b = t;
            } else {
                return pivot;
            }
        }
        return a[0];
    }
}
