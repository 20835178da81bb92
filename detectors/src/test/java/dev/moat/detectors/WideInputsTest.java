package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.SybilSplit;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JbDA/FGSM family on wide inputs (issue 9, item 3): the digits upsampled to 28x28 (784) and
 * 32x32x3 (3,072, channels of different ranges, see {@link Wide}), every detector, a driven clock.
 * Twelve honest keys (natural digits with sensor noise, upsampled; half also with per-pixel noise
 * after upsampling) for an hour must stay OK; from minute 10 the attackers send one query a second:
 * plain steps, steps scaled per feature ({@code eps * range_j}), large steps clipped at the bounds,
 * steps of random size per coordinate, and a 5-key Sybil tenant, each caught within 500 of its
 * rows; attackers who read the code (small steps, a fifth of the coordinates moved, natural samples
 * mixed in 1:1, sizes from 0) within 2,000.
 */
class WideInputsTest {

    /** Every detector; the per-key coordinate samples seeded, so runs repeat (in production they are secret). */
    static final DetectorProfile ALL = DetectorProfile.fromConfig(Map.of(
            "prada",
            Map.of("step_sample_seed", 7L),
            "volume",
            Map.of(),
            "boundary",
            Map.of(),
            "ood",
            Map.of(),
            "coverage",
            Map.of(),
            "tenant",
            Map.of("prada", Map.of("step_sample_seed", 7L))));

    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void wideJbdaIsCaughtAndWideHonestTrafficIsNot(int dims) {
        Wide wide = new Wide(dims);
        long start = 600_000;
        Scenario s = new Scenario(ALL, wide::predict);
        for (int k = 0; k < 12; k++) {
            QuerySource h = k % 2 == 0 ? wide.honest(500 + k) : wide.honestNoisy(500 + k);
            s.add("honest-" + k, "good", h, 1_800, k * 700L, () -> 2_000);
        }
        Map<String, QuerySource> plain = new TreeMap<>();
        plain.put("plain", wide.jbda(1, 0.1, Wide.Step.PLAIN, 1, 0));
        plain.put("per-feature", wide.jbda(2, 0.1, Wide.Step.PER_FEATURE, 1, 0));
        plain.put("clipped", wide.jbda(3, 0.3, Wide.Step.PLAIN, 1, 0));
        plain.put("random-size", wide.jbda(4, 0.1, Wide.Step.RANDOM_SIZE, 1, 0));
        Map<String, QuerySource> adaptive = new TreeMap<>();
        adaptive.put("small-steps", wide.jbda(5, 0.03, Wide.Step.PLAIN, 1, 0));
        adaptive.put("fifth-of-coordinates", wide.jbda(6, 0.1, Wide.Step.PER_FEATURE, 0.2, 0));
        adaptive.put("mixed-natural", wide.jbda(7, 0.1, Wide.Step.PER_FEATURE, 1, 2));
        adaptive.put("random-size-from-zero", wide.jbda(8, 0.1, Wide.Step.RANDOM_SIZE_FROM_ZERO, 1, 0));
        adaptive.put("blocks-of-16", wide.jbda(9, 0.1, Wide.Step.BLOCKS_OF_16, 1, 0));
        plain.forEach((name, a) -> s.add(name, null, a, 1_000, start, () -> 1_000));
        adaptive.forEach((name, a) -> s.add(name, null, a, 2_500, start, () -> 1_000));
        s.add(
                null,
                "sybil",
                SybilSplit.of(wide.jbda(9, 0.1, Wide.Step.PER_FEATURE, 1, 0), "sybil", 5),
                2_500,
                start + 300,
                () -> 200);
        s.run();
        System.out.printf(
                "wide %d: extracting at %s; tenants %s; max honest risk %.2f (%s)%n",
                dims,
                new TreeMap<>(s.extractingAt),
                new TreeMap<>(s.tenantExtractingAt),
                s.maxHonestRisk(),
                s.worstHonest());

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
        assertThat(s.tenantExtractingAt.get("sybil"))
                .as("sybil tenant")
                .isNotNull()
                .isLessThanOrEqualTo(500);
    }
}
