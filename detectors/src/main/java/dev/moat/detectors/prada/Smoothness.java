package dev.moat.detectors.prada;

/**
 * Smooth displacements are no sign steps (issue 9, honest traffic that looks like probing): the flat
 * shape's exemption. A gradient-sign step {@code eps * s_j * sign(g_j)} jumps from about {@code +s}
 * to about {@code -s} between neighbouring coordinates wherever the gradient's sign flips, and with
 * sizes {@code s_j} drawn per coordinate it is as rough inside a run of one sign; the difference of
 * two windows of a smooth series, or a brightness change {@code (f - 1) x} of a smooth image, passes
 * through zero continuously and changes little from one coordinate to its neighbour. Both can have the
 * crest factor of random-size steps (1.4-2.1), so the flat shape alone cannot tell them apart.
 *
 * <p>The compared vectors are laid out in runs of {@value StepSample#RUN} input-consecutive entries
 * ({@link StepSample}; a narrow input is compared whole, in order). For each lag h of 1 to {@value
 * #MAX_LAG} (a neighbour is 1 away in a series or a grey image, 3 in channel-last RGB, up to 4 in
 * interleaved multi-channel series), over the pairs (j, j + h) inside a run, with d = x - parent
 * (signed; unmoved coordinates count with their d, about 0), the roughness is {@code sum (d_j -
 * d_{j+h})^2 / sum (d_j^2 + d_{j+h}^2)}: 0 for a constant move, 1 for independent moves, 2 for moves
 * that alternate. The displacement is smooth when the roughness at some lag is at most {@value
 * #ROUGHNESS}. A sign step with sizes uniform on [0, 2] has roughness at least 0.25 inside runs of one
 * sign, and every sign flip in a pair adds about 2 per pair; a step tapered to zero at the flips with
 * smooth sizes is a low-passed gradient sign, smooth exactly when the gradient's sign regions are wide
 * (many coordinates): "What each detector cannot see" in detectors/README.md.
 *
 * <p>Costs one pass of n subtractions and at most {@value #MAX_LAG} passes over the runs' pairs (10
 * pairs a run of 5: about 250 multiply-adds for 128 coordinates, fewer when lag 1 is smooth), run only when
 * the flat shape has already passed.
 */
final class Smoothness {

    static final int MAX_LAG = 4;
    /** The largest roughness at the smoothest lag that still counts as smooth. */
    static final double ROUGHNESS = 0.15;
    /** At least this many pairs at a lag for it to count. */
    static final int MIN_PAIRS = 16;

    private Smoothness() {}

    /**
     * True if x[0..n) - parent[0..n) is smooth at some lag of 1 to MAX_LAG (see the class comment);
     * {@code d} is scratch of at least n floats. The lags in order, each in one pass over the runs,
     * stopping at the first smooth one (most smooth displacements are smooth at lag 1).
     */
    static boolean smooth(float[] x, float[] parent, int n, float[] d) {
        for (int i = 0; i < n; i++) {
            d[i] = x[i] - parent[i];
        }
        for (int h = 1; h <= MAX_LAG; h++) {
            if (roughnessAt(d, n, h) <= ROUGHNESS) {
                return true;
            }
        }
        return false;
    }

    /**
     * The roughness of the moves d[0..n) at lag h over the pairs inside each run (see the class
     * comment); NaN under MIN_PAIRS pairs or when nothing moved, so that it is never smooth then.
     */
    static double roughnessAt(float[] d, int n, int h) {
        int run = StepSample.RUN;
        double num = 0;
        double den = 0;
        int pairs = 0;
        for (int base = 0; base < n; base += run) {
            int last = Math.min(n, base + run) - h;
            for (int j = base; j < last; j++) {
                float a = d[j];
                float b = d[j + h];
                float diff = a - b;
                num += diff * diff;
                den += a * a + b * b;
            }
            pairs += Math.max(0, last - base);
        }
        return pairs >= MIN_PAIRS && den > 0 ? num / den : Double.NaN;
    }

    /** The smallest roughness over lags 1 to MAX_LAG with at least MIN_PAIRS pairs (2 if none has), for probes. */
    static double smoothest(float[] x, float[] parent, int n) {
        double[] r = new double[MAX_LAG + 1];
        roughness(x, parent, n, MAX_LAG, r);
        double best = 2;
        for (int h = 1; h <= MAX_LAG; h++) {
            if (!Double.isNaN(r[h])) {
                best = Math.min(best, r[h]);
            }
        }
        return best;
    }

    /** The roughness at each lag 1..maxLag into out[1..maxLag] (NaN where under MIN_PAIRS pairs), for probes. */
    static void roughness(float[] x, float[] parent, int n, int maxLag, double[] out) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = x[i] - parent[i];
        }
        for (int h = 1; h <= maxLag; h++) {
            out[h] = roughnessAt(d, n, h);
        }
    }
}
