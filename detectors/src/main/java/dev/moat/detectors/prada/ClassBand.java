package dev.moat.detectors.prada;

/**
 * One predicted class's rows in a {@link CrossKeyParents} store and their bound records, in no order: a search bounds every row of
 * the class in one pass (a row's bound is the sketch distance plus the gap between the norms of
 * what the sketches leave out: the sketch is a projection on orthonormal directions, so
 * Pythagoras splits the distance) and compares in full only the rows whose bound can beat the
 * distance to beat. The records are held by column (an array for each of the {@value #BREC}
 * floats of a record), so the pass is {@value #BREC} loops that C2 vectorises: each reads a
 * column and the bounds at one index (a column at an offset into one shared array is not
 * vectorised by Java 17's C2, which cannot rule out that the two arrays overlap: 10 times slower).
 * An insert appends; an eviction moves the last row into the hole ({@link WidthStore#bandAt} finds
 * it). Until session 40 the rows were kept sorted by norm and a search walked outward from the
 * query's norm, stopping where the norm gap alone ruled out the rest: on images of 784 or 3,072
 * inputs the norms of a class's rows are so alike that the walk went over 60% of the class
 * anyway, at about 40 ns a row (two cursors, a sorted part and an unsorted tail merged into it),
 * and keeping the order cost about 12 records moved per row stored ({@code CrossKeyCostTest}).
 * {@link #record} is the bound record of a row: the sketch, {@value #SKETCH} block sums, and the norm
 * of what it leaves out.
 */
final class ClassBand {

    /** Coordinates per row in the lower-bound sketch. */
    static final int SKETCH = 16;

    /** Floats per band record: the norm of what the row's sketch leaves out, then the sketch. */
    static final int BREC = SKETCH + 1;

    /** Record float j of the row at position i at {@code cols[j][i]}. */
    float[][] cols = new float[BREC][16];

    int[] slots = new int[16];
    /** The key hash of each row, in band order (the search skips the key's own rows without a look-up). */
    int[] hashes = new int[16];

    int n;
    /** Records written by inserts and evictions since the start (cost accounting). */
    long moved;

    void insert(float[] rec, int slot, int hash, int[] bandAt) {
        if (n == slots.length) {
            resize(n * 2);
        }
        for (int j = 0; j < BREC; j++) {
            cols[j][n] = rec[j];
        }
        slots[n] = slot;
        hashes[n] = hash;
        bandAt[slot] = n;
        n++;
        moved++;
    }

    /** Removes the row at position at, the last row taking its place. */
    void remove(int at, int[] bandAt) {
        int last = --n;
        if (at != last) {
            for (int j = 0; j < BREC; j++) {
                cols[j][at] = cols[j][last];
            }
            slots[at] = slots[last];
            hashes[at] = hashes[last];
            bandAt[slots[at]] = at;
            moved++;
        }
        if (slots.length > 64 && n < slots.length / 4) {
            // a class that faded (traffic moved to other classes) gives its room back
            resize(slots.length / 2);
        }
    }

    private void resize(int cap) {
        for (int j = 0; j < BREC; j++) {
            cols[j] = java.util.Arrays.copyOf(cols[j], cap);
        }
        slots = java.util.Arrays.copyOf(slots, cap);
        hashes = java.util.Arrays.copyOf(hashes, cap);
    }

    /**
     * The band record of v[0..m) into out[0..{@value #BREC}): the norm of what the sketch leaves
     * out, then the sketch: block sums over {@value #SKETCH} consecutive blocks, each over the
     * root of its size (a projection on orthonormal directions).
     */
    static void record(float[] v, int m, float[] out) {
        double all = 0;
        double kept = 0;
        for (int j = 0; j < SKETCH; j++) {
            int from = (int) ((long) j * m / SKETCH);
            int to = (int) ((long) (j + 1) * m / SKETCH);
            double sum = 0;
            for (int i = from; i < to; i++) {
                double a = v[i];
                sum += a;
                all += a * a;
            }
            double p = to > from ? sum / Math.sqrt(to - from) : 0;
            kept += p * p;
            out[1 + j] = (float) p;
        }
        out[0] = (float) Math.sqrt(Math.max(0, all - kept));
    }
}
