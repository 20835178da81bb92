package dev.moat.detectors.ood;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

@EnabledIfSystemProperty(named = "spreadprobe", matches = "true")
/**
 * The spread test's numbers, per key, straight on an {@link InputReference} fed by twelve honest keys:
 * the share of a key's inputs past the limit and its mean log spread ratio ({@link
 * InputReference#spreadRatio}), for honest keys, probe-like honest workloads and attacks on the
 * 13-input test models. Run with {@code mvn -B -o -pl detectors -am test -Dtest=InputSpreadProbe
 * -Dspreadprobe=true -Dsurefire.failIfNoSpecifiedTests=false}; prints, asserts nothing.
 */
class InputSpreadProbe {
    static void run(
            String name,
            java.util.function.UnaryOperator<double[]> model,
            List<QuerySource> peers,
            Map<String, QuerySource> keys) {
        InputReference ref = new InputReference(0, true, 5);
        for (int i = 0; i < 400; i++) {
            for (int k = 0; k < peers.size(); k++) ref.offer(peers.get(k).next(), k);
        }
        int w = ref.width();
        ref.spreadRatio(new double[w], new float[w]);
        System.out.printf("LIMIT %s %.3f%n", name, ref.spreadLimit2());
        for (var e : keys.entrySet()) {
            float[] c = new float[w];
            int n = 0, beyond = 0, judged = 0;
            double logSum = 0;
            double[] meanSq = new double[w];
            for (int i = 0; i < 600; i++) {
                double[] x = e.getValue().next();
                e.getValue().observe(x, model.apply(x));
                if (n >= 16) {
                    judged++;
                    double r = ref.spreadRatio(x, c);
                    logSum += Math.log(Math.max(r, 0.05));
                    if (r > 1) beyond++;
                }
                if (n < 64) n++;
                for (int j = 0; j < w; j++) c[j] += (float) ((x[j] - c[j]) / n);
            }
            StringBuilder b = new StringBuilder();
            for (double v : meanSq) b.append(String.format(" %.1f", v / judged));
            System.out.printf(
                    "KEY %-10s %-12s beyond %.3f log %.3f%n",
                    name, e.getKey(), beyond / (double) judged, logSum / judged);
        }
    }

    @Test
    void debug() {
        for (long seed : new long[] {1, 2, 3}) {
            HonestDomain d = HonestDomain.series(13, seed);
            List<QuerySource> peers = new ArrayList<>();
            for (int k = 0; k < 12; k++) peers.add(d.peer(seed * 1000 + k));
            Map<String, QuerySource> keys = new LinkedHashMap<>();
            for (int k = 0; k < 12; k++) keys.put("peer" + k, d.peer(seed * 1000 + k));
            run("series" + seed, d::predict, peers, keys);
        }
        for (Unsure u : List.of(Unsure.clinical(1, 0.7), Unsure.clinical(3, 0.8), Unsure.wine(1, 0.8))) {
            List<QuerySource> peers = new ArrayList<>();
            for (int k = 0; k < 12; k++) peers.add(u.peer(100 + k));
            Map<String, QuerySource> keys = new LinkedHashMap<>();
            keys.put("peer", u.peer(300));
            keys.put("peer2", u.peer(301));
            int[][] m = {u.classes() == 2 ? new int[] {0} : new int[] {0, 1}};
            keys.put("mostly", u.mostly(7, m[0], 0.95));
            keys.put("harder", u.harder(9, 2));
            keys.put("random", u.random(5));
            keys.put("jbda-rs", u.jbda(6, 0.1, Unsure.Step.RANDOM_SIZE));
            run(u.name(), u::predict, peers, keys);
        }
        for (HonestDomain d : List.of(HonestDomain.tabular(1), HonestDomain.mixed(1))) {
            List<QuerySource> peers = new ArrayList<>();
            for (int k = 0; k < 12; k++) peers.add(d.peer(100 + k));
            Map<String, QuerySource> keys = new LinkedHashMap<>();
            keys.put("peer", d.peer(300));
            keys.put("augment", dev.moat.detectors.support.HonestProbes.augmentation(d, 6, 6));
            keys.put("saturated", dev.moat.detectors.support.HonestProbes.saturated(d, 5));
            keys.put("whatif", dev.moat.detectors.support.HonestProbes.whatIf(d, 3, 10));
            run(d.name(), d::predict, peers, keys);
        }
    }
}
