package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.moat.gateway.defence.Defences;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A gateway loading {@code detection.calibration}: a file written before {@code coverage}'s cell
 * widths were recorded (its {@code coverage.reference_novelty} is of the former sign cells, which the
 * default fixed cells do not take) loads, and the operator is told at WARN to calibrate again; a file
 * with the widths loads without that warning.
 */
class CalibrationFileIT {

    @Test
    void aFileWithoutCellWidthsIsLoadedWithAWarning() throws Exception {
        Path dir = Files.createTempDirectory("moat-calibration");
        Path old = dir.resolve("old.calibration");
        Files.writeString(
                old, "format = moat-calibration-1\nkeys = 6\nqueries = 3600\ncoverage.reference_novelty = 0.41\n");
        assertThat(warningsLoading(old)).anyMatch(m -> m.contains("no coverage.cell_widths"));
        assertThat(warningsLoading(CoverageCalibration.write(dir))).noneMatch(m -> m.contains("coverage.cell_widths"));
    }

    /** The WARN messages of {@link Defences} while a gateway starts with {@code file} as its calibration. */
    private static java.util.List<String> warningsLoading(Path file) throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(Defences.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (Gateway gw = Gateway.start(
                Gateway.common("\"1000/1m\"") + Gateway.GUARDED_DIGITS + "detection: {calibration: \"" + file + "\"}\n",
                URI.create("http://127.0.0.1:9"))) {
            return appender.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
        } finally {
            logger.detachAppender(appender);
        }
    }
}
