package dev.moat.gateway.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One line per request on the {@code moat.access} logger. Text or JSON, chosen in config
 * ({@code access_log.format}; see {@link LogFormat}). Holds key ids, never secrets. With Moat's
 * {@code logback.xml} the entry goes straight to its {@link AccessLineAppender} (bytes into a
 * buffer the appender's thread writes in batches: no logging event, no per-line hand-off); with an
 * operator's own Logback file it is an ordinary SLF4J event with key-value pairs.
 */
public final class AccessLog {

    private static final Logger LOG = LoggerFactory.getLogger("moat.access");

    /** What one finished request leaves behind. */
    public record Entry(
            String requestId,
            String method,
            String path,
            String keyId,
            String route,
            int status,
            long bytesIn,
            long bytesOut,
            long upstreamNanos,
            long totalNanos,
            String outcome) {}

    private final boolean enabled;
    private final boolean json;

    /** The appender last checked, and whether entries may go to it directly. */
    private record Sink(AccessLineAppender appender, boolean direct) {}

    private volatile Sink sink = new Sink(null, false);

    public AccessLog(boolean enabled, String format) {
        this.enabled = enabled;
        this.json = "json".equals(format);
    }

    /**
     * Whether lines are written at all; callers check it before building an {@link Entry}, so a
     * gateway with the access log off allocates nothing for it per request.
     */
    public boolean enabled() {
        return enabled && LOG.isInfoEnabled();
    }

    public void log(Entry e) {
        if (!enabled()) {
            return;
        }
        AccessLineAppender direct = direct();
        if (direct != null) {
            direct.write(e, System.currentTimeMillis());
            return;
        }
        if (json) {
            logJson(e);
        } else {
            LOG.info(text(e));
        }
    }

    /**
     * The bundled appender when it is the only one {@code moat.access} reaches (checked again when
     * the appender changes: a logging reconfiguration stops the old one and starts a new one).
     */
    private AccessLineAppender direct() {
        AccessLineAppender a = AccessLineAppender.active();
        Sink s = sink;
        if (s.appender() != a) {
            s = new Sink(a, a != null && AccessLineAppender.soleAppenderOf(LOG, a));
            sink = s;
        }
        return s.direct() ? a : null;
    }

    static String text(Entry e) {
        return new StringBuilder(160)
                .append("id=")
                .append(e.requestId())
                .append(" method=")
                .append(e.method())
                .append(" path=")
                .append(e.path())
                .append(" key=")
                .append(e.keyId() == null ? "-" : e.keyId())
                .append(" route=")
                .append(e.route() == null ? "-" : e.route())
                .append(" status=")
                .append(e.status())
                .append(" outcome=")
                .append(e.outcome())
                .append(" bytes_in=")
                .append(e.bytesIn())
                .append(" bytes_out=")
                .append(e.bytesOut())
                .append(" upstream_ms=")
                .append(millis(e.upstreamNanos()))
                .append(" total_ms=")
                .append(millis(e.totalNanos()))
                .toString();
    }

    /**
     * The JSON form: the fields travel as SLF4J key-value pairs and Logback's {@code JsonEncoder}
     * writes them (no JSON is built here), next to a short human message. An absent field (the
     * key and route of a request that failed authentication) is no pair, where the text line has
     * {@code -}.
     */
    private static void logJson(Entry e) {
        LoggingEventBuilder event = LOG.atInfo();
        event = present(event, "request_id", e.requestId());
        event = present(event, "method", e.method());
        event = present(event, "path", e.path());
        event = present(event, "key", e.keyId());
        event = present(event, "route", e.route());
        event = event.addKeyValue("status", e.status());
        event = present(event, "outcome", e.outcome());
        event.addKeyValue("bytes_in", e.bytesIn())
                .addKeyValue("bytes_out", e.bytesOut())
                .addKeyValue("upstream_ms", millis(e.upstreamNanos()))
                .addKeyValue("total_ms", millis(e.totalNanos()))
                .log("{} {} {}", e.method(), e.path(), e.status());
    }

    /**
     * Adds the pair unless the value is absent: a request without a key has no {@code key} pair,
     * where Logback's {@code JsonEncoder} would write the string {@code "null"}.
     */
    private static LoggingEventBuilder present(LoggingEventBuilder event, String name, String value) {
        return value == null ? event : event.addKeyValue(name, value);
    }

    /** Milliseconds with three decimals ("12.034"); no {@code String.format} on the request path. */
    static String millis(long nanos) {
        if (nanos < 0) {
            return "-1";
        }
        long micros = nanos / 1000;
        long frac = micros % 1000;
        char[] f = {'.', (char) ('0' + frac / 100), (char) ('0' + frac / 10 % 10), (char) ('0' + frac % 10)};
        return (micros / 1000) + new String(f);
    }
}
