package dev.moat.bench.eval;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Quiets the gateway's logs so the eval's and the demo's own output stays readable. */
final class Logs {

    private Logs() {}

    /** The access log off; {@code dev.moat} at {@code level} (e.g. WARN for the eval, INFO for the demo). */
    static void quiet(String level) {
        set("moat.access", Level.OFF);
        set("dev.moat", Level.toLevel(level, Level.WARN));
    }

    private static void set(String name, Level level) {
        if (LoggerFactory.getLogger(name) instanceof Logger logger) {
            logger.setLevel(level);
        }
    }
}
