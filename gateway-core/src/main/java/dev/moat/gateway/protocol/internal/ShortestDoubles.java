package dev.moat.gateway.protocol.internal;

import java.math.BigInteger;

/**
 * Writes any finite double as the characters Jackson's fast writer produces for it (its
 * {@code DoubleToDecimal}, Giulietti's Schubfach: the shortest decimal that reads back as the same
 * double, the one nearest the double when several are as short; plain notation in [1e-3, 1e7),
 * {@code 1.234E-5} outside), into a {@code char[]} the caller keeps, without the converter object
 * and the {@code String} Jackson allocates per number. The load benchmark's flagged keys get
 * perturbed 17-digit probabilities: their answers' numbers were 31 % of mode b's allocation.
 *
 * <p>The digits come from the Schubfach algorithm (R. Giulietti, "The Schubfach way to render
 * doubles", 2020), the same steps as the JDK's and Jackson's implementation of it, so that the
 * chosen decimal is the same where two are as short; the layout follows {@link Double#toString}'s
 * specification. The table of 126-bit approximations of powers of ten is computed once at class
 * initialisation with {@link BigInteger} (the paper's definition), not copied. {@code
 * ShortestDoublesTest} compares it with Jackson over millions of random doubles, subnormals and
 * the edges.
 */
final class ShortestDoubles {

    /** Enough for {@code -1.2345678901234567E-308}. */
    static final int MAX_CHARS = 32;

    private static final int P = 53;
    private static final int Q_MIN = -1074;
    private static final long C_MIN = 1L << (P - 1);
    private static final long T_MASK = C_MIN - 1;
    private static final int BQ_MASK = 0x7ff;
    /** Subnormal significands below this get one more digit of precision (the paper's c_tiny). */
    private static final long C_TINY = 3;

    private static final int K_MIN = -324;
    private static final int K_MAX = 292;
    private static final long MASK_63 = (1L << 63) - 1;

    /** For k in [K_MIN, K_MAX]: g = floor(10^-k / 2^r) + 1 with 2^125 <= 10^-k / 2^r < 2^126, as g1 * 2^63 + g0. */
    private static final long[] G = new long[2 * (K_MAX - K_MIN + 1)];

    private static final long[] POW10 = new long[18];

