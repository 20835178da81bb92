package dev.moat.gateway.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.TimeZone;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/**
 * The access line written without Logback's event and encoder is, byte for byte, the line
 * Logback's encoders write for the same entry (the encoder settings of the access appender before
 * {@link AccessLineAppender}), including awkward paths: quotes, backslashes, slashes, control
 * characters, non-ASCII text, lone surrogates.
 */
class AccessLinesTest {

    private static final List<String> PATHS = List.of(
            "/v1/models/digits:predict",
            "/a\"b\\c/d",
            "/tab\there/new\nline/\r\b\f\u0001\u001f\u007f",
            "/caf\u00e9/\u20ac/\uD83D\uDE00/lone\uD800/low\uDC00/end\uD83D",
            "");

    private static final List<AccessLog.Entry> ENTRIES = entries();

    private static List<AccessLog.Entry> entries() {
        List<AccessLog.Entry> out = new java.util.ArrayList<>();
        for (String path : PATHS) {
            out.add(new AccessLog.Entry(
                    "866282b8a3878a16c19818a063a49d2f",
                    "POST",
                    path,
                    "bob",
                    "/v1/models/digits",
                    200,
                    564,
                    198,
                    72_850_123,
                    443_135_999,
                    "ok"));
        }
        out.add(new AccessLog.Entry("id-1", "GET", "/x", null, null, 401, 0, 0, -1, 999, "unauthorized"));
        out.add(new AccessLog.Entry(
                "r", "DELETE", "/y", "k\u00e9y", "r/1", 599, Long.MAX_VALUE, 0, 0, 5_600_000_000L, "upstream_error"));
        return out;
    }

    @Test
    void jsonLinesAreLogbacksJsonEncoderBytes() {
        LoggerContext context = context();
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithThreadName(false);
        encoder.setWithArguments(false);
        encoder.setWithMessage(false);
        encoder.setWithFormattedMessage(true);
        encoder.start();
        Logger logger = context.getLogger("moat.access");
        long t = 1_795_841_852_359L;
        for (AccessLog.Entry e : ENTRIES) {
            LoggingEvent event = new LoggingEvent(
                    "x", logger, Level.INFO, "{} {} {}", null, new Object[] {e.method(), e.path(), e.status()});
            event.setTimeStamp(t);
            for (String[] kv : new String[][] {
                {"request_id", e.requestId()},
                {"method", e.method()},
                {"path", e.path()},
                {"key", e.keyId()},
                {"route", e.route()},
            }) {
                if (kv[1] != null) { // an absent field is no pair at all (AccessLog.logJson)
                    event.addKeyValuePair(new KeyValuePair(kv[0], kv[1]));
                }
            }
            event.addKeyValuePair(new KeyValuePair("status", e.status()));
            event.addKeyValuePair(new KeyValuePair("outcome", e.outcome()));
            event.addKeyValuePair(new KeyValuePair("bytes_in", e.bytesIn()));
            event.addKeyValuePair(new KeyValuePair("bytes_out", e.bytesOut()));
            event.addKeyValuePair(new KeyValuePair("upstream_ms", AccessLog.millis(e.upstreamNanos())));
            event.addKeyValuePair(new KeyValuePair("total_ms", AccessLog.millis(e.totalNanos())));
            AccessLines lines = new AccessLines(true, 8);
            lines.append(e, t);
            assertThat(new String(Arrays.copyOf(lines.buf, lines.len), StandardCharsets.UTF_8))
                    .as(e.path())
                    .isEqualTo(new String(encoder.encode(event), StandardCharsets.UTF_8));
            assertThat(Arrays.copyOf(lines.buf, lines.len)).isEqualTo(encoder.encode(event));
            t += 1;
        }
    }

    /**
     * An unauthenticated request has no key and no route: the JSON line leaves both pairs out, as
     * the text line writes {@code key=- route=-}, never the string {@code "null"}.
     */
    @Test
    void anAbsentKeyOrRouteIsLeftOutOfTheJsonLine() throws Exception {
        AccessLog.Entry unauthenticated =
                new AccessLog.Entry("id-1", "GET", "/x", null, null, 401, 0, 0, -1, 999, "unauthorized");
        AccessLines lines = new AccessLines(true, 8);
        lines.append(unauthenticated, 1_795_841_852_359L);
        String line = new String(Arrays.copyOf(lines.buf, lines.len), StandardCharsets.UTF_8);
        List<String> names = new java.util.ArrayList<>();
        for (JsonNode pair : new ObjectMapper().readTree(line).get("kvpList")) {
            pair.fieldNames().forEachRemaining(names::add);
            assertThat(pair.elements().next().asText()).as(line).isNotEqualTo("null");
        }
        assertThat(names).containsExactlyElementsOf(AccessLogTest.FIELDS_WITHOUT_KEY_OR_ROUTE);
        assertThat(AccessLog.text(unauthenticated)).contains(" key=- route=- ");
    }

