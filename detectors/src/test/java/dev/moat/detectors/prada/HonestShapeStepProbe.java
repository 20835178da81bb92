package dev.moat.detectors.prada;

import dev.moat.detectors.HonestDataShapesTest;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a test ({@code -Dhonestshapesteps=SHAPE,...}, e.g. {@code sensor-counts:128}):
 * PRADA alone (the survey's settings) on the ordinary customers of {@link HonestDataShapesTest}'s
 * shapes ({@code -Dfew=true}: its customers of mostly two or three classes), printing every query it takes for a sign step with the displacement's make-up ({@link
 * HonestStepProbe#describe}) and the shape that took it.
 */
class HonestShapeStepProbe {

    @Test
    void probe() {
        Assumptions.assumeTrue(System.getProperty("honestshapesteps") != null);
        int keys = Integer.getInteger("keys", 4);
        int rows = Integer.getInteger("rows", 300);
        for (String name : System.getProperty("honestshapesteps").split(",")) {
            HonestDataShapesTest.Shape sh = HonestDataShapesTest.shape(name);
            PradaDetector det = new PradaDetector(PradaSettings.from(Map.of("delta", 0.9, "step_sample_seed", 7L)));
            for (int k = 0; k < keys; k++) {
                int[][] few = {{0, 1}, {1, 7}, {2, 5, 8}, {3, 4, 9}};
                QuerySource src = Boolean.getBoolean("few")
                        ? sh.fewClasses(700 + k, few[k % few.length], 0.9)
                        : sh.customer(500 + k);
                PradaState s = det.newState();
                int steps = 0;
                for (int q = 0; q < rows; q++) {
                    double[] x = src.next();
                    det.update(s, x, sh.model().apply(x), q * 2_000L);
                    if (det.lastStepForTest()) {
                        steps++;
                        System.out.println(HonestStepProbe.describe(
                                name,
                                k,
                                q,
                                det.lastRecentStepForTest(),
                                det.queryRawForTest(),
                                det.parentRawForTest(),
                                s.sampleSize,
                                s.recent == null ? 0 : s.recent.evidence));
                    }
                }
                System.out.printf(Locale.ROOT, "KEY %s honest-%d steps %d of %d%n", name, k, steps, rows);
            }
        }
    }
}
