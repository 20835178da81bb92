package dev.moat.detectors;

import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import java.util.Locale;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Probe, not a test (asserts nothing; behind {@code -Dcoarseprobe=true}): customers who round their
 * features to levels ({@link Unsure#coarser}) and thieves whose values sit on levels of their
 * per-feature step ({@link Unsure.Step#PER_FEATURE_ON_LEVELS}, 0.1 and 0.2, one key and a 5-key
 * Sybil), with plain per-feature JbDA's Sybil, added to {@link UnsureModelsProbe#population} under
 * {@link MidWidthSpreadProbe#profile} 7, on {@code -Dmodels=kind:width:top1:seed,...} (kind {@code
 * mixed} or {@code cells}); prints each key but the peers ({@code CPROBE}): first flag, extracting,
 * the detectors that fired, prada's highest score. Session 15 (issue 9, {@code RepeatedMoves#repeats}' level moves).
 */
class CoarseLevelsProbe {
    @Test
    @EnabledIfSystemProperty(named = "coarseprobe", matches = "true")
    void probe() {
        for (String spec : System.getProperty("models", "mixed:48:0.7:1").split(",")) {
            String[] f = spec.split(":");
            int w = Integer.parseInt(f[1]);
            double t = Double.parseDouble(f[2]);
            long seed = Long.parseLong(f[3]);
            Unsure d = f[0].equals("mixed") ? Unsure.mixedRecords(seed, t, w) : Unsure.cells(seed, t, w);
            Scenario s = UnsureModelsProbe.population(MidWidthSpreadProbe.profile(7), d, seed, false, true);
            MidWidthSpreadProbe.kinds(d, seed)
                    .forEach((k, src) ->
                            s.add(k, Scenario.OWN_TENANT, src, 3_000, UnsureModelsProbe.START, () -> 1_000));
            s.add(
                    "honest-coarser-1-5",
                    Scenario.OWN_TENANT,
                    d.coarser(seed * 10 + 76, 1, 5),
                    3_000,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.add(
                    "honest-coarser-0.8-5",
                    Scenario.OWN_TENANT,
                    d.coarser(seed * 10 + 77, 0.8, 5),
                    3_000,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.add(
                    "honest-coarser-0.5-10",
                    Scenario.OWN_TENANT,
                    d.coarser(seed * 10 + 78, 0.5, 10),
                    3_000,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.add(
                    "honest-coarser-0.3-4",
                    Scenario.OWN_TENANT,
                    d.coarser(seed * 10 + 79, 0.3, 4),
                    3_000,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.add(
                    "pf-levels",
                    null,
                    d.jbda(seed * 10 + 71, 0.1, Unsure.Step.PER_FEATURE_ON_LEVELS),
                    600,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.add(
                    "pf-levels-0.2",
                    null,
                    d.jbda(seed * 10 + 72, 0.2, Unsure.Step.PER_FEATURE_ON_LEVELS),
                    600,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.add(
                    "pf-0.2",
                    null,
                    d.jbda(seed * 10 + 73, 0.2, Unsure.Step.PER_FEATURE),
                    600,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.add(
                    null,
                    Scenario.OWN_TENANT,
                    dev.moat.fixtures.traffic.SybilSplit.of(
                            d.jbda(seed * 10 + 74, 0.1, Unsure.Step.PER_FEATURE_ON_LEVELS), "lv", 5),
                    2_500,
                    UnsureModelsProbe.START + 100,
                    () -> 200);
            s.add(
                    null,
                    Scenario.OWN_TENANT,
                    dev.moat.fixtures.traffic.SybilSplit.of(
                            d.jbda(seed * 10 + 75, 0.1, Unsure.Step.PER_FEATURE), "pf", 5),
                    2_500,
                    UnsureModelsProbe.START + 100,
                    () -> 200);
            s.run();
            String label = f[0] + "-" + w + "@" + t + "/s" + seed;
            new TreeMap<>(s.maxRisk).forEach((k, r) -> {
                if (!k.startsWith("honest-peer") || s.suspiciousAt.get(k) != null) {
                    System.out.printf(
                            Locale.ROOT,
                            "CPROBE %-18s %-22s flag %-6s extr %-6s %s | max prada %.2f%n",
                            label,
                            k,
                            s.suspiciousAt.get(k),
                            s.extractingAt.get(k),
                            WideRandomStepTest.firing(s, k),
                            s.maxScores.get(k).getOrDefault("prada", 0.0));
                }
            });
        }
    }
}
