package dev.moat.detectors.ood;

import dev.moat.detectors.OneClassCustomerIsNotOutOfDistributionTest;
import dev.moat.detectors.internal.SpreadPeers;
import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The spread test's numbers beyond its default 63 inputs (issue 9, 2026-11-29): per domain and
 * coordinate draw, an {@link InputReference} fed by twelve honest keys (or, with {@code
 * -Doneclasspop=true}, the digits' two customers per class sending 90% of it), each peer's and each
 * test key's spread statistic after 600 rows (as the detector keeps it, {@link
 * InputSpread#advanceSpread}), and the threshold the peers' statistics would give if every
 * peer reported ({@link SpreadPeers}: median plus the larger of 0.3 and four robust deviations, at
 * least 0.4). Keys whose names start with {@code h-} are honest; {@code !!} marks an honest key past
 * that threshold or an attack under it. Domains: the digits at 64, 784 and 3,072 inputs
 * ({@code -Ddigits=}), the series model ({@code -Dseries=}), {@code Unsure} records ({@code
 * -Dunsure=cells100,mixed100,images}). Run with {@code mvn -B -o -pl detectors -am test
 * -Dtest=WideSpreadProbe -Dwidespreadprobe=true -Dsurefire.failIfNoSpecifiedTests=false}; prints,
 * asserts nothing.
 */
@EnabledIfSystemProperty(named = "widespreadprobe", matches = "true")
class WideSpreadProbe {

    private static final int ROWS = 600;

    /**
     * A key's spread statistic after {@code rows} of {@code src}, as the detector keeps it ({@link
     * InputSpread#advanceSpread}: from its 17th input, the mean log ratio over its last 256).
     */
    static double spreadStatistic(InputReference ref, QuerySource src, UnaryOperator<double[]> model, int rows) {
        OodDetector.State s = new OodDetector.State();
        for (int i = 0; i < rows; i++) {
            double[] x = src.next();
            src.observe(x, model.apply(x));
            InputSpread.advanceSpread(ref, s, x);
        }
        return s.spreadLog;
    }

    private static double quantile(List<Double> values, double q) {
        List<Double> c = new ArrayList<>(values);
        Collections.sort(c);
        return c.get((int) Math.min(c.size() - 1, q * c.size()));
    }

    static void run(
            String name,
            UnaryOperator<double[]> model,
            LongFunction<List<QuerySource>> peers,
            LongFunction<Map<String, QuerySource>> keys) {
        int draws = Integer.getInteger("draws", 4);
        double maxHonest = Double.NEGATIVE_INFINITY;
        double minAttack = Double.POSITIVE_INFINITY;
        StringBuilder b = new StringBuilder();
        for (long draw = 1; draw <= draws; draw++) {
            InputReference ref = new InputReference(0, true, draw);
            List<QuerySource> p = peers.apply(draw);
            for (int i = 0; i < 400; i++) {
                for (int k = 0; k < p.size(); k++) {
                    ref.offer(p.get(k).next(), k);
                }
            }
            List<Double> reported = new ArrayList<>();
            for (QuerySource q : p) {
                reported.add(spreadStatistic(ref, q, model, ROWS));
            }
            double median = quantile(reported, 0.5);
            List<Double> deviations = new ArrayList<>();
            for (double v : reported) {
                deviations.add(Math.abs(v - median));
            }
            double sigma = 1.4826 * quantile(deviations, 0.5);
            double threshold = Math.max(SpreadPeers.FLOOR, median + Math.max(0.3, SpreadPeers.WIDTH * sigma));
            b.append(String.format(
                    Locale.ROOT,
                    "  [peers median %.2f sigma %.2f threshold %.2f max %.2f]",
                    median,
                    sigma,
                    threshold,
                    Collections.max(reported)));
            for (var e : keys.apply(draw).entrySet()) {
                double v = spreadStatistic(ref, e.getValue(), model, ROWS);
                boolean honest = e.getKey().startsWith("h-");
                b.append(String.format(Locale.ROOT, " %s=%.2f%s", e.getKey(), v, honest == v > threshold ? "!!" : ""));
                if (honest) {
                    maxHonest = Math.max(maxHonest, v);
                } else {
                    minAttack = Math.min(minAttack, v);
                }
            }
            b.append('\n');
        }
        System.out.printf(Locale.ROOT, "WIDE %-14s max honest %.2f min attack %.2f%n%s", name, maxHonest, minAttack, b);
    }

    private static int[] widths(String property, String byDefault) {
        return Arrays.stream(System.getProperty(property, byDefault).split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
    }

    @Test
    void probe() {
        for (int dims : widths("digits", "64,784,3072")) {
            var w = OneClassCustomerIsNotOutOfDistributionTest.world(dims);
            run(
                    "digits-" + dims,
                    w.model(),
                    d -> {
                        List<QuerySource> p = new ArrayList<>();
                        if (Boolean.getBoolean("oneclasspop")) {
                            for (int k = 0; k < 2 * w.classes(); k++) {
                                p.add(w.oneClass().of(500L * d + k, k % w.classes(), 0.9));
                            }
                        } else {
                            for (int k = 0; k < 12; k++) {
                                p.add(w.honest().apply(100 * d + k));
                            }
                        }
                        return p;
                    },
                    d -> {
                        Map<String, QuerySource> m = new LinkedHashMap<>();
                        m.put("h-peer", w.honest().apply(999 + d));
                        for (int c = 0; c < w.classes(); c++) {
                            m.put("h-one" + c, w.oneClass().of(300L + c + d, c, 0.9));
                        }
                        m.put("random", w.random().apply(7L + d));
                        return m;
                    });
        }
        for (int dims : widths("series", "784,3072")) {
            HonestDomain.Series sd = HonestDomain.series(dims, 1);
            run(
                    "series-" + dims,
                    sd::predict,
                    d -> {
                        List<QuerySource> p = new ArrayList<>();
                        for (int k = 0; k < 12; k++) {
                            p.add(sd.peer(100 * d + k));
                        }
                        return p;
                    },
                    d -> {
                        Map<String, QuerySource> m = new LinkedHashMap<>();
                        for (int k = 0; k < 6; k++) {
                            m.put("h-peer" + k, sd.peer(5000 + 10 * d + k));
                        }
                        return m;
                    });
        }
        for (String spec :
                System.getProperty("unsure", "cells100,mixed100,images").split(",")) {
            Unsure u = spec.startsWith("cells")
                    ? Unsure.cells(1, 0.9, Integer.parseInt(spec.substring(5)))
                    : spec.startsWith("mixed")
                            ? Unsure.mixedRecords(1, 0.8, Integer.parseInt(spec.substring(5)))
                            : Unsure.images(1, 0.7);
            run(
                    u.name(),
                    u::predict,
                    d -> {
                        List<QuerySource> p = new ArrayList<>();
                        for (int k = 0; k < 12; k++) {
                            p.add(u.peer(100 * d + k));
                        }
                        return p;
                    },
                    d -> {
                        Map<String, QuerySource> m = new LinkedHashMap<>();
                        m.put("h-peer", u.peer(900 + d));
                        for (int c = 0; c < Math.min(3, u.classes()); c++) {
                            m.put("h-one" + c, u.mostly(70 + c + d, new int[] {c}, 0.95));
                        }
                        m.put("h-harder", u.harder(9 + d, 2));
                        if (!spec.equals("images")) {
                            m.put("h-shifted", u.shifted(11 + d, 1.0));
                        }
                        m.put("random", u.random(5 + d));
                        m.put("jbda-plain", u.jbda(6 + d, 0.1, Unsure.Step.PLAIN));
                        m.put("jbda-per-feature", u.jbda(6 + d, 0.1, Unsure.Step.PER_FEATURE));
                        m.put("jbda-random-size", u.jbda(6 + d, 0.1, Unsure.Step.RANDOM_SIZE));
                        return m;
                    });
        }
    }
}
