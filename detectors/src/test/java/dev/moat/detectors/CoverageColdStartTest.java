package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.HonestProbes;
import dev.moat.detectors.support.Scenario;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.RandomAttacker;
import dev.moat.fixtures.traffic.SybilSplit;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code coverage} before it has a reference (issue 9, cold start): a fresh gateway, a gateway
 * just restarted (the references are in memory) and small deployments that never have {@code
 * min_keys} (5) trusted keys. On a document classifier every honest document opens a new cell,
 * so the absolute thresholds flagged every customer; without a reference coverage has no
 * opinion.
 */
class CoverageColdStartTest {

    static final HonestDomain BOW = HonestDomain.sparse(3072, 1);

    static void print(String what, Scenario s) {
        s.maxRisk.keySet().stream()
                .sorted()
                .forEach(k -> System.out.printf(
                        "cold-start %-10s %-12s max risk %.2f suspicious at %s scores %s%n",
                        what, k, s.maxRisk.get(k), s.suspiciousAt.get(k), s.maxScores.get(k)));
        s.tenantMaxScores.forEach((t, sc) -> System.out.printf(
                "cold-start %-10s tenant %-6s scores %s first flag %s coverage %s%n",
                what,
                t,
                sc,
                s.tenantFirstFlag.get(t),
                s.tenantMaxReasons.getOrDefault(t, Map.of()).get("coverage")));
    }

    static double coverage(Map<String, Double> scores) {
        return scores == null ? 0 : scores.getOrDefault("coverage", 0.0);
    }

    /**
     * The survey's {@code bow-3072} peers: twelve ordinary keys of one tenant start together on a
     * fresh engine. Their tenant's pool reaches its 300th row at about 25 rows a key, long before
     * any key has the two windows (432 rows) it needs to count in a reference.
     */
    @Test
    void twelveKeysOfOneTenantAtColdStartStayOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        for (int k = 0; k < 12; k++) {
            s.add("peer-" + k, "good", BOW.peer(100 + k), 600, k * 700L, () -> 2_000);
        }
        s.run();
        print("tenant-12", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        assertThat(coverage(s.tenantMaxScores.get("good"))).as(s.report()).isLessThan(0.5);
    }

    /** A small deployment: three customers sending new documents, each its own tenant, 3,000 rows. */
    @Test
    void threeCustomersSendingNewDocumentsStayOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        for (int k = 0; k < 3; k++) {
            s.add("reader-" + k, Scenario.OWN_TENANT, HonestProbes.fresh(BOW, 400 + k), 3_000, k * 700L, () -> 2_000);
        }
        s.run();
        print("three", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
    }

    /** The smallest deployment: one customer sending new documents, 3,000 rows. */
    @Test
    void oneCustomerSendingNewDocumentsStaysOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        s.add("reader", Scenario.OWN_TENANT, HonestProbes.fresh(BOW, 500), 3_000, 0, () -> 2_000);
        s.run();
        print("one", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
    }

    /** Twelve customers of one tenant sending new documents from a fresh start, 600 rows each. */
    @Test
    void tenantOfTwelveReadersAtColdStartStaysOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        for (int k = 0; k < 12; k++) {
            s.add("reader-" + k, "team", HonestProbes.fresh(BOW, 600 + k), 600, k * 700L, () -> 2_000);
        }
        s.run();
        print("readers-12", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        assertThat(coverage(s.tenantMaxScores.get("team"))).as(s.report()).isLessThan(0.5);
    }

    /** Twelve honest digits keys in tenant {@code good} from the start, one query every 2 s; a random Sybil tenant from {@code sybilAt}. */
    static Scenario sybilAfter(DetectorProfile profile, long sybilAt) {
        return sybilAfter(profile, sybilAt, 5, 1_500);
    }

    /** The same with {@code keys} Sybil keys sending {@code rows} rows in all. */
    static Scenario sybilAfter(DetectorProfile profile, long sybilAt, int keys, int rows) {
        return sybilAfter(profile, sybilAt, SybilSplit.of(new RandomAttacker(77), "evil", keys), rows);
    }

    /** The same with the Sybil tenant's rows from {@code sybil}. */
    static Scenario sybilAfter(DetectorProfile profile, long sybilAt, SybilSplit sybil, int rows) {
        DigitsModel model = DigitsModel.get();
        Scenario s = new Scenario(profile, model::predict);
        for (int k = 0; k < 12; k++) {
            s.add("honest-" + k, "good", new HonestClient(800 + k), 1_200 + sybilAt / 2_000, k * 700L, () -> 2_000);
        }
        s.add(null, "evil", sybil, rows, sybilAt, () -> 200);
        return s.run();
    }

