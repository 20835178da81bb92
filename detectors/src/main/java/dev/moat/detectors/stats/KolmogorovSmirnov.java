package dev.moat.detectors.stats;

/**
 * Asymptotic p-values of the Kolmogorov-Smirnov statistics (Kolmogorov 1933, Smirnov 1939), for
 * comparing a key's distribution with a reference one given as a CDF on common bins.
 */
public final class KolmogorovSmirnov {

    private KolmogorovSmirnov() {}

    /**
     * P[D &gt;= d] for the two-sided statistic with effective size {@code n} (n*m/(n+m) for two samples),
     * Q_KS((sqrt(n) + 0.12 + 0.11/sqrt(n)) d) with Q_KS(l) = 2 sum_k (-1)^(k-1) exp(-2 k^2 l^2)
     * (Stephens' small-sample correction).
     */
    public static double twoSidedP(double d, double n) {
        double sn = Math.sqrt(n);
        double lambda = (sn + 0.12 + 0.11 / sn) * d;
        if (lambda < 0.2) {
            return 1.0;
        }
        double sum = 0;
        double sign = 1;
        for (int k = 1; k <= 100; k++) {
            double term = sign * Math.exp(-2.0 * k * k * lambda * lambda);
            sum += term;
            if (Math.abs(term) < 1e-16 * Math.abs(sum)) {
                break;
            }
            sign = -sign;
        }
        return Math.max(0, Math.min(1, 2 * sum));
    }

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
