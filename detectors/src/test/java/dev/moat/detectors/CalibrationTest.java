package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Traffic;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Default thresholds against simulated traffic through the engine: sixteen honest keys (one heavy,
 * sending 10x more, repeating rows with small noise) must stay OK while each attacker (one query a
 * second, starting 20 minutes in) reaches EXTRACTING within a bound. Thresholds were chosen on seed
 * 1; these seeds were not looked at while choosing. Queries-to-detection are printed.
 *
 * <p>The JbDA-style attack keeps PRADA's W near 0.98 (its synthetic steps are all about the same
 * length) and is caught by PRADA's sign-step test instead. Not asserted, because the defaults do
 * not catch it within 3,000 queries: pure natural data (indistinguishable from honest traffic by
 * content; only the volume budget stops it, after 20,000-40,000 queries a day).
 * {@link AttackCalibrationTest} runs the fixtures' real generators against the real model.
 */
class CalibrationTest {

    static final DetectorProfile ALL = DetectorProfile.fromConfig(Map.of(
            "prada",
            Map.of(),
            "volume",
            Map.of(),
            "boundary",
            Map.of(),
            "ood",
            Map.of(),
            "coverage",
            Map.of(),
            "tenant",
            Map.of()));

    @ParameterizedTest
    @ValueSource(longs = {2, 3, 4})
    void honestStaysOkAndAttackersAreCaught(long seed) {
        Scenario s = new Scenario(ALL)
                .honestPopulation(seed, 2.0)
                .add("uniform", null, Traffic.uniform(3000, seed), 1_200_000, 1000)
                .add("noisy-shifted", null, Traffic.natural(3000, seed, 2.0, true), 1_200_000, 1000)
                .add("boundary", null, Traffic.boundary(3000, seed, CentroidModel.DIGITS), 1_200_000, 1000)
                .add("jbda", null, Traffic.jbda(3000, seed, CentroidModel.DIGITS), 1_200_000, 1000)
                .add("natural", null, Traffic.natural(3000, seed, 0, false), 1_200_000, 1000);
        for (int k = 0; k < 5; k++) {
            s.add("sybil-" + k, "evil", Traffic.uniform(300, seed * 7 + k), 1_200_000 + k * 200, 1000);
        }
        s.run();
        System.out.printf(
                "seed %d: extracting at %s; tenants %s; max honest risk %.2f (%s)%n",
                seed,
                new java.util.TreeMap<>(s.extractingAt),
                s.tenantExtractingAt,
                s.maxHonestRisk(),
                s.worstHonest());

        assertThat(s.maxHonestRisk()).as("honest risk\n%s", s.report()).isLessThan(0.5);
        assertThat(s.extractingAt.get("uniform")).as("uniform").isNotNull().isLessThanOrEqualTo(1500);
        assertThat(s.extractingAt.get("noisy-shifted")).as("noisy").isNotNull().isLessThanOrEqualTo(500);
        assertThat(s.extractingAt.get("boundary")).as("boundary").isNotNull().isLessThanOrEqualTo(200);
        assertThat(s.extractingAt.get("jbda")).as("jbda").isNotNull().isLessThanOrEqualTo(300);
        // The Sybil tenant arrives at minute 20, before any key has the 432 rows it needs to count in
        // coverage's reference (the light keys have 240): its pooled coverage has no opinion then (it was
        // EXTRACTING within 1,500 pooled rows under the absolute thresholds). Its keys are each caught by
        // ood; the pooled price is pinned in CoverageColdStartTest.coverageColdStartSybilTenantBypass.
        for (int k = 0; k < 5; k++) {
            assertThat(s.extractingAt.get("sybil-" + k))
                    .as("every key of the tenant")
                    .isNotNull()
                    .isLessThanOrEqualTo(200);
        }
    }
}