    /** {@link CalibrationTest#ALL} with coverage's reference fixed at the digits' honest novelty. */
    static final DetectorProfile WITH_REFERENCE = DetectorProfile.fromConfig(Map.of(
            "prada", Map.of(),
            "volume", Map.of(),
            "boundary", Map.of(),
            "ood", Map.of(),
            "coverage", Map.of("reference_novelty", 0.4),
            "tenant", Map.of()));

    /**
     * {@link CalibrationTest#ALL} with the pools' own reference fixed ({@code tenant.coverage.reference_novelty}):
     * a key-level {@code reference_novelty} or calibration is its keys' reference, which a pool only borrows.
     */
    static final DetectorProfile WITH_TENANTS_REFERENCE = DetectorProfile.fromConfig(Map.of(
            "prada", Map.of(),
            "volume", Map.of(),
            "boundary", Map.of(),
            "ood", Map.of(),
            "coverage", Map.of(),
            "tenant", Map.of("coverage", Map.of("reference_novelty", 0.4))));

    /**
     * A tenant's pool has no tenants' reference where fewer than five tenants have pooled two windows
     * (here two tenants, ever): it uses its worker's key-level reference. Twelve honest keys have
     * formed theirs by minute 30 (432 rows each); a random Sybil over five keys of one tenant arriving
     * then is EXTRACTING at its 300th pooled row by the pooled coverage, as under the absolute
     * thresholds (the key-level digits reference, 0.4, is under them). Fails without the fallback (the
     * pool would have no opinion).
     */
    @Test
    void tenantPoolUsesTheKeyLevelReferenceWhileTenantsHaveNone() {
        Scenario s = sybilAfter(CalibrationTest.ALL, 1_800_000);
        print("sybil-30", s);
        assertThat(s.tenantExtractingAt.get("evil")).as(s.report()).isNotNull().isLessThanOrEqualTo(300);
        assertThat(s.tenantFirstFlag.get("evil").scores().get("coverage").score())
                .isGreaterThanOrEqualTo(0.8);
        assertThat(s.maxHonestRisk()).as(s.report()).isLessThan(0.5);
    }

