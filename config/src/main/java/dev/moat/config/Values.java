package dev.moat.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for the scalar forms the config uses. Each returns {@code null} for text it does not
 * accept, so the caller can report the value together with the matching {@code *_EXPECTED} text.
 */
public final class Values {
    /**
     * The longest duration (and rate period) a config may hold: ten years. The gateway adds them to
     * nanosecond clocks, where 999999999999d overflowed at start ({@code ArithmeticException: long
     * overflow}, no field named).
     */
    public static final Duration MAX_DURATION = Duration.ofDays(3650);

    public static final String DURATION_EXPECTED = "a duration like 500ms, 30s, 5m, 1h or 1d, at most 3650d";
    public static final String SIZE_EXPECTED = "a size like 512, 16KiB, 4MiB, 1GiB or 10MB";
    public static final String RATE_EXPECTED =
            "a rate like \"100/1m\", \"5000/1d\" or \"10/s\": at most one per nanosecond, over at most 3650d";
    public static final String HOST_PORT_EXPECTED = "\"host:port\" with a port from 0 to 65535";

    private static final Pattern DURATION = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*([A-Za-z]*)");
    private static final Pattern RATE = Pattern.compile("(\\d{1,18})\\s*/\\s*(\\d{0,18})\\s*(ms|s|m|h|d)");
    private static final Pattern INTEGER = Pattern.compile("[-+]?\\d{1,19}");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");
    private static final Pattern HEX_64 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Map<String, ChronoUnit> TIME_UNITS = Map.of(
            "ms",
            ChronoUnit.MILLIS,
            "s",
            ChronoUnit.SECONDS,
            "m",
            ChronoUnit.MINUTES,
            "h",
            ChronoUnit.HOURS,
            "d",
            ChronoUnit.DAYS);
    private static final Map<String, Long> SIZE_UNITS = Map.ofEntries(
            Map.entry("", 1L),
            Map.entry("B", 1L),
            Map.entry("KiB", 1L << 10),
            Map.entry("MiB", 1L << 20),
            Map.entry("GiB", 1L << 30),
            Map.entry("TiB", 1L << 40),
            Map.entry("KB", 1_000L),
            Map.entry("kB", 1_000L),
            Map.entry("MB", 1_000_000L),
            Map.entry("GB", 1_000_000_000L),
            Map.entry("TB", 1_000_000_000_000L));

    private Values() {}

    /**
     * {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d} (whole numbers; zero allowed), at
     * most {@link #MAX_DURATION}.
     */
    public static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return null;
        }
        try {
            Duration d = Duration.of(Long.parseLong(m.group(1)), TIME_UNITS.get(m.group(2)));
            return d.compareTo(MAX_DURATION) <= 0 ? d : null;
        } catch (ArithmeticException e) {
            return null;
        }
    }

    /** Bytes: {@code 512}, {@code 512B}, {@code 16KiB}/{@code 4MiB}/{@code 1GiB} (1024-based), {@code 10KB}/{@code 10MB} (1000-based). */
    public static Long size(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches() || !SIZE_UNITS.containsKey(m.group(2))) {
            return null;
        }
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), SIZE_UNITS.get(m.group(2)));
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * {@code COUNT/[N]UNIT}: {@code "100/1m"}, {@code "10/s"}; the count and the period are both
     * positive, the period at most {@link #MAX_DURATION}, the count at most one a nanosecond.
     */
    public static RateLimit rate(String text) {
        String trimmed = text.trim();
        Matcher m = RATE.matcher(trimmed);
        if (!m.matches()) {
            return null;
        }
        long count = Long.parseLong(m.group(1));
        Duration period = duration((m.group(2).isEmpty() ? "1" : m.group(2)) + m.group(3));
        // Bucket4j refuses a refill faster than a token a nanosecond, on every request (a 500 each)
        if (count < 1 || period == null || period.isZero() || count > period.toNanos()) {
            return null;
        }
        return new RateLimit(count, period, trimmed);
    }

    /** {@code host:port} or {@code [v6]:port}; the host is returned without brackets. */
    public static HostPort hostPort(String text) {
        String trimmed = text.trim();
        int colon = trimmed.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        String host = trimmed.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            return null;
        }
        Long port = integer(trimmed.substring(colon + 1));
        if (host.isEmpty()
                || host.contains(" ")
                || port == null
                || port < 0
                || port > 65535
                || !Character.isDigit(trimmed.charAt(colon + 1))) {
            return null;
        }
        return new HostPort(host, port.intValue());
    }

    /** A whole number that fits a {@code long}. */
    public static Long integer(String text) {
        String t = text.trim();
        if (!INTEGER.matcher(t).matches()) {
            return null;
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A finite decimal number ({@code 0.5}, {@code 1e-3}); no NaN, no infinity, no hex. */
    public static Double decimal(String text) {
        String t = text.trim();
        if (!DECIMAL.matcher(t).matches()) {
            return null;
        }
        double v = Double.parseDouble(t);
        return Double.isFinite(v) ? v : null;
    }

    /** {@code true} or {@code false}, any case. */
    public static Boolean bool(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> null;
        };
    }

    /** An unquoted YAML scalar as a plain Java value: Boolean, Long, Double, else the String itself. */
    public static Object scalar(String text) {
        Boolean b = bool(text);
        if (b != null) {
            return b;
        }
        Long l = integer(text);
        if (l != null) {
            return l;
        }
        Double d = decimal(text);
        return d != null ? d : text;
    }

    /** 64 hex digits, returned in lower case. */
    public static String sha256Hex(String text) {
        String t = text.trim();
        return HEX_64.matcher(t).matches() ? t.toLowerCase(Locale.ROOT) : null;
    }

    /** An RFC 6901 JSON pointer into a document (so not the empty, whole-document pointer). */
    public static String jsonPointer(String text) {
        if (!text.startsWith("/")) {
            return null;
        }
        for (int i = text.indexOf('~'); i >= 0; i = text.indexOf('~', i + 1)) {
            if (i + 1 >= text.length() || (text.charAt(i + 1) != '0' && text.charAt(i + 1) != '1')) {
                return null;
            }
        }
        return text;
    }
}