    static {
        long p = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = p;
            p *= 10;
        }
        BigInteger ten = BigInteger.TEN;
        for (int k = K_MIN; k <= K_MAX; k++) {
            int r = flog2pow10(-k) - 125;
            BigInteger num = BigInteger.ONE;
            BigInteger den = BigInteger.ONE;
            if (k < 0) {
                num = num.multiply(ten.pow(-k));
            } else {
                den = den.multiply(ten.pow(k));
            }
            if (r < 0) {
                num = num.shiftLeft(-r);
            } else {
                den = den.shiftLeft(r);
            }
            BigInteger g = num.divide(den).add(BigInteger.ONE);
            if (g.bitLength() != 126 && !(g.bitLength() == 127 && g.equals(BigInteger.ONE.shiftLeft(126)))) {
                throw new ExceptionInInitializerError("10^" + (-k) + " scaled to " + g.bitLength() + " bits");
            }
            int i = 2 * (k - K_MIN);
            G[i] = g.shiftRight(63).longValue();
            G[i + 1] = g.longValue() & MASK_63;
        }
    }

    private ShortestDoubles() {}

    /**
     * Writes {@code v} into {@code out} (at least {@link #MAX_CHARS} long) from index 0 and returns
     * the length; returns 0, writing nothing, for NaN and the infinities.
     */
    static int write(double v, char[] out) {
        long bits = Double.doubleToRawLongBits(v);
        long t = bits & T_MASK;
        int bq = (int) (bits >>> (P - 1)) & BQ_MASK;
        if (bq == BQ_MASK) {
            return 0;
        }
        int pos = 0;
        if (bits < 0) {
            out[pos++] = '-';
        }
        if (bq != 0) {
            int mq = -Q_MIN + 1 - bq;
            long c = C_MIN | t;
            if (0 < mq && mq < P) {
                long f = c >> mq;
                if (f << mq == c) {
                    return chars(f, 0, out, pos); // an integer below 2^53: its exact digits
                }
            }
            return decimal(-mq, c, 0, out, pos);
        }
        if (t != 0) {
            return t < C_TINY ? decimal(Q_MIN, 10 * t, -1, out, pos) : decimal(Q_MIN, t, 0, out, pos);
        }
        out[pos++] = '0';
        out[pos++] = '.';
        out[pos++] = '0';
        return pos;
    }

    /** The shortest decimal in the rounding interval of {@code c * 2^q}, written; Schubfach's steps. */
    private static int decimal(int q, long c, int dk, char[] out, int pos) {
        int odd = (int) c & 1;
        long cb = c << 2;
        long cbr = cb + 2;
        long cbl;
        int k;
        if (c != C_MIN || q == Q_MIN) {
            cbl = cb - 2;
            k = flog10pow2(q);
        } else {
            cbl = cb - 1; // the interval is narrower below a power of two
            k = flog10threeQuartersPow2(q);
        }
        int h = q + flog2pow10(-k) + 2;
        int gi = 2 * (k - K_MIN);
        long g1 = G[gi];
        long g0 = G[gi + 1];
        long vb = rop(g1, g0, cb << h);
        long vbl = rop(g1, g0, cbl << h);
        long vbr = rop(g1, g0, cbr << h);
        long s = vb >> 2;
        if (s >= 100) {
            long sp10 = 10 * (s / 10);
            long tp10 = sp10 + 10;
            boolean upin = vbl + odd <= sp10 << 2;
            boolean wpin = (tp10 << 2) + odd <= vbr;
            if (upin != wpin) {
                return chars(upin ? sp10 : tp10, k, out, pos);
            }
        }
        long tt = s + 1;
        boolean uin = vbl + odd <= s << 2;
        boolean win = (tt << 2) + odd <= vbr;
        if (uin != win) {
            return chars(uin ? s : tt, k + dk, out, pos);
        }
        long cmp = vb - ((s + tt) << 1);
        return chars(cmp < 0 || cmp == 0 && (s & 1) == 0 ? s : tt, k + dk, out, pos);
    }

    /** Round to odd of g * cp / 2^127 (g = g1 * 2^63 + g0), as in the paper. */
    private static long rop(long g1, long g0, long cp) {
        long x1 = Math.multiplyHigh(g0, cp);
        long y0 = g1 * cp;
        long y1 = Math.multiplyHigh(g1, cp);
        long z = (y0 >>> 1) + x1;
        long vbp = y1 + (z >>> 63);
        return vbp | ((z & MASK_63) + MASK_63) >>> 63;
    }

    /** {@code f * 10^e} (f > 0) laid out as {@link Double#toString} specifies. */
    private static int chars(long f, int e, char[] out, int pos) {
        while (f != 0 && f % 10 == 0) {
            f /= 10;
            e++;
        }
        int n = 1;
        while (n < POW10.length && f >= POW10[n]) {
            n++;
        }
        int exp = e + n - 1; // f * 10^e = d.ddd * 10^exp
        if (exp >= 0 && exp < 7) {
            if (n <= exp + 1) {
                pos = digits(f, n, out, pos);
                for (int i = n; i <= exp; i++) {
                    out[pos++] = '0';
                }
                out[pos++] = '.';
                out[pos++] = '0';
                return pos;
            }
            long div = POW10[n - exp - 1];
            pos = digits(f / div, exp + 1, out, pos);
            out[pos++] = '.';
            return digits(f % div, n - exp - 1, out, pos);
        }
        if (exp < 0 && exp >= -3) {
            out[pos++] = '0';
            out[pos++] = '.';
            for (int i = -1; i > exp; i--) {
                out[pos++] = '0';
            }
            return digits(f, n, out, pos);
        }
        long div = POW10[n - 1];
        out[pos++] = (char) ('0' + f / div);
        out[pos++] = '.';
        if (n == 1) {
            out[pos++] = '0';
        } else {
            pos = digits(f % div, n - 1, out, pos);
        }
        out[pos++] = 'E';
        if (exp < 0) {
            out[pos++] = '-';
            exp = -exp;
        }
        if (exp >= 100) {
            out[pos++] = (char) ('0' + exp / 100);
            out[pos++] = (char) ('0' + exp / 10 % 10);
        } else if (exp >= 10) {
            out[pos++] = (char) ('0' + exp / 10);
        }
        out[pos++] = (char) ('0' + exp % 10);
        return pos;
    }

    /** The {@code n} low decimal digits of {@code x}, leading zeros included. */
    private static int digits(long x, int n, char[] out, int pos) {
        for (int i = pos + n - 1; i >= pos; i--) {
            out[i] = (char) ('0' + x % 10);
            x /= 10;
        }
        return pos + n;
    }

    /** floor(q * log10(2)) for |q| <= 5,456,721. */
    private static int flog10pow2(int q) {
        return (int) (q * 661_971_961_083L >> 41);
    }

    /** floor(q * log10(3/4 * 2)) = floor(log10(3 * 2^(q-2))) for |q| <= 5,456,721. */
    private static int flog10threeQuartersPow2(int q) {
        return (int) (q * 661_971_961_083L + -274_743_187_321L >> 41);
    }

    /** floor(e * log2(10)) for |e| <= 1,838,394. */
    private static int flog2pow10(int e) {
        return (int) (e * 913_124_641_741L >> 38);
    }
}