    /**
     * The price of having no opinion before a reference: the same Sybil arriving at minute 10, before
     * any key has the 432 rows it needs to count (the honest keys have 300), is not flagged by the
     * pooled coverage, which flagged it at 300 under the absolute thresholds. Its keys are still each
     * caught by {@code ood} (its reference forms sooner) at about 100 rows. With a reference the
     * operator gives ({@code reference_novelty}, or a calibration file's {@code
     * coverage.reference_novelty}), the pool uses it from the first row and flags the tenant at 300.
     */
    @Test
    void coverageColdStartSybilTenantBypass() {
        Scenario s = sybilAfter(CalibrationTest.ALL, 600_000);
        print("sybil-10", s);
        Map<String, Double> pooled = s.tenantMaxScores.get("evil");
        assertThat(coverage(pooled)).as(s.report()).isZero();
        for (int k = 0; k < 5; k++) {
            assertThat(s.extractingAt.get("evil-sybil-" + k))
                    .as(s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(200);
        }

        Scenario fixed = sybilAfter(WITH_REFERENCE, 600_000);
        print("sybil-10-fixed", fixed);
        assertThat(fixed.tenantExtractingAt.get("evil"))
                .as(fixed.report())
                .isNotNull()
                .isLessThanOrEqualTo(300);
        assertThat(fixed.maxHonestRisk()).as(fixed.report()).isLessThan(0.5);

        // What the attacker does with it: 20 keys of 90 rows each, under ood's 100, so no key is scored on
        // its own, and the pool, the one detector that sees them all, has no opinion: nothing flags any of them
        Scenario wide = sybilAfter(CalibrationTest.ALL, 600_000, 20, 1_800);
        print("sybil-20x90", wide);
        assertThat(wide.suspiciousAt.keySet()).as(wide.report()).noneMatch(k -> k.startsWith("evil-"));
        assertThat(wide.tenantFirstFlag).as(wide.report()).doesNotContainKey("evil");
        Scenario wideFixed = sybilAfter(WITH_REFERENCE, 600_000, 20, 1_800);
        print("sybil-20x90-fixed", wideFixed);
        assertThat(wideFixed.tenantExtractingAt.get("evil"))
                .as(wideFixed.report())
                .isNotNull()
                .isLessThanOrEqualTo(300);
    }

    /**
     * A calibration recorded with inputs ({@code moat calibrate}; here twelve other honest digits
     * clients, 600 queries each, written and read back) gives coverage its reference from the first
     * query: the random Sybil tenant arriving at minute 10 is EXTRACTING at its 300th pooled row by
     * the pooled coverage (the pool uses the key-level calibrated reference), and no honest key leaves
     * ok.
     */
    @Test
    void aCalibrationWithInputsGivesTheColdStartItsReference(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        DigitsModel model = DigitsModel.get();
        CalibrationRecorder recorder = new CalibrationRecorder(200);
        dev.moat.detectors.coverage.CoverageDetector.Peaks peaks =
                new dev.moat.detectors.coverage.CoverageDetector.Peaks();
        for (int k = 0; k < 12; k++) {
            HonestClient c = new HonestClient(9_100 + k);
            for (int i = 0; i < 600; i++) {
                double[] x = c.next();
                peaks.add("recorded-" + k, x);
                recorder.add("recorded-" + k, Long.MIN_VALUE, model.predict(x));
            }
        }
        java.nio.file.Path file = dir.resolve("calibration.moat");
        recorder.build(5)
                .withCoverageNovelty(peaks.median(5))
                .withCoverageCells(peaks.inputWidth(), peaks.cellWidths(5))
                .write(file, "test recording");
        Calibration calibration = Calibration.read(file);
        System.out.printf("cold-start calibrated coverage reference %.3f%n", calibration.coverageNovelty());
        assertThat(calibration.coverageNovelty()).isBetween(0.3, 0.5);

        Scenario s = sybilAfter(
                DetectorProfile.fromConfig(
                        Map.of(
                                "prada", Map.of(),
                                "volume", Map.of(),
                                "boundary", Map.of(),
                                "ood", Map.of(),
                                "coverage", Map.of(),
                                "tenant", Map.of()),
                        calibration),
                600_000);
        print("sybil-10-calibrated", s);
        assertThat(s.tenantExtractingAt.get("evil")).as(s.report()).isNotNull().isLessThanOrEqualTo(300);
        assertThat(s.tenantFirstFlag.get("evil").scores().get("coverage").score())
                .isGreaterThanOrEqualTo(0.8);
        assertThat(s.maxHonestRisk()).as(s.report()).isLessThan(0.5);
    }

    /**
     * A tenant's pool judged against its keys' reference is flagged only at {@code novelty_high}. On
     * the 10-class images-3,072 model (median top-1 0.7), six customers sending 95% of three classes
     * come first and form the key-level reference (their peak novelty, 38%); fifteen minutes later a
     * tenant of eight ordinary keys arrives. Its pool opens a new cell with 79% of its rows (eight
     * keys' photos of every class, pooled): before, scored from {@code novelty_low} (0.6) against that
     * reference, it reached 0.63, and the tenant's risk made all eight keys suspicious at 36-39 rows.
     * Now no honest key is flagged, and a random Sybil tenant (pooled novelty at least 0.9) is still
     * EXTRACTING by the pool ({@link #tenantPoolUsesTheKeyLevelReferenceWhileTenantsHaveNone}).
     */
    @Test
    void aTenantOfManyOrdinaryKeysIsNoRandomPoolAgainstNarrowKeysReference() {
        dev.moat.detectors.support.Unsure d = dev.moat.detectors.support.Unsure.images(1, 0.7);
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, d::predict).oneWorker();
        for (int k = 0; k < 6; k++) {
            s.add(
                    "honest-narrow-" + k,
                    "narrow",
                    d.mostly(500 + k, new int[] {0, 1, 2}, 0.95),
                    1_500,
                    k * 300L,
                    () -> 2_000);
        }
        for (int k = 0; k < 8; k++) {
            s.add("honest-good-" + k, "good", d.peer(600 + k), 1_500, 900_000 + k * 700L, () -> 2_000);
        }
        s.run();
        print("narrow-first", s);
        assertThat(s.maxRisk.keySet()).as(s.report()).allMatch(k -> s.suspiciousAt.get(k) == null);
        // the pool is judged against its keys' reference (the tenants have none); with the fixed cells its
        // novelty never reached where scoring starts (with the sign cells it did, capped at 0.45)
        assertThat(coverage(s.tenantMaxScores.get("good"))).as(s.report()).isLessThanOrEqualTo(0.45);
    }

