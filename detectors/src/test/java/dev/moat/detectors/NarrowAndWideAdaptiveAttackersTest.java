package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Tabular;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.SybilSplit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 at the edges of the acceptance widths, 13 inputs ({@link Tabular}: 3 classes, per-feature
 * scales 0.1-1,000) and 3,072 ({@link Wide}), through the engine with every detector (the examples'
 * policy: PRADA with delta 0.9, volume, boundary, ood, coverage, tenant, cross_key), twelve honest
 * peers for an hour, attackers who have read the README one query a second from minute 10:
 * Tramer's equation solving (uniform points in the feature box, full probability vectors), JbDA
 * with plain per-feature and random per-coordinate step sizes, Tramer's line search (bisection
 * between two of the attacker's rows of different classes until the top-2 margin is below 0.05),
 * plain and with natural rows interleaved 1:1 and 1:3 (attack:natural), JbDA Sybils over 5 keys in
 * 5 tenants. Bounds: 500 rows to EXTRACTING for plain attacks, 2,000 for adaptive ones; no honest
 * key leaves ok. Where a bound does not hold the test is named {@code ...Bypass} and pins today's
 * behaviour (detectors/README.md, "What each detector cannot see").
 */
class NarrowAndWideAdaptiveAttackersTest {

    /** The examples' policy; with {@code -Doodinputnear=X}, {@code ood}'s input gate on ({@link OodInputGateTest#all}). */
    static final DetectorProfile ALL =
            OodInputGateTest.all(Double.parseDouble(System.getProperty("oodinputnear", "0")));

    static final long START = 600_000;

    /** Measured 2026-11-28: every attacker at 100 rows except line-search-1-3 (760) and JbDA after 300 natural rows (1,580). */
    @Test
    void attackersAtThirteenInputs() {
        Tabular t = new Tabular(13);
        Scenario s = honest(new Scenario(ALL, t::predict), t, 1_300);
        Map<String, QuerySource> plain = new LinkedHashMap<>();
        plain.put("equation-solving", t.random(41));
        plain.put("jbda-per-feature", t.jbda(42, 0.1, Tabular.Step.PER_FEATURE));
        plain.put("jbda-random-size", t.jbda(43, 0.1, Tabular.Step.RANDOM_SIZE));
        plain.put("line-search", new LineSearch(t.attackerRows(44, 300), 44, 0.05));
        Map<String, QuerySource> adaptive = new LinkedHashMap<>();
        adaptive.put(
                "line-search-1-1",
                LineSearch.interleaved(new LineSearch(t.attackerRows(45, 300), 45, 0.05), t.honest(145), 1, 1));
        adaptive.put(
                "line-search-1-3",
                LineSearch.interleaved(new LineSearch(t.attackerRows(46, 300), 46, 0.05), t.honest(146), 1, 3));
        adaptive.put(
                "jbda-random-size-1-1",
                LineSearch.interleaved(t.jbda(48, 0.1, Tabular.Step.RANDOM_SIZE), t.honest(148), 1, 1));
        adaptive.put(
                "jbda-random-size-after-300",
                LineSearch.after(t.honest(149), 300, t.jbda(49, 0.1, Tabular.Step.RANDOM_SIZE)));
        assertBounds("13 inputs", run(s, plain, adaptive), plain, adaptive);
    }

    /** Measured 2026-11-28: every attacker at 100-190 rows, JbDA after 300 natural rows and mixed 1:1 at 930. */
    @Test
    void attackersAtThreeThousandInputs() {
        Wide w = new Wide(3072);
        Scenario s = new Scenario(ALL, w::predict);
        for (int k = 0; k < 12; k++) {
            QuerySource h = k % 2 == 0 ? w.honest(1_500 + k) : w.honestNoisy(1_500 + k);
            s.add("honest-" + k, "good", h, 1_000, k * 700L, () -> 2_000);
        }
        Map<String, QuerySource> plain = new LinkedHashMap<>();
        plain.put("equation-solving", w.random(51));
        plain.put("jbda-per-feature", w.jbda(52, 0.1, Wide.Step.PER_FEATURE, 1, 0));
        plain.put("jbda-random-size", w.jbda(53, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0));
        plain.put("line-search", new LineSearch(w.attackerRows(), 54, 0.05));
        Map<String, QuerySource> adaptive = new LinkedHashMap<>();
        adaptive.put(
                "line-search-1-1",
                LineSearch.interleaved(new LineSearch(w.attackerRows(), 55, 0.05), w.honestNoisy(155), 1, 1));
        adaptive.put(
                "line-search-1-3",
                LineSearch.interleaved(new LineSearch(w.attackerRows(), 56, 0.05), w.honestNoisy(156), 1, 3));
        adaptive.put(
                "jbda-random-size-after-300-1-1",
                LineSearch.after(
                        w.honestNoisy(157),
                        300,
                        LineSearch.interleaved(
                                w.jbda(57, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), w.honestNoisy(158), 1, 1)));
        assertBounds("3,072 inputs", run(s, plain, adaptive), plain, adaptive);
    }

