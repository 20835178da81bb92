package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.Traffic;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine with every detector takes a busy stream of honest events on one worker without
 * dropping any. Speed is measured by JMH ({@code DetectorBenchmarks}, {@code EngineBenchmark}), never here.
 */
class CostTest {

    @Test
    void oneWorkerTakesEveryEventOfABusyHourWithoutDropping() {
        DetectorProfile all = DetectorProfile.fromConfig(Map.of(
                "prada",
                Map.of(),
                "volume",
                Map.of(),
                "boundary",
                Map.of(),
                "ood",
                Map.of(),
                "coverage",
                Map.of(),
                "tenant",
                Map.of()));
        List<double[]> rows = Traffic.honest(20_000, 3);
        QueryEvent[] events = new QueryEvent[rows.size()];
        for (int i = 0; i < events.length; i++) {
            double[] x = rows.get(i);
            events[i] = new QueryEvent(
                    "k" + (i % 200),
                    "t" + (i % 20),
                    "/m",
                    1_000_000L + i * 10L,
                    new double[][] {x},
                    new double[][] {CentroidModel.DIGITS.predict(x)},
                    all);
        }
        EngineSettings one = new EngineSettings(
                1, 1 << 20, 10_000, java.time.Duration.ofHours(1), 0.5, 0.8, java.time.Duration.ofHours(1));
        try (DetectionEngine e =
                new DetectionEngine(one, new dev.moat.detectors.support.SimClock(1_000_000), EngineListener.NONE)) {
            for (QueryEvent ev : events) {
                e.submit(ev);
            }
            assertThat(e.awaitIdle(java.time.Duration.ofMinutes(1))).isTrue();
            assertThat(e.dropped()).isZero();
            assertThat(e.keysTracked()).isEqualTo(200);
        }
    }
}
