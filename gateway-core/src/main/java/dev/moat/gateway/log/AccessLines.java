package dev.moat.gateway.log;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Writes one access line as bytes into a reused buffer, without building a {@code String} or a
 * logging event: the same bytes Logback wrote before (its {@code JsonEncoder} with the flags of
 * {@code logback.xml}'s access appender, or the text pattern {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX}
 * %msg%n}); {@code AccessLinesTest} compares both with Logback's own encoders. Not thread-safe: one per
 * buffer, used under its lock.
 */
final class AccessLines {

    private static final byte[] JSON_HEAD = ascii("{\"timestamp\":");
    private static final byte[] JSON_LOGGER =
            ascii(",\"level\":\"INFO\",\"loggerName\":\"moat.access\",\"mdc\": {},\"kvpList\": [");
    // each key-value pair is {"name":"value"}, the pairs separated by commas
    private static final byte[] K_ID = ascii("{\"request_id\":\"");
    private static final byte[] K_METHOD = ascii("{\"method\":\"");
    private static final byte[] K_PATH = ascii("{\"path\":\"");
    private static final byte[] K_KEY = ascii("{\"key\":\"");
    private static final byte[] K_ROUTE = ascii("{\"route\":\"");
    private static final byte[] K_STATUS = ascii("{\"status\":\"");
    private static final byte[] K_OUTCOME = ascii("{\"outcome\":\"");
    private static final byte[] K_BYTES_IN = ascii(",{\"bytes_in\":\"");
    private static final byte[] K_BYTES_OUT = ascii("\"},{\"bytes_out\":\"");
    private static final byte[] K_UPSTREAM = ascii("\"},{\"upstream_ms\":\"");
    private static final byte[] K_TOTAL = ascii("\"},{\"total_ms\":\"");
    private static final byte[] K_MESSAGE = ascii("\"}],\"formattedMessage\":\"");
    private static final byte[] PAIR_END = ascii("\"}");
    private static final byte[] JSON_TAIL = ascii("\",\"throwable\":null}\n");
    private static final byte[] NULL = ascii("null");
    private static final byte[] HEX = ascii("0123456789ABCDEF");
    private static final byte[] LINE_END = ascii(System.lineSeparator());

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.");
    private static final DateTimeFormatter OFFSET = DateTimeFormatter.ofPattern("XXX");

    private final boolean json;
    private final Charset textCharset;
    private final ZoneId zone;
    byte[] buf;
    int len;

    // text lines: the date up to the second and the zone offset, computed once per second
    private long cachedSecond = Long.MIN_VALUE;
    private byte[] secondPrefix;
    private byte[] offset;

    AccessLines(boolean json, int capacity) {
        this(json, capacity, Charset.defaultCharset(), ZoneId.systemDefault());
    }

    AccessLines(boolean json, int capacity, Charset textCharset, ZoneId zone) {
        this.json = json;
        this.textCharset = textCharset;
        this.zone = zone;
        this.buf = new byte[capacity];
    }

    /** Appends the line of {@code e}, logged at {@code timeMillis} (epoch). */
    void append(AccessLog.Entry e, long timeMillis) {
        if (json) {
            json(e, timeMillis);
        } else {
            text(e, timeMillis);
        }
    }

    private void json(AccessLog.Entry e, long timeMillis) {
        put(JSON_HEAD);
        putLong(timeMillis);
        put(JSON_LOGGER);
        boolean first = pair(K_ID, e.requestId(), true);
        first = pair(K_METHOD, e.method(), first);
        first = pair(K_PATH, e.path(), first);
        first = pair(K_KEY, e.keyId(), first);
        first = pair(K_ROUTE, e.route(), first);
        if (!first) {
            put((byte) ',');
        }
        put(K_STATUS);
        putLong(e.status());
        put(PAIR_END);
        pair(K_OUTCOME, e.outcome(), false);
        put(K_BYTES_IN);
        putLong(e.bytesIn());
        put(K_BYTES_OUT);
        putLong(e.bytesOut());
        put(K_UPSTREAM);
        millis(e.upstreamNanos());
        put(K_TOTAL);
        millis(e.totalNanos());
        put(K_MESSAGE);
        escaped(e.method()); // the message "{} {} {}": method, path, status
        put((byte) ' ');
        escaped(e.path());
        put((byte) ' ');
        putLong(e.status());
        put(JSON_TAIL);
    }

    /**
     * The pair {@code {"name":"value"}}, after a comma unless it is the first; left out when the
     * value is absent, as {@link AccessLog} leaves it out of the logging event (Logback's encoder
     * would write the string {@code "null"}). Returns whether the next pair is still the first.
     */
    private boolean pair(byte[] start, String value, boolean first) {
        if (value == null) {
            return first;
        }
        if (!first) {
            put((byte) ',');
        }
        put(start);
        escaped(value);
        put(PAIR_END);
        return false;
    }

    /** {@link AccessLog#text} behind the date, without the intermediate {@code String}. */
    private void text(AccessLog.Entry e, long timeMillis) {
        date(timeMillis);
        put((byte) ' ');
        put(ID);
        plain(e.requestId());
        put(METHOD);
        plain(e.method());
        put(PATH);
        plain(e.path());
        put(KEY);
        plain(e.keyId() == null ? "-" : e.keyId());
        put(ROUTE);
        plain(e.route() == null ? "-" : e.route());
        put(STATUS);
        putLong(e.status());
        put(OUTCOME);
        plain(e.outcome());
        put(BYTES_IN);
        putLong(e.bytesIn());
        put(BYTES_OUT);
        putLong(e.bytesOut());
        put(UPSTREAM);
        millis(e.upstreamNanos());
        put(TOTAL);
        millis(e.totalNanos());
        put(LINE_END);
    }

