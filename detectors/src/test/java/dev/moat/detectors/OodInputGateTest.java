package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Tabular;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code ood}'s input gate ({@code input_near}, off by default; {@code ood/InputReference}): answers
 * to inputs near the trusted peers' inputs are no evidence unless hesitant. Through the engine with
 * every detector (the examples' policy, {@link NarrowAndWideAdaptiveAttackersTest#ALL}), the gate on
 * ({@code input_near: 2}) or off.
 */
class OodInputGateTest {

    /** The examples' policy (every detector, fixed seeds), with `ood`'s input gate at {@code inputNear} (0: off, the default). */
    static DetectorProfile all(double inputNear) {
        return DetectorProfile.fromConfig(dev.moat.detectors.support.Policies.every(
                inputNear > 0 ? Map.of("input_near", inputNear, "input_seed", 7L) : Map.of("input_seed", 7L)));
    }

    static Scenario widePeers(int dims, double inputNear) {
        HonestDomain d = HonestDomain.series(dims, 1);
        Scenario s = new Scenario(all(inputNear), d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("peer-" + k, "good", d.peer(100 + k), 1_500, k * 700L, () -> 1_500);
        }
        s.run();
        return s;
    }

    static long oodFlagged(Scenario s) {
        return s.maxScores.values().stream()
                .filter(sc -> sc.getOrDefault("ood", 0.0) >= 0.5)
                .count();
    }

    /**
     * Twelve ordinary keys of the series model at 784 and 3,072 inputs, each a sensor at its own
     * level: a window's level moves the model's confidence so much that one peer's D+ reaches 0.68
     * against the others, past the widened thresholds (0.36-0.6), and {@code ood} flagged 3 of 12 at
     * 784 and 4-6 of 12 at 3,072 (measured 2026-11-29; the same run with the gate off, below). With
     * the gate their inputs are like the other peers' and no peer reaches 0.5. The code before has no
     * {@code input_near} (the profile does not load).
     */
    @Test
    void wideSeriesCustomersAtTheirOwnLevelsStayOkWithTheInputGate() {
        long withoutGate = 0;
        for (int dims : new int[] {784, 3072}) {
            Scenario on = widePeers(dims, 2);
            on.maxScores.forEach((k, sc) -> assertThat(sc.getOrDefault("ood", 0.0))
                    .as("series-%d %s\n%s", dims, k, on.report())
                    .isLessThan(0.5));
            withoutGate += oodFlagged(widePeers(dims, 0));
        }
        assertThat(withoutGate).as("peers flagged by ood without the gate").isPositive();
    }

    /**
     * The gate's price, pinned: a line search between natural rows stays near natural inputs, and its
     * answers that are not hesitant (margin 0.2 or more) are then no evidence. At 13 inputs ({@code
     * Tabular}, 12 honest keys) the line search mixed 1:3 with natural rows, flagged by {@code ood}
     * without the gate, never reaches 0.5 in {@code ood} with it, and nothing else flags it. JbDA per
     * feature is still flagged (its steps leave the peers' inputs). In {@code
     * NarrowAndWideAdaptiveAttackersTest} with the gate ({@code -Doodinputnear=2}) the 13-input line
     * search mixed 1:1, JbDA mixed 1:1 and its Sybils, and the 3,072-input line search mixed 1:1 / 1:3
     * are lost too (measured 2026-11-29; attackers the gate lets through stay trusted and their rows
     * vouch for each other's). That is why the gate is off by default.
     */
    @Test
    void theInputGateLetsStepsAndLineSearchesNearNaturalDataPastOodBypass() {
        for (double inputNear : new double[] {2, 0}) {
            Tabular t = new Tabular(13);
            Scenario s = new Scenario(all(inputNear), t::predict);
            for (int k = 0; k < 12; k++) {
                s.add("honest-" + k, "good", t.honest(1_300 + k), 1_800, k * 700L, () -> 2_000);
            }
            Map<String, QuerySource> attacks = new LinkedHashMap<>();
            attacks.put("jbda-per-feature", t.jbda(42, 0.1, Tabular.Step.PER_FEATURE));
            attacks.put(
                    "line-search-1-3",
                    LineSearch.interleaved(new LineSearch(t.attackerRows(46, 300), 46, 0.05), t.honest(146), 1, 3));
            attacks.forEach((name, a) -> s.add(name, null, a, 2_100, 600_000, () -> 1_000));
            s.run();
            assertThat(s.maxScores.get("jbda-per-feature").getOrDefault("ood", 0.0))
                    .as("jbda-per-feature, input_near %s\n%s", inputNear, s.report())
                    .isGreaterThanOrEqualTo(0.5);
            for (String name : java.util.List.of("line-search-1-3")) {
                double ood = s.maxScores.get(name).getOrDefault("ood", 0.0);
                if (inputNear > 0) {
                    assertThat(ood).as("%s with the gate\n%s", name, s.report()).isLessThan(0.5);
                } else {
                    assertThat(ood)
                            .as("%s without the gate\n%s", name, s.report())
                            .isGreaterThanOrEqualTo(0.5);
                }
            }
        }
    }
}
