package dev.moat.gateway.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The access log's text fields and its SLF4J events (the JSON lines Moat writes itself: {@code
 * AccessLinesTest}, {@code JsonLogsIT}).
 */
class AccessLogTest {

    @Test
    void millisHaveThreeDecimalsWithoutStringFormat() {
        assertThat(AccessLog.millis(12_034_567)).isEqualTo("12.034");
        assertThat(AccessLog.millis(999)).isEqualTo("0.000");
        assertThat(AccessLog.millis(1_000_999)).isEqualTo("1.000");
        assertThat(AccessLog.millis(5_600_000_000L)).isEqualTo("5600.000");
        assertThat(AccessLog.millis(-1)).isEqualTo("-1");
    }

    /**
     * With another appender on {@code moat.access} (an operator's own Logback file) the entry is an
     * SLF4J event: an absent key or route is no key-value pair there either (Logback's JsonEncoder
     * would write a null value as the string {@code "null"}).
     */
    @Test
    void anAbsentKeyOrRouteIsNoKeyValuePairOfTheEvent() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger access = context.getLogger("moat.access");
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        access.addAppender(events);
        try {
            new AccessLog(true, "json")
                    .log(new AccessLog.Entry("id-1", "GET", "/x", null, null, 401, 0, 0, -1, 999, "unauthorized"));
        } finally {
            access.detachAppender(events);
        }
        assertThat(events.list).hasSize(1);
        assertThat(events.list.get(0).getKeyValuePairs().stream().map(kv -> kv.key))
                .containsExactlyElementsOf(FIELDS_WITHOUT_KEY_OR_ROUTE);
    }

    /** An access line's fields when the request had no key and no route, in order. */
    static final java.util.List<String> FIELDS_WITHOUT_KEY_OR_ROUTE = java.util.List.of(
            "request_id", "method", "path", "status", "outcome", "bytes_in", "bytes_out", "upstream_ms", "total_ms");

    @Test
    void aDisabledLogSaysSoBeforeAnEntryIsBuilt() {
        assertThat(new AccessLog(false, "json").enabled()).isFalse();
    }
}
