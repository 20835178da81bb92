package dev.moat.detectors.internal;

/** Small allocation-free helpers over prediction rows. */
public final class Rows {

    private Rows() {}

    /** The index of the largest entry, or -1 for an empty row. */
    public static int argmax(double[] p) {
        int best = -1;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > max) {
                max = p[i];
                best = i;
            }
        }
        return best;
    }

    /**
     * The top-1 class: the index of the largest entry, or for a single column p (a binary model's
     * probability of class 1) 1 when p >= 0.5, else 0; -1 for an empty row.
     */
    public static int top1Class(double[] p) {
        return p.length == 1 ? (p[0] >= 0.5 ? 1 : 0) : argmax(p);
    }

    /** The largest entry (top-1 confidence), or NaN for an empty row; a single column p means max(p, 1-p). */
    public static double top1(double[] p) {
        if (p.length == 0) {
            return Double.NaN;
        }
        if (p.length == 1) {
            return Math.max(p[0], 1 - p[0]);
        }
        return p[argmax(p)];
    }

    /** Top-1 minus top-2 probability, or NaN for an empty row; a single column p means |2p - 1|. */
    public static double margin(double[] p) {
        if (p.length == 0) {
            return Double.NaN;
        }
        if (p.length == 1) {
            return Math.abs(2 * p[0] - 1);
        }
        double first = Double.NEGATIVE_INFINITY;
        double second = Double.NEGATIVE_INFINITY;
        for (double v : p) {
            if (v > first) {
                second = first;
                first = v;
            } else if (v > second) {
                second = v;
            }
        }
        return first - second;
    }

    public static double clamp01(double v) {
        return v > 1 ? 1 : (v > 0 ? v : 0);
    }

    /**
     * A random stride in [1, width) coprime with {@code width} (1 for a width of 1 or 2): stepping by
     * it from any start visits every coordinate once before repeating, so a sample of up to
     * {@code width} coordinates drawn that way is all distinct.
     */
    public static int coprimeStride(java.util.SplittableRandom rnd, int width) {
        int stride;
        do {
            stride = 1 + rnd.nextInt(Math.max(1, width - 1));
        } while (gcd(stride, width) != 1);
        return stride;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** The index of the second largest entry (ties: the later index after the argmax's), or -1 with fewer than two entries. */
    public static int runnerUp(double[] p) {
        int best = argmax(p);
        int second = -1;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < p.length; i++) {
            if (i != best && p[i] > max) {
                max = p[i];
                second = i;
            }
        }
        return second;
    }

    /**
     * {@code m} distinct coordinates of {@code 0..width-1} drawn with {@code r} (a partial
     * Fisher-Yates shuffle), sorted: the secret coordinates {@code ood}'s input reference and the
     * answer runs read. Allocates the draw's scratch once, at the first width a detector sees.
     */
    public static int[] sampleCoordinates(int width, int m, java.util.SplittableRandom r) {
        int[] all = new int[width];
        for (int i = 0; i < width; i++) {
            all[i] = i;
        }
        for (int i = 0; i < m; i++) {
            int j = i + r.nextInt(width - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] out = java.util.Arrays.copyOf(all, m);
        java.util.Arrays.sort(out);
        return out;
    }
}
