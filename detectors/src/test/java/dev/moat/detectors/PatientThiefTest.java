package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.detectors.support.SimClock;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.traffic.JbdaAttacker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The patient thief: JbDA in bursts of 50 rows, one a second, with a pause of 61 minutes after each,
 * 600 rows in all. A key's detector state is dropped after {@code detection.expire_after_idle}
 * without a query, and the config's default was 1 hour: every burst then started on a fresh state,
 * and PRADA, which needs about 120 of a key's rows, never flagged it. The default is now 24 hours,
 * as the engine's own default already was. The engine is drained before each pause, so the clock
 * the worker reads is the burst's.
 */
class PatientThiefTest {

    static final long START = 1_700_000_000_000L;

    /** The key's query count at its first EXTRACTING, or -1. */
    static long extractingAt(Duration expireAfterIdle) {
        SimClock clock = new SimClock(START);
        AtomicLong at = new AtomicLong(-1);
        EngineListener listener = new EngineListener() {
            @Override
            public void onLevelChange(String keyId, Level from, Level to, Verdict v) {
                if (to == Level.EXTRACTING) {
                    at.compareAndSet(-1, v.queries());
                }
            }
        };
        EngineSettings d = EngineSettings.defaults();
        EngineSettings settings = new EngineSettings(
                1,
                d.queueCapacity(),
                d.maxTrackedKeys(),
                expireAfterIdle,
                d.suspiciousAt(),
                d.extractingAt(),
                d.riskHalfLife());
        DigitsModel model = DigitsModel.get();
        JbdaAttacker thief = new JbdaAttacker(2);
        long now = START;
        try (DetectionEngine engine = new DetectionEngine(settings, clock, listener)) {
            for (int burst = 0; burst < 12; burst++) {
                for (int i = 0; i < 50; i++) {
                    double[] x = thief.next();
                    double[] p = model.predict(x);
                    thief.observe(x, p);
                    clock.set(now);
                    engine.submit(new QueryEvent(
                            "patient",
                            "t-patient",
                            "/v1/models/digits",
                            now,
                            new double[][] {x},
                            new double[][] {p},
                            CalibrationTest.ALL));
                    now += 1_000;
                }
                engine.awaitIdle(Duration.ofSeconds(30));
                now += Duration.ofMinutes(61).toMillis();
            }
        }
        return at.get();
    }

    @Test
    void pausingPastAnHourStartedEveryBurstOnAFreshStateBypass() {
        assertThat(extractingAt(Duration.ofHours(1))).isEqualTo(-1);
    }

    @Test
    void withTheDefaultExpiryThePatientThiefIsCaught() {
        assertThat(EngineSettings.defaults().expireAfterIdle()).isGreaterThanOrEqualTo(Duration.ofHours(24));
        long at = extractingAt(EngineSettings.defaults().expireAfterIdle());
        System.out.printf("patient thief, 24 h expiry: extracting at %d rows%n", at);
        assertThat(at).isBetween(1L, 300L);
    }
}
