package dev.moat.detectors.stats;

/**
 * The standard normal distribution: its CDF, upper tail and quantile function, accurate to
 * about 1e-15, with no tables beyond Acklam's rational starting point.
 *
 * <p>The tail uses the continued fraction of erfc (Abramowitz and Stegun 7.1.14) evaluated by
 * Lentz's method, so tiny p-values keep their relative precision; the body uses the positive-term
 * series of erf (A&amp;S 7.1.6), which has no cancellation. The quantile starts from Acklam's
 * rational approximation (relative error 1.15e-9) and takes one Halley step against the CDF.
 */
public final class Normal {

    private static final double SQRT2 = Math.sqrt(2.0);
    private static final double SQRT_PI = Math.sqrt(Math.PI);
    private static final double SQRT_2PI = Math.sqrt(2.0 * Math.PI);

    private Normal() {}

    /** P[Z &lt;= x]. */
    public static double cdf(double x) {
        return x < 0 ? 0.5 * erfc(-x / SQRT2) : 1.0 - 0.5 * erfc(x / SQRT2);
    }

    /** P[Z &gt; x], with relative precision kept far into the tail. */
    public static double upperTail(double x) {
        return x >= 0 ? 0.5 * erfc(x / SQRT2) : 1.0 - 0.5 * erfc(-x / SQRT2);
    }

    /** erfc(z) for z &gt;= 0. */
    static double erfc(double z) {
        if (z < 0) {
            return 2.0 - erfc(-z);
        }
        if (z < 2.5) {
            return 1.0 - erfSeries(z);
        }
        return erfcContinuedFraction(z);
    }

    private static double erfSeries(double z) {
        // erf z = 2/sqrt(pi) exp(-z^2) sum_n 2^n z^(2n+1) / (1*3*...*(2n+1)); every term positive
        double term = z;
        double sum = z;
        double z2 = z * z;
        for (int n = 1; n < 200; n++) {
            term *= 2.0 * z2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        return 2.0 / SQRT_PI * Math.exp(-z2) * sum;
    }

    private static double erfcContinuedFraction(double z) {
        // erfc z = exp(-z^2)/sqrt(pi) * 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...)))))
        double tiny = 1e-300;
        double f = z;
        double c = z;
        double d = 0.0;
        for (int k = 1; k < 500; k++) {
            double a = k * 0.5;
            d = z + a * d;
            d = d == 0 ? tiny : d;
            c = z + a / c;
            c = c == 0 ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) {
                break;
            }
        }
        return Math.exp(-z * z) / SQRT_PI / f;
    }

    /** The quantile function: x with P[Z &lt;= x] = p, for 0 &lt; p &lt; 1. */
    public static double quantile(double p) {
        if (!(p > 0 && p < 1)) {
            if (p == 0) {
                return Double.NEGATIVE_INFINITY;
            }
            if (p == 1) {
                return Double.POSITIVE_INFINITY;
            }
            throw new IllegalArgumentException("p: " + p + " (expected: 0..1)");
        }
        double x = acklam(p);
        // one Halley step; the error is measured on the smaller tail for precision
        double e = p < 0.5 ? (0.5 * erfc(-x / SQRT2) - p) : -(upperTail(x) - (1.0 - p));
        double u = e * SQRT_2PI * Math.exp(0.5 * x * x);
        return x - u / (1.0 + 0.5 * x * u);
    }

    private static final double[] A = {
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383577518672690e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00
    };
    private static final double[] B = {
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01
    };
    private static final double[] C = {
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00
    };
    private static final double[] D = {
        7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00
    };

    /**
     * Acklam's rational approximation of the quantile alone (relative error below 1.15e-9), without
     * the refining step: about ten times cheaper, for callers that need many quantiles at once
     * and far less precision than 1e-15 (Shapiro-Wilk's coefficients).
     */
    static double quantileApprox(double p) {
        return acklam(p);
    }

    private static double acklam(double p) {
        double low = 0.02425;
        if (p < low) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                    / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
        }
        if (p > 1 - low) {
            return -acklam(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5])
                * q
                / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
    }
}
