package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.boundary.BoundaryDetector;
import dev.moat.detectors.coverage.CoverageDetector;
import dev.moat.detectors.ood.OodDetector;
import dev.moat.detectors.prada.PradaDetector;
import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.Traffic;
import dev.moat.detectors.volume.VolumeDetector;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A coarse per-query cost check (the JMH benchmark in {@code benchmarks} is the real measure): the
 * bounds here are 10x the budget so a slow CI machine does not fail, and the measured figures are printed.
 */
class CostTest {

    @SuppressWarnings("unchecked")
    private static double microsPerQuery(Detector.Factory f, List<double[]> warm, List<double[]> measured) {
        Detector<Object> d = (Detector<Object>) f.create();
        Object s = d.newState();
        double[][] p = warm.stream().map(CentroidModel.DIGITS::predict).toArray(double[][]::new);
        for (int i = 0; i < warm.size(); i++) {
            d.update(s, warm.get(i), p[i], i * 100L);
        }
        double[][] q = measured.stream().map(CentroidModel.DIGITS::predict).toArray(double[][]::new);
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < measured.size(); i++) {
                d.update(s, measured.get(i), q[i], (warm.size() + round * measured.size() + i) * 100L);
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 1000.0 / measured.size();
    }

    @Test
    void oneWorkerKeepsUpWithHonestTraffic() {
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
            long t0 = System.nanoTime();
            for (QueryEvent ev : events) {
                e.submit(ev);
            }
            assertThat(e.awaitIdle(java.time.Duration.ofMinutes(1))).isTrue();
            double perSecond = events.length / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("engine, 1 worker, all detectors + tenant, 200 keys: %.0f events/s%n", perSecond);
            assertThat(e.dropped()).isZero();
            assertThat(perSecond).isGreaterThan(5_000);
        }
    }

    @Test
    void perQueryCostIsWithinTenTimesTheBudget() {
        // uniform inputs all join their class's growing set: ~1,000 stored vectors in the predicted classes
        List<double[]> warm = Traffic.uniform(4000, 1);
        List<double[]> measured = Traffic.uniform(2000, 2);
        double prada = microsPerQuery(PradaDetector.factory(Map.of()), warm, measured);
        System.out.printf("prada %.2f us/query%n", prada);
        assertThat(prada).isLessThan(200);
        for (Detector.Factory f : List.of(
                VolumeDetector.factory(Map.of()),
                BoundaryDetector.factory(Map.of()),
                OodDetector.factory(Map.of()),
                CoverageDetector.factory(Map.of()))) {
            double us = microsPerQuery(f, warm, measured);
            System.out.printf("%s %.2f us/query%n", f.name(), us);
            assertThat(us).as(f.name()).isLessThan(50);
        }
    }
}
