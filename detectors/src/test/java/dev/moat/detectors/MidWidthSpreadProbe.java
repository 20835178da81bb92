package dev.moat.detectors;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Probe, not a test (asserts nothing; behind {@code -Dmidwidthprobe=true}): the spread test at 17-63
 * inputs across draws of its 16 coordinates ({@code input_seed}), for {@link MidWidthSpreadTest}.
 * {@code -Dwidths=17,24,30,48,63 -Dtop1=0.7,0.8,0.9 -Dseeds=1,2 -Dinputseeds=1,...,8
 * -Dmodel=cells|mixed}: per run, {@link UnsureModelsProbe#population} (honest population and its
 * attackers) under {@link #profile}; prints one line per run ({@code MIDW}): the honest keys flagged
 * (with the row and {@code ood}'s reason) and the rows at which each attacker was first flagged.
 */
class MidWidthSpreadProbe {

    /**
     * Every detector as the examples configure them, with the spread test's coordinates drawn by {@code
     * inputSeed}; {@code -Dmidwidth.spreadmax=16} sets {@code spread_max_width} (16: as before the
     * default reached 63, to see what the tests owe to it).
     */
    static DetectorProfile profile(long inputSeed) {
        String max = System.getProperty("midwidth.spreadmax");
        Map<String, Object> ood = max == null
                ? Map.of("input_seed", inputSeed)
                : Map.of("input_seed", inputSeed, "spread_max_width", Integer.parseInt(max));
        return DetectorProfile.fromConfig(dev.moat.detectors.support.Policies.every(ood));
    }

    static Unsure model(String kind, long seed, double top1, int width) {
        if (kind.startsWith("cells-")) {
            // cells-D: feature ranges over D decades (cells-1: one scale for cross_key, not mixed)
            return Unsure.cells(seed, top1, width, Double.parseDouble(kind.substring(6)));
        }
        return kind.equals("mixed") ? Unsure.mixedRecords(seed, top1, width) : Unsure.cells(seed, top1, width);
    }

    /** The honest keys of {@code s} flagged, each with its first flag's row and ood reason. */
    static List<String> honestFlagged(Scenario s) {
        List<String> out = new ArrayList<>();
        new TreeMap<>(s.suspiciousAt).forEach((k, at) -> {
            if (k.startsWith("honest")) {
                var v = s.firstFlag.get(k);
                var ood = v == null ? null : v.scores().get("ood");
                out.add(k + "@" + at + " " + WideRandomStepTest.firing(s, k) + " (" + (ood == null ? "" : ood.reason())
                        + ")");
            }
        });
        return out;
    }

    static final java.util.regex.Pattern RATIO =
            java.util.regex.Pattern.compile("spread like no peer's: ([0-9.]+)x .*past the peers' ([0-9.]+)x");

    /**
     * The honest key whose last verdict's spread ratio lies nearest the peers' threshold, as {@code
     * key ratio/threshold}; only where {@code ood}'s reason names the ratio (it does when the spread
     * scores, or in a build whose reason always names it, for this survey).
     */
    static String nearestHonest(Scenario s) {
        String best = "-";
        double worst = 0;
        for (var e : new TreeMap<>(s.last).entrySet()) {
            var ood = e.getValue().scores().get("ood");
            if (!e.getKey().startsWith("honest") || ood == null) {
                continue;
            }
            var m = RATIO.matcher(ood.reason());
            if (m.find()) {
                double r = Double.parseDouble(m.group(1));
                double t = Double.parseDouble(m.group(2));
                if (r / t > worst) {
                    worst = r / t;
                    best = String.format(Locale.ROOT, "%s %.2f/%.2f", e.getKey(), r, t);
                }
            }
        }
        return best;
    }

    static String attackers(Scenario s) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(s.maxRisk).forEach((k, r) -> {
            if (!k.startsWith("honest")) {
                b.append(k).append('@').append(s.suspiciousAt.get(k)).append(' ');
            }
        });
        return b.toString();
    }

    private static long[] longs(String p, String dflt) {
        String[] a = System.getProperty(p, dflt).split(",");
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Long.parseLong(a[i].trim());
        }
        return out;
    }

    /** One run of a sweep: a model of {@code kind} at {@code width}, its data seed and median top-1, and a coordinate draw. */
    record Run(String kind, long width, String top1, long seed, long inputSeed, Unsure model) {
        String label() {
            return String.format(Locale.ROOT, "%s w=%d top1=%s s=%d in=%d", kind, width, top1, seed, inputSeed);
        }
    }

    /**
     * Every run of {@code -Dmodel -Dwidths -Dtop1 -Dseeds -Dinputseeds} (each defaulting as given),
     * one model per width, median top-1 and data seed.
     */
    static void forEachRun(
            String widthsByDefault,
            String top1ByDefault,
            String seedsByDefault,
            String inputSeedsByDefault,
            java.util.function.Consumer<Run> body) {
        String kind = System.getProperty("model", "cells");
        long[] widths = longs("widths", widthsByDefault);
        String[] top1 = System.getProperty("top1", top1ByDefault).split(",");
        long[] seeds = longs("seeds", seedsByDefault);
        long[] inputSeeds = longs("inputseeds", inputSeedsByDefault);
        for (long w : widths) {
            for (String t : top1) {
                for (long seed : seeds) {
                    Unsure d = model(kind, seed, Double.parseDouble(t), (int) w);
                    for (long in : inputSeeds) {
                        body.accept(new Run(kind, w, t, seed, in, d));
                    }
                }
            }
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "midwidthprobe", matches = "true")
    void sweep() {
        int[] counts = new int[2];
        forEachRun("17,24,30,48,63", "0.7,0.8,0.9", "1,2", "1,2,3,4,5,6,7,8", run -> {
            Scenario s = UnsureModelsProbe.population(profile(run.inputSeed()), run.model(), run.seed(), false, true)
                    .run();
            List<String> hf = honestFlagged(s);
            counts[0]++;
            counts[1] += hf.size();
            System.out.printf(
                    Locale.ROOT,
                    "MIDW %s honest flagged %d %s nearest %s | %s%n",
                    run.label(),
                    hf.size(),
                    hf,
                    nearestHonest(s),
                    attackers(s));
        });
        System.out.printf(
                Locale.ROOT,
                "MIDW %s total: %d runs, %d honest keys flagged%n",
                System.getProperty("model", "cells"),
                counts[0],
                counts[1]);
    }

    /** Random values on a fixed share of the coordinates (drawn by the seed), the rest copied from the thief's natural rows. */
    static QuerySource partlyRandom(Unsure d, long seed, double share) {
        Random r = new UnsharedRandom(seed);
        boolean[] random = new boolean[d.dims()];
        for (int j = 0; j < random.length; j++) {
            random[j] = r.nextDouble() < share;
        }
        QuerySource natural = d.peer(seed + 1);
        return Unsure.source("partly-random-" + share, () -> {
            double[] x = natural.next();
            for (int j = 0; j < x.length; j++) {
                if (random[j]) {
                    x[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * r.nextDouble();
                }
            }
            return x;
        });
    }

    /**
     * Random values on {@code k} coordinates of each row, drawn afresh per row, the rest copied from
     * the thief's natural rows: a thief who does not know which 16 coordinates are read spreads its
     * random coordinates over all of them.
     */
    static QuerySource randomPerRow(Unsure d, long seed, int k) {
        Random r = new UnsharedRandom(seed);
        QuerySource natural = d.peer(seed + 1);
        return Unsure.source("random-" + k + "-per-row", () -> {
            double[] x = natural.next();
            for (int i = 0; i < k; i++) {
                int j = r.nextInt(x.length);
                x[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * r.nextDouble();
            }
            return x;
        });
    }

    /** The adaptive attackers of the brief, keyed by name (one key each but the Sybil's eight). */
    static Map<String, QuerySource> adaptive(Unsure d, long seed) {
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("random", d.random(seed * 10 + 1));
        a.put("dilute-1-1", LineSearch.interleaved(d.random(seed * 10 + 2), d.peer(seed * 10 + 3), 1, 1));
        a.put("dilute-1-3", LineSearch.interleaved(d.random(seed * 10 + 4), d.peer(seed * 10 + 5), 1, 3));
        a.put("gaussian", InputSpreadBypassTest.gaussian(d, seed * 10 + 6));
        a.put("marginals", InputSpreadBypassTest.marginals(d, seed * 10 + 7));
        a.put("snapped-random", InputSpreadBypassTest.snappedRandom(d, seed * 10 + 8));
        a.put("dilute-1-7", LineSearch.interleaved(d.random(seed * 10 + 5), d.peer(seed * 10 + 6), 1, 7));
        a.put("jbda-per-feature", d.jbda(seed * 10 + 3, 0.1, Unsure.Step.PER_FEATURE));
        a.put("line-search-1-1", LineSearch.interleaved(d.lineSearch(seed * 10 + 9), d.peer(seed * 10 + 9), 1, 1));
        for (double f : new double[] {0.1, 0.15, 0.25, 0.5, 0.75}) {
            a.put("partly-random-" + f, partlyRandom(d, seed * 10 + 9 + (long) (f * 100), f));
        }
        for (int k : new int[] {2, 4, 8}) {
            a.put("random-" + k + "-per-row", randomPerRow(d, seed * 10 + 40 + k, k));
        }
        for (int k = 0; k < 8; k++) {
            a.put("box30-" + k, InputSpreadBypassTest.subBox(d, seed * 100 + 50 + k, 0.3));
        }
        return a;
    }

    /** The honest population (without its attackers) and {@code attackers}, each from minute 10, one row a second. */
    static Scenario withAttackers(
            DetectorProfile p, Unsure d, long seed, Map<String, QuerySource> attackers, long rows) {
        Scenario s = UnsureModelsProbe.population(p, d, seed, false, false);
        int i = 0;
        for (Map.Entry<String, QuerySource> e : attackers.entrySet()) {
            s.add(e.getKey(), null, e.getValue(), rows, UnsureModelsProbe.START + 100L * i++, () -> 1_000);
        }
        return s;
    }

    @Test
    @EnabledIfSystemProperty(named = "midwidthattacks", matches = "true")
    void attacks() {
        long rows = Long.getLong("rows", 1_200);
        forEachRun("20,30,48,63", "0.9", "1", "7", run -> {
            Unsure d = run.model();
            long seed = run.seed();
            Scenario s = withAttackers(profile(run.inputSeed()), d, seed, adaptive(d, seed), rows)
                    .run();
            String what = run.label();
            System.out.printf(Locale.ROOT, "MIDA %s honest flagged %s%n", what, honestFlagged(s));
            new TreeMap<>(s.maxRisk).forEach((k, r) -> {
                if (!k.startsWith("honest")) {
                    System.out.printf(
                            Locale.ROOT,
                            "MIDA %s %-20s first flag %-6s max risk %.2f (%s) max %s%n",
                            what,
                            k,
                            s.suspiciousAt.get(k),
                            r,
                            WideRandomStepTest.firing(s, k),
                            s.maxScores.get(k));
                    var v = s.firstFlag.get(k);
                    if (v != null) {
                        v.scores().forEach((det, sc) -> {
                            if (sc.score() > 0.3) {
                                System.out.printf(Locale.ROOT, "MIDA %s %-20s first flag %s%n", what, k, sc.reason());
                            }
                        });
                    }
                }
            });
        });
    }

    /**
     * The JbDA family at 48-63 inputs and what a thief who read {@code cross_key}'s repeated move
     * sends instead (issue 9, 2026-11-29): per-feature steps of one size per query, with 10% jitter per
     * feature, unclipped (every coordinate moves), on 48 coordinates drawn per query, dense and sparse
     * steps mixed 1:1, and 5-key Sybils of the plain and per-feature JbDA, each key in a tenant of its own.
     */
    static Map<String, QuerySource> jbdaFamily(Unsure d, long seed) {
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("pf-row-size", d.jbda(seed * 10 + 61, 0.1, Unsure.Step.PER_FEATURE_ROW_SIZE));
        a.put("pf-jitter", d.jbda(seed * 10 + 62, 0.1, Unsure.Step.PER_FEATURE_JITTER));
        a.put("pf-unclipped", d.jbda(seed * 10 + 63, 0.1, Unsure.Step.PER_FEATURE_UNCLIPPED));
        a.put("pf-48", d.jbda(seed * 10 + 64, 0.1, Unsure.Step.PER_FEATURE_48));
        a.put(
                "pf-dense-sparse",
                LineSearch.interleaved(
                        d.jbda(seed * 10 + 65, 0.1, Unsure.Step.PER_FEATURE_UNCLIPPED),
                        d.jbda(seed * 10 + 66, 0.1, Unsure.Step.PER_FEATURE),
                        1,
                        1));
        return a;
    }

    /** The population with its attackers, {@link #jbdaFamily} (600 rows a key) and the 5-key Sybils of plain and per-feature JbDA (2,500 rows each). */
    static Scenario withJbdaFamily(DetectorProfile p, Unsure d, long seed) {
        Scenario s = UnsureModelsProbe.population(p, d, seed, false, true);
        jbdaFamily(d, seed).forEach((k, src) -> s.add(k, null, src, 600, UnsureModelsProbe.START, () -> 1_000));
        s.add(
                null,
                Scenario.OWN_TENANT,
                dev.moat.fixtures.traffic.SybilSplit.of(d.jbda(seed * 10 + 67, 0.1, Unsure.Step.PER_FEATURE), "pf", 5),
                2_500,
                UnsureModelsProbe.START + 100,
                () -> 200);
        s.add(
                null,
                Scenario.OWN_TENANT,
                dev.moat.fixtures.traffic.SybilSplit.of(d.jbda(seed * 10 + 68, 0.1, Unsure.Step.PLAIN), "pl", 5),
                2_500,
                UnsureModelsProbe.START + 100,
                () -> 200);
        return s;
    }

    @Test
    @EnabledIfSystemProperty(named = "midwidthjbda", matches = "true")
    void jbda() {
        forEachRun("48,63", "0.9", "1", "7", run -> {
            Scenario s = withJbdaFamily(profile(run.inputSeed()), run.model(), run.seed())
                    .run();
            System.out.printf(
                    Locale.ROOT, "MIDJ %s honest flagged %s | %s%n", run.label(), honestFlagged(s), attackers(s));
            new TreeMap<>(s.maxRisk).forEach((k, r) -> {
                if (!k.startsWith("honest")) {
                    System.out.printf(
                            Locale.ROOT,
                            "MIDJ   %-18s %-6s %s cross_key max %.2f%n",
                            k,
                            s.suspiciousAt.get(k),
                            WideRandomStepTest.firing(s, k),
                            s.maxScores.get(k).getOrDefault("cross_key", 0.0));
                }
            });
            StringBuilder b = new StringBuilder();
            new TreeMap<>(s.maxScores).forEach((k, m) -> {
                if (k.startsWith("honest") && m.getOrDefault("cross_key", 0.0) > 0) {
                    b.append(k).append('=').append(m.get("cross_key")).append(' ');
                }
            });
            System.out.printf(Locale.ROOT, "MIDJ   honest cross_key>0: %s%n", b);
        });
    }

    /** Honest kinds not in the population: customers of a shifted population and customers who round coarser. */
    static Map<String, QuerySource> kinds(Unsure d, long seed) {
        Map<String, QuerySource> k = new LinkedHashMap<>();
        k.put("honest-shifted-1", d.shifted(seed * 10 + 1, 1));
        k.put("honest-shifted-2", d.shifted(seed * 10 + 2, 2));
        k.put("honest-coarser-0.3-10", d.coarser(seed * 10 + 3, 0.3, 10));
        k.put("honest-coarser-0.5-5", d.coarser(seed * 10 + 4, 0.5, 5));
        k.put("honest-coarser-1-20", d.coarser(seed * 10 + 5, 1, 20));
        return k;
    }

    @Test
    @EnabledIfSystemProperty(named = "midwidthkinds", matches = "true")
    void kinds() {
        forEachRun("20,30,48,63", "0.9", "1", "7", run -> {
            Scenario s = UnsureModelsProbe.population(profile(run.inputSeed()), run.model(), run.seed(), false, true);
            kinds(run.model(), run.seed())
                    .forEach((k, src) ->
                            s.add(k, Scenario.OWN_TENANT, src, 3_000, UnsureModelsProbe.START, () -> 1_000));
            s.run();
            System.out.printf(
                    Locale.ROOT, "MIDK %s honest flagged %s | %s%n", run.label(), honestFlagged(s), attackers(s));
        });
    }

    /**
     * Traces the keys named by {@code -Dtrace=k1,k2} (ood's reason every {@code -Devery=50}th sample)
     * in one run: {@code -Dmodel -Dwidths -Dtop1 -Dseeds -Dinputseeds} (the first of each).
     */
    @Test
    @EnabledIfSystemProperty(named = "midwidthtrace", matches = "true")
    void trace() {
        String kind = System.getProperty("model", "mixed");
        int w = (int) longs("widths", "60")[0];
        double t = Double.parseDouble(System.getProperty("top1", "0.7").split(",")[0]);
        long seed = longs("seeds", "1")[0];
        long in = longs("inputseeds", "1")[0];
        List<String> traced =
                List.of(System.getProperty("trace", "honest-heavy50").split(","));
        int every = Integer.getInteger("every", 50);
        Unsure d = model(kind, seed, t, w);
        Scenario s = UnsureModelsProbe.population(profile(in), d, seed, false, true)
                .syncEvery(Integer.getInteger("sync", 2_000));
        Map<String, Integer> n = new java.util.HashMap<>();
        s.onSample = (k, v) -> {
            if (traced.contains(k)
                    && n.merge(k, 1, Integer::sum) % every == 0
                    && v.scores().get("ood") != null) {
                System.out.printf(
                        Locale.ROOT,
                        "TRACE %s %d %s%n",
                        k,
                        v.queries(),
                        v.scores().get("ood").reason());
            }
        };
        s.run();
        System.out.printf(Locale.ROOT, "TRACE flagged %s%n", honestFlagged(s));
    }
}
