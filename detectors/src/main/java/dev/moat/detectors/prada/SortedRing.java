package dev.moat.detectors.prada;

import java.util.Arrays;

/**
 * The latest {@code capacity} values of a stream, kept twice: in arrival order (a ring, so the
 * oldest can leave) and sorted (so PRADA's pooled test can merge runs instead of sorting the whole
 * pool every ten queries). Adding costs a binary search and one shift of at most {@code capacity}
 * floats.
 *
 * <p>Both copies share one array, {@code values}: the ring in {@code [0, n)} and the sorted copy in
 * {@code [n, 2n)}, where n is the allocated length, which starts at one and doubles up to the
 * capacity; so a class that sees few queries costs little. The capacity is passed to {@link
 * #add(float, int)} rather than stored, and PRADA's per-class state extends this class rather
 * than holding one: at 100,000 light keys every object header and field counts.
 */
class SortedRing {

    private static final float[] EMPTY = new float[0];
    private float[] values = EMPTY;
    /**
     * The count while filling; once full ({@code count == n == capacity}) the count plus the ring's
     * next slot, so that the ring position needs no field of its own: the count is
     * {@code min(fill, n)}, the next slot {@code fill - n}.
     */
    private int fill;

    final int count() {
        return Math.min(fill, values.length >>> 1);
    }

    /** The array holding the values in ascending order, from {@link #sortedFrom()} for {@link #count()} entries. */
    final float[] sortedValues() {
        return values;
    }

    /** Where the sorted values start in {@link #sortedValues()}. */
    final int sortedFrom() {
        return values.length >>> 1;
    }

    /** Whether the next {@link #add(float, int)} at this capacity pushes the oldest value out. */
    final boolean full(int capacity) {
        return Math.min(fill, values.length >>> 1) >= capacity;
    }

    /** The oldest value (the one a full ring's next add pushes out); only when {@link #count()} is positive. */
    final float oldest() {
        int n = values.length >>> 1;
        return fill < n ? values[0] : values[fill - n];
    }

    final void add(float v, int capacity) {
        float[] a = values;
        int n = a.length >>> 1;
        int count = Math.min(fill, n);
        if (count < capacity) {
            if (count == n) {
                int grown = Math.min(capacity, Math.max(1, n * 2));
                float[] b = new float[2 * grown];
                System.arraycopy(a, 0, b, 0, count);
                System.arraycopy(a, n, b, grown, count);
                values = a = b;
                n = grown;
            }
            a[count] = v;
            insert(a, n, v, count);
            fill = count + 1;
            return;
        }
        // full: count == capacity == n
        int ringNext = fill - n;
        float old = a[ringNext];
        a[ringNext] = v;
        fill = n + (ringNext + 1 == count ? 0 : ringNext + 1);
        int at = Arrays.binarySearch(a, n, n + count, old);
        if (at < 0) {
            throw new IllegalStateException("sorted ring lost " + old);
        }
        System.arraycopy(a, at + 1, a, at, n + count - at - 1);
        insert(a, n, v, count - 1);
    }

    /** Inserts v into the sorted run a[from, from + len), which has room for one more. */
    private static void insert(float[] a, int from, float v, int len) {
        int at = Arrays.binarySearch(a, from, from + len, v);
        if (at < 0) {
            at = -at - 1;
        }
        System.arraycopy(a, at, a, at + 1, from + len - at);
        a[at] = v;
    }
}
