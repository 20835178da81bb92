package dev.moat.policies.internal;

/** Small in-place helpers on probability vectors shared by the transforms. Not API. */
public final class Probabilities {

    private Probabilities() {}

    /** Index of the largest value; the lowest index wins a tie. -1 for an empty array. */
    public static int argmax(double[] p) {
        int best = -1;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > max || best < 0) {
                max = p[i];
                best = i;
            }
        }
        return best;
    }

    /** Sum of the values. */
    public static double sum(double[] p) {
        double s = 0;
        for (double v : p) {
            s += v;
        }
        return s;
    }

    /**
     * Divides by the sum so the vector sums to 1. Returns false, leaving the vector untouched, when
     * the sum is not positive and finite (nothing sensible to normalise).
     */
    public static boolean normalise(double[] p) {
        double s = sum(p);
        if (!(s > 0) || Double.isInfinite(s)) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= s;
        }
        return true;
    }

    /** Sets the vector to one-hot on {@code index}. */
    public static void oneHot(double[] p, int index) {
        java.util.Arrays.fill(p, 0.0);
        p[index] = 1.0;
    }

    /**
     * Makes {@code label} the strict top-1: its value is swapped with the current maximum's (a swap
     * keeps the multiset of values, so a distribution stays one); then every other class that
     * still ties with it moves half its mass to {@code label}. Ties are common after a transform
     * that maps equal inputs to equal outputs, e.g. reverse sigmoid lifts every exact zero to the
     * same large value. Returns whether anything changed.
     */
    public static boolean makeTop1(double[] p, int label) {
        boolean changed = false;
        int now = argmax(p);
        if (now != label && p[now] > p[label]) {
            double t = p[now];
            p[now] = p[label];
            p[label] = t;
            changed = true;
        }
        double max = p[label];
        for (int j = 0; j < p.length; j++) {
            if (j != label && p[j] >= max) {
                double half = p[j] * 0.5;
                p[j] -= half;
                p[label] += half;
                changed = true;
            }
        }
        return changed;
    }
}
