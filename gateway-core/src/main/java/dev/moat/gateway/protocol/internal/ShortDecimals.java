package dev.moat.gateway.protocol.internal;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;

/**
 * Reads plain decimals of at most 15 digits without Jackson's general double parser, and writes a
 * double that is a short decimal (at most six fraction digits, as rounded predictions are)
 * as the characters Jackson's fast writer produces for it ({@code DoubleToDecimal}, the shortest
 * decimal that reads back as the same double; plain notation between 1e-3 and 1e7), without the
 * {@code String} and the converter object that writer allocates per number (27 % of mode b's
 * allocation in the load benchmark's profile). Anything else is left to Jackson.
 *
 * <p>Why the output is the same: when {@code k / 10^6}, computed in doubles, equals {@code |v|}, the
 * division (of two exactly representable numbers, correctly rounded) says that {@code |v|} is the
 * double nearest the decimal {@code k / 10^6}; that decimal has at most 13 significant digits, and
 * two different decimals of at most 15 significant digits never round to the same double, so no
 * other decimal as short or shorter reads back as {@code v}: it is the shortest one, and written
 * without trailing zeros it is Jackson's. {@code ShortDecimalsTest} checks this against Jackson.
 */
final class ShortDecimals {

    /** Enough for a sign, seven integer digits, the point and six fraction digits. */
    static final int MAX_CHARS = 16;

    private static final long SCALE = 1_000_000L;

    /** 10^0 .. 10^22: every one is exactly a double. */
    private static final double[] POW10 = new double[23];

    static {
        double v = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = v;
            v *= 10;
        }
    }

    private ShortDecimals() {}

    /**
     * The double value of the parser's current number token, as {@link JsonParser#getDoubleValue}
     * gives it, reading plain decimals of at most 15 digits ({@code -12.345}) from the token's
     * characters itself: their value is {@code m / 10^f} with m and 10^f exact doubles, and one
     * correctly rounded division is the correctly rounded value (Clinger's fast path), which is
     * what Jackson's parser returns too. Anything else (an exponent, more digits) goes to Jackson.
     */
    static double parse(JsonParser p) throws IOException {
        char[] c = p.getTextCharacters();
        int i = p.getTextOffset();
        int end = i + p.getTextLength();
        boolean negative = i < end && c[i] == '-';
        if (negative) {
            i++;
        }
        long m = 0;
        int digits = 0;
        int fraction = -1;
        for (; i < end; i++) {
            char ch = c[i];
            if (ch >= '0' && ch <= '9') {
                m = m * 10 + (ch - '0');
                digits++;
                if (fraction >= 0) {
                    fraction++;
                }
            } else if (ch == '.' && fraction < 0) {
                fraction = 0;
            } else {
                return p.getDoubleValue(); // an exponent
            }
        }
        if (digits == 0 || digits > 15) {
            return p.getDoubleValue();
        }
        double v = fraction > 0 ? m / POW10[fraction] : m;
        return negative ? -v : v;
    }

    /**
     * Writes {@code v} into {@code out} from index 0 and returns the length, or returns 0 (writing
     * nothing) when {@code v} is not a short decimal in [1e-3, 1e7) or zero.
     */
    static int format(double v, char[] out) {
        int pos = 0;
        if (v == 0) {
            if (Double.doubleToRawLongBits(v) != 0) {
                out[pos++] = '-';
            }
            out[pos++] = '0';
            out[pos++] = '.';
            out[pos++] = '0';
            return pos;
        }
        double a = Math.abs(v);
        if (!(a >= 1e-3 && a < 1e7)) {
            return 0; // NaN, infinities, and Jackson's scientific notation ranges
        }
        long k = Math.round(a * SCALE);
        if ((double) k / SCALE != a) {
            return 0;
        }
        if (v < 0) {
            out[pos++] = '-';
        }
        long whole = k / SCALE;
        int frac = (int) (k % SCALE);
        int start = pos;
        do {
            out[pos++] = (char) ('0' + (int) (whole % 10));
            whole /= 10;
        } while (whole > 0);
        for (int i = start, j = pos - 1; i < j; i++, j--) {
            char t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        out[pos++] = '.';
        if (frac == 0) {
            out[pos++] = '0';
            return pos;
        }
        int digits = 6;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        for (int i = digits - 1; i >= 0; i--) {
            out[pos + i] = (char) ('0' + frac % 10);
            frac /= 10;
        }
        return pos + digits;
    }
}
