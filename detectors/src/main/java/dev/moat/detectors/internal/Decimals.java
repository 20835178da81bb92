package dev.moat.detectors.internal;

import java.util.Locale;

/**
 * {@code String.format(Locale.ROOT, "%.Nf", x)} without a {@link java.util.Formatter}, for the
 * detectors' reasons (issue 9: formatting them was a tenth of the engine worker's time). The text
 * is the same, character for character: {@code Formatter} rounds the shortest decimal that
 * identifies the double half up at N digits, and that rounding equals the rounding of {@code x *
 * 10^N} computed in doubles whenever the latter's fraction is not within 1e-6 of one half (both
 * differ from the exact product by under 3e-7 below {@link #LIMIT}); the few values near a tie,
 * beyond the limit, NaN or infinite take {@code String.format} itself.
 */
public final class Decimals {

    private Decimals() {}

    private static final long[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};

    /** The largest scaled magnitude ({@code |x| * 10^N}) the fast path takes. */
    static final double LIMIT = 1e9;

    /** Appends x with {@code digits} (0..6) digits after the point, as {@code %.<digits>f} does. */
    public static StringBuilder fixed(StringBuilder to, double x, int digits) {
        if (digits >= 0 && digits < POW10.length) {
            long p = POW10[digits];
            double r = Math.abs(x) * p;
            if (r < LIMIT) {
                double whole = Math.floor(r);
                double frac = r - whole;
                if (Math.abs(frac - 0.5) > 1e-6) {
                    long units = (long) whole + (frac > 0.5 ? 1 : 0);
                    // Formatter's sign: negative values and -0.0 print '-', even when they round to zero
                    if (Double.compare(x, 0.0) < 0) {
                        to.append('-');
                    }
                    units(to, units, p, digits);
                    return to;
                }
            }
        }
        return to.append(String.format(Locale.ROOT, "%." + digits + "f", x));
    }

    /**
     * Appends x with {@code digits} (0..6) digits after the point in scientific notation, as {@code
     * %.<digits>e} does ({@code 1.2e-05}: the exponent signed, at least two digits). The same
     * argument as for {@link #fixed}: the mantissa rounded from {@code x / 10^(e - digits)} unless
     * it is within 1e-6 of a tie or the exponent's guess is off, then {@code String.format}.
     */
    public static StringBuilder scientific(StringBuilder to, double x, int digits) {
        double a = Math.abs(x);
        if (digits >= 0 && digits < POW10.length && a >= 1e-290 && a <= 1e290) {
            long p = POW10[digits];
            int e = (int) Math.floor(Math.log10(a));
            double r = a / Math.pow(10, e - digits);
            if (r >= p && r < 10 * p) {
                double whole = Math.floor(r);
                double frac = r - whole;
                if (Math.abs(frac - 0.5) > 1e-6) {
                    long units = (long) whole + (frac > 0.5 ? 1 : 0);
                    if (units == 10 * p) {
                        units = p;
                        e++;
                    }
                    if (x < 0) {
                        to.append('-');
                    }
                    units(to, units, p, digits);
                    to.append(e < 0 ? "e-" : "e+");
                    int m = Math.abs(e);
                    if (m < 10) {
                        to.append('0');
                    }
                    return to.append(m);
                }
            }
        }
        return to.append(String.format(Locale.ROOT, "%." + digits + "e", x));
    }

    /** {@link #fixed(StringBuilder, double, int)} as a string. */
    public static String fixed(double x, int digits) {
        return fixed(new StringBuilder(16), x, digits).toString();
    }

    /** {@link #scientific(StringBuilder, double, int)} as a string. */
    public static String scientific(double x, int digits) {
        return scientific(new StringBuilder(16), x, digits).toString();
    }

    /** Appends units / p, then, with digits > 0, the point and units % p padded to digits places. */
    private static void units(StringBuilder to, long units, long p, int digits) {
        to.append(units / p);
        if (digits > 0) {
            to.append('.');
            long rest = units % p;
            for (long q = p / 10; q > rest && q > 1; q /= 10) {
                to.append('0');
            }
            to.append(rest);
        }
    }
}