    private static final byte[] ID = ascii("id=");
    private static final byte[] METHOD = ascii(" method=");
    private static final byte[] PATH = ascii(" path=");
    private static final byte[] KEY = ascii(" key=");
    private static final byte[] ROUTE = ascii(" route=");
    private static final byte[] STATUS = ascii(" status=");
    private static final byte[] OUTCOME = ascii(" outcome=");
    private static final byte[] BYTES_IN = ascii(" bytes_in=");
    private static final byte[] BYTES_OUT = ascii(" bytes_out=");
    private static final byte[] UPSTREAM = ascii(" upstream_ms=");
    private static final byte[] TOTAL = ascii(" total_ms=");

    private void date(long timeMillis) {
        long second = Math.floorDiv(timeMillis, 1000);
        if (second != cachedSecond) {
            Instant at = Instant.ofEpochSecond(second);
            secondPrefix = SECONDS.withZone(zone).format(at).getBytes(StandardCharsets.US_ASCII);
            offset = OFFSET.withZone(zone).format(at).getBytes(StandardCharsets.US_ASCII);
            cachedSecond = second;
        }
        put(secondPrefix);
        int ms = (int) Math.floorMod(timeMillis, 1000);
        ensure(3);
        buf[len++] = (byte) ('0' + ms / 100);
        buf[len++] = (byte) ('0' + ms / 10 % 10);
        buf[len++] = (byte) ('0' + ms % 10);
        put(offset);
    }

    /** {@link AccessLog#millis}: milliseconds with three decimals, or -1. */
    private void millis(long nanos) {
        if (nanos < 0) {
            put((byte) '-');
            put((byte) '1');
            return;
        }
        long micros = nanos / 1000;
        long frac = micros % 1000;
        putLong(micros / 1000);
        ensure(4);
        buf[len++] = '.';
        buf[len++] = (byte) ('0' + frac / 100);
        buf[len++] = (byte) ('0' + frac / 10 % 10);
        buf[len++] = (byte) ('0' + frac % 10);
    }

    /**
     * A value as Logback's {@code JsonEscapeUtil} escapes it ({@code "}, {@code \}, {@code /} and
     * control characters), in UTF-8 ({@code null} is the text {@code null}, as Logback writes it).
     */
    private void escaped(String s) {
        if (s == null) {
            put(NULL);
            return;
        }
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                utf8(s, i);
                i += Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1)) ? 1 : 0;
            } else if (c < 0x20) {
                control(c);
            } else if (c == '"' || c == '\\' || c == '/') {
                ensure(2);
                buf[len++] = '\\';
                buf[len++] = (byte) c;
            } else {
                ensure(1);
                buf[len++] = (byte) c;
            }
        }
    }

    private void control(char c) {
        ensure(6);
        buf[len++] = '\\';
        switch (c) {
            case '\b' -> buf[len++] = 'b';
            case '\t' -> buf[len++] = 't';
            case '\n' -> buf[len++] = 'n';
            case '\f' -> buf[len++] = 'f';
            case '\r' -> buf[len++] = 'r';
            default -> {
                buf[len++] = 'u';
                buf[len++] = '0';
                buf[len++] = '0';
                buf[len++] = HEX[c >> 4];
                buf[len++] = HEX[c & 0xf];
            }
        }
    }

    /** The character at {@code i} (a pair when it starts one) in UTF-8; a lone surrogate is {@code ?}, as {@code getBytes} has it. */
    private void utf8(String s, int i) {
        char c = s.charAt(i);
        ensure(4);
        if (c < 0x800) {
            buf[len++] = (byte) (0xc0 | c >> 6);
            buf[len++] = (byte) (0x80 | c & 0x3f);
        } else if (Character.isSurrogate(c)) {
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(i + 1));
                buf[len++] = (byte) (0xf0 | cp >> 18);
                buf[len++] = (byte) (0x80 | cp >> 12 & 0x3f);
                buf[len++] = (byte) (0x80 | cp >> 6 & 0x3f);
                buf[len++] = (byte) (0x80 | cp & 0x3f);
            } else {
                buf[len++] = '?';
            }
        } else {
            buf[len++] = (byte) (0xe0 | c >> 12);
            buf[len++] = (byte) (0x80 | c >> 6 & 0x3f);
            buf[len++] = (byte) (0x80 | c & 0x3f);
        }
    }

    /** A text-line value as the pattern layout writes it: unescaped, in the platform charset. */
    private void plain(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                put(s.substring(i).getBytes(textCharset)); // rare: let the charset encode the rest
                return;
            }
            buf[len++] = (byte) c;
        }
    }

    private void putLong(long v) {
        ensure(20);
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                put(ascii(Long.toString(v)));
                return;
            }
            buf[len++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        int end = len + digits;
        for (int at = end - 1; at >= len; at--) {
            buf[at] = (byte) ('0' + v % 10);
            v /= 10;
        }
        len = end;
    }

    private void put(byte b) {
        ensure(1);
        buf[len++] = b;
    }

    private void put(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    void ensure(int more) {
        if (len + more > buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    /** Appends bytes encoded elsewhere (a line another encoder wrote). */
    void appendRaw(byte[] b) {
        put(b);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
