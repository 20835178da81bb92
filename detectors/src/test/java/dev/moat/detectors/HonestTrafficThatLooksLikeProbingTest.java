package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.HonestProbes;
import dev.moat.detectors.support.Scenario;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Honest workloads whose shape resembles probing (issue 9), through the engine with every detector
 * (the examples' policy, {@link NarrowAndWideAdaptiveAttackersTest#ALL}) next to twelve ordinary
 * peers of the same model, on models that are not the fixtures' digits ({@link HonestDomain}):
 * what-if analysis (tens of variants of a record, one or two features moved), partial-dependence
 * sweeps (one feature over a grid with the rest fixed), sliding windows of a time series,
 * test-time augmentation, re-scoring (duplicates in a batch; the same rows every day), sparse
 * bag-of-words counts, one-hot plus integer tabular rows, and data at the feature bounds.
 * Each workload is its own customer (a tenant of its own), 3,000 rows at one a second from minute
 * 10. Seeded; nothing timed.
 */
class HonestTrafficThatLooksLikeProbingTest {

    /**
     * The examples' policy, or with {@code -Doodinputnear=X} the same with {@code ood}'s input gate at
     * {@code input_near: X} ({@link OodInputGateTest#all}), to survey the gate.
     */
    static final dev.moat.detectors.engine.DetectorProfile PROFILE = System.getProperty("oodinputnear") != null
            ? OodInputGateTest.all(Double.parseDouble(System.getProperty("oodinputnear")))
            : NarrowAndWideAdaptiveAttackersTest.ALL;

    static final long START = 600_000;
    static final int ROWS = 3_000;

    /** Twelve ordinary keys of the domain, 1,500 rows each, one every {@code gapMillis}. */
    static Scenario peers(HonestDomain d, long seed, long gapMillis) {
        Scenario s = new Scenario(PROFILE, d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("peer-" + k, "good", d.peer(seed * 100 + k), 1_500, k * 700L, () -> gapMillis);
        }
        return s;
    }

    static Map<String, QuerySource> common(HonestDomain d, long seed) {
        Map<String, QuerySource> w = new LinkedHashMap<>();
        w.put("what-if", HonestProbes.whatIf(d, seed * 10 + 1, 30));
        w.put("partial-dependence-25", HonestProbes.partialDependence(d, seed * 10 + 2, 25));
        w.put("partial-dependence-50", HonestProbes.partialDependence(d, seed * 10 + 3, 50));
        w.put("augmentation-6", HonestProbes.augmentation(d, seed * 10 + 4, 6));
        w.put("saturated", HonestProbes.saturated(d, seed * 10 + 5));
        return w;
    }

    static Scenario run(HonestDomain d, long seed, Map<String, QuerySource> workloads) {
        Scenario s = peers(d, seed, 2_000);
        workloads.forEach((name, src) -> s.add(name, Scenario.OWN_TENANT, src, ROWS, START, () -> 1_000));
        s.add(
                "duplicates-in-a-batch",
                Scenario.OWN_TENANT,
                HonestProbes.duplicatesInABatch(d, seed * 10 + 6, ROWS),
                START,
                5);
        s.run();
        report(d.name(), seed, s);
        System.out.printf(
                "honest-probing %-14s seed %d tenant good: max scores %s; first flag %s%n",
                d.name(), seed, s.tenantMaxScores.get("good"), s.tenantFirstFlag.get("good"));
        return s;
    }

    static void report(String what, long seed, Scenario s) {
        s.maxRisk.keySet().stream().sorted().forEach(k -> {
            Map<String, Double> sc = s.maxScores.get(k);
            String top = sc == null
                    ? "-"
                    : sc.entrySet().stream()
                            .filter(e -> e.getValue() > 0)
                            .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                            .limit(3)
                            .map(e -> String.format(Locale.ROOT, "%s=%.2f", e.getKey(), e.getValue()))
                            .reduce((a, b) -> a + " " + b)
                            .orElse("-");
            System.out.printf(
                    Locale.ROOT,
                    "honest-probing %-14s seed %d %-24s max risk %.2f %-10s first flag %-5s (%s) max scores %s%n",
                    what,
                    seed,
                    k,
                    s.maxRisk.get(k),
                    s.extractingAt.containsKey(k) ? "EXTRACTING" : s.suspiciousAt.containsKey(k) ? "SUSPICIOUS" : "ok",
                    s.suspiciousAt.get(k),
                    WideRandomStepTest.firing(s, k),
                    top);
        });
    }

    /**
     * The survey (issue 9's table in detectors/README.md, "Honest traffic that looks like probing"):
     * every workload on every model, seeds 1-3 at 13 inputs and seed 1 wide. Reports, asserts
     * nothing but the run; about 2.5 minutes on 2 loaded cores, so behind {@code -Dhonestprobes=true}.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    @EnabledIfSystemProperty(named = "honestprobes", matches = "true")
    void surveyAtThirteenInputs(long seed) {
        HonestDomain tab = HonestDomain.tabular(seed);
        run(tab, seed, common(tab, seed));
        HonestDomain mixed = HonestDomain.mixed(seed);
        run(mixed, seed, common(mixed, seed));
        HonestDomain.Series series = HonestDomain.series(13, seed);
        Map<String, QuerySource> w = common(series, seed);
        w.put("sliding-windows", HonestProbes.slidingWindows(series, seed * 10 + 7));
        run(series, seed, w);
    }

    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    @EnabledIfSystemProperty(named = "honestprobes", matches = "true")
    void surveyAtWideInputs(int dims) {
        long seed = 1;
        HonestDomain img = HonestDomain.smooth(dims, seed);
        Map<String, QuerySource> w = common(img, seed);
        w.put("brightness-sweep-25", HonestProbes.brightnessSweep(img, seed * 10 + 8, 25));
        run(img, seed, w);
        HonestDomain.Series series = HonestDomain.series(dims, seed);
        Map<String, QuerySource> ws = common(series, seed);
        ws.put("sliding-windows", HonestProbes.slidingWindows(series, seed * 10 + 7));
        run(series, seed, ws);
        if (dims == 3072) {
            HonestDomain bow = HonestDomain.sparse(dims, seed);
            Map<String, QuerySource> wb = common(bow, seed);
            wb.put("short-documents", HonestProbes.shortDocuments(bow, seed * 10 + 9));
            wb.put("fresh-documents", HonestProbes.fresh(bow, seed * 10 + 11));
            run(bow, seed, wb);
        }
    }

    /** Daily re-scoring: the same 600 rows every day for five days, peers over the five days. */
    static Scenario daily(int dims, long seed) {
        HonestDomain d = dims == 13 ? HonestDomain.tabular(seed) : HonestDomain.smooth(dims, seed);
        Scenario s = peers(d, seed, 288_000);
        List<double[]> rows = HonestProbes.dailyRescoring(d, seed * 10 + 10, 600, 5);
        int[] i = {0};
        s.add(
                "daily-rescoring",
                Scenario.OWN_TENANT,
                HonestDomain.source("daily", () -> rows.get(i[0]++)),
                rows.size(),
                START,
                () -> i[0] % 600 == 0 ? 86_400_000L - 600_000 : 1_000);
        s.run();
        report(d.name(), seed, s);
        return s;
    }

    /**
     * Re-scoring and duplicates in a batch on the 13-feature tabular model stay ok (seed 1; seeds 2-3
     * in the survey too), as does re-sending the same 600 rows every day for five days at 13 and 3,072
     * inputs. Test-time augmentation and saturated records stayed ok here too until {@code ood}'s
     * spread test (2026-11-29), which flags them: {@link
     * #augmentedAndSaturatedTabularRecordsLeaveTheDataAsRandomRowsDo}.
     */
    @Test
    void rescoringAndDuplicatesStayOk() {
        HonestDomain tab = HonestDomain.tabular(1);
        Scenario s = run(tab, 1, new LinkedHashMap<>());
        assertThat(s.suspiciousAt).as(s.report()).doesNotContainKey("duplicates-in-a-batch");
        assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(k -> k.startsWith("peer-"));
        for (int dims : new int[] {13, 3072}) {
            Scenario d = daily(dims, 1);
            assertThat(d.suspiciousAt).as("%d\n%s", dims, d.report()).isEmpty();
        }
    }

    /**
     * The price of {@code ood}'s spread test, pinned (fails when it changes): on the 13-feature tabular
     * model, whose records are generated from a few latent factors (so natural records barely vary
     * along most directions), test-time augmentation (each record then 5 variants: 1% noise, a
     * brightness scaling of up to 10%, or both) and saturated records (stretched 3x about each
     * feature's mid-range and clipped) leave those directions as random rows do, and the spread test
     * flags both at 430 rows (measured by {@code ood/InputSpreadProbe}: augmentation 2.5x the trusted
     * keys' spread, saturated records about 70x, against 2.1-2.3x for random rows in the box of the
     * clinical model and at most 1.2x for its honest keys). No rule on the inputs alone can let them
     * through and stop equation solving with random rows on a model that is confident far from its
     * data, which nothing at 13 inputs caught before. An operator whose customers send such rows gives
     * them a route whose policy sets {@code spread_max_width: 0}.
     */
    @Test
    void augmentedAndSaturatedTabularRecordsLeaveTheDataAsRandomRowsDo() {
        HonestDomain tab = HonestDomain.tabular(1);
        Map<String, QuerySource> w = new LinkedHashMap<>();
        w.put("augmentation-6", HonestProbes.augmentation(tab, 14, 6));
        w.put("saturated", HonestProbes.saturated(tab, 15));
        Scenario s = run(tab, 1, w);
        for (String k : List.of("augmentation-6", "saturated")) {
            assertThat(s.firstFlag.get(k)).as("%s\n%s", k, s.report()).isNotNull();
            assertThat(s.firstFlag.get(k).scores().get("ood").reason()).as(k).contains("inputs spread like no peer's");
        }
        assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(k -> k.startsWith("peer-"));
    }

    /**
     * Customers whose data sit at their own levels: twelve ordinary keys of the 13-input time-series
     * model, each sending windows of its own sensor's series (level 50 +- 10), so each key's answers
     * sit at their own confidence level. Before, {@code ood} flagged 6-8 of the 12 (EXTRACTING at
     * 200-1,010 rows, seeds 1-3: the least confident against a reference made of the others, and
     * each key flagged left the reference to fewer, more alike keys). Now its thresholds widen with
     * how much the trusted peers differ from each other (their D- against their own references;
     * {@code OodDetector}, "peers who differ"): none leaves ok. About 4 s a seed.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void seriesCustomersAtTheirOwnLevelsStayOk(long seed) {
        Scenario s = peers(HonestDomain.series(13, seed), seed, 2_000);
        s.run();
        report("series-13", seed, s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        s.maxScores.forEach((k, sc) -> assertThat(sc.getOrDefault("ood", 0.0))
                .as("%s\n%s", k, s.report())
                .isLessThan(0.5));
    }

    /**
     * Count data are no sign steps (the fix; {@code prada/CountDataSignStepsTest}): ordinary keys
     * sending documents over a 3,072-word vocabulary, and what-if, partial-dependence and duplicate
     * workloads on them, take no sign steps in PRADA, its tenant pooling or {@code cross_key}.
     * Before, every ordinary key was EXTRACTING within 3-14 rows (tenant prada: 16-36 of 200 queries
     * were steps, two documents differing by one count in 8-10 of the 128 sampled words), and the
     * what-if, partial-dependence (25, 50) and duplicate keys at 184-679 rows (cross_key, prada).
     */
    @Test
    void bagOfWordsCountsAreNoSignSteps() {
        HonestDomain bow = HonestDomain.sparse(3072, 1);
        Map<String, QuerySource> w = new LinkedHashMap<>();
        w.put("what-if", HonestProbes.whatIf(bow, 11, 30));
        w.put("partial-dependence-25", HonestProbes.partialDependence(bow, 12, 25));
        Scenario s = run(bow, 1, w);
        for (String k : s.maxScores.keySet()) {
            Map<String, Double> sc = s.maxScores.get(k);
            assertThat(sc.getOrDefault("prada", 0.0))
                    .as("%s\n%s", k, s.report())
                    .isLessThanOrEqualTo(0.45);
            assertThat(sc.getOrDefault("cross_key", 0.0))
                    .as("%s\n%s", k, s.report())
                    .isLessThan(0.5);
        }
        assertThat(s.tenantMaxScores.get("good").get("prada")).isLessThanOrEqualTo(0.45);
    }

    /**
     * Customers of a document classifier who send new documents (never re-sent) open a new cell of
     * {@code coverage}'s 12 sign projections with almost every document, as random queries do: on
     * this model novelty carries no evidence. Twelve such readers (a tenant each) from the start,
     * and from minute 20 (the readers' reference has formed) a team of five keys in one tenant doing
     * the same: before, every reader was
     * flagged by its own {@code coverage} at 500 rows (novelty about 1 against the absolute 0.6-0.9)
     * and the team by the tenant's pooled {@code coverage} at 300 pooled rows. Now coverage scores a
     * key (and a tenant's pool) against the trusted peers' novelty ({@code CoverageDetector}): none
     * leaves ok. The peers must have been trusted over two windows (432 rows) before they count,
     * so a random attacker is not among them (see {@code coverageSybilRaisingThePeersBypass}).
     */
    @Test
    void bagOfWordsPeersStayOkUnderPooledCoverage() {
        HonestDomain bow = HonestDomain.sparse(3072, 1);
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, bow::predict);
        for (int k = 0; k < 12; k++) {
            s.add("reader-" + k, Scenario.OWN_TENANT, HonestProbes.fresh(bow, 200 + k), 1_500, k * 700L, () -> 2_000);
        }
        for (int k = 0; k < 5; k++) {
            s.add("team-" + k, "team", HonestProbes.fresh(bow, 300 + k), 600, 2 * START + k * 700L, () -> 2_000);
        }
        s.run();
        report(bow.name(), 1, s);
        System.out.printf(
                "honest-probing bow readers tenant team: max scores %s; first flag %s%n",
                s.tenantMaxScores.get("team"), s.tenantFirstFlag.get("team"));
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        s.maxScores.forEach((k, sc) -> assertThat(sc.getOrDefault("coverage", 0.0))
                .as("%s\n%s", k, s.report())
                .isLessThan(0.25));
        assertThat(s.tenantMaxScores.get("team").getOrDefault("coverage", 0.0))
                .as(s.report())
                .isLessThan(0.25);
    }

    /**
     * Smooth displacements are no sign steps (issue 9; {@code prada/Smoothness}): twelve ordinary
     * keys of the {@code series} model at 784 and 3,072 inputs, each sending windows at random places
     * of its own sensor series, take too few sign steps for PRADA's tenant pooling, {@code tenant} or
     * {@code cross_key} to score 0.5. Before, every peer was EXTRACTING within 1-125 rows (tenant
     * prada: the difference of two windows of a smooth series has the crest factor of random-size
     * steps; at 3,072 {@code cross_key} too). 400 rows a peer.
     */
    @Test
    void smoothSeriesWindowsAreNoSignSteps() {
        for (int dims : new int[] {784, 3072}) {
            HonestDomain.Series series = HonestDomain.series(dims, 1);
            Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, series::predict);
            for (int k = 0; k < 12; k++) {
                s.add("peer-" + k, "good", series.peer(100 + k), 400, k * 700L, () -> 2_000);
            }
            s.run();
            report(series.name(), 1, s);
            assertThat(s.tenantMaxScores.get("good").getOrDefault("prada", 0.0))
                    .as("%d\n%s", dims, s.report())
                    .isLessThan(0.5);
            for (String k : s.maxScores.keySet()) {
                assertThat(s.maxScores.get(k).getOrDefault("cross_key", 0.0))
                        .as("%d %s\n%s", dims, k, s.report())
                        .isLessThan(0.5);
                assertThat(s.maxScores.get(k).getOrDefault("tenant", 0.0))
                        .as("%d %s\n%s", dims, k, s.report())
                        .isLessThan(0.5);
            }
        }
    }

    /**
     * A partial-dependence sweep is a line search (Tramer et al.'s, to the edges of the feature
     * box): one feature over its whole range, the rest fixed, so the answers at the far end of the
     * grid are unlike any peer's and {@code ood} flags the key within 100-120 rows, as it flags the
     * line-search attacker (NarrowAndWideAdaptiveAttackersTest, 100 rows at 13 inputs). Pinned, not
     * weakened: a per-query rule that let this through would let the attack through. What an
     * operator does for an analysts' tool is give it a route of its own whose policy's escalation
     * stops at perturbing or watermarking (no {@code block}); detectors/README.md, "Honest traffic
     * that looks like probing". Since the runs of session 16 ({@code internal.Runs}) an exact repeat
     * of the previous query with a near answer counts once: the 50-value sweep's feature (seed 13)
     * has fewer levels than its grid, so most of its queries repeat the one before (checked below),
     * and it is no longer flagged in 1,500 rows (it was within 300); what it sends that is new is
     * what a sweep of its levels sends. A sweep that moves one feature (one coordinate of 13) is no
     * run: the 25-value sweep is flagged at 120 as before.
     */
    @Test
    void partialDependenceSweepIsALineSearchAndIsFlagged() {
        HonestDomain mixed = HonestDomain.mixed(1);
        Map<String, QuerySource> w = new LinkedHashMap<>();
        w.put("partial-dependence-25", HonestProbes.partialDependence(mixed, 12, 25));
        w.put("partial-dependence-50", HonestProbes.partialDependence(mixed, 13, 50));
        Scenario s = run(mixed, 1, w);
        assertThat(s.suspiciousAt.get("partial-dependence-25"))
                .as(s.report())
                .isNotNull()
                .isLessThanOrEqualTo(300L);
        assertThat(s.firstFlag.get("partial-dependence-25").scores().get("ood").score())
                .isGreaterThanOrEqualTo(0.5);
        QuerySource fifty = HonestProbes.partialDependence(mixed, 13, 50);
        int repeats = 0;
        double[] last = null;
        for (int q = 0; q < 1_000; q++) {
            double[] x = fifty.next();
            repeats += java.util.Arrays.equals(x, last) ? 1 : 0;
            last = x;
        }
        assertThat(repeats)
                .as("exact repeats of the previous query in the 50-value sweep")
                .isGreaterThan(500);
        assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(k -> k.startsWith("peer-"));
    }

    /**
     * Pinned, not fixed (issue 9, series3): {@code ood} flags ordinary {@code series-3072} keys, and on
     * this model no confidence threshold parts them from a line search. A 3,072-wide window's level
     * (50 +- 10 per sensor) moves the linear model's logits so far that each key's answers sit in a
     * narrow band of confidence of their own, and the bands of keys at other levels do not overlap:
     * of 24 peers (seeds 100-123) several have D+ 1.00 against the trusted peers' class mixture
     * (every answer less confident than every reference answer), beyond the widened 0.36-0.60; a
     * line search between the thief's own windows, mixed 1:3 with natural windows, reaches D+ 0.98
     * (measured 2026-11-29, {@code OodSpreadProbe#attackersAmongWideSeriesPeers}: peers 0, 4, 5, 12,
     * 20 at 1.00, peer-9 0.55, the others 0.00-0.25; 14 of 24 flagged in that run). The widening
     * cannot reach them (a key at D+ 1.0 is past any threshold a line search is under), and the
     * input gate ({@code input_near}, off by default for its own price: {@code OodInputGateTest}) is
     * what clears them. Fails when {@code ood} stops flagging such a peer, or when the line search's
     * D+ at its first flag exceeds every flagged peer's (then a threshold between them would exist).
     * 600 rows a key; about 40 s.
     */
    @Test
    void wideSeriesPeersFlaggedByOodAreAsUnconfidentAsALineSearch() {
        HonestDomain.Series d = HonestDomain.series(3072, 1);
        Scenario s = new Scenario(PROFILE, d::predict);
        for (int k = 0; k < 24; k++) {
            s.add("peer-" + k, "good", d.peer(100 + k), 600, k * 700L, () -> 2_000);
        }
        java.util.Random r = new UnsharedRandom(7);
        List<double[]> own = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            own.add(d.record(r));
        }
        s.add(
                "line-search-1-3",
                null,
                dev.moat.detectors.support.LineSearch.interleaved(
                        new dev.moat.detectors.support.LineSearch(own, 3, 0.05), d.peer(1_002), 1, 3),
                800,
                600_000,
                () -> 1_000);
        s.run();
        report(d.name(), 1, s);
        java.util.regex.Pattern dPlus = java.util.regex.Pattern.compile("D\\+=([0-9.]+)");
        java.util.function.Function<String, Double> firstFlagDPlus = k -> {
            var v = s.firstFlag.get(k);
            var sc = v == null ? null : v.scores().get("ood");
            if (sc == null || sc.score() < 0.5) {
                return null;
            }
            var m = dPlus.matcher(sc.reason());
            return m.find() ? Double.parseDouble(m.group(1)) : null;
        };
        List<Double> peers = s.firstFlag.keySet().stream()
                .filter(k -> k.startsWith("peer-"))
                .map(firstFlagDPlus)
                .filter(java.util.Objects::nonNull)
                .toList();
        Double lineSearch = firstFlagDPlus.apply("line-search-1-3");
        System.out.printf(
                Locale.ROOT, "series-3072 peers flagged by ood at D+ %s; line search 1:3 at %s%n", peers, lineSearch);
        assertThat(peers).as(s.report()).isNotEmpty();
        assertThat(lineSearch).as(s.report()).isNotNull();
        assertThat(peers.stream().mapToDouble(Double::doubleValue).max().orElse(0))
                .as(s.report())
                .isGreaterThanOrEqualTo(lineSearch);
    }
}
