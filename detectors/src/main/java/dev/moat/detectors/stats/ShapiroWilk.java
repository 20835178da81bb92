package dev.moat.detectors.stats;

import java.util.Arrays;

/**
 * The Shapiro-Wilk W test for normality, computed with Royston's approximation: algorithm AS R94
 * (P. Royston, "Remark AS R94: A remark on algorithm AS 181: the W-test for normality", Applied
 * Statistics 44(4), 1995; and "Approximating the Shapiro-Wilk W-test for non-normality",
 * Statistics and Computing 2, 1992). Valid for 3 &lt;= n &lt;= 5000, the range SciPy's
 * {@code scipy.stats.shapiro} (the reference this class is tested against) supports with an
 * accurate p-value.
 *
 * <p>The statistic is the squared correlation between the ordered sample and Royston's
 * coefficients a; the p-value comes from his normalising transformations of log(1 - W). An
 * instance caches the coefficients of the {@value #CACHED_SIZES} sizes it used most recently and
 * reuses its scratch buffer, so it is not thread-safe: give each worker its own. The normal scores in
 * the coefficients use Acklam's approximation without refinement (relative error 1.2e-9, far below
 * what moves W in its sixth decimal), since a detector's sample size changes often and each new
 * size needs n/2 quantiles.
 */
public final class ShapiroWilk {

    /** The largest sample the approximation is valid for. */
    public static final int MAX_N = 5000;

    private static final double[] C1 = {0.0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056};
    private static final double[] C2 = {0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633};
    private static final double[] C3 = {0.5440, -0.39978, 0.025054, -6.714e-4};
    private static final double[] C4 = {1.3822, -0.77857, 0.062767, -0.0020322};
    private static final double[] C5 = {-1.5861, -0.31082, -0.083751, 0.0038915};
    private static final double[] C6 = {-0.4803, -0.082676, 0.0030302};
    private static final double[] G = {-2.273, 0.459};

    /** W and its p-value (the probability of a W this small or smaller under normality). */
    public record Result(double w, double p) {}

    // coefficients for recent sizes: a detector re-tests samples whose size barely moves
    private static final int CACHED_SIZES = 32;
    private final int[] cachedN = new int[CACHED_SIZES];
    private final double[][] cachedA = new double[CACHED_SIZES][];
    private final long[] cachedUse = new long[CACHED_SIZES];
    private long uses;
    private double[] scratch = new double[0];

    /** Tests {@code values[0..n)} without modifying them. */
    public Result test(double[] values, int n) {
        double w = statistic(values, n);
        return new Result(w, pValue(w, n));
    }

    /**
     * W for {@code values[0..n)}, without modifying them (they are copied and sorted here).
     *
     * @throws IllegalArgumentException if n is outside 3..5000 or the sample has zero range
     */
    public double statistic(double[] values, int n) {
        if (n < 3 || n > MAX_N) {
            throw new IllegalArgumentException("n: " + n + " (expected: 3.." + MAX_N + ")");
        }
        if (scratch.length < n) {
            scratch = new double[Math.max(n, scratch.length * 2)];
        }
        System.arraycopy(values, 0, scratch, 0, n);
        Arrays.sort(scratch, 0, n);
        return statisticOfSorted(scratch, 0, n);
    }

    /**
     * W for the already ascending {@code sorted[from..from+n)}: no copy, no sort, O(n) once the
     * coefficients for n are cached (callers that keep their samples sorted skip the O(n log n) part).
     *
     * @throws IllegalArgumentException if n is outside 3..5000 or the sample has zero range
     */
    public double statisticOfSorted(double[] sorted, int from, int n) {
        if (n < 3 || n > MAX_N) {
            throw new IllegalArgumentException("n: " + n + " (expected: 3.." + MAX_N + ")");
        }
        double range = sorted[from + n - 1] - sorted[from];
        if (!(range > 0)) {
            throw new IllegalArgumentException("the sample has zero range");
        }
        double[] a = coefficients(n);
        // center on the median and scale by the range before summing, for precision
        double shift = sorted[from + n / 2];
        double inv = 1.0 / range;
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += (sorted[from + i] - shift) * inv;
        }
        mean /= n;
        int half = n / 2;
        double sax = 0;
        double ssx = 0;
        double ssa = 0;
        for (int i = 0; i < n; i++) {
            double xi = (sorted[from + i] - shift) * inv - mean;
            double ai = i < half ? -a[i] : (n - 1 - i < half ? a[n - 1 - i] : 0.0);
            sax += ai * xi;
            ssx += xi * xi;
            ssa += ai * ai;
        }
        double w = sax * sax / (ssa * ssx);
        return Math.min(w, 1.0);
    }

    /** Royston's p-value for a W computed from n values. */
    public static double pValue(double w, int n) {
        if (n == 3) {
            double p = 6.0 / Math.PI * (Math.asin(Math.sqrt(w)) - Math.PI / 3.0);
            return Math.max(0.0, Math.min(1.0, p));
        }
        if (w >= 1.0) {
            return 1.0;
        }
        double y = Math.log(1.0 - w);
        double m;
        double s;
        if (n <= 11) {
            double gamma = poly(G, n);
            if (y >= gamma) {
                return 1e-99;
            }
            y = -Math.log(gamma - y);
            m = poly(C3, n);
            s = Math.exp(poly(C4, n));
        } else {
            double ln = Math.log(n);
            m = poly(C5, ln);
            s = Math.exp(poly(C6, ln));
        }
        return Normal.upperTail((y - m) / s);
    }

    /** The first n/2 coefficients (largest first, positive); the rest follow by antisymmetry. */
    double[] coefficients(int n) {
        int victim = 0;
        for (int i = 0; i < CACHED_SIZES; i++) {
            if (cachedN[i] == n && cachedA[i] != null) {
                cachedUse[i] = ++uses;
                return cachedA[i];
            }
            if (cachedUse[i] < cachedUse[victim]) {
                victim = i;
            }
        }
        int half = n / 2;
        double[] a = new double[Math.max(1, half)];
        if (n == 3) {
            a[0] = Math.sqrt(0.5);
        } else {
            double summ2 = 0;
            for (int i = 0; i < half; i++) {
                double m = Normal.quantileApprox((i + 1 - 0.375) / (n + 0.25));
                a[i] = m;
                summ2 += m * m;
            }
            summ2 *= 2;
            double ssumm2 = Math.sqrt(summ2);
            double rsn = 1.0 / Math.sqrt(n);
            double m1 = a[0];
            double a1 = poly(C1, rsn) - m1 / ssumm2;
            int first;
            double fac;
            if (n > 5) {
                double m2 = a[1];
                double a2 = -m2 / ssumm2 + poly(C2, rsn);
                fac = Math.sqrt((summ2 - 2 * m1 * m1 - 2 * m2 * m2) / (1 - 2 * a1 * a1 - 2 * a2 * a2));
                a[1] = a2;
                first = 2;
            } else {
                fac = Math.sqrt((summ2 - 2 * m1 * m1) / (1 - 2 * a1 * a1));
                first = 1;
            }
            a[0] = a1;
            for (int i = first; i < half; i++) {
                a[i] = -a[i] / fac;
            }
        }
        // the least recently used size makes room
        cachedN[victim] = n;
        cachedA[victim] = a;
        cachedUse[victim] = ++uses;
        return a;
    }

    private static double poly(double[] c, double x) {
        double r = c[c.length - 1];
        for (int i = c.length - 2; i >= 0; i--) {
            r = r * x + c[i];
        }
        return r;
    }
}
