package dev.moat.gateway.state;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A warning repeated at every attempt is one line per interval, with a count of those left out. */
class RepeatedWarningTest {

    final Logger log = (Logger) LoggerFactory.getLogger("test.repeated-warning");
    final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    final AtomicLong nanos = new AtomicLong();
    final RepeatedWarning warning = new RepeatedWarning(log, Duration.ofSeconds(30), nanos::get);

    RepeatedWarningTest() {
        lines.start();
        log.addAppender(lines);
    }

    @AfterEach
    void detach() {
        log.detachAppender(lines);
    }

    @Test
    void aWarningAtEveryAttemptIsOneLinePerIntervalWithWhatWasLeftOut() {
        // 45 attempts a second for 2 s, then one every 200 ms: an hour of them
        for (int i = 0; i < 90; i++) {
            warning.warn("Redis not reachable yet: refused");
            nanos.addAndGet(Duration.ofMillis(22).toNanos());
        }
        assertThat(lines.list).hasSize(1);
        assertThat(lines.list.get(0).getFormattedMessage()).isEqualTo("Redis not reachable yet: refused");
        for (int i = 0; i < 5 * 60 * 60; i++) {
            warning.warn("Redis not reachable yet: refused");
            nanos.addAndGet(Duration.ofMillis(200).toNanos());
        }
        assertThat(lines.list).as("one line per 30 s in an hour").hasSize(121);
        assertThat(lines.list.get(1).getFormattedMessage())
                .isEqualTo("Redis not reachable yet: refused (230 more like it since the last such line)");
        assertThat(warning.lines()).isEqualTo(lines.list.size());
    }

    @Test
    void aNewSeriesAfterTheConditionClearedIsLoggedAtOnce() {
        warning.warn("down");
        warning.warn("down");
        warning.reset();
        warning.warn("down again");
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("down", "down again");
    }
}
