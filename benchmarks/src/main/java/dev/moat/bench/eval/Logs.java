package dev.moat.bench.eval;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/** Quiets the gateway's logs so the eval's and the demo's own output stays readable. */
final class Logs {

    private Logs() {}

    /** The access log off; {@code dev.moat} at {@code level} (e.g. WARN for the eval, INFO for the demo). */
    static void quiet(String level) {
        set("moat.access", Level.OFF);
        set("dev.moat", Level.toLevel(level, Level.WARN));
    }

    /**
     * Sends every log line of the in-process gateways (warnings included) to {@code file} instead
     * of the console, so that the eval's progress on stderr stays one line per run. The access log
     * stays off.
     */
    static void toFile(Path file) {
        set("moat.access", Level.OFF);
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName("EVAL_FILE");
        appender.setFile(file.toString());
        appender.setAppend(false);
        appender.setEncoder(encoder);
        appender.start();
        root.addAppender(appender);
        set("dev.moat", Level.INFO);
    }

    private static void set(String name, Level level) {
        if (LoggerFactory.getLogger(name) instanceof Logger logger) {
            logger.setLevel(level);
        }
    }
}