    /**
     * The attacker who has read that at 13 inputs PRADA's sign-step test cannot run (fewer than 48
     * moved coordinates), that W alone is capped under suspicious and that {@code ood} compares a
     * window of 500 confidences: JbDA after 300 natural rows, with natural rows mixed in. On a model
     * that is confident far from its data (a softmax over distances, like any linear model) the JbDA
     * rows' confidences are those of natural rows, so {@code ood} and {@code boundary} see nothing,
     * and the steps stay in a few corners of the box, so {@code coverage} sees no new cells.
     * Measured 2026-11-28: per-feature and random-size steps mixed 1:1 and per-feature mixed 1:3 are
     * never flagged in 2,500 rows (highest risk 0.11: W 0.89, capped); unmixed it is flagged at 1,580
     * (ood, on the later rounds). Since cross_key's repeated-move test on narrow inputs (2026-11-29;
     * it takes the key's own rows as parents there) the per-feature steps are flagged by it: unmixed
     * at 642 rows, mixed 1:1 at 1,242 (EXTRACTING 1,442); random-size steps mixed 1:1 (no move
     * repeats) and per-feature mixed 1:3 (a step in 4 rows: too few in the window) were not, until
     * {@code ood}'s spread test (2026-11-29: the steps leave the directions natural records barely
     * vary on): all four are flagged by it, at 460 (unmixed), 550-630 (mixed 1:1) and 1,150 (per-feature
     * mixed 1:3) rows in the run that changed this test (was {@code
     * jbdaAfterANaturalWarmUpAtThirteenInputsBypass}).
     */
    @Test
    void jbdaAfterANaturalWarmUpAtThirteenInputsIsSeenByItsSpread() {
        Tabular t = new Tabular(13);
        Scenario s = honest(new Scenario(ALL, t::predict), t, 1_300);
        Map<String, QuerySource> attacks = new LinkedHashMap<>();
        attacks.put(
                "per-feature-after-300-1-1",
                LineSearch.after(
                        t.honest(150),
                        300,
                        LineSearch.interleaved(t.jbda(50, 0.1, Tabular.Step.PER_FEATURE), t.honest(151), 1, 1)));
        attacks.put(
                "random-size-after-300-1-1",
                LineSearch.after(
                        t.honest(152),
                        300,
                        LineSearch.interleaved(t.jbda(52, 0.1, Tabular.Step.RANDOM_SIZE), t.honest(153), 1, 1)));
        attacks.put(
                "per-feature-after-300-1-3",
                LineSearch.after(
                        t.honest(155),
                        300,
                        LineSearch.interleaved(t.jbda(55, 0.1, Tabular.Step.PER_FEATURE), t.honest(156), 1, 3)));
        attacks.put(
                "per-feature-after-300",
                LineSearch.after(t.honest(154), 300, t.jbda(54, 0.1, Tabular.Step.PER_FEATURE)));
        attacks.forEach((name, a) -> s.add(name, null, a, 2_500, START, () -> 1_000));
        run(s, Map.of(), Map.of());
        attacks.keySet()
                .forEach(a -> System.out.printf(
                        "  %-32s first flag %s (%s), highest risk %.2f%n",
                        a, s.suspiciousAt.get(a), WideRandomStepTest.firing(s, a), s.maxRisk.get(a)));
        assertThat(s.suspiciousAt.keySet()).as("flagged\n%s", s.report()).containsAll(attacks.keySet());
        for (String a : attacks.keySet()) {
            assertThat(s.extractingAt.get(a))
                    .as("%s\n%s", a, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(2_000L);
        }
        for (String a : List.of("random-size-after-300-1-1", "per-feature-after-300-1-3")) {
            assertThat(s.firstFlag.get(a).scores().get("ood").reason())
                    .as("%s\n%s", a, s.report())
                    .contains("inputs spread like no peer's");
        }
        assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(k -> k.startsWith("honest"));
    }

    /**
     * The attacker who has read that {@code ood} judges the effect size D+ of a window of 500 (score
     * from D+ 0.12) and {@code boundary} the share of margins under 0.2: natural rows mixed in 1:3
     * divide D+ by four, and a line search that stops at margin 0.3 sends nothing under 0.2. Measured
     * 2026-11-28 at 13 inputs, 2,100 rows each: the line search stopped at margin 0.3 mixed 1:3 and
     * Tramer's equation solving after 300 natural rows mixed 1:3 are never flagged (highest risk
     * 0.28 and 0.49: ood's D+ 0.12-0.13, at d_low; in another population, 0.07); the margin-0.3 line
     * search after 300 natural rows mixed 1:1 is flagged at 720 (EXTRACTING at 770).
     * (Equation solving on a 13-input logistic model needs about (13 + 1) x 3 = 42 answers, under
     * ood's 100-query minimum, whatever it mixes in.) Since {@code ood}'s spread test (2026-11-29)
     * the equation solving after 300 natural rows mixed 1:3 is flagged too (at 470 rows, EXTRACTING
     * 480: its random rows spread along every axis); the line search mixed 1:3 stays near natural
     * rows and is still not extracting: since session 18 ({@code internal.Runs#resend}: its end points,
     * natural records drawn again from the thief's 300, count once while in the window) it is
     * suspicious at 1,524 rows ({@code ood} D+ 0.16, score 0.53), never extracting in 2,100.
     */
    @Test
    void dilutedAttacksAtThirteenInputsBypass() {
        Tabular t = new Tabular(13);
        Scenario s = honest(new Scenario(ALL, t::predict), t, 1_300);
        Map<String, QuerySource> attacks = new LinkedHashMap<>();
        attacks.put(
                "line-search-margin-0.3-1-3",
                LineSearch.interleaved(new LineSearch(t.attackerRows(64, 300), 64, 0.3), t.honest(164), 1, 3));
        attacks.put(
                "line-search-margin-0.3-after-300-1-1",
                LineSearch.after(
                        t.honest(165),
                        300,
                        LineSearch.interleaved(new LineSearch(t.attackerRows(66, 300), 66, 0.3), t.honest(166), 1, 1)));
        attacks.put(
                "equation-solving-after-300-1-3",
                LineSearch.after(t.honest(167), 300, LineSearch.interleaved(t.random(67), t.honest(168), 1, 3)));
        run(s, Map.of(), attacks);
        // session 18 (internal.Runs#resend): the 1:3 line search's end points, drawn again from the thief's 300
        // records, count once in the answer windows; it is suspicious at about 1,500 rows, never extracting
        assertThat(s.extractingAt.keySet())
                .as("flagged\n%s", s.report())
                .containsExactlyInAnyOrder("line-search-margin-0.3-after-300-1-1", "equation-solving-after-300-1-3");
        for (String a : List.of("line-search-margin-0.3-after-300-1-1", "equation-solving-after-300-1-3")) {
            assertThat(s.extractingAt.get(a)).as(s.report()).isNotNull().isLessThanOrEqualTo(2_000L);
        }
    }

    /**
     * JbDA with random per-feature sizes at 3,072 inputs after 300 natural rows, diluted with natural
     * rows, 2,100 rows each (issue 9; was {@code dilutedAttacksAtThreeThousandInputsBypass}, never
     * flagged): PRADA compares a query that is no step from its nearest member of G_c with the
     * nearest of the key's last 1,024 rows by the sampled coordinates, with moves scaled per
     * coordinate, and sums the steps over the key's life (a CUSUM). Measured 2026-11-28, all by
     * {@code prada}: mixed 1:3 EXTRACTING at 793 rows, eps 0.03 mixed 1:1 at 557, mixed 1:7 at 1,501;
     * the 12 honest keys' highest risk 0.00. {@code one-outlier-row-then-random-size-1-3}: one row of
     * 1,000,000 in every coordinate after the warm-up set every per-coordinate scale for good and the
     * attack was never flagged; now the scales come from the recent rows within 8 times their median
     * norm, EXTRACTING at 790.
     */
    @Test
    void dilutedRandomSizeJbdaAtThreeThousandInputs() {
        Wide w = new Wide(3072);
        Scenario s = wideHonest(w);
        Map<String, QuerySource> attacks = new LinkedHashMap<>();
        attacks.put(
                "random-size-after-300-1-3", diluted(w, w.jbda(60, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 160, 3));
        attacks.put(
                "small-eps-after-300-1-1", diluted(w, w.jbda(67, 0.03, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 167, 1));
        attacks.put(
                "random-size-after-300-1-7", diluted(w, w.jbda(61, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 170, 7));
        attacks.put(
                "one-outlier-row-then-random-size-1-3",
                LineSearch.after(
                        w.honestNoisy(179),
                        300,
                        withOutlierRowFirst(LineSearch.interleaved(
                                w.jbda(63, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), w.honestNoisy(1_179), 1, 3))));
        run(s, Map.of(), attacks);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        for (String a : attacks.keySet()) {
            assertThat(s.extractingAt.get(a))
                    .as("%s\n%s", a, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(2_000L);
        }
    }

    /**
     * What still gets through at 3,072 inputs, 2,100 rows each (measured 2026-11-28), from an attacker
     * who read how PRADA sees the diluted JbDA above (detectors/README.md, "What each detector cannot
     * see"). Never flagged: the line search stopped at margin 0.3 mixed 1:3 (boundary counts margins
     * under 0.2; its steps are no sign steps); JbDA with half-normal per-feature sizes ({@code eps *
     * range_j * |z|}) mixed 1:3 (scaled per coordinate its moves are Gaussian magnitudes, which the
     * flat shape's crest limit lets through as noise); JbDA stepping only from its own points at
     * least 300 of them old (mixed 1:3: about 1,200 rows, older than the 1,024 recent rows) mixed 1:3
     * (its parents are neither in G_c nor in the ring); random per-feature sizes mixed 1:20 (about 5
     * steps in 200 rows, under the CUSUM's break-even rate of 1.7 %, at 21 times the rows). JbDA with
     * lognormal per-feature sizes mixed 1:3 is only suspicious (ood, D+ 0.17) at 1,600 rows, never
     * extracting. Pinned: fails when one of them starts to be flagged.
     */
    @Test
    void dilutedAttacksAtThreeThousandInputsBypass() {
        Wide w = new Wide(3072);
        Scenario s = wideHonest(w);
        Map<String, QuerySource> attacks = new LinkedHashMap<>();
        attacks.put(
                "line-search-margin-0.3-1-3",
                LineSearch.interleaved(new LineSearch(w.attackerRows(), 64, 0.3), w.honestNoisy(164), 1, 3));
        attacks.put(
                "half-normal-per-feature-after-300-1-3",
                diluted(w, w.jbda(66, 0.1, Wide.Step.HALF_NORMAL_PER_FEATURE, 1, 0), 175, 3));
        attacks.put(
                "lognormal-per-feature-after-300-1-3",
                diluted(w, w.jbda(68, 0.1, Wide.Step.LOGNORMAL_PER_FEATURE, 1, 0), 176, 3));
        attacks.put(
                "parents-older-than-the-ring-after-300-1-3",
                diluted(w, w.jbdaOldParents(69, 0.1, Wide.Step.RANDOM_PER_FEATURE, 300), 177, 3));
        attacks.put(
                "random-size-after-300-1-20", diluted(w, w.jbda(62, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 171, 20));
        run(s, Map.of(), attacks);
        assertThat(s.suspiciousAt.keySet())
                .as("flagged\n%s", s.report())
                .containsExactly("lognormal-per-feature-after-300-1-3");
        assertThat(s.suspiciousAt.get("lognormal-per-feature-after-300-1-3"))
                .as(s.report())
                .isGreaterThan(1_000L);
        assertThat(s.extractingAt).as(s.report()).isEmpty();
    }

    /**
     * The same traffic twice gets the same verdicts, reason for reason: the scenarios fix the
     * detectors' secret seeds ({@link Scenario#SEED}). With seeds drawn per run, the line search
     * pinned above was flagged by {@code ood} at 181 rows in one run of 30 (the answers its runs
     * leave out of the window are chosen by sampled coordinates).
     */
    @Test
    void theSameTrafficGetsTheSameVerdictsRunAfterRun() {
        String[] reports = new String[2];
        for (int run = 0; run < 2; run++) {
            Wide w = new Wide(3072);
            Scenario s = wideHonest(w).oneWorker();
            s.add(
                    "line-search",
                    null,
                    LineSearch.interleaved(new LineSearch(w.attackerRows(), 64, 0.3), w.honestNoisy(164), 1, 3),
                    600,
                    START,
                    () -> 1_000);
            s.add(
                    "jbda",
                    null,
                    diluted(w, w.jbda(60, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 160, 3),
                    600,
                    START,
                    () -> 1_000);
            reports[run] = s.run().report();
        }
        assertThat(reports[1]).isEqualTo(reports[0]);
    }

    /** 12 honest keys at the width of w (digits, half with sensor noise per wide pixel), 1,000 rows each. */
    private static Scenario wideHonest(Wide w) {
        Scenario s = new Scenario(ALL, w::predict);
        for (int k = 0; k < 12; k++) {
            QuerySource h = k % 2 == 0 ? w.honest(1_500 + k) : w.honestNoisy(1_500 + k);
            s.add("honest-" + k, "good", h, 1_000, k * 700L, () -> 2_000);
        }
        return s;
    }

    /** src after one row of 1,000,000 in every coordinate (which src does not see). */
    private static QuerySource withOutlierRowFirst(QuerySource src) {
        return new QuerySource() {
            private boolean sent;

            @Override
            public double[] next() {
                if (!sent) {
                    sent = true;
                    double[] x = new double[3072];
                    java.util.Arrays.fill(x, 1_000_000);
                    return x;
                }
                return src.next();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                if (x[0] != 1_000_000) {
                    src.observe(x, answer);
                }
            }

            @Override
            public String name() {
                return src.name() + "-outlier-row-first";
            }
        };
    }

    /** attack after 300 natural rows (with sensor noise), then mixed 1:b with natural rows. */
    private static QuerySource diluted(Wide w, QuerySource attack, long seed, int b) {
        return LineSearch.after(
                w.honestNoisy(seed), 300, LineSearch.interleaved(attack, w.honestNoisy(seed + 1_000), 1, b));
    }

    /**
     * JbDA split over 5 keys, each in a tenant of its own (no tenant pooling), random-size and
     * per-feature steps, 2,500 rows each, one every 0.2 s over the keys (one a second per key). Each
     * key only sees every fifth row. Before (the bypass this test was, 2026-11-28) only {@code ood}
     * saw it, per key: the first key of each Sybil EXTRACTING at 100 of its rows, the others at
     * 330-420 (1,650-2,100 of the attack's), one random-size key never: {@code cross_key} measured
     * moves in raw units, where the 1,000-scale features decide which stored row is nearest (the
     * parent was among the 3 nearest other-key rows for 12% of the children) and no shape of one
     * 13-coordinate displacement tells a sign step from noise. Now (narrow inputs in units of each
     * feature's spread, and the repeated-move test: a row's moves from its 8 nearest candidates
     * against the key's last 4 searched rows') every per-feature key is EXTRACTING within 200 of its
     * rows with cross_key at 0.5 or more (measured 2026-11-29: 26-151). The random-size Sybil is
     * what is left ({@link #randomSizeAndJitteredJbdaSybilsAtThirteenInputsBypass}).
     */
    @Test
    void jbdaSybilOverFiveTenantsAtThirteenInputs() {
        Tabular t = new Tabular(13);
        // one worker: with two, which rows the cross-key store holds when a row is searched depends on
        // how the workers interleave, and one key's cross_key stayed at 0.45 in one full build of many
        Scenario s = honest(new Scenario(ALL, t::predict).oneWorker(), t, 1_400);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(t.jbda(47, 0.1, Tabular.Step.RANDOM_SIZE), "rs", 5),
                2_500,
                START,
                () -> 200);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(t.jbda(48, 0.1, Tabular.Step.PER_FEATURE), "pf", 5),
                2_500,
                START + 100,
                () -> 200);
        s.run();
        System.out.printf(
                "13 inputs, Sybils over 5 tenants: extracting at %s (own rows); max honest risk %.2f (%s)%n",
                new TreeMap<>(s.extractingAt), s.maxHonestRisk(), s.worstHonest());
        sybilFlags(s, List.of("pf", "rs"), 5);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertNoHonestCrossKey(s);
        for (int i = 0; i < 5; i++) {
            String key = "pf-sybil-" + i;
            assertThat(s.extractingAt.get(key)).as(s.report()).isNotNull().isLessThanOrEqualTo(200L);
            assertThat(s.maxScores.get(key).getOrDefault("cross_key", 0.0))
                    .as("%s: cross_key\n%s", key, s.report())
                    .isGreaterThanOrEqualTo(0.5);
        }
    }

    /**
     * The attacker who read the repeated-move test's README: the per-feature Sybil over 20 keys in 20
     * tenants (125 rows a key), and over 5 keys with natural rows mixed 1:1 (each key's history then
     * holds natural rows between its children). Both still repeat a move a key saw before: measured
     * 2026-11-29, every key of the 20 EXTRACTING at 6-100 of its 125 rows (mostly cross_key), every
     * key of the mixed one suspicious at 151-401 of its 500 (cross_key 0.5-0.8; EXTRACTING for 2 of
     * 5: half its rows are natural, so the share of steps halves). Asserted: suspicious within 125
     * and 500 rows.
     */
    @Test
    void jbdaSybilOverManyTenantsOrMixedWithNaturalRowsAtThirteenInputs() {
        Tabular t = new Tabular(13);
        Scenario s = honest(new Scenario(ALL, t::predict), t, 1_400);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(t.jbda(49, 0.1, Tabular.Step.PER_FEATURE), "twenty", 20),
                2_500,
                START,
                () -> 200);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(
                        LineSearch.interleaved(t.jbda(50, 0.1, Tabular.Step.PER_FEATURE), t.honest(150), 1, 1),
                        "mixed",
                        5),
                2_500,
                START + 100,
                () -> 200);
        s.run();
        System.out.printf(
                "13 inputs, per-feature Sybils over 20 tenants / mixed 1:1: extracting at %s (own rows); max honest risk %.2f (%s)%n",
                new TreeMap<>(s.extractingAt), s.maxHonestRisk(), s.worstHonest());
        sybilFlags(s, List.of("twenty"), 20);
        sybilFlags(s, List.of("mixed"), 5);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertNoHonestCrossKey(s);
        for (int i = 0; i < 20; i++) {
            assertThat(s.suspiciousAt.get("twenty-sybil-" + i))
                    .as(s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(125L);
        }
        for (int i = 0; i < 5; i++) {
            assertThat(s.suspiciousAt.get("mixed-sybil-" + i))
                    .as(s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(500L);
        }
    }

    /**
     * What the repeated-move test leaves: steps whose size in each coordinate is drawn afresh, either
     * {@code eps * range_j * U(0, 2)} or per-feature steps with 10% noise on each size ({@code U(0.9,
     * 1.1)}), move no coordinate by the same amount twice, and 13 coordinates give no shape of one
     * displacement that noise does not have: cross_key stays at 0 on every key of both. {@code ood}'s
     * confidence test flagged most keys (random-size first key 100, the others 370-420, one never:
     * this test was {@code randomSizeAndJitteredJbdaSybilsAtThirteenInputsBypass}); since its spread
     * test (2026-11-29) every key of both is EXTRACTING at 100-430 rows, each by its own inputs' spread.
     */
    @Test
    void randomSizeAndJitteredJbdaSybilsAtThirteenInputsAreSeenByTheirSpread() {
        Tabular t = new Tabular(13);
        Scenario s = honest(new Scenario(ALL, t::predict), t, 1_400);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(t.jbda(47, 0.1, Tabular.Step.RANDOM_SIZE), "rs", 5),
                2_500,
                START,
                () -> 200);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(t.jbda(48, 0.1, Tabular.Step.JITTERED), "jit", 5),
                2_500,
                START + 100,
                () -> 200);
        s.run();
        System.out.printf(
                "13 inputs, random-size / jittered Sybils over 5 tenants: extracting at %s (own rows); max honest risk %.2f (%s)%n",
                new TreeMap<>(s.extractingAt), s.maxHonestRisk(), s.worstHonest());
        sybilFlags(s, List.of("rs", "jit"), 5);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        for (String sybil : List.of("rs", "jit")) {
            for (int i = 0; i < 5; i++) {
                assertThat(s.maxScores.get(sybil + "-sybil-" + i).getOrDefault("cross_key", 0.0))
                        .as("%s-sybil-%d: cross_key\n%s", sybil, i, s.report())
                        .isLessThan(0.5);
            }
        }
        for (String sybil : List.of("rs", "jit")) {
            for (int i = 0; i < 5; i++) {
                assertThat(s.extractingAt.get(sybil + "-sybil-" + i))
                        .as("%s-sybil-%d\n%s", sybil, i, s.report())
                        .isNotNull()
                        .isLessThanOrEqualTo(500L);
            }
        }
    }

    private static void sybilFlags(Scenario s, List<String> sybils, int keys) {
        for (String sy : sybils) {
            for (int i = 0; i < keys; i++) {
                String key = sy + "-sybil-" + i;
                System.out.printf(
                        "  %s first flag at %s (%s), extracting at %s, cross_key max %.2f%n",
                        key,
                        s.suspiciousAt.get(key),
                        WideRandomStepTest.firing(s, key),
                        s.extractingAt.get(key),
                        s.maxScores.getOrDefault(key, Map.of()).getOrDefault("cross_key", 0.0));
            }
        }
    }

    private static void assertNoHonestCrossKey(Scenario s) {
        s.maxScores.forEach((key, sc) -> {
            if (key.startsWith("honest")) {
                assertThat(sc.getOrDefault("cross_key", 0.0))
                        .as("%s: cross_key", key)
                        .isZero();
            }
        });
    }

    /**
     * The same Sybils at 3,072 inputs, where cross_key has coordinates to work with: every key of both
     * reaches EXTRACTING within 100 of its own rows (measured 2026-11-28: random-size keys at 100, by
     * ood; per-feature keys at 1-26, by cross_key, 1-38 when run without the other Sybil).
     */
    @Test
    void jbdaSybilOverFiveTenantsAtThreeThousandInputs() {
        Wide w = new Wide(3072);
        Scenario s = new Scenario(ALL, w::predict);
        for (int k = 0; k < 12; k++) {
            QuerySource h = k % 2 == 0 ? w.honest(1_600 + k) : w.honestNoisy(1_600 + k);
            s.add("honest-" + k, "good", h, 900, k * 700L, () -> 2_000);
        }
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(w.jbda(61, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), "rs", 5),
                1_000,
                START,
                () -> 200);
        s.add(
                null,
                Scenario.OWN_TENANT,
                SybilSplit.of(w.jbda(62, 0.1, Wide.Step.PER_FEATURE, 1, 0), "pf", 5),
                1_000,
                START + 100,
                () -> 200);
        s.run();
        System.out.printf(
                "3,072 inputs, Sybils over 5 tenants: extracting at %s (own rows); max honest risk %.2f (%s)%n",
                new TreeMap<>(s.extractingAt), s.maxHonestRisk(), s.worstHonest());
        for (int i = 0; i < 5; i++) {
            for (String sy : List.of("rs", "pf")) {
                System.out.printf(
                        "  %s-sybil-%d first flag %s%n", sy, i, WideRandomStepTest.firing(s, sy + "-sybil-" + i));
            }
        }
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        for (int i = 0; i < 5; i++) {
            for (String sy : List.of("rs", "pf")) {
                assertThat(s.extractingAt.get(sy + "-sybil-" + i))
                        .as("%s-sybil-%d\n%s", sy, i, s.report())
                        .isNotNull()
                        // 100 before the runs of session 16 (internal.Runs): rs-sybil-1 at 100-101 from run to run
                        .isLessThanOrEqualTo(105L);
            }
        }
    }

    /**
     * Issue 9's honest customers on 13 inputs ({@code HonestCustomersTest}'s population on the
     * tabular data, all of tenant acme): six ordinary keys, a 10x and a 50x key (30,000 queries in
     * 20 minutes), a batch job (2,500 rows at once), a bursty key (100 rows 0.1 s apart, then 5
     * minutes' silence) and a customer sending 95% of each class must stay ok; Tramer's equation
     * solving among them is still flagged at 100 rows (the test can fail).
     */
    @Test
    void honestCustomersStayOkAtThirteenInputs() {
        Tabular t = new Tabular(17);
        Scenario s = new Scenario(ALL, t::predict);
        for (int k = 0; k < 6; k++) {
            s.add("honest-" + k, "acme", t.honest(1_700 + k), 900, k * 700L, () -> 2_000);
        }
        s.add("honest-heavy10", "acme", t.honest(1_710), 9_000, 100, () -> 200);
        s.add("honest-heavy50", "acme", t.honest(1_711), 30_000, 200, () -> 40);
        s.add("honest-batch", "acme", t.honest(1_712), 2_500, 300_000, () -> 1);
        long[] n = {0};
        s.add("honest-bursty", "acme", t.honest(1_713), 3_000, 500, () -> ++n[0] % 100 == 0 ? 300_000 : 100);
        for (int c = 0; c < Tabular.CLASSES; c++) {
            s.add("honest-one-class-" + c, "acme", t.honest(1_720 + c, c, 0.95), 900, 600 + c * 700L, () -> 2_000);
        }
        s.add("equation-solving", null, t.random(1_730), 1_000, START, () -> 1_000);
        s.run();
        System.out.printf(
                "13 inputs, honest customers: suspicious at %s; max honest risk %.2f (%s)%n",
                new TreeMap<>(s.suspiciousAt), s.maxHonestRisk(), s.worstHonest());
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).containsExactly("equation-solving");
        assertThat(s.suspiciousAt.get("equation-solving")).as(s.report()).isLessThanOrEqualTo(110L);
    }

    /**
     * An honest tabular key (its own 300 records re-sent with 2% noise, one every 2 s) that PRADA's
     * sign-step test flagged at 13 inputs: 20 of its last 200 queries counted as sign steps at row
     * 783 (risk 0.75), by the repeat shape. A stored row is quantised on one step for all its
     * features (a 255th of the row's range, here set by the features on a 1,000 scale), and the
     * shapes compare moves within 3% plus that error: the moves of the small features, a few times
     * the error, agreed by chance with the key's earlier moves (re-sent records repeat their
     * pairwise displacements). Over seeds 1,700-1,799, 15 honest keys reached 8-20 steps in a window.
     * Now a coordinate counts for the repeat and equal shapes only where the error is at most an
     * eighth of its move ({@code SignSteps.RESOLVED}): this key and all of those stay under 8.
     */
    @Test
    void quantisationSlackOnMixedScalesFlaggedAnHonestTabularKey() {
        Tabular t = new Tabular(17);
        Scenario s = new Scenario(ALL, t::predict);
        for (int k = 0; k < 6; k++) {
            s.add("honest-" + k, "acme", t.honest(1_700 + k), 900, k * 700L, () -> 2_000);
        }
        s.add("honest-1713", "acme", t.honest(1_713), 1_500, 500, () -> 2_000);
        s.run();
        System.out.printf("13 inputs, honest key 1713: suspicious at %s%n", new TreeMap<>(s.suspiciousAt));
        assertThat(s.suspiciousAt.keySet()).as(s.report()).isEmpty();
    }

    /** Twelve ordinary tabular keys of tenant good, one query every 2 s for an hour. */
    private static Scenario honest(Scenario s, Tabular t, long seed) {
        for (int k = 0; k < 12; k++) {
            s.add("honest-" + k, "good", t.honest(seed + k), 1_800, k * 700L, () -> 2_000);
        }
        return s;
    }

    private static Scenario run(Scenario s, Map<String, QuerySource> plain, Map<String, QuerySource> adaptive) {
        // plain attacks only need to pass their bound (500), adaptive ones theirs (2,000)
        plain.forEach((name, a) -> s.add(name, null, a, 600, START, () -> 1_000));
        adaptive.forEach((name, a) -> s.add(name, null, a, 2_100, START, () -> 1_000));
        s.run();
        Map<String, QuerySource> all = new LinkedHashMap<>(plain);
        all.putAll(adaptive);
        System.out.printf("max honest risk %.2f (%s)%n", s.maxHonestRisk(), s.worstHonest());
        for (String a : all.keySet()) {
            System.out.printf(
                    "  %-32s first flag %s (%s), extracting %s%n",
                    a, s.suspiciousAt.get(a), WideRandomStepTest.firing(s, a), s.extractingAt.get(a));
        }
        return s;
    }

    private static void assertBounds(
            String what, Scenario s, Map<String, QuerySource> plain, Map<String, QuerySource> adaptive) {
        System.out.printf("%s: extracting at %s%n", what, new TreeMap<>(s.extractingAt));
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        for (String name : plain.keySet()) {
            assertThat(s.extractingAt.get(name))
                    .as("%s\n%s", name, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(500);
        }
        for (String name : adaptive.keySet()) {
            assertThat(s.extractingAt.get(name))
                    .as("%s\n%s", name, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(2_000);
        }
    }
}
