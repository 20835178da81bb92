package dev.moat.detectors.prada;

import dev.moat.detectors.HonestDataShapesTest;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a test ({@code -Dshiftshape=SHAPE,...}, e.g. {@code sensor-counts:128}; {@code
 * -Dattackers=true} adds the shape's attackers): PRADA alone on {@link HonestDataShapesTest}'s
 * customers, printing for every query it takes for a sign step the {@link ShiftedWindows} residual
 * (the median residual at the best shift over the median move, the sample taken as the input in
 * order when it is whole) and a per-key summary.
 */
class ShiftedWindowsProbe {

    @Test
    void probe() {
        Assumptions.assumeTrue(System.getProperty("shiftshape") != null);
        int keys = Integer.getInteger("keys", 4);
        int rows = Integer.getInteger("rows", 300);
        for (String name : System.getProperty("shiftshape").split(",")) {
            HonestDataShapesTest.Shape sh = HonestDataShapesTest.shape(name);
            java.util.List<Map.Entry<String, QuerySource>> srcs = new java.util.ArrayList<>();
            for (int k = 0; k < keys; k++) srcs.add(Map.entry("honest-" + k, sh.customer(500 + k)));
            if (Boolean.getBoolean("attackers")) srcs.addAll(sh.attackers().entrySet());
            for (Map.Entry<String, QuerySource> e : srcs) {
                PradaDetector det = new PradaDetector(PradaSettings.from(Map.of("delta", 0.9, "step_sample_seed", 7L)));
                QuerySource src = e.getValue();
                PradaState s = det.newState();
                int steps = 0;
                for (int q = 0; q < rows; q++) {
                    double[] x = src.next();
                    double[] a = sh.model().apply(x);
                    src.observe(x, a);
                    det.update(s, x, a, q * 2_000L);
                    if (det.lastStepForTest()) {
                        steps++;
                        float[] xr = det.queryRawForTest();
                        float[] pr = det.parentRawForTest();
                        int n = s.sampleSize;
                        double res = ShiftedWindows.residual(
                                xr,
                                pr,
                                n,
                                StepSample.whole(n, s.sampleOf) ? n : StepSample.RUN,
                                new float[n],
                                new float[n]);
                        String d = String.format(Locale.ROOT, "residual %.3f", res);
                        System.out.println(name + " " + e.getKey() + " q" + q + " recent=" + det.lastRecentStepForTest()
                                + " " + d);
                    }
                }
                System.out.printf(Locale.ROOT, "KEY %s %s steps %d of %d%n", name, e.getKey(), steps, rows);
            }
        }
    }
}
