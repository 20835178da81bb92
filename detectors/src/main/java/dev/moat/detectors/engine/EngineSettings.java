package dev.moat.detectors.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * How the {@link DetectionEngine} runs: worker threads, queue capacity (events, shared out evenly
 * among workers), how many keys it remembers and for how long, the risk thresholds of the levels,
 * and the half-life with which a key's risk fades once its detectors calm down.
 */
public record EngineSettings(
        int workers,
        int queueCapacity,
        long maxTrackedKeys,
        Duration expireAfterIdle,
        double suspiciousAt,
        double extractingAt,
        Duration riskHalfLife) {

    public EngineSettings {
        Objects.requireNonNull(expireAfterIdle, "expireAfterIdle");
        Objects.requireNonNull(riskHalfLife, "riskHalfLife");
        check(workers >= 1, "workers", workers, "at least 1");
        check(queueCapacity >= workers, "queueCapacity", queueCapacity, "at least workers (" + workers + ")");
        check(maxTrackedKeys >= workers, "maxTrackedKeys", maxTrackedKeys, "at least workers (" + workers + ")");
        check(expireAfterIdle.toMillis() > 0, "expireAfterIdle", expireAfterIdle, "positive");
        check(suspiciousAt > 0 && suspiciousAt <= 1, "suspiciousAt", suspiciousAt, "in (0, 1]");
        check(extractingAt >= suspiciousAt && extractingAt <= 1, "extractingAt", extractingAt, "in [suspiciousAt, 1]");
        check(riskHalfLife.toMillis() > 0, "riskHalfLife", riskHalfLife, "positive");
    }

    /** One worker, 65,536 queued events, 100,000 keys idle for at most 24h, levels at 0.5 and 0.8, 1h half-life. */
    public static EngineSettings defaults() {
        return new EngineSettings(1, 65_536, 100_000, Duration.ofHours(24), 0.5, 0.8, Duration.ofHours(1));
    }

    private static void check(boolean ok, String field, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: " + expected + ")");
        }
    }
}
