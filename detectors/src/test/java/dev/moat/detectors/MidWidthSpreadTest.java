package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code ood}'s spread test at 17-63 inputs (issue 9, 2026-11-29), where it reads 16 coordinates
 * drawn per worker ({@code input_seed} here): honest customers under other draws and of other kinds
 * (mixed-type records, another population, coarser rounding), and what a thief who read the docs
 * sends. Through the engine with every detector ({@link MidWidthSpreadProbe#profile}); the survey over
 * many draws is {@link MidWidthSpreadProbe}. Seeded; nothing timed.
 */
class MidWidthSpreadTest {

    static final String SPREAD = "inputs spread like no peer's";

    private static Scenario fortyEight;

    /** cells-48 at median top-1 0.9, the honest population and the adaptive attackers, coordinates of draw 7. */
    static synchronized Scenario fortyEight() {
        if (fortyEight == null) {
            Unsure d = Unsure.cells(1, 0.9, 48);
            fortyEight = MidWidthSpreadProbe.withAttackers(
                            MidWidthSpreadProbe.profile(7), d, 1, MidWidthSpreadProbe.adaptive(d, 1), 1_200)
                    .run();
            UnsureModelsProbe.print("cells-48@0.9/s1/in7", fortyEight);
        }
        return fortyEight;
    }

    private static final Map<String, Scenario> FAMILY = new java.util.HashMap<>();

    /** cells-{@code width} at median top-1 0.9 with {@link MidWidthSpreadProbe#withJbdaFamily}, coordinates of draw {@code in}, run once. */
    static synchronized Scenario jbdaFamily(int width, long seed, long in) {
        return jbdaFamily(width, seed, in, 5.4);
    }

    /** The same on {@link Unsure#cells(long, double, int, double)} with ranges over {@code decades}. */
    static synchronized Scenario jbdaFamily(int width, long seed, long in, double decades) {
        return FAMILY.computeIfAbsent(width + "/" + seed + "/" + in + "/" + decades, k -> {
            Unsure d = Unsure.cells(seed, 0.9, width, decades);
            Scenario s = MidWidthSpreadProbe.withJbdaFamily(MidWidthSpreadProbe.profile(in), d, seed)
                    .run();
            UnsureModelsProbe.print(d.name() + "/s" + seed + "/in" + in, s);
            return s;
        });
    }

    /** Asserts no honest key is flagged but those named, and that those are not flagged by the spread test. */
    static void assertHonestOk(Scenario s, String what, String... notBySpread) {
        UnsureModelsTest.assertHonestOk(s, what, notBySpread);
        for (String k : notBySpread) {
            var v = s.firstFlag.get(k);
            if (v != null) {
                assertThat(v.scores().get("ood").reason()).as(what + " " + k).doesNotContain(SPREAD);
            }
        }
    }

    static void assertSeenBySpread(Scenario s, String key, long within) {
        assertThat(s.suspiciousAt.get(key))
                .as("%s\n%s", key, s.report())
                .isNotNull()
                .isLessThanOrEqualTo(within);
        assertThat(s.maxScores.get(key).get("ood")).as(key).isEqualTo(1.0);
    }

    /** One population under the draw {@code inputSeed} of the 16 coordinates, printed. */
    private static Scenario drawn(Unsure d, long seed, long inputSeed, Map<String, QuerySource> more) {
        Scenario s = UnsureModelsProbe.population(MidWidthSpreadProbe.profile(inputSeed), d, seed, false, true);
        more.forEach((k, src) -> s.add(k, Scenario.OWN_TENANT, src, 3_000, UnsureModelsProbe.START, () -> 1_000));
        s.run();
        UnsureModelsProbe.print(d.name() + "/s" + seed + "/in" + inputSeed, s);
        return s;
    }

    /**
     * Which 16 of 17-63 coordinates are read changes with the draw, and with it an honest key's
     * statistic. The survey ({@link MidWidthSpreadProbe}, 2026-11-29: cells at 17, 24, 30, 48 and 63
     * inputs, median top-1 0.7, 0.8 and 0.9, data seeds 1 and 2, draws 1-8, the whole population of
     * {@link UnsureModelsProbe#population} with its attackers: 240 runs) flagged no honest key by the
     * spread test; random rows, plain and random-size JbDA and every Sybil key were flagged in every
     * run (within 190, 190, 580 and 440 rows). What it did flag, in every draw alike: the clinic with
     * harder cases, by the confidence test where the model is hesitant (as on clinical-13, {@code
     * UnsureModelsTest.harderCasesClinicIsAsHesitantAsADilutedLineSearch}). Two of those runs here,
     * under draws other than the tests' 7.
     */
    @Test
    void honestPopulationUnderOtherDrawsOfTheCoordinatesIsNotSeenBySpread() {
        for (Object[] run : new Object[][] {{24, 0.8, 2L, 3L}, {63, 0.7, 1L, 5L}}) {
            Unsure d = Unsure.cells((Long) run[2], (Double) run[1], (Integer) run[0]);
            Scenario s = drawn(d, (Long) run[2], (Long) run[3], Map.of());
            assertHonestOk(s, d.name(), "honest-harder-cases", "honest-harder-cases-1.5");
            assertSeenBySpread(s, "random", 300);
            assertThat(s.firstFlag.get("random").scores().get("ood").reason()).contains(SPREAD);
        }
    }

    /**
     * Honest kinds not in the population, at 40 inputs of mixed types ({@link Unsure#mixedRecords}:
     * one-hot categoricals, binary flags, counts, measurements) and at 30 of {@link Unsure#cells}:
     * customers from another population (the latent factors' means moved by 1 and 2 standard
     * deviations) and customers who round 30%, 50% or all of the features to 10, 5 or 20 levels. None
     * is flagged by the spread test (the survey, {@code MidWidthSpreadProbe#kinds}: none at 20, 30, 48
     * and 63 cells, 20, 40 and 60 mixed at median top-1 0.9 and 0.7); random rows are, within 300.
     */
    @Test
    void mixedTypeRecordsShiftedAndCoarserCustomersAreNotSeenBySpread() {
        for (Unsure d : List.of(Unsure.mixedRecords(1, 0.9, 40), Unsure.cells(2, 0.8, 30))) {
            Scenario s = drawn(d, 1, 7, MidWidthSpreadProbe.kinds(d, 1));
            assertHonestOk(s, d.name(), "honest-harder-cases", "honest-harder-cases-1.5");
            for (String k : MidWidthSpreadProbe.kinds(d, 1).keySet()) {
                assertThat(s.suspiciousAt.get(k))
                        .as("%s %s\n%s", d.name(), k, s.report())
                        .isNull();
            }
            assertSeenBySpread(s, "random", 300);
        }
    }

    /**
     * Was an honest false positive of the spread test (found by the survey over draws, 2026-11-29: 1
     * of 24 runs on mixed-type records, none in 240 on cells): on 60 mixed-type columns at median
     * top-1 0.7 under draw 1, the 50x heavy customer was flagged by the spread test at 23,300 rows
     * (1.76x the trusted keys' spread, past the peers' 1.56x). Traced ({@code MidWidthSpreadProbe#trace}):
     * from 0.97x it rose to 1.66x within one refit of the input reference (about 300 of its rows, 25
     * a second) and fell back after the next: that refit's basis, from its 128 rows, made a minor
     * axis of a direction the customer's records lie along more often than the rows did (a rare
     * category or flag), and a heavy key's 256 judged inputs fit within one refit, so its mean took
     * that refit alone (a light key's spans many). Now the basis comes from the covariance averaged
     * over refits, as the limit already did ({@code InputReference#averageSpreadCovariance}).
     */
    @Test
    void heavyCustomerOnSixtyMixedColumnsIsNotFlaggedByOneRefitsAxes() {
        Unsure d = Unsure.mixedRecords(1, 0.7, 60);
        Scenario s = drawn(d, 1, 1, Map.of());
        UnsureModelsTest.assertHonestOk(s, d.name(), "honest-harder-cases");
        assertSeenBySpread(s, "random", 300);
    }

    /**
     * Was an honest false positive of {@code prada}'s repeat shape (found by the xkey survey,
     * 2026-11-29 session 14; half fixed the same day, the rest in session 15): on 48 mixed-type
     * columns at median top-1 0.7 under data seed 1, customers who round their features to a few
     * levels ({@code Unsure.coarser}: all of them to 20 levels, half to 5) were flagged at 50 rows.
     * Traced: each query's nearest stored row is another of the customer's records, which differs
     * from it by one unit in the flags and one-hot categories they do not share, and by a level's
     * width in the rounded measurements, the same moves again and again: the repeat shape. Session
     * 14 left moves of one unit between whole numbers out of it, which cleared the 20-level customer
     * and delayed the 5-level one to 1,830 rows; session 15 leaves out moves between levels of the
     * key's own lattice ({@code RepeatedMoves#repeats}, {@code onLevel}: ending a whole number of moves
     * from where the coordinate's last move ended), which clears it, and the customers rounding 80 %
     * and all of the features to 5 levels (flagged at 50 rows before). Per-feature JbDA is flagged as
     * before (within 300: by {@code cross_key} at 94-113).
     */
    @Test
    void coarserCustomersOnMixedRecordsAreNoRepeatedSteps() {
        Unsure d = Unsure.mixedRecords(1, 0.7, 48);
        Map<String, QuerySource> kinds = new java.util.LinkedHashMap<>(MidWidthSpreadProbe.kinds(d, 1));
        kinds.put("honest-coarser-0.8-5", d.coarser(17, 0.8, 5));
        kinds.put("honest-coarser-1-5", d.coarser(16, 1, 5));
        Scenario s = drawn(d, 1, 7, kinds);
        for (String k : kinds.keySet()) {
            assertThat(s.suspiciousAt.get(k)).as("%s\n%s", k, s.report()).isNull();
        }
        assertThat(s.suspiciousAt.get("jbda-per-feature"))
                .as(s.report())
                .isNotNull()
                .isLessThanOrEqualTo(300L);
    }

    /**
     * Was an honest false positive of {@code prada}'s repeat shape (found in session 15 by {@code
     * CoarseLevelsProbe}): on 100 cell columns at median top-1 0.9, customers rounding half or 80 %
     * of their features to 5 levels were flagged at 169 and 50 rows, one rounding all of them at 50
     * (the spread test is off over 63 inputs, so nothing else looks). Moves between levels of the
     * key's own lattice are no repeats now ({@code RepeatedMoves#repeats}): the first two are not
     * flagged; the third (data seed 16) still was, at 623 rows instead of 50, by {@code prada}'s
     * step evidence over its life (8 of its last 200 queries steps), until re-sent queries stopped
     * counting again (session 16, {@code RecentRows#resent}: a customer rounding every feature
     * re-sends its records exactly, and each re-send met the same parent).
     */
    @Test
    void coarserCustomersOnAHundredCellColumnsAreNoRepeatedSteps() {
        Unsure d = Unsure.cells(1, 0.9, 100);
        Map<String, QuerySource> kinds = new java.util.LinkedHashMap<>();
        kinds.put("honest-coarser-0.5-5", d.coarser(14, 0.5, 5));
        kinds.put("honest-coarser-0.8-5", d.coarser(17, 0.8, 5));
        kinds.put("honest-coarser-1-5", d.coarser(16, 1, 5));
        Scenario s = drawn(d, 1, 7, kinds);
        for (String k : kinds.keySet()) {
            assertThat(s.suspiciousAt.get(k)).as("%s\n%s", k, s.report()).isNull();
        }
    }

    /**
     * Left, an honest false positive found in session 15 ({@code CoarseLevelsProbe}): on 20 mixed-type
     * columns at median top-1 0.9 a customer rounding every feature to 20 levels is flagged by {@code
     * prada} at 89 rows, by the equal shape: its flags and categories move by 1 and its counts,
     * rounded to levels of a twentieth of their range (1.05 for a range of 21), by about as much, so
     * most moves agree with a median of 1 while some end off the whole numbers, which {@code
     * unitRecordMoves} asks of all of them. Pinned as measured; it fails when the customer is cleared.
     */
    @Test
    void twentyLevelCustomerOnTwentyMixedColumnsStillLooksLikeEqualSteps() {
        Unsure d = Unsure.mixedRecords(1, 0.9, 20);
        Scenario s = drawn(d, 1, 7, Map.of("honest-coarser-1-20", d.coarser(15, 1, 20)));
        assertThat(s.suspiciousAt.get("honest-coarser-1-20")).as(s.report()).isNotNull();
        assertThat(s.firstFlag.get("honest-coarser-1-20").scores().get("prada").score())
                .as(s.report())
                .isGreaterThanOrEqualTo(0.5);
    }

    /**
     * Was an honest false positive, not the spread test's (found by midadv, fixed 2026-11-29): on a
     * 20-column table of one-hot categoricals, flags, counts (0-39) and measurements (the largest value
     * under 45; {@code Unsure.mixedRecords(1, 0.9, 20)}), every honest key was flagged within 3-50 rows
     * by {@code prada} ("sign steps from a stored one"), {@code cross_key} ("from another key's query")
     * or its tenant: two such records differ by one unit in each flag and category they do not share,
     * a dense equal shape of magnitude 1, which passes the 2% floor when the row's largest value is
     * under 50. Moves of one unit between whole numbers are now the records' own unit ({@code
     * DataMoves#unitRecordMoves}): no honest key flagged, and random rows and JbDA (plain and
     * random-size) are still flagged, by the spread test, within 300 rows.
     */
    @Test
    void countsAndFlagsOfWholeNumberRecordsAreNoSignStepsAtTwentyColumns() {
        Unsure d = Unsure.mixedRecords(1, 0.9, 20);
        Scenario s = UnsureModelsProbe.population(MidWidthSpreadProbe.profile(7), d, 1, false, true)
                .run();
        UnsureModelsProbe.print(d.name(), s);
        UnsureModelsTest.assertHonestOk(s, d.name());
        for (String k : new String[] {"random", "jbda-plain", "jbda-random-size"}) {
            assertThat(s.suspiciousAt.get(k))
                    .as("%s\n%s", k, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(300L);
        }
    }

    /**
     * At 48 inputs (draw 7) the spread test sees what the docs' thief tries first: uniform random rows
     * (150 rows, 2026-11-29), random rows snapped to the data's form (150), each feature drawn from
     * the thief's own records (marginals, 100), random rows diluted 1:1 and 1:3 with natural ones (150
     * and 300), random values on a fixed quarter or half of the coordinates with the rest natural
     * (150 each; a thief who does not know which 16 are read must randomise enough of them that some
     * are), random values on 4 or 8 coordinates drawn afresh per row (300 and 150). At 20, 30 and 63 inputs
     * ({@code MidWidthSpreadProbe#attacks}, draw 7) random, snapped, marginals, 1:1 and 1:3 and half
     * the coordinates random are flagged too, within 100-330 rows; a fixed quarter of the coordinates
     * random is not at 30 inputs (4 coordinates, 1 of them read under draw 7). Not flagged: see the
     * bypasses below.
     */
    @Test
    void randomRowsAndTheirDisguisesAtFortyEightInputsAreSeenBySpread() {
        Scenario s = fortyEight();
        assertHonestOk(s, "cells-48");
        for (String k : List.of(
                "random",
                "snapped-random",
                "dilute-1-1",
                "partly-random-0.25",
                "partly-random-0.5",
                "random-8-per-row")) {
            assertSeenBySpread(s, k, 300);
            assertThat(s.firstFlag.get(k).scores().get("ood").reason()).as(k).contains(SPREAD);
        }
        assertSeenBySpread(s, "marginals", 300);
        assertSeenBySpread(s, "dilute-1-3", 500);
        assertSeenBySpread(s, "random-4-per-row", 500);
        assertThat(s.firstFlag.get("dilute-1-3").scores().get("ood").reason()).contains(SPREAD);
    }

    /**
     * Pinned (fail when they close), at 48 inputs, draw 7, 1,200 rows each: normal rows with the mean
     * and covariance of the thief's 300 natural records, clipped and snapped (the covariance keeps the
     * correlations the spread test reads, as at 13 inputs: {@code InputSpreadBypassTest}); random rows
     * diluted 1:7; random values on a tenth of the coordinates (5 of 48, of which 1 is read under this
     * draw) or on 2 coordinates drawn afresh per row (2/3 of one read coordinate a row): the few random
     * coordinates that land among the 16 read move an input too little along the minor axes. What they
     * buy: a random value on a few coordinates per query.
     */
    @Test
    void gaussianFitDilutionOneToSevenAndRandomValuesOnFewCoordinatesBypass() {
        Scenario s = fortyEight();
        for (String k : List.of("gaussian", "dilute-1-7", "partly-random-0.1", "random-2-per-row")) {
            assertThat(s.suspiciousAt.get(k)).as("%s\n%s", k, s.report()).isNull();
        }
    }

    /**
     * Pinned (fails when it closes): the sub-box Sybil at 48 inputs, eight keys each sending uniform
     * rows in its own box of 30% of every feature's range. Each key's rows lie nearer its own centre
     * than natural records do, so the spread test scores none; the confidence test flags the boxes
     * that fall where the model is unsure (4 of 8 at 100 rows, 2026-11-29), the other four are never
     * flagged (at 20, 30 and 63 inputs: 5, 4 and 6 of 8).
     */
    @Test
    void subBoxSybilAtFortyEightInputsBypass() {
        Scenario s = fortyEight();
        long quiet = InputSpreadTest.keys(s, "box30-").stream()
                .filter(k -> s.suspiciousAt.get(k) == null)
                .count();
        assertThat(quiet).as(s.report()).isGreaterThanOrEqualTo(3);
        InputSpreadTest.keys(s, "box30-").stream()
                .filter(k -> s.firstFlag.get(k) != null)
                .forEach(k -> assertThat(s.firstFlag.get(k).scores().get("ood").reason())
                        .as(k)
                        .doesNotContain(SPREAD));
    }

    /**
     * Was a bypass (closed 2026-11-29, branch xkey): at 48 inputs the per-feature JbDA (steps of a
     * tenth of each feature's range along the gradient's sign) was never flagged in 1,200 rows (draw
     * 7). {@code cross_key} read it by the move it repeats only under 48 inputs; from 48 on it needed
     * the flat shape, 48 moved coordinates, and the steps clipped at the box's edges move fewer. The
     * spread test reads that JbDA at about its floor (1.5-1.7x): flagged in 15 of 48 survey runs at 48
     * inputs, 25 of 48 at 63. Now a store that keeps every coordinate and is of mixed scales takes the
     * repeated move at any width up to {@code coordinates} ({@code NarrowMoves.repeats}): flagged
     * by {@code cross_key}'s repeated move within 500 rows.
     */
    @Test
    void perFeatureJbdaAtFortyEightInputsIsSeenByTheRepeatedMove() {
        Scenario s = fortyEight();
        assertThat(s.suspiciousAt.get("jbda-per-feature"))
                .as(s.report())
                .isNotNull()
                .isLessThanOrEqualTo(500L);
        assertThat(s.maxScores.get("jbda-per-feature").get("cross_key")).isGreaterThanOrEqualTo(0.5);
        assertThat(s.firstFlag.get("jbda-per-feature").scores().get("cross_key").reason())
                .contains("by a move the key repeated");
    }

    /**
     * Pinned (fails when it closes): at 48 inputs the line search mixed 1:1 with natural rows is never
     * flagged in 1,200 rows (draw 7). Its rows lie on segments between natural records (natural along
     * the minor axes, so the spread test does not see them, and no sign steps); only the confidence
     * test sees it, and that depends on the model, not the draw (survey: all 48 runs at 17, one data
     * seed of two at 24, 30 and 63, none at 48).
     */
    @Test
    void lineSearchMixedOneToOneAtFortyEightInputsBypass() {
        Scenario s = fortyEight();
        assertThat(s.suspiciousAt.get("line-search-1-1")).as(s.report()).isNull();
    }

    /** The JbDA family's keys asserted flagged within 500 of their rows (every one but the jittered steps). */
    static final List<String> JBDA_FAMILY = List.of(
            "jbda-plain",
            "jbda-per-feature",
            "jbda-random-size",
            "pf-row-size",
            "pf-unclipped",
            "pf-48",
            "pf-dense-sparse");

    /**
     * Was a bypass (closed 2026-11-29, branch xkey): the clipped per-feature JbDA at 48 and 63 inputs
     * and what a thief who read {@code cross_key}'s repeated move tries next ({@link
     * MidWidthSpreadProbe#jbdaFamily}): one step size per query (a scalar on every feature's range),
     * steps that never clip (a coordinate that would leave the box steps the other way, so all 48
     * move), steps on 48 coordinates drawn per query, dense and sparse steps mixed 1:1; and 5-key
     * Sybils (each key in a tenant of its own) of the per-feature and the plain JbDA. Before, in these
     * two runs (48 inputs data seed 1 draw 1, 63 inputs data seed 2 draw 7): the per-feature JbDA and
     * every key of its Sybil never flagged at 48, the per-feature, unclipped, mixed and row-size keys
     * never at 63 (only the spread test, at its floor, saw any of them). Now every one is flagged
     * within 500 of its rows (cross_key's repeated move, 0.5-1.0), and no honest key's {@code
     * cross_key} score leaves 0 (the survey over more draws: detectors/README, "cross_key").
     */
    @Test
    void clippedPerFeatureJbdaAndItsSybilsAtFortyEightAndSixtyThreeInputsBypassIsClosed() {
        for (long[] run : new long[][] {{48, 1, 1}, {63, 2, 7}}) {
            Unsure d = Unsure.cells(run[1], 0.9, (int) run[0]);
            Scenario s = jbdaFamily((int) run[0], run[1], run[2]);
            assertHonestOk(s, d.name());
            s.maxScores.forEach((k, m) -> {
                if (k.startsWith("honest")) {
                    assertThat(m.getOrDefault("cross_key", 0.0))
                            .as(d.name() + " " + k)
                            .isZero();
                }
            });
            List<String> keys = new java.util.ArrayList<>(JBDA_FAMILY);
            keys.addAll(InputSpreadTest.keys(s, "pf-sybil-"));
            keys.addAll(InputSpreadTest.keys(s, "pl-sybil-"));
            keys.addAll(InputSpreadTest.keys(s, "sy-sybil-"));
            assertThat(keys).hasSize(JBDA_FAMILY.size() + 15);
            for (String k : keys) {
                assertThat(s.suspiciousAt.get(k))
                        .as("%s %s\n%s", d.name(), k, s.report())
                        .isNotNull()
                        .isLessThanOrEqualTo(500L);
            }
            for (String k : InputSpreadTest.keys(s, "pf-sybil-")) {
                assertThat(s.maxScores.get(k).get("cross_key"))
                        .as(d.name() + " " + k)
                        .isEqualTo(1.0);
            }
        }
    }

    /**
     * Pinned (fails when it closes): on records of one scale (feature ranges over one decade, {@code
     * Unsure.cells(1, 0.9, 48, 1.0)}: the largest spread under 16 times the median, so {@code
     * cross_key} keeps the store in raw units) the repeated move does not run from 48 inputs on (it
     * takes mixed-scale stores only: on the 64-input digits, the one-scale inputs of the tests, it
     * broke {@code CrossKeyCostTest}'s band counts and {@code CrossKeyResetRaceTest}), and per-feature
     * steps, unequal and clipped, pass neither the equal nor the flat shape: {@code cross_key} stays at
     * 0 on every per-feature key. What holds: {@code prada}'s own repeat shape flags the one-key
     * per-feature JbDA (at about 220 rows) and every key of its 5-key Sybil (at 50). What does not
     * (draw 1, 600 rows): steps that never clip, dense and clipped steps mixed 1:1, steps on 48
     * coordinates drawn per query and one size per query are never flagged (2026-11-29; under draw 7
     * and at 63 inputs some of them are, by the spread test or {@code prada}).
     */
    @Test
    void perFeatureJbdaVariantsOnOneScaleRecordsAtFortyEightInputsBypass() {
        Scenario s = jbdaFamily(48, 1, 1, 1.0);
        assertHonestOk(s, "cells-48-1.0");
        for (String k : List.of("jbda-per-feature", "pf-unclipped", "pf-dense-sparse", "pf-48", "pf-row-size")) {
            assertThat(s.maxScores.get(k).getOrDefault("cross_key", 0.0)).as(k).isZero();
        }
        for (String k : List.of("pf-unclipped", "pf-dense-sparse", "pf-48", "pf-row-size")) {
            assertThat(s.suspiciousAt.get(k)).as("%s\n%s", k, s.report()).isNull();
        }
        assertThat(s.suspiciousAt.get("jbda-per-feature")).isNotNull().isLessThanOrEqualTo(500L);
        for (String k : InputSpreadTest.keys(s, "pf-sybil-")) {
            assertThat(s.suspiciousAt.get(k)).as(k).isNotNull().isLessThanOrEqualTo(500L);
        }
    }

    /**
     * Pinned (fails when it closes): per-feature steps with 10% jitter on each feature's size ({@code
     * eps * range_j * U(0.9, 1.1)}) repeat no move within {@code sameMoves}' 3%, so {@code cross_key}
     * stays at 0 on them at 48 inputs as at 13 ({@code
     * NarrowAndWideAdaptiveAttackersTest.randomSizeAndJitteredJbdaSybilsAtThirteenInputsBypass}); the
     * spread test flags it in some draws only (survey 2026-11-29, 48 and 63 inputs, data seeds 1 and
     * 2, draws 1 and 7: 5 of 8 runs within 180-290 rows on one refit's axes, 1 of 8 on the averaged
     * ones). Under draw 1 at 48 inputs it is never flagged in 600 rows. A tolerance wide enough for 10% jitter would let natural neighbours agree.
     */
    @Test
    void jitteredPerFeatureJbdaAtFortyEightInputsBypass() {
        Scenario s = jbdaFamily(48, 1, 1);
        assertThat(s.maxScores.get("pf-jitter").getOrDefault("cross_key", 0.0)).isZero();
        assertThat(s.suspiciousAt.get("pf-jitter")).as(s.report()).isNull();
    }
}
