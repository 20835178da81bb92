package dev.moat.detectors;

import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.SybilSplit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Probe, not a test (asserts nothing; behind {@code -Dunsureprobe=true}): the survey of issue 9 on
 * models that are not confident ({@link Unsure}), through the engine with every detector
 * ({@link NarrowAndWideAdaptiveAttackersTest#ALL}). Per model ({@code -Dmodels=clinical,wine,images},
 * median top-1 {@code -Dtop1=0.75,0.8,0.7} in that order, {@code -Dseed=1}): twelve ordinary peers
 * (tenant good, 1,500 rows, one every 2 s), a 10x and a 50x heavy key, a bursty key (batches of
 * 2,000 rows 10 ms apart, an hour's silence between), customers sending mostly one to three classes,
 * a clinic with harder cases (twice the peers' share of answers with a margin under 0.2), each a
 * tenant of its own; from minute 10 the attackers, one row a second: random in the box, JbDA plain,
 * per-feature and random-size, line search, Knockoff-like natural data of another population, and
 * a 5-key Sybil (random-size JbDA, a tenant per key, one row every 0.2 s over the keys). Then a
 * small deployment: three honest keys and the random, JbDA and Knockoff attackers. Prints a line
 * per key ({@code UNSURE}): rows to first flag, to EXTRACTING, and the detectors then scoring.
 * With {@code -Dunsurestats=true} prints each model's median top-1, share of margins under 0.2
 * and accuracy over a sweep of temperatures.
 */
class UnsureModelsProbe {

    static final long START = 600_000;

    /**
     * The examples' policy, or with {@code -Dcasemix=K} the same with {@code ood}'s {@code case_mix: K},
     * or with {@code -Dspreadmax=N} with {@code spread_max_width: N}.
     */
    static final dev.moat.detectors.engine.DetectorProfile PROFILE = System.getProperty("spreadmax") != null
            ? InputSpreadWidthTest.all(Integer.getInteger("spreadmax"))
            : System.getProperty("casemix") == null
                    ? NarrowAndWideAdaptiveAttackersTest.ALL
                    : dev.moat.detectors.engine.DetectorProfile.fromConfig(Map.of(
                            "prada", Map.of("delta", 0.9, "step_sample_seed", 7L),
                            "volume", Map.of(),
                            "boundary", Map.of(),
                            "ood", Map.of("case_mix", Double.parseDouble(System.getProperty("casemix"))),
                            "coverage", Map.of(),
                            "tenant", Map.of("prada", Map.of("step_sample_seed", 7L)),
                            "cross_key", Map.of("sample_seed", 7L)));

    static Unsure model(String name, long seed, double top1) {
        if (name.startsWith("mixed")) {
            return Unsure.mixedRecords(seed, top1, Integer.parseInt(name.substring("mixed".length())));
        }
        if (name.startsWith("cells")) {
            return Unsure.cells(seed, top1, Integer.parseInt(name.substring("cells".length())));
        }
        return switch (name) {
            case "clinical" -> Unsure.clinical(seed, top1);
            case "wine" -> Unsure.wine(seed, top1);
            case "images" -> Unsure.images(seed, top1);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static int[][] mostly(Unsure d) {
        return switch (d.classes()) {
            case 2 -> new int[][] {{0}, {1}};
            case 3 -> new int[][] {{0, 1}, {1, 2}};
            default -> new int[][] {{0, 1, 2}, {3, 4}};
        };
    }

    /** The honest population (without the twelve peers) on d. */
    static Map<String, QuerySource> customers(Unsure d, long seed) {
        Map<String, QuerySource> w = new LinkedHashMap<>();
        for (int[] cls : mostly(d)) {
            w.put(
                    "mostly-" + java.util.Arrays.toString(cls).replaceAll("[\\[\\] ]", ""),
                    d.mostly(seed * 10 + cls[0], cls, 0.95));
        }
        w.put("harder-cases", d.harder(seed * 10 + 7, 2));
        w.put("harder-cases-1.5", d.harder(seed * 10 + 8, 1.5));
        return w;
    }

    static Map<String, QuerySource> attacks(Unsure d, long seed) {
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("random", d.random(seed * 10 + 1));
        a.put("jbda-plain", d.jbda(seed * 10 + 2, 0.1, Unsure.Step.PLAIN));
        a.put("jbda-per-feature", d.jbda(seed * 10 + 3, 0.1, Unsure.Step.PER_FEATURE));
        a.put("jbda-random-size", d.jbda(seed * 10 + 4, 0.1, Unsure.Step.RANDOM_SIZE));
        a.put("line-search", d.lineSearch(seed * 10 + 5));
        a.put("line-search-1-1", LineSearch.interleaved(d.lineSearch(seed * 10 + 9), d.peer(seed * 10 + 9), 1, 1));
        return a;
    }

    static Scenario population(Unsure d, long seed, boolean wide) {
        return population(d, seed, wide, !Boolean.getBoolean("noattacks"));
    }

    /** The honest population on d, with the attackers or without ({@code -Dnoattacks=true} in the survey). */
    static Scenario population(Unsure d, long seed, boolean wide, boolean attackers) {
        return population(d, seed, wide, attackers, PROFILE);
    }

    /** The same under another policy (another {@code input_seed}, say). */
    static Scenario population(
            dev.moat.detectors.engine.DetectorProfile profile, Unsure d, long seed, boolean wide, boolean attackers) {
        return population(d, seed, wide, attackers, profile);
    }

    /** As {@link #population(Unsure, long, boolean, boolean)} under {@code profile} (a calibrated one, say). */
    static Scenario population(
            Unsure d, long seed, boolean wide, boolean attackers, dev.moat.detectors.engine.DetectorProfile profile) {
        Scenario s = new Scenario(profile, d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("honest-peer-" + k, "good", d.peer(seed * 100 + k), 1_500, k * 700L, () -> 2_000);
        }
        s.add("honest-heavy10", Scenario.OWN_TENANT, d.peer(seed * 100 + 20), wide ? 6_000 : 9_000, 100, () -> 200);
        s.add("honest-heavy50", Scenario.OWN_TENANT, d.peer(seed * 100 + 21), wide ? 15_000 : 30_000, 200, () -> 40);
        long[] n = {0};
        s.add(
                "honest-bursty",
                Scenario.OWN_TENANT,
                d.peer(seed * 100 + 22),
                6_000,
                300,
                () -> ++n[0] % 2_000 == 0 ? 3_600_000 : 10);
        customers(d, seed)
                .forEach((k, src) -> s.add("honest-" + k, Scenario.OWN_TENANT, src, 3_000, START, () -> 1_000));
        if (!attackers) {
            return s;
        }
        attacks(d, seed).forEach((k, src) -> s.add(k, null, src, k.endsWith("-1-1") ? 2_100 : 600, START, () -> 1_000));
        s.add("knockoff", null, d.knockoff(seed * 10 + 6), 2_000, START, () -> 1_000);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(d.jbda(seed * 10 + 8, 0.1, Unsure.Step.RANDOM_SIZE), "sy", 5),
                2_500,
                START + 100,
                () -> 200);
        return s;
    }

    static Scenario small(Unsure d, long seed) {
        Scenario s = new Scenario(PROFILE, d::predict);
        for (int k = 0; k < 3; k++) {
            s.add("honest-small-" + k, "small", d.peer(seed * 100 + 50 + k), 1_500, k * 700L, () -> 2_000);
        }
        s.add("random", null, d.random(seed * 10 + 11), 600, START, () -> 1_000);
        s.add("jbda-random-size", null, d.jbda(seed * 10 + 12, 0.1, Unsure.Step.RANDOM_SIZE), 600, START, () -> 1_000);
        s.add("knockoff", null, d.knockoff(seed * 10 + 13), 2_000, START, () -> 1_000);
        return s;
    }

    static void print(String what, Scenario s) {
        s.maxRisk.keySet().stream()
                .sorted()
                .forEach(k -> System.out.printf(
                        Locale.ROOT,
                        "UNSURE %-22s %-22s first flag %-6s extracting %-6s max risk %.2f (%s) max %s%n",
                        what,
                        k,
                        s.suspiciousAt.get(k),
                        s.extractingAt.get(k),
                        s.maxRisk.get(k),
                        WideRandomStepTest.firing(s, k),
                        s.maxScores.get(k)));
        s.firstFlag.forEach((k, v) -> v.scores().forEach((d, sc) -> {
            if (sc.score() > 0.3) {
                System.out.printf("UNSURE %-22s %-22s first flag %s: %s%n", what, k, d, sc.reason());
            }
        }));
    }

    @Test
    @EnabledIfSystemProperty(named = "unsureprobe", matches = "true")
    void survey() {
        String[] models = System.getProperty("models", "clinical,wine,images").split(",");
        String[] top1 = System.getProperty("top1", "0.75,0.8,0.7").split(",");
        long seed = Long.getLong("seed", 1);
        for (int i = 0; i < models.length; i++) {
            Unsure d = model(models[i], seed, Double.parseDouble(top1[Math.min(i, top1.length - 1)]));
            double[] st = d.stats(seed + 5, d.dims() > 100 ? 400 : 3_000);
            String what = String.format(Locale.ROOT, "%s@%.2f/s%d", d.name(), d.stats(seed + 5, 200)[0], seed);
            System.out.printf(
                    Locale.ROOT,
                    "UNSURE %s: median top-1 %.3f, margin<0.2 %.3f, accuracy %.3f%n",
                    what,
                    st[0],
                    st[1],
                    st[2]);
            if (!Boolean.getBoolean("smallonly")) {
                Scenario s = population(d, seed, d.dims() > 100).run();
                print(what, s);
                System.out.printf(
                        "UNSURE %s tenants: %s %s%n", what, s.tenantFirstFlag.keySet(), s.tenantMaxScores.get("good"));
            }
            Scenario s = small(d, seed).run();
            print(what + "-small", s);
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "unsurestats", matches = "true")
    void stats() {
        for (String m : System.getProperty("models", "clinical,wine,images").split(",")) {
            for (double t : new double[] {0.6, 0.7, 0.8, 0.9}) {
                Unsure d = model(m, 1, t);
                double[] s = d.stats(5, d.dims() > 100 ? 400 : 3_000);
                System.out.printf(
                        Locale.ROOT,
                        "STATS %-12s target %.2f: median top-1 %.3f, margin<0.2 %.3f, accuracy %.3f, T %.4g, harder x2 %.3f%n",
                        d.name(),
                        t,
                        s[0],
                        s[1],
                        s[2],
                        d.temperature(),
                        d.lowMarginShare(d.harder(9, 2), 1000));
            }
        }
    }
}