    @Test
    void textLinesAreThePatternLayoutsBytes() {
        LoggerContext context = context();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(AccessLineAppender.TEXT_PATTERN);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        Logger logger = context.getLogger("moat.access");
        TimeZone saved = TimeZone.getDefault();
        for (String zone : new String[] {"UTC", "Europe/Berlin", "Asia/Kolkata"}) {
            TimeZone.setDefault(TimeZone.getTimeZone(zone));
            try {
                PatternLayoutEncoder inZone = new PatternLayoutEncoder();
                inZone.setContext(context);
                inZone.setPattern(AccessLineAppender.TEXT_PATTERN);
                inZone.setCharset(StandardCharsets.UTF_8);
                inZone.start();
                long t = 1_795_841_852_009L;
                for (AccessLog.Entry e : ENTRIES) {
                    LoggingEvent event = new LoggingEvent("x", logger, Level.INFO, AccessLog.text(e), null, null);
                    event.setTimeStamp(t);
                    AccessLines lines = new AccessLines(false, 8, StandardCharsets.UTF_8, ZoneId.of(zone));
                    lines.append(e, t);
                    assertThat(new String(Arrays.copyOf(lines.buf, lines.len), StandardCharsets.UTF_8))
                            .as(zone + " " + e.path())
                            .isEqualTo(new String(inZone.encode(event), StandardCharsets.UTF_8));
                    t += 997; // crosses seconds: the cached date prefix must follow
                }
            } finally {
                TimeZone.setDefault(saved);
            }
        }
    }

    @Test
    void theAppenderWritesEveryLineByStopAndDropsNothingUnderItsLimit() {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        AccessLineAppender appender = new AccessLineAppender();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            appender.setContext(context());
            appender.setFormat("json");
            appender.setFlushMillis(5);
            appender.start();
            for (int i = 0; i < 5000; i++) {
                appender.write(ENTRIES.get(i % ENTRIES.size()), 1_795_841_852_359L + i);
            }
        } finally {
            appender.stop();
            System.setOut(saved);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(5000);
        assertThat(lines[4999]).startsWith("{\"timestamp\":" + (1_795_841_852_359L + 4999) + ",");
        assertThat(appender.dropped()).isZero();
    }

    /**
     * A stalled stdout: the event loop never waits, lines past the buffer limit are dropped, and
     * every one of them is counted (moat_access_log_dropped_total), none silently lost.
     */
    @Test
    void aStalledStdoutDropsLinesAndCountsEachOne() throws Exception {
        PrintStream saved = System.out;
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                synchronized (captured) {
                    captured.write(b, off, len);
                }
            }
        };
        AccessLineAppender appender = new AccessLineAppender();
        int total = 200_000;
        try {
            System.setOut(new PrintStream(stalled, false, StandardCharsets.UTF_8));
            appender.setContext(context());
            appender.setFormat("json");
            appender.setFlushMillis(5);
            appender.start();
            assertThat(AccessLineAppender.droppedLines()).isZero();
            for (int i = 0; i < total; i++) {
                appender.write(ENTRIES.get(i % ENTRIES.size()), 1_795_841_852_359L + i);
            }
            assertThat(AccessLineAppender.droppedLines()).isPositive().isEqualTo(appender.dropped());
            release.countDown();
        } finally {
            release.countDown();
            appender.stop();
            System.out.flush();
            System.setOut(saved);
        }
        long written;
        synchronized (captured) {
            written = captured.toString(StandardCharsets.UTF_8).lines().count();
        }
        assertThat(written + appender.dropped()).isEqualTo(total);
        assertThat(AccessLineAppender.droppedLines()).isZero(); // stopped: no appender runs
    }

    private static LoggerContext context() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        return context;
    }
}
