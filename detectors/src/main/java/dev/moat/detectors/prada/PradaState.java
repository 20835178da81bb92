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
        /** Wide inputs only: the key's sample of raw coordinates of each member, same slots as rows. */
        byte[] rawRows;

        int size;
        int next;
        int memberCount;
        double threshold;
        double memberSum;
        double memberSumSq;
    }

    int dims = -1;
    ClassState[] classes = new ClassState[0];
    /** Classes holding at least one distance, in the order they got it: the runs the test merges. */
    int[] active = new int[0];

    int activeCount;

    long queries;
    int sinceTest;
    double lastW = Double.NaN;
    int lastN;
    double wScore;
    /** The W score before the {@code w_max_score} cap (reported when the cap bites). */
    double wUncapped;

    /** The largest |input coordinate| seen: the scale that the smallest sign step is measured against. */
    float inputScale;
    /** The smallest and largest input values the key has sent (sampled coordinates for wide inputs). */
    float inputLo = Float.POSITIVE_INFINITY;

    float inputHi = Float.NEGATIVE_INFINITY;

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

    void noteActive(int c) {
        if (activeCount == active.length) {
            active = Arrays.copyOf(active, Math.max(4, active.length * 2));
        }
        active[activeCount++] = c;
    }
}
