package dev.moat.gateway.state;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A warning that may recur many times a second (each failed attempt to reach Redis): logged the
 * first time, then at most once per interval, saying how many were left out since the last line.
 * A gateway started with Redis down logged "Redis not reachable yet" about 45 times a second for
 * 2 s, then at every 200 ms check: some 18,000 lines an hour.
 */
final class RepeatedWarning {

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private boolean logged;
    private long lastNanos;
    private long leftOut;
    private long lines;

    /** @param nanoClock a monotonic clock ({@code System::nanoTime}) */
    RepeatedWarning(Logger log, Duration interval, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
    }

    /** Logs {@code message} at WARN unless one was logged less than the interval ago (then counts it). */
    synchronized void warn(String message) {
        long now = nanoClock.getAsLong();
        if (logged && now - lastNanos < intervalNanos) {
            leftOut++;
            return;
        }
        if (leftOut > 0) {
            log.warn("{} ({} more like it since the last such line)", message, leftOut);
        } else {
            log.warn(message);
        }
        logged = true;
        lastNanos = now;
        leftOut = 0;
        lines++;
    }

    /** Ends the series (the condition cleared): the next warning is logged at once. */
    synchronized void reset() {
        logged = false;
        leftOut = 0;
    }

    /** Lines logged so far. */
    synchronized long lines() {
        return lines;
    }

    /** Warnings left out since the last line. */
    synchronized long leftOut() {
        return leftOut;
    }
}
