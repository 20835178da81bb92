package dev.moat.detectors;

import dev.moat.detectors.HonestDataShapesTest.Shape;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code coverage.FixedCellsProbe} on the honest-shapes survey's streams (session 24; a probe, not
 * run by the build): per shape, the peak window novelty of four customers, two customers of a few
 * classes, the shape's attackers and random rows after 32 copies of the shape's first customer row
 * zeroed, under the detector's sign cells and fixed cells of {@code c} (3) median absolute
 * deviations of twelve other customers' projections. {@code mvn -B -o -pl detectors test
 * -Dtest=FixedCellsShapesProbe -Dsurefire.failIfNoSpecifiedTests=false -Dshapes=video:784:0,...}
 */
class FixedCellsShapesProbe {

    @Test
    void probe() {
        double c = Double.parseDouble(System.getProperty("c", "3"));
        for (String name : System.getProperty("shapes", "photos:784,video:784:1,sensor-volts:32,tfidf:1000")
                .split(",")) {
            Shape sh = HonestDataShapesTest.shape(name);
            // -Dwfrom=pooled (default): w from the MAD of twelve customers' rows pooled; keys: the median over
            // twelve customers of each one's own MAD (what trusted keys could report); few: the same over twelve
            // customers of two classes each (a population of narrow keys)
            String from = System.getProperty("wfrom", "pooled");
            List<List<double[]>> perKey = new ArrayList<>();
            for (int k = 0; k < 12; k++) {
                QuerySource q = from.equals("few")
                        ? sh.fewClasses(9_000 + k, new int[] {k % 10, (k + 3) % 10}, 0.95)
                        : sh.customer(9_000 + k);
                List<double[]> rows = new ArrayList<>();
                for (int i = 0; i < 432; i++) {
                    double[] x = q.next();
                    q.observe(x, sh.model().apply(x));
                    rows.add(x);
                }
                perKey.add(rows);
            }
            int d = perKey.get(0).get(0).length;
            double[][] planes = dev.moat.detectors.coverage.FixedCellsProbeAccess.planes(d);
            double[] mad;
            if (from.equals("pooled")) {
                List<double[]> all = new ArrayList<>();
                perKey.forEach(all::addAll);
                mad = dev.moat.detectors.coverage.FixedCellsProbeAccess.mad(planes, all);
            } else {
                double[][] each = new double[perKey.size()][];
                for (int k = 0; k < each.length; k++) {
                    each[k] = dev.moat.detectors.coverage.FixedCellsProbeAccess.mad(planes, perKey.get(k));
                }
                mad = new double[each[0].length];
                for (int b = 0; b < mad.length; b++) {
                    double[] v = new double[each.length];
                    for (int k = 0; k < v.length; k++) {
                        v[k] = each[k][b];
                    }
                    java.util.Arrays.sort(v);
                    mad[b] = v[v.length / 2];
                }
            }
            System.out.printf("cells %-22s w from %s%n", sh.name(), from);
            Map<String, java.util.function.Supplier<QuerySource>> sources = new LinkedHashMap<>();
            for (int k = 0; k < 4; k++) {
                long seed = 500 + k;
                sources.put("customer-" + k, () -> sh.customer(seed));
            }
            sources.put("few-0-1", () -> sh.fewClasses(700, new int[] {0, 1}, 0.9));
            sources.put("few-2-5-8", () -> sh.fewClasses(702, new int[] {2, 5, 8}, 0.9));
            for (String a : sh.attackers().keySet()) {
                sources.put(a, () -> sh.attackers().get(a));
            }
            sources.put("random-blank-first", () -> {
                QuerySource random = sh.attackers().get("random");
                int[] sent = {0};
                return QuerySource.of("blank-first", () -> sent[0]++ < 32 ? new double[d] : random.next());
            });
            for (Map.Entry<String, java.util.function.Supplier<QuerySource>> e : sources.entrySet()) {
                double sign = dev.moat.detectors.coverage.FixedCellsProbeAccess.novelty(
                        e.getValue().get(), sh.model(), planes, null, 0);
                double fixed = dev.moat.detectors.coverage.FixedCellsProbeAccess.novelty(
                        e.getValue().get(), sh.model(), planes, mad, c);
                System.out.printf("cells %-22s %-20s sign %.2f fixed-%s %.2f%n", sh.name(), e.getKey(), sign, c, fixed);
            }
        }
    }
}
