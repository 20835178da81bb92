package dev.moat.gateway.protocol.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the rows of the plainest row-format request, {@code {"instances": [[1.5, -2, ...], ...]}}
 * (or {@code "inputs"}, or one flat vector), and of the plainest answer, {@code {"predictions":
 * [[...], ...]}}, straight from their bytes, in front of the Jackson parsers of {@link StreamingRows}
 * and {@link StreamingAnswer}: Jackson's tokeniser and number parsing of the load benchmark's
 * 384 request numbers were 16 % of mode b's event loop, the answer's 3 % (benchmarks/profiles/README.md).
 *
 * <p>It accepts a strict subset of JSON and steps aside ({@code null}) for everything else, which
 * then takes the Jackson path unchanged: exactly one field, {@code instances} or {@code inputs},
 * without escapes in its name; its value an array of non-empty flat arrays of numbers, or a
 * non-empty flat array of numbers; numbers of JSON's grammar without an exponent and with at most
 * 15 digits; only JSON's four whitespace bytes between tokens; nothing after the object. Any other
 * byte anywhere (a BOM, another encoding, a comment, a nested row, a string, an exponent, a leading
 * zero, a sixteenth digit, trailing content) is a step aside, never an answer.
 *
 * <p>Its values are the Jackson path's: a number with a fraction is {@code m / 10^f} with both
 * exact doubles, one correctly rounded division (what {@link ShortDecimals#parse} computes and
 * Jackson's parser returns); one without is the exact {@code (double) m}, {@code -0} included
 * (Jackson reads it as the integer 0, so {@code 0.0}, while {@code -0.0} stays negative). {@code
 * PlainRowsTest} compares it with the Jackson path on generated bodies.
 */
final class PlainRows {

    /** Bodies above this go to Jackson (the copy into the scratch array is for small bodies). */
    static final int MAX_BYTES = 64 * 1024;

    private static final int MAX_DIGITS = 15;

    private static final double[] POW10 = new double[MAX_DIGITS + 1];

    static {
        double v = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = v;
            v *= 10;
        }
    }

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    /** One thread's copy of the body and its row under construction. */
    private static final class Scratch {
        byte[] bytes = new byte[8 * 1024];
        double[] row = new double[64];
    }

    private final byte[] b;
    private final int end;
    private final Scratch scratch;
    /** An answer: the field is {@code predictions} and a flat vector is not taken. */
    private final boolean answer;

    private int i;

    private PlainRows(byte[] b, int end, Scratch scratch, boolean answer) {
        this.b = b;
        this.end = end;
        this.scratch = scratch;
        this.answer = answer;
    }

    /**
     * A request's rows ({@code instances} or {@code inputs}: rows, or one flat vector), or {@code
     * null} when the body is not in the subset above. Leaves the buffer's indices alone.
     */
    static double[][] rows(ByteBuf body) {
        return read(body, false);
    }

    /**
     * An answer's rows ({@code {"predictions": rows}}, rows only, as {@link StreamingAnswer#predictions}
     * takes them), or {@code null} when the body is not in the subset. Leaves the buffer's indices alone.
     */
    static double[][] predictions(ByteBuf body) {
        return read(body, true);
    }

    private static double[][] read(ByteBuf body, boolean answer) {
        int n = body.readableBytes();
        if (n == 0 || n > MAX_BYTES) {
            return null;
        }
        Scratch s = SCRATCH.get();
        if (s.bytes.length < n) {
            s.bytes = new byte[Math.max(n, 2 * s.bytes.length)];
        }
        body.getBytes(body.readerIndex(), s.bytes, 0, n);
        return new PlainRows(s.bytes, n, s, answer).document();
    }

    private double[][] document() {
        ws();
        if (!take('{')) {
            return null;
        }
        ws();
        if (!field()) {
            return null;
        }
        ws();
        if (!take(':')) {
            return null;
        }
        ws();
        double[][] rows = value();
        if (rows == null) {
            return null;
        }
        ws();
        if (!take('}')) {
            return null;
        }
        ws();
        return i == end ? rows : null;
    }

    /** {@code "instances"} or {@code "inputs"} ({@code "predictions"} in an answer), with nothing escaped. */
    private boolean field() {
        return answer ? matches("\"predictions\"") : matches("\"instances\"") || matches("\"inputs\"");
    }

    private boolean matches(String quoted) {
        int len = quoted.length();
        if (end - i < len) {
            return false;
        }
        for (int k = 0; k < len; k++) {
            if (b[i + k] != quoted.charAt(k)) {
                return false;
            }
        }
        i += len;
        return true;
    }

    /** At the field's value: an array of rows, or one flat row. */
    private double[][] value() {
        if (!take('[')) {
            return null;
        }
        ws();
        if (i < end && b[i] != '[') {
            if (answer) {
                return null;
            }
            double[] only = row();
            return only == null ? null : new double[][] {only};
        }
        List<double[]> rows = new ArrayList<>(8);
        while (true) {
            if (!take('[')) {
                return null;
            }
            ws();
            double[] r = row();
            if (r == null) {
                return null;
            }
            rows.add(r);
            ws();
            if (take(',')) {
                ws();
            } else if (take(']')) {
                return rows.toArray(new double[0][]);
            } else {
                return null;
            }
        }
    }

    /** After a row's {@code [} and whitespace: one or more numbers and the closing {@code ]}. */
    private double[] row() {
        double[] r = scratch.row;
        int size = 0;
        while (true) {
            double v = number();
            if (Double.isNaN(v)) {
                return null;
            }
            if (size == r.length) {
                r = scratch.row = Arrays.copyOf(r, 2 * size);
            }
            r[size++] = v;
            ws();
            if (take(',')) {
                ws();
            } else if (take(']')) {
                return Arrays.copyOf(r, size);
            } else {
                return null;
            }
        }
    }

    /** A number of the subset, or NaN (never a value: JSON has no NaN) to step aside. */
    private double number() {
        byte[] b = this.b; // locals: the loops below run once per byte of every number
        int end = this.end;
        int p = i;
        boolean negative = p < end && b[p] == '-';
        if (negative) {
            p++;
        }
        if (p >= end) {
            return Double.NaN;
        }
        long m = 0;
        int digits = 0;
        int c = b[p];
        if (c == '0') {
            p++;
            digits = 1;
            if (p < end && b[p] >= '0' && b[p] <= '9') {
                return Double.NaN; // a leading zero: not JSON
            }
        } else if (c >= '1' && c <= '9') {
            while (p < end && (c = b[p] - '0') >= 0 && c <= 9) {
                m = m * 10 + c;
                digits++;
                p++;
            }
        } else {
            return Double.NaN;
        }
        int fraction = 0;
        if (p < end && b[p] == '.') {
            p++;
            int start = p;
            while (p < end && (c = b[p] - '0') >= 0 && c <= 9) {
                m = m * 10 + c;
                p++;
            }
            fraction = p - start;
            digits += fraction;
            if (fraction == 0) {
                return Double.NaN; // "1." is not JSON
            }
        }
        if (digits > MAX_DIGITS) {
            return Double.NaN; // m may have wrapped; it is not used
        }
        if (p < end && (b[p] == 'e' || b[p] == 'E')) {
            return Double.NaN; // exponents are Jackson's
        }
        i = p;
        if (fraction == 0) {
            return (double) (negative ? -m : m); // an integer: -0 is 0, as Jackson reads it
        }
        double v = m / POW10[fraction];
        return negative ? -v : v;
    }

    private boolean take(char c) {
        if (i < end && b[i] == c) {
            i++;
            return true;
        }
        return false;
    }

    private void ws() {
        byte[] b = this.b;
        int end = this.end;
        int p = i;
        while (p < end) {
            byte c = b[p];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                p++;
            } else {
                break;
            }
        }
        i = p;
    }
}
