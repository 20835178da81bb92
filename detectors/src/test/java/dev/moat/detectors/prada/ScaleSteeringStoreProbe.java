package dev.moat.detectors.prada;

import dev.moat.detectors.support.Tabular;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Not an assertion (run with {@code -Dscalesteerprobe=true}, {@code -Dsteer=...}, {@code -Dshares=...},
 * {@code -Dhonest=...}): {@code cross_key}'s narrow-input units under steering, on one store. A warm
 * gateway (3,000 honest tabular rows), then the per-feature JbDA over 5 keys with a share of the
 * thief's rows spent on steering rows (from 5 keys of their own) and {@code honest} customer rows per
 * thief row; once the store has rescaled, the JbDA moves to 5 fresh keys, whose highest scores (and
 * the searched rows each took to 0.5) are printed with the store's final units. Styles: {@code
 * huge-largest} (the widest feature 1,000 ranges out: every floor is a thousandth of it), {@code flat}
 * (every feature on the widest one's range: not mixed, raw units), {@code huge-all} (every feature far
 * out). {@link dev.moat.detectors.CrossKeyScaleSteeringTest} is the engine-level test.
 */
class ScaleSteeringStoreProbe {

    static double[] steer(Tabular t, Random r, String style) {
        double[] x = t.record(r);
        int d = Tabular.DIMS;
        double big = t.hi(d - 1) - t.lo(d - 1);
        switch (style) {
            case "none" -> {}
            case "huge-largest" -> x[d - 1] = t.hi(d - 1) + 1_000 * big * (0.5 + r.nextDouble());
            case "flat" -> {
                for (int j = 0; j < d; j++) {
                    x[j] = t.lo(j) + big * (0.5 + r.nextDouble());
                }
            }
            case "huge-all" -> {
                for (int j = 0; j < d; j++) {
                    x[j] = t.hi(j) + 1_000 * big * (0.5 + r.nextDouble());
                }
            }
            default -> throw new IllegalArgumentException(style);
        }
        return x;
    }

    @Test
    void probe() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("scalesteerprobe"));
        for (String style :
                System.getProperty("steer", "none,huge-largest,flat,huge-all").split(",")) {
            for (double share : shares()) {
                for (double honestPer : honest()) {
                    run(style, share, honestPer);
                }
            }
        }
    }

    static double[] shares() {
        return java.util.Arrays.stream(
                        System.getProperty("shares", "0.1,0.2,0.3").split(","))
                .mapToDouble(Double::parseDouble)
                .toArray();
    }

    static double[] honest() {
        return java.util.Arrays.stream(System.getProperty("honest", "1.2,0.5").split(","))
                .mapToDouble(Double::parseDouble)
                .toArray();
    }

    /** Per attack row (JbDA or steering, steering with probability share), honestPer honest rows on average. */
    static void run(String style, double share, double honestPer) {
        Tabular t = new Tabular(13);
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        List<QuerySource> honest = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            honest.add(t.honest(1_400 + k));
        }
        Random r = new UnsharedRandom(5);
        // a warm gateway: 3,000 honest rows first
        for (int i = 0; i < 3_000; i++) {
            int k = r.nextInt(12);
            double[] x = honest.get(k).next();
            store.observe("honest-" + k, new double[][] {x}, new double[][] {t.predict(x)});
        }
        QuerySource pf = t.jbda(48, 0.1, Tabular.Step.PER_FEATURE);
        double[] max = new double[5];
        int[] firstHalf = new int[5];
        int sent = 0;
        int steered = 0;
        long rescaledAtStart = store.rescaled();
        String prefix = "pre-";
        int after = 0;
        for (int q = 0; after < 2_500 && q < 40_000; q++) {
            if (prefix.equals("pre-") && store.rescaled() > rescaledAtStart) {
                prefix = "pf-";
                sent = 0;
            }
            if (r.nextDouble() < share) {
                double[] x = steer(t, r, style);
                store.observe("st-" + (steered++ % 5), new double[][] {x}, new double[][] {t.predict(x)});
            } else {
                double[] x = pf.next();
                double[] p = t.predict(x);
                pf.observe(x, p);
                int k = sent++ % 5;
                double s = store.observe(prefix + k, new double[][] {x}, new double[][] {p});
                if (prefix.equals("pre-")) {
                    continue;
                }
                after++;
                max[k] = Math.max(max[k], s);
                if (s >= 0.5 && firstHalf[k] == 0) {
                    firstHalf[k] = sent / 5;
                }
            }
            double h = honestPer;
            while (h > 0 && r.nextDouble() < Math.min(1, h)) {
                int k = r.nextInt(12);
                double[] x = honest.get(k).next();
                store.observe("honest-" + k, new double[][] {x}, new double[][] {t.predict(x)});
                h -= 1;
            }
        }
        float[][] u = store.units(13);
        System.out.printf(
                "PROBE %-12s share %.1f honest/attack %.1f: max %s at %s rescaled %d units %s%n",
                style,
                share,
                honestPer,
                Arrays.toString(
                        Arrays.stream(max).map(v -> Math.round(v * 100) / 100.0).toArray()),
                Arrays.toString(firstHalf),
                store.rescaled(),
                u == null ? "raw" : "1/inv0=" + 1 / u[0][0] + " 1/inv6=" + 1 / u[0][6] + " 1/inv12=" + 1 / u[0][12]);
    }
}
