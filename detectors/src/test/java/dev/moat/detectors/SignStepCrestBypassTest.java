package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.SybilSplit;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9: the holes detectors/README.md documented in PRADA's sign-step test, tried by an attacker
 * who has read it, on one key and over 5 Sybil keys of one tenant, at 784 and 3,072 inputs (the flat
 * shape needs 48 moved coordinates: at 13 features it never applies, at 64 rarely). Every detector
 * runs; twelve honest keys (natural digits, upsampled, half with sensor noise) must stay OK. Rows to
 * EXTRACTING; the goal is within 2,000 for each. Measured (2026-11-28): every one within 100-150 rows
 * (Sybil tenants 89-300; since 2026-11-29 their keys, 88-100, the pooled coverage having no
 * reference at this cold start), mostly first by `ood`, whatever the sign-step test makes of them ({@code
 * prada.SignStepCrestStepsTest} has that: (a) closed at a jitter of 0.1, (b) and (c) open there).
 */
class SignStepCrestBypassTest {

    static final long ROWS = 2_500;

    /**
     * (a) Clipped values jittered off the bound by up to 0.1 (of a range of 16), so they do not tie: the
     * clipped moves are short and stay in the crest.
     */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void jitteredClipValuesBypass(int dims) {
        Wide w = new Wide(dims);
        Map<String, QuerySource> a = new TreeMap<>();
        a.put("jitter-sign-0.3", w.jbda(21, 0.3, Wide.Step.PLAIN, 1, 0, 0.1));
        a.put("jitter-uniform-0.1", w.jbda(22, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0, 0.1));
        a.put("jitter-uniform-0.3", w.jbda(23, 0.3, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0, 0.1));
        run(w, "jitter", a, w.jbda(24, 0.3, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0, 0.1));
    }

    /** (b) Step sizes per coordinate from a heavy-tailed law (|Cauchy| and lognormal sigma 1, capped at 5x the median). */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void heavyTailedStepSizesBypass(int dims) {
        Wide w = new Wide(dims);
        Map<String, QuerySource> a = new TreeMap<>();
        a.put("cauchy", w.jbda(31, 0.1, Wide.Step.CAUCHY_SIZE, 1, 0));
        a.put("lognormal", w.jbda(32, 0.1, Wide.Step.LOGNORMAL_SIZE, 1, 0));
        run(w, "heavy", a, w.jbda(33, 0.1, Wide.Step.CAUCHY_SIZE, 1, 0));
    }

    /**
     * (c) Outliers that move: in every query a sixteenth of the coordinates, fresh ones, at +-1e6..2e6,
     * to raise the floor (the value a sixteenth of the moved coordinates reach).
     */
    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void movingOutliersRaiseTheFloorBypass(int dims) {
        Wide w = new Wide(dims);
        Map<String, QuerySource> a = new TreeMap<>();
        a.put("outliers-sign", Wide.movingOutliers(w.jbda(41, 0.1, Wide.Step.PLAIN, 1, 0), 1, 1.0 / 16, 1e6));
        a.put(
                "outliers-uniform",
                Wide.movingOutliers(w.jbda(42, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), 2, 1.0 / 16, 1e6));
        a.put("outliers-eighth", Wide.movingOutliers(w.jbda(43, 0.1, Wide.Step.PLAIN, 1, 0), 3, 1.0 / 8, 1e6));
        run(w, "outliers", a, Wide.movingOutliers(w.jbda(44, 0.1, Wide.Step.PLAIN, 1, 0), 4, 1.0 / 16, 1e6));
    }

    static Scenario run(Wide w, String tenant, Map<String, QuerySource> attacks, QuerySource sybil) {
        // a model front that clips its inputs to 0..16: outliers cost the attacker nothing
        Scenario s = new Scenario(WideInputsTest.ALL, x -> {
            double[] c = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                c[j] = Math.max(0, Math.min(16, x[j]));
            }
            return w.predict(c);
        });
        for (int k = 0; k < 12; k++) {
            QuerySource h = k % 2 == 0 ? w.honest(1_300 + k) : w.honestNoisy(1_300 + k);
            s.add("honest-" + k, "good", h, 1_800, k * 700L, () -> 2_000);
        }
        attacks.forEach((name, a) -> s.add(name, null, a, ROWS, 600_000, () -> 1_000));
        s.add(null, tenant, SybilSplit.of(sybil, tenant, 5), ROWS, 600_300, () -> 200);
        s.run();
        System.out.printf(
                "crest bypass %s %d: extracting at %s; tenant %s; max honest risk %.2f (%s)%n",
                tenant,
                w.dims(),
                new TreeMap<>(s.extractingAt),
                new TreeMap<>(s.tenantExtractingAt),
                s.maxHonestRisk(),
                s.worstHonest());
        attacks.keySet()
                .forEach(a -> System.out.printf(
                        "  %s first flagged by %s; max scores %s%n",
                        a, WideRandomStepTest.firing(s, a), new TreeMap<>(s.maxScores.getOrDefault(a, Map.of()))));
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        for (String name : attacks.keySet()) {
            assertThat(s.extractingAt.get(name))
                    .as("%s\n%s", name, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(2_000);
        }
        // each Sybil key on its own (ood, about 100 rows): the tenant's pooled coverage, which flagged these
        // tenants at 89-300 pooled rows under the absolute thresholds, has no reference at minute 10 of
        // this fresh engine (CoverageColdStartTest.coverageColdStartSybilTenantBypass)
        for (int k = 0; k < 5; k++) {
            assertThat(s.extractingAt.get(tenant + "-sybil-" + k))
                    .as("sybil key %d\n%s", k, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(2_000);
        }
        return s;
    }
}
