package dev.moat.detectors.prada;

/**
 * Two natural records are no sign step (issue 9, series3: honest time-series customers on wide
 * inputs flagged by PRADA's lifetime evidence). The flat shape's second exemption, after {@link
 * Smoothness}: a displacement whose query and parent carry the same local variation, each about
 * half of the displacement's own, is the difference of two records, not a record plus a step.
 *
 * <p>Why it separates them. Over the pairs (j - 1, j) of neighbouring compared coordinates inside
 * the runs of {@value StepSample#RUN} ({@link StepSample}), let X, P and D be the sums of squared
 * lag-1 differences of the query x, the parent p and the move d = x - p. Two records of one
 * population (two windows of a sensor's series, two images of a class) are exchangeable: neither
 * carries more local variation than the other but by chance, so the <b>balance</b> (X - P) / D is
 * about 0; and where their local variations are at most half correlated, D is at least about their
 * mean, (X + P) / 2 (the <b>share</b> is at least 1). A step s from its parent adds its own local
 * variation to the parent's: X = P + D + 2C with C = sum (Delta p)(Delta s), so its balance is 1 +
 * 2C / D. For it to be at most {@value #BALANCE} with a share of at least {@value #SHARE} the step's
 * lag-1 differences must be anti-correlated with the parent's at (1 - {@value #BALANCE}) / 2 sqrt(D /
 * P) or more, -0.33 at least (the share bounds P by 0.8 D), over at least {@value #MIN_PAIRS} pairs;
 * sizes drawn for each query independently of the parent (random-size JbDA, {@code eps * U(0, 2) *
 * sign(g)}) have a correlation of 0 plus or minus about 1 / sqrt(pairs), 0.1 at the 100 pairs of
 * 128 sampled coordinates: 3.3 standard deviations. (Session 17 widened the balance from 0.2, where
 * it took 4.2: the nearest stored window of a query is biased toward less local variation than the
 * query's, regression to the mean, and vibration customers' pairs of windows of two segments sat at
 * 0.2-0.39; PRADA's steps on 12 of them over 1,000 rows 321 -> 36, the {@code Wide} digits JbDA
 * attackers' flat-path and other steps 3,226 -> 3,219, the survey's sensor attackers' 35 and 194
 * -> 35 and 192; {@code -Dtest=ShiftedWindowsProbe} and {@code HonestStepProbe#attack}, detectors/README.md.) Clipping is what does
 * anti-correlate a step with its parent (moves that would pass a bound are cut, which shrinks the
 * parent's contrasts), so pairs with a value of the query or the parent within {@code 1/64} of that
 * vector's spread of its lowest or highest compared value are left out, and with fewer than {@value
 * #MIN_PAIRS} left the displacement is not exempt.
 *
 * <p>Measured (2026-11-29, {@code prada/HonestStepProbe}, PRADA alone, sample seed 7, 36 keys of
 * 1,500 rows; steps the flat shape took before): ordinary {@code series-3072} and {@code series-784}
 * keys 483 of 518 steps exempt (balance 0 +- 0.15 at the 5th-95th percentile, share 0.8-3.7; what
 * is left are pairs whose windows are more than half correlated); the {@code Wide} digits JbDA
 * attackers at 784 and 3,072 (random sizes U(0.5, 1.5), U(0, 2) at eps 0.03, 0.1 and 0.3, random
 * per-feature sizes, half-normal sizes) 5 of 1,581 steps exempt, and no plain or per-feature step
 * (the equal and repeat shapes are not gated). How a thief would use it, and what that costs him:
 * {@code SeriesPeersAreNoSignStepsTest}.
 *
 * <p>Cost: run only after a flat shape passed and the displacement was rough (never on rows that
 * fail the shapes): one pass over the n compared coordinates for the four extremes and one over the
 * pairs (about 100 at 128 coordinates, three multiply-adds each); no memory.
 */
final class NaturalPairs {

    /** The largest |X - P| / D that still reads as two records. */
    static final double BALANCE = 0.4;
    /** The smallest D / ((X + P) / 2) that still reads as two records. */
    static final double SHARE = 1.0;
    /** At least this many pairs off the extremes' band. */
    static final int MIN_PAIRS = 32;
    /** Values within this share of a vector's spread of its lowest or highest compared value are left out. */
    static final float BAND = 1f / 64;

    private NaturalPairs() {}

    /**
     * True if x[0..n) and parent[0..n) read as two records (see the class comment); {@code edges} is
     * scratch of at least 4 floats; allocates nothing.
     */
    static boolean twoRecords(float[] x, float[] parent, int n, float[] edges) {
        return measure(x, parent, n, null, edges);
    }

    /** {balance, share, pairs} over the pairs off the band (balance and share NaN when D or X + P is 0), for probes. */
    static double[] stats(float[] x, float[] parent, int n) {
        double[] out = new double[3];
        measure(x, parent, n, out, new float[4]);
        return out;
    }

    /**
     * The bounds inside which a value is off the extremes' band ({@value #BAND} of a vector's spread
     * from its lowest and highest compared value), into {@code out[0..4)}: x's low and high, then the
     * parent's. Shared with {@link ShiftedWindows}.
     */
    static void edges(float[] x, float[] parent, int n, float[] out) {
        float xl = Float.POSITIVE_INFINITY;
        float xh = Float.NEGATIVE_INFINITY;
        float pl = Float.POSITIVE_INFINITY;
        float ph = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            xl = Math.min(xl, x[i]);
            xh = Math.max(xh, x[i]);
            pl = Math.min(pl, parent[i]);
            ph = Math.max(ph, parent[i]);
        }
        float xb = BAND * (xh - xl);
        float pb = BAND * (ph - pl);
        out[0] = xl + xb;
        out[1] = xh - xb;
        out[2] = pl + pb;
        out[3] = ph - pb;
    }

    private static boolean measure(float[] x, float[] parent, int n, double[] out, float[] edges) {
        edges(x, parent, n, edges);
        float xLow = edges[0];
        float xHigh = edges[1];
        float pLow = edges[2];
        float pHigh = edges[3];
        int run = StepSample.RUN;
        double ex = 0;
        double ep = 0;
        double ed = 0;
        int pairs = 0;
        for (int base = 0; base < n; base += run) {
            int end = Math.min(n, base + run);
            for (int j = base + 1; j < end; j++) {
                float x0 = x[j - 1];
                float x1 = x[j];
                float p0 = parent[j - 1];
                float p1 = parent[j];
                if (!(x0 > xLow && x0 < xHigh && x1 > xLow && x1 < xHigh)
                        || !(p0 > pLow && p0 < pHigh && p1 > pLow && p1 < pHigh)) {
                    continue;
                }
                double a = (double) x1 - x0;
                double b = (double) p1 - p0;
                ex += a * a;
                ep += b * b;
                ed += (a - b) * (a - b);
                pairs++;
            }
        }
        double balance = ed > 0 ? (ex - ep) / ed : Double.NaN;
        double share = ex + ep > 0 ? ed / ((ex + ep) / 2) : Double.NaN;
        if (out != null) {
            out[0] = balance;
            out[1] = share;
            out[2] = pairs;
        }
        return pairs >= MIN_PAIRS && Math.abs(balance) <= BALANCE && share >= SHARE;
    }
}
