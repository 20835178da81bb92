package dev.moat.detectors.prada;

import java.util.Arrays;

/**
 * One key's PRADA state. Per predicted class, allocated when the class is first predicted: the
 * growing set G_c (rows of {@link ByteRows}, one byte per coordinate, grown one row at a time up to
 * four and by half after that, a ring once full), its threshold T_c, the running mean/variance of
 * the member distances D_Gc, and the latest min-distances D_c (the class state is itself a
 * {@link SortedRing}, saving an object per class). Plus a window of "was the query a sign step"
 * bits for {@link SignSteps}. Memory is bounded by about
 * {@code classes * (max_set_size * (dims + 8) + max_distances * 8)} bytes.
 */
final class PradaState {

    /** One predicted class's growing set and distances (the {@link SortedRing} it extends). */
    static final class ClassState extends SortedRing {
        byte[] rows;

        /**
         * The members held while G_c fills; once it holds {@code max_set_size} members, that size plus
         * the slot the next member replaces (oldest first), so the ring position needs no field: see
         * {@link PradaDetector}'s {@code members} and {@code add}.
         */
        int size;

        int memberCount;
        double threshold;
        double memberSum;
        double memberSumSq;
    }

    int dims = -1;
    ClassState[] classes = new ClassState[0];
    /**
     * Wide inputs only (null otherwise): per class, the key's sample of raw coordinates of each
     * member of G_c, in the same slots as the class's rows.
     */
    byte[][] rawRows;
    /** Classes holding at least one distance, in the order they got it: the runs the test merges. */
    int[] active = new int[0];

    int activeCount;

    long queries;
    int sinceTest;
    double lastW = Double.NaN;
    int lastN;
    double wScore;

    /** The largest |input coordinate| seen: the scale that the smallest sign step is measured against. */
    float inputScale;

    /**
     * Wide inputs only: the key's sample of raw coordinates for the sign-step test, coordinates
     * {@code (sampleStart + i * sampleStride) mod sampleOf} for i below sampleSize; drawn per key from
     * a secret seed, so an attacker cannot know which coordinates to leave alone.
     */
    int sampleSize;

    int sampleStart;
    int sampleStride;
    int sampleOf;
    /** The magnitudes of the key's previous displacement (the sign-step test's "repeat" shape). */
    float[] prevSteps;

    /** Whether each of the last {@code step_window} queries was a sign step from a stored one. */
    dev.moat.detectors.internal.BitWindow stepWindow;

    double stepScore;

    ClassState classState(int c) {
        if (c >= classes.length) {
            classes = Arrays.copyOf(classes, c + 1);
        }
        ClassState s = classes[c];
        if (s == null) {
            s = new ClassState();
            classes[c] = s;
        }
        return s;
    }

    /** The raw-sample rows of class c (wide inputs), or null. */
    byte[] rawRows(int c) {
        return rawRows == null || c >= rawRows.length ? null : rawRows[c];
    }

    void setRawRows(int c, byte[] rows) {
        if (rawRows == null) {
            rawRows = new byte[classes.length][];
        } else if (c >= rawRows.length) {
            rawRows = Arrays.copyOf(rawRows, classes.length);
        }
        rawRows[c] = rows;
    }

    void noteActive(int c) {
        if (activeCount == active.length) {
            active = Arrays.copyOf(active, Math.max(4, active.length * 2));
        }
        active[activeCount++] = c;
    }
}
