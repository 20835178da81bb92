package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 on models that are not confident ({@link Unsure}; the survey is {@link UnsureModelsProbe}):
 * a binary clinical model (13 mixed-type inputs, 86% accurate, median top-1 0.7, 22% of answers with
 * a margin under 0.2) and a 3-class wine model (13 inputs, 178 distinct records, median top-1 0.8),
 * through the engine with every detector ({@link NarrowAndWideAdaptiveAttackersTest#ALL}). Seeded;
 * nothing timed; about 20 s on 2 loaded cores.
 */
class UnsureModelsTest {

    private static Scenario clinical;

    /** The survey's population on clinical-13 at median top-1 0.7, seed 1 (run once for the tests that read it). */
    static synchronized Scenario clinical() {
        if (clinical == null) {
            clinical = UnsureModelsProbe.population(Unsure.clinical(1, 0.7), 1, false)
                    .run();
            UnsureModelsProbe.print("clinical-13@0.7/s1", clinical);
        }
        return clinical;
    }

    static void assertHonestOk(Scenario s, String what, String... except) {
        List<String> allowed = List.of(except);
        s.maxRisk.keySet().stream()
                .filter(k -> k.startsWith("honest") && !allowed.contains(k))
                .forEach(k -> assertThat(s.suspiciousAt.get(k))
                        .as("%s %s flagged\n%s", what, k, s.report())
                        .isNull());
    }

    /**
     * Twelve ordinary keys, a 10x and a 50x heavy key, a bursty key (2,000 rows 10 ms apart, then an
     * hour's silence) and customers sending 95% of one class stay ok on the binary clinical model and
     * on the wine model (every customer re-sending rows of the same 178), while the line search is
     * still flagged within 100 rows on both and Knockoff-like data from another vineyard on the wine
     * model. Before (boundary's {@code default_share} of 0.1 until five keys had full windows), the
     * 10x key was flagged by {@code boundary} at 1,353 rows on clinical-13 at median top-1 0.7 and the
     * 50x key at 8,716 (seed 3), against 10% when its own honest share was 22-36% (see {@link
     * #smallDeploymentOfAHesitantModelStaysOk} for the fix); for the one-class customer see {@link
     * #overConfidentAttackersMadeTheClassReferencesStricter}.
     */
    @Test
    void honestPopulationsOnUnsureModelsStayOk() {
        Scenario c = clinical();
        assertHonestOk(c, "clinical-13", "honest-harder-cases", "honest-harder-cases-1.5");
        // 100 before the runs of session 16 (internal.Runs: a same-side bisection step with a near margin folds): 101;
        // 111 since session 18 (Runs#resend: the searches' end points, drawn again from the thief's 300 records,
        // count once while in the window, so 100 counted answers take 111 rows)
        assertThat(c.extractingAt.get("line-search")).as(c.report()).isNotNull().isLessThanOrEqualTo(115L);

        Scenario w = UnsureModelsProbe.population(Unsure.wine(1, 0.8), 1, false).run();
        UnsureModelsProbe.print("wine-13@0.8/s1", w);
        assertHonestOk(w, "wine-13", "honest-harder-cases", "honest-harder-cases-1.5");
        // 100 before the runs of session 16 (internal.Runs: a same-side bisection step with a near margin folds): 101;
        // 108 since session 18 (Runs#resend, as above)
        assertThat(w.extractingAt.get("line-search")).as(w.report()).isNotNull().isLessThanOrEqualTo(115L);
        assertThat(w.extractingAt.get("knockoff")).as(w.report()).isNotNull().isLessThanOrEqualTo(2_000L);
    }

    /**
     * Three honest keys (a small deployment, fewer than {@code boundary}'s {@code min_keys}, 5) of the
     * clinical model at median top-1 0.65 (31% of honest answers with a margin under 0.2), one worker
     * (the engine's default), and a line search among them. Before, {@code boundary} judged every
     * key against {@code default_share} (0.1) for as long as fewer than five keys had full windows
     * (for ever here) and flagged all three honest keys (seeds 1-3, 171-667 rows, with two workers;
     * the fix's survey in detectors/README.md). Now a key is judged, below {@code min_keys}, against
     * the larger of {@code default_share} and the other trusted keys' shares (never its own), reported
     * every {@code min_queries} answers while windows fill: none leaves ok, and the line search is
     * still flagged.
     */
    private static Scenario small;

    /** Three honest keys of clinical-13 at median top-1 0.65 (seed 2), one worker, and a line search. */
    static synchronized Scenario small() {
        if (small == null) {
            Unsure d = Unsure.clinical(2, 0.65);
            small = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, d::predict).oneWorker();
            for (int k = 0; k < 3; k++) {
                small.add("honest-small-" + k, "small", d.peer(250 + k), 1_500, k * 700L, () -> 2_000);
            }
            small.add("line-search", null, d.lineSearch(251), 600, UnsureModelsProbe.START, () -> 1_000);
            small.run();
            UnsureModelsProbe.print("clinical-13@0.65/s2-small", small);
        }
        return small;
    }

    @Test
    void smallDeploymentOfAHesitantModelStaysOk() {
        assertHonestOk(small(), "small deployment");
    }

    /**
     * In that small deployment the line search is seen by {@code cross_key}'s repeated-move test on
     * narrow inputs (bisection's moves repeat, parents among the honest keys' rows), not by {@code
     * ood} or {@code boundary}: with fewer than {@code min_keys} keys {@code ood} has no reference, and
     * {@code boundary} judges it against the honest keys' share (about a third) plus its tolerance
     * (0.1), which the line search's answers (to margin 0.05, from natural rows of the two classes) do
     * not pass by enough. It was this test's pinned hole ({@code ...Bypass}) until {@code cross_key}
     * learned narrow inputs in the same round (2026-11-29); a calibration file or {@code
     * reference_share} gives {@code ood} and {@code boundary} their reference too.
     */
    @Test
    void lineSearchInASmallDeploymentOfAHesitantModelIsSeenByCrossKey() {
        Scenario s = small();
        assertThat(s.suspiciousAt.get("line-search")).as(s.report()).isNotNull();
        assertThat(s.firstFlag.get("line-search").scores().get("cross_key").score())
                .as(s.report())
                .isGreaterThanOrEqualTo(0.5);
        assertThat(s.maxScores.get("line-search").getOrDefault("boundary", 0.0))
                .as(s.report())
                .isLessThan(0.5);
    }

    /**
     * The verdict that first flags the line search in that small deployment carries the key's query
     * count, not that of its last reasons. Its own detectors' scores had not moved (all 0), so its
     * reasons and count were those of its first event, and the cross-key score that raised its level
     * came from another task: before, that verdict said {@code queries=1} (so did the listener, the
     * audit log and the admin report) next to a {@code cross_key} reason that had seen 23 of its rows.
     * One worker, so the key's events are handled before the cross-key searches of the same rows: the
     * verdict's count is at least what the store has seen.
     */
    @Test
    void theVerdictThatFlagsByCrossKeyCarriesTheKeysQueryCount() {
        Scenario s = small();
        Verdict v = s.firstFlag.get("line-search");
        assertThat(v).as(s.report()).isNotNull();
        Matcher seen = CROSS_SEEN.matcher(v.scores().get("cross_key").reason());
        assertThat(seen.find()).as(v.scores().get("cross_key").reason()).isTrue();
        assertThat(v.queries()).as("%s", v).isGreaterThanOrEqualTo(Long.parseLong(seen.group(1)));
        Matcher after = VerdictQueriesTest.AFTER.matcher(v.scores().get("prada").reason());
        assertThat(after.find()).as(v.scores().get("prada").reason()).isTrue();
        assertThat(v.queries()).as("%s", v).isEqualTo(Long.parseLong(after.group(1)));
        assertThat(s.suspiciousAt.get("line-search")).isEqualTo(v.queries());
    }

    static final Pattern CROSS_SEEN = Pattern.compile("\\((\\d+) queries seen");

    /**
     * Inherent, pinned: a clinic whose cases are harder than the other customers' (twice their share
     * of answers with a margin under 0.2, 44% against 22%) is flagged by {@code ood} (D+ 0.18 at 150
     * rows; the D+ of such a key is the peers' share of hesitant answers), and by what Moat sees it
     * hesitates more often than a line search diluted 1:1 with natural rows (38%), which is not flagged
     * at all since over-confident keys no longer make the class references stricter (it was, at 770
     * rows, with the same D+ 0.17), and less often than the undiluted line search (flagged at 100).
     * A rule that let the clinic through would let line searches diluted less than 1:1 through
     * (tried: an allowance of twice the reference's mass at every confidence, {@code case_mix},
     * cleared the clinic and lost the undiluted line search on clinical-13 and images-3072 and JbDA
     * on wine-13). An
     * operator with such customers sets {@code reference_share}/a calibration from them, or gives
     * them a route whose escalation stops short of blocking.
     */
    @Test
    void harderCasesClinicIsAsHesitantAsADilutedLineSearch() {
        Scenario s = clinical();
        assertThat(s.suspiciousAt.get("honest-harder-cases")).as(s.report()).isNotNull();
        assertThat(s.firstFlag.get("honest-harder-cases").scores().get("ood").score())
                .isGreaterThanOrEqualTo(0.5);
        assertThat(s.suspiciousAt.get("line-search")).as(s.report()).isNotNull();
        Unsure d = Unsure.clinical(1, 0.7);
        double clinic = d.lowMarginShare(d.harder(17, 2), 3_000);
        QuerySource diluted = LineSearch.interleaved(d.lineSearch(19), d.peer(19), 1, 1);
        int low = 0;
        for (int i = 0; i < 3_000; i++) {
            double[] x = diluted.next();
            double[] p = d.predict(x);
            diluted.observe(x, p);
            low += Math.abs(p[0] - p[1]) < 0.2 ? 1 : 0;
        }
        System.out.printf("hesitant share: clinic %.3f, line search 1:1 %.3f%n", clinic, low / 3_000.0);
        assertThat(low / 3_000.0).isLessThanOrEqualTo(clinic);
    }

    /**
     * Found by the survey (the fix: {@code ood/ClassReferences}, keys far more confident than a class's
     * reference leave it): attackers that no detector flags and whose answers are more confident than
     * honest ones (on clinical-13: random rows, JbDA, the 5-key Sybil, Knockoff; 10 of the 29 keys)
     * stayed trusted and fed {@code ood}'s class references, age-weighted means over trusted keys,
     * which grew more confident until honest keys were flagged. Clinical-13 at median top-1 0.8, seed
     * 3, before: the one-class customer and an ordinary peer flagged by {@code ood} (D+ 0.16, at 610
     * rows; the one-class customer at 0.7 and 0.75 too; none of them without the attackers); now none
     * but the clinic with harder cases.
     */
    @Test
    void overConfidentAttackersMadeTheClassReferencesStricter() {
        Scenario s =
                UnsureModelsProbe.population(Unsure.clinical(3, 0.8), 3, false).run();
        UnsureModelsProbe.print("clinical-13@0.8/s3", s);
        assertHonestOk(s, "clinical-13 seed 3", "honest-harder-cases", "honest-harder-cases-1.5");
        // 100 before the runs of session 16 (internal.Runs: a same-side bisection step with a near margin folds): 101
        assertThat(s.extractingAt.get("line-search")).as(s.report()).isNotNull().isLessThanOrEqualTo(105L);
    }

    /**
     * Was a pinned hole (2026-11-29, closed the same day by {@code ood}'s spread test): on the binary
     * clinical model, a softmax over a linear function that is confident far from its data, uniform
     * random rows in the feature box got answers as confident as honest ones or more, so {@code ood}'s
     * confidence test and {@code boundary} saw nothing, and no other detector flagged them in 600
     * rows. Their inputs, though, lie farther from the key's own centre than a typical trusted key's
     * (about 95% of them beyond the peers' median distance, against half for an honest key; {@code
     * ood/InputReference#spreadLimit}): flagged and EXTRACTING at 150 rows. Per-feature JbDA is
     * caught by {@code cross_key}'s narrow test (EXTRACTING at 124 rows in the run that changed this
     * test).
     */
    @Test
    void randomRowsOnABinaryModelThatExtrapolatesConfidentlyAreSeenByTheirSpread() {
        Scenario s = clinical();
        assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        DetectorScore first = s.firstFlag.get("random").scores().get("ood");
        assertThat(first.score()).as(s.report()).isGreaterThanOrEqualTo(0.5);
        assertThat(first.reason()).contains("inputs spread like no peer's");
        assertThat(s.extractingAt.get("jbda-per-feature"))
                .as(s.report())
                .isNotNull()
                .isLessThanOrEqualTo(500L);
        assertThat(s.firstFlag.get("jbda-per-feature").scores().get("cross_key").score())
                .as(s.report())
                .isGreaterThanOrEqualTo(0.5);
    }

    /**
     * Pinned hole (fails when it closes): on the same model, JbDA with steps of a random size per
     * coordinate and a 5-key Sybil of it are never flagged in 600 rows (2,500 for the Sybil). Their
     * answers are as confident as honest ones ({@code ood}'s confidence test and {@code boundary} see
     * nothing), random sizes never repeat a move ({@code cross_key}'s narrow test), PRADA's distance
     * test is capped under suspicious, and steps of 0-20% of each feature's range from natural rows
     * spread the inputs by only 10-20% more than an honest key's (the spread test needs most of a key's
     * inputs beyond the peers' median distance). On wine-13, whose features correlate, the random-size
     * JbDA is flagged at 100 (confidence test) and 3 of the Sybil's 5 keys at 180-310 (spread test).
     */
    @Test
    void randomSizeJbdaOnABinaryModelThatExtrapolatesConfidentlyBypass() {
        Scenario s = clinical();
        assertThat(s.suspiciousAt.get("jbda-random-size")).as(s.report()).isNull();
        assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(k -> k.startsWith("sy-"));
    }

    /**
     * A model that hesitates on most honest answers (clinical-13 at median top-1 0.58: 60% of them
     * with a margin under 0.2; a many-class or weak model looks like this). Before, {@code boundary}
     * judged a key with no other trusted key in its worker against {@code default_share} (0.1): the
     * first keys to report were flagged at their 50th answer ({@code 60% vs reference 10%}), and a
     * key once flagged never became trusted, so in the small deployment no reference ever formed and
     * all three honest keys were EXTRACTING at 50-104 rows; in the population five honest keys (the
     * 10x and 50x heavy keys, the bursty key, two peers) at 50-52 rows. Now such a key is not judged
     * until a peer reports, and every key meets its peers' level: only the clinics with harder cases
     * ({@link #harderCasesClinicIsAsHesitantAsADilutedLineSearch}) are flagged, and the line search
     * and random rows of the population still are.
     */
    @Test
    void aModelThatHesitatesOnMostAnswersIsJudgedAgainstPeersNotAGuess() {
        Unsure d = Unsure.clinical(1, 0.58);
        Scenario s = honestInSmallDeploymentAndPopulation(
                "clinical-13@0.58/s1", UnsureModelsProbe.small(d, 1).oneWorker(), d);
        assertThat(s.extractingAt.get("line-search")).as(s.report()).isNotNull().isLessThanOrEqualTo(600L);
        assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
    }

    /**
     * Pinned hole (fails when it closes): boundary probers that are a fresh deployment's first keys
     * vouch for each other. Two line searches (one row a second) start ten minutes before twelve
     * honest keys, on the confident clinical model (median top-1 0.8), {@code boundary} alone: each
     * prober's share (39-45% hesitant) is the other's reference, both stay trusted, and by the time
     * the honest keys report (16% hesitant) the probers' age weighs more than the newcomers' in the
     * lenient quantile: neither is flagged in 1,000 rows (so before this change too). A lone first
     * prober is flagged once five keys are trusted (below that {@code boundary} scores at most 0.45),
     * no longer against {@code default_share} from its 50th answer (flagged at 931 rows, 122 before). The other detectors still see them ({@code ood}
     * and {@code cross_key} flag line searches among peers); a calibration or {@code reference_share}
     * closes it.
     */
    @Test
    void firstKeysOfAFreshDeploymentVouchForEachOtherBypass() {
        Unsure d = Unsure.clinical(1, 0.8);
        DetectorProfile boundaryOnly = DetectorProfile.fromConfig(java.util.Map.of("boundary", java.util.Map.of()));
        for (int probers : new int[] {1, 2}) {
            Scenario s = new Scenario(boundaryOnly, d::predict).oneWorker();
            for (int k = 0; k < probers; k++) {
                s.add("line-" + k, null, d.lineSearch(40 + k), 1_000, k * 100L, () -> 1_000);
            }
            for (int k = 0; k < 12; k++) {
                s.add("honest-peer-" + k, "good", d.peer(300 + k), 1_500, 600_000 + k * 700L, () -> 2_000);
            }
            s.run();
            System.out.printf("first probers %d: suspicious at %s%n", probers, s.suspiciousAt);
            assertHonestOk(s, probers + " first probers");
            if (probers == 1) {
                // not judged before a peer's first report (its 50th answer, ten minutes and 100 s in)
                assertThat(s.suspiciousAt.get("line-0"))
                        .as(s.report())
                        .isNotNull()
                        .isGreaterThan(650L);
            } else {
                assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(k -> k.startsWith("line-"));
            }
        }
    }

    /**
     * Below {@code min_keys} trusted keys a key's share against the few that came first is capped under
     * {@code suspicious}, and such a key stays trusted. A small deployment (three honest keys, two
     * workers) of a 40-feature mixed-records model at median top-1 0.56 (74-83% of honest answers
     * hesitant) with the random, random-size JbDA and Knockoff attackers, which get confident answers:
     * one honest key shared its worker with the three attackers only, was judged against their shares
     * ({@code 82% ... vs reference 10%}) and was EXTRACTING at 326 rows, never to become a peer. Now
     * no honest key is flagged there, nor in the population of that model, where random rows are still
     * EXTRACTING (at 41 rows, by {@code cross_key}).
     */
    @Test
    void aFewConfidentFirstKeysDoNotMakeTheHesitantOnesSuspects() {
        Unsure d = Unsure.mixedRecords(1, 0.56, 40);
        Scenario s = honestInSmallDeploymentAndPopulation("mixed-40@0.56/s1", UnsureModelsProbe.small(d, 1), d);
        assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
    }

    /**
     * Pinned price of that cap (fails when it closes): in a small deployment of an unsure 10-class
     * model (images-3,072 at median top-1 0.45, 48% of honest answers hesitant; three honest keys, two
     * workers) random rows, all of whose answers hesitate, were flagged by {@code boundary} at 50 rows
     * against the honest keys' share; with fewer than {@code min_keys} trusted keys {@code boundary}
     * now scores at most 0.45, {@code ood} and {@code coverage} have no reference either, and nothing
     * flags them in 600 rows. In the population (five or more trusted keys) they are flagged at 50.
     * A calibration file or {@code reference_share} closes it.
     */
    @Test
    void randomRowsInASmallDeploymentOfAnUnsureModelBypass() {
        Unsure d = Unsure.images(1, 0.45);
        Scenario small = UnsureModelsProbe.small(d, 1).run();
        UnsureModelsProbe.print("images-3072@0.45/s1-small", small);
        assertHonestOk(small, "small deployment of images-3072 at 0.45");
        assertThat(small.suspiciousAt.get("random")).as(small.report()).isNull();
        assertThat(small.maxScores.get("random").get("boundary"))
                .as(small.report())
                .isEqualTo(0.45);
    }

    /**
     * Runs {@code small} (a small deployment of {@code d}) and the probe's population of {@code d}
     * (seed 1), asserts that no honest key of either is flagged but the clinics with harder cases, and
     * returns the population.
     */
    static Scenario honestInSmallDeploymentAndPopulation(String what, Scenario small, Unsure d) {
        small.run();
        UnsureModelsProbe.print(what + "-small", small);
        assertHonestOk(small, what + " small deployment");
        Scenario s = UnsureModelsProbe.population(d, 1, false).run();
        UnsureModelsProbe.print(what, s);
        assertHonestOk(s, what, "honest-harder-cases", "honest-harder-cases-1.5");
        return s;
    }
}