    /**
     * The price of {@link #aTenantOfManyOrdinaryKeysIsNoRandomPoolAgainstNarrowKeysReference}: against
     * its keys' reference a pool is flagged only once its novelty reaches {@code novelty_high} (0.9).
     * A Sybil tenant of five keys arriving at minute 30 (as in {@link
     * #tenantPoolUsesTheKeyLevelReferenceWhileTenantsHaveNone}) whose rows are random ones diluted
     * three to one with natural digits pools 76% new cells, under 0.9: the pooled coverage scores it
     * 0.45 at most and never flags it (its keys are caught by {@code ood}, each at about 100 rows; spread
     * over keys of under 100 rows each, nothing would). A key-level {@code reference_novelty} or
     * calibration does not change this (the pool borrows it as its keys'); a tenants' reference ({@code
     * tenant.coverage.reference_novelty}, or five tenants' pools) does: judged from {@code
     * novelty_low}, the pool is flagged. Pinned: fails when the borrowed judgement catches it.
     */
    @Test
    void borrowedReferenceDilutedSybilTenantBypass() {
        SybilSplit diluted = SybilSplit.of(
                dev.moat.detectors.support.LineSearch.interleaved(
                        new RandomAttacker(78), new HonestClient(8_800), 3, 1),
                "evil",
                5);
        Scenario s = sybilAfter(CalibrationTest.ALL, 1_800_000, diluted, 1_500);
        print("diluted-30", s);
        assertThat(s.tenantMaxReasons.get("evil").get("coverage"))
                .as(s.report())
                .contains("its keys'");
        assertThat(coverage(s.tenantMaxScores.get("evil")))
                .as(s.report())
                .isGreaterThan(0)
                .isLessThanOrEqualTo(0.45);

        Scenario fixed = sybilAfter(
                WITH_TENANTS_REFERENCE,
                1_800_000,
                SybilSplit.of(
                        dev.moat.detectors.support.LineSearch.interleaved(
                                new RandomAttacker(78), new HonestClient(8_800), 3, 1),
                        "evil",
                        5),
                1_500);
        print("diluted-30-fixed", fixed);
        assertThat(coverage(fixed.tenantMaxScores.get("evil")))
                .as(fixed.report())
                .isGreaterThanOrEqualTo(0.5);
        assertThat(fixed.maxHonestRisk()).as(fixed.report()).isLessThan(0.5);
    }

    /**
     * Found in session 24, closed in session 25 by the default fixed cells. The sign cells ({@code
     * cells: sign}, the default before) are split through a centre each state takes from its own
     * first {@code warmup} (32) inputs, so whoever sends those inputs places it. A thief who opens
     * with 32 blank images (every pixel 0, a plausible query) puts the centre at the origin, where
     * the planes no longer split his rows, and every later random row lands in one of a few cells:
     * the random Sybil over 20 keys of 90 rows each (under {@code ood}'s 100) in one tenant, with the
     * operator's reference, whose tenant's first 32 rows are blank, is never flagged there (its pool
     * opens a new cell with a few percent of its rows; pinned below as the option's price). Fixed
     * cells (their width from the twelve honest keys' spreads, known from their 200th row) have no
     * centre to place: the same Sybil is EXTRACTING by the pooled coverage within 500 pooled rows,
     * and no honest key is flagged.
     */
    @Test
    void blankFirstRowsPlaceTheCentreBypass() {
        Scenario s = sybilAfter(WITH_REFERENCE, 600_000, blankFirstSybil(), 1_800);
        print("blank-first-20x90", s);
        assertThat(s.tenantExtractingAt.get("evil")).as(s.report()).isNotNull().isLessThanOrEqualTo(500);
        assertThat(s.tenantFirstFlag.get("evil").scores().get("coverage").score())
                .isGreaterThanOrEqualTo(0.8);
        assertThat(s.maxHonestRisk()).as(s.report()).isLessThan(0.5);

        Scenario sign = sybilAfter(SIGN_CELLS, 600_000, blankFirstSybil(), 1_800);
        print("sign-blank-first-20x90", sign);
        assertThat(sign.suspiciousAt.keySet()).as(sign.report()).noneMatch(k -> k.startsWith("evil-"));
        assertThat(sign.tenantFirstFlag).as(sign.report()).doesNotContainKey("evil");
        assertThat(coverage(sign.tenantMaxScores.get("evil"))).as(sign.report()).isZero();
    }

    /** {@link #WITH_REFERENCE} with {@code cells: sign} (the cells before session 25) for the keys and the tenants' pools. */
    static final DetectorProfile SIGN_CELLS = DetectorProfile.fromConfig(Map.of(
            "prada", Map.of(),
            "volume", Map.of(),
            "boundary", Map.of(),
            "ood", Map.of(),
            "coverage", Map.of("cells", "sign", "reference_novelty", 0.4),
            "tenant", Map.of("coverage", Map.of("cells", "sign"))));

    /** The random Sybil over 20 keys of tenant {@code evil} whose first 32 rows are blank images. */
    static SybilSplit blankFirstSybil() {
        return SybilSplit.of(
                dev.moat.detectors.support.LineSearch.after(
                        dev.moat.fixtures.traffic.QuerySource.of("blank", () -> new double[64]),
                        32,
                        new RandomAttacker(77)),
                "evil",
                20);
    }
}
