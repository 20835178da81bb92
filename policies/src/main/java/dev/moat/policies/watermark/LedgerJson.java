package dev.moat.policies.watermark;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;

/**
 * The ledger's line format, written and read by hand (this module has no JSON library):
 * <pre>{"input":[0.0,1.5],"label":3,"classes":10,"key":"alice","time":"2025-01-01T00:00:00Z"}</pre>
 * Non-finite features are written as {@code null} and read back as NaN. The reader accepts the
 * fields in any order, skips unknown scalar fields and rejects anything else.
 */
final class LedgerJson {

    private LedgerJson() {}

    static void append(StringBuilder out, LedgerEntry e) {
        out.append("{\"input\":[");
        double[] in = e.inputView();
        for (int i = 0; i < in.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            if (Double.isFinite(in[i])) {
                out.append(in[i]);
            } else {
                out.append("null");
            }
        }
        out.append("],\"label\":")
                .append(e.label())
                .append(",\"classes\":")
                .append(e.classes())
                .append(",\"key\":");
        if (e.key() == null) {
            out.append("null");
        } else {
            appendString(out, e.key());
        }
        out.append(",\"time\":\"").append(e.time()).append("\"}\n");
    }

    static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    static LedgerEntry parse(String line) {
        return new Reader(line).entry();
    }

    /** A recursive-descent reader for the one object shape above. */
    private static final class Reader {
        private final String s;
        private int pos;

        Reader(String s) {
            this.s = s;
        }

        LedgerEntry entry() {
            double[] input = null;
            Integer label = null;
            Integer classes = null;
            String key = null;
            Instant time = null;
            expect('{');
            if (!peek('}')) {
                do {
                    String field = string();
                    expect(':');
                    switch (field) {
                        case "input" -> input = numbers();
                        case "label" -> label = integer();
                        case "classes" -> classes = integer();
                        case "key" -> key = peek('n') ? nullLiteral() : string();
                        case "time" -> time = instant(string());
                        default -> skipScalar();
                    }
                } while (consume(','));
            }
            expect('}');
            skipSpace();
            if (pos != s.length()) {
                throw error("trailing characters");
            }
            if (input == null || label == null || classes == null || time == null) {
                throw error("missing field (expected: input, label, classes, time)");
            }
            return new LedgerEntry(input, label, classes, key, time);
        }

        private double[] numbers() {
            expect('[');
            double[] out = new double[16];
            int n = 0;
            if (!peek(']')) {
                do {
                    if (n == out.length) {
                        out = Arrays.copyOf(out, n * 2);
                    }
                    out[n++] = peek('n') ? nullAsNaN() : number();
                } while (consume(','));
            }
            expect(']');
            return Arrays.copyOf(out, n);
        }

        private double nullAsNaN() {
            nullLiteral();
            return Double.NaN;
        }

        private String nullLiteral() {
            skipSpace();
            if (!s.startsWith("null", pos)) {
                throw error("expected null");
            }
            pos += 4;
            return null;
        }

        private int integer() {
            double d = number();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw error("expected an integer");
            }
            return (int) d;
        }

        private double number() {
            skipSpace();
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            try {
                return Double.parseDouble(s.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error("expected a number");
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(pos++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (pos >= s.length()) {
                    throw error("unterminated escape");
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        private void skipScalar() {
            skipSpace();
            if (peek('"')) {
                string();
            } else if (peek('n')) {
                nullLiteral();
            } else if (s.startsWith("true", pos)) {
                pos += 4;
            } else if (s.startsWith("false", pos)) {
                pos += 5;
            } else {
                number();
            }
        }

        private Instant instant(String text) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw error("time: \"" + text + "\" (expected: ISO-8601 instant)");
            }
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private boolean peek(char c) {
            skipSpace();
            return pos < s.length() && s.charAt(pos) == c;
        }

        private boolean consume(char c) {
            if (peek(c)) {
                pos++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!consume(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String message) {
            return new IllegalArgumentException("column " + (pos + 1) + ": " + message);
        }
    }
}
