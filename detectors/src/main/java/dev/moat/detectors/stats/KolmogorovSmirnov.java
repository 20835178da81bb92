package dev.moat.detectors.stats;

/**
 * Asymptotic p-values of the Kolmogorov-Smirnov statistics (Kolmogorov 1933, Smirnov 1939), for
 * comparing a key's distribution with a reference one given as a CDF on common bins.
 */
public final class KolmogorovSmirnov {

    private KolmogorovSmirnov() {}

    /** P[D+ &gt;= d] for a one-sided statistic, Smirnov's asymptotic exp(-2 n d^2). */
    public static double oneSidedP(double d, double n) {
        return d <= 0 ? 1.0 : Math.exp(-2.0 * n * d * d);
    }

    /** max over bins of (a[i] - b[i]), the one-sided statistic D+ of two CDFs on common bins. */
    public static double dPlus(double[] a, double[] b, int bins) {
        double d = 0;
        for (int i = 0; i < bins; i++) {
            d = Math.max(d, a[i] - b[i]);
        }
        return d;
    }

    /** max over bins of |a[i] - b[i]|, the two-sided statistic D of two CDFs on common bins. */
    public static double d(double[] a, double[] b, int bins) {
        double d = 0;
        for (int i = 0; i < bins; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
