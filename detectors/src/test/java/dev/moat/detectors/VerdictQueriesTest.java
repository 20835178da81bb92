package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.SimClock;
import dev.moat.fixtures.internal.UnsharedRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bug the admin report showed: {@code queries: 64} next to a detector reason saying "after 32
 * queries". A verdict's count is the one its reasons were written at, and once the engine is idle
 * both are the live count.
 */
class VerdictQueriesTest {

    static final Pattern AFTER = Pattern.compile("after (\\d+) queries");

    @Test
    void theVerdictsQueryCountAgreesWithTheDetectorsReasons() {
        DetectorProfile profile = DetectorProfile.fromConfig(Map.of("prada", Map.of(), "volume", Map.of()));
        SimClock clock = new SimClock(1_000_000);
        Random rnd = new UnsharedRandom(7);
        EngineSettings s = new EngineSettings(1, 100_000, 1000, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
        try (DetectionEngine e = new DetectionEngine(s, clock, EngineListener.NONE)) {
            for (int n = 1; n <= 150; n++) {
                double[] x = new double[64];
                for (int i = 0; i < x.length; i++) {
                    x[i] = rnd.nextInt(17);
                }
                e.submit(new QueryEvent(
                        "k",
                        null,
                        "/m",
                        clock.millis(),
                        new double[][] {x},
                        new double[][] {CentroidModel.DIGITS.predict(x)},
                        profile));
                clock.advance(500);
                if (n % 10 == 0) {
                    assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
                    Verdict v = e.verdict("k");
                    Matcher m = AFTER.matcher(v.scores().get("prada").reason());
                    assertThat(m.find()).as(v.scores().get("prada").reason()).isTrue();
                    assertThat(v.queries())
                            .as("after %d events: %s", n, v.scores())
                            .isEqualTo(Long.parseLong(m.group(1)));
                    assertThat(v.queries())
                            .as("caught up once the worker is idle")
                            .isEqualTo(n);
                }
            }
        }
    }
}
