package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.detectors.engine.DetectorProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DetectorProfileTest {

    @Test
    void emptyParameterMapsMeanDefaults() {
        DetectorProfile p = DetectorProfile.fromConfig(Map.of("prada", Map.of(), "tenant", Map.of()));
        assertThat(p.factories()).extracting(Detector.Factory::name).containsExactly("prada");
        assertThat(p.tenant()).isNotNull();
        assertThat(DetectorProfile.fromConfig(Map.of())).isSameAs(DetectorProfile.NONE);
        assertThat(DetectorProfile.NONE.isEmpty()).isTrue();
    }

    @Test
    void unknownDetectorIsNamedWithTheChoices() {
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("pradaa", Map.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "detectors: unknown detector \"pradaa\" (expected one of: boundary, coverage, cross_key, ood, prada, tenant, volume)");
    }

    @Test
    void unknownParameterIsNamedWithTheChoices() {
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("prada", Map.of("dleta", 0.9))))
                .hasMessageStartingWith("detectors.prada: unknown parameter \"dleta\" (expected one of: delta, ");
    }

    @Test
    void badValuesNameFieldValueAndExpectation() {
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("prada", Map.of("delta", 1.5))))
                .hasMessage("detectors.prada.delta: 1.5 (expected: a number in [0, 1])");
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("volume", Map.of("daily_budget", "lots"))))
                .hasMessageStartingWith("detectors.volume.daily_budget: \"lots\" (expected: a whole number");
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("tenant", Map.of("use", "prada,ood"))))
                .hasMessageContaining("detectors.tenant.use");
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("tenant", Map.of("prada", Map.of("x", 1L)))))
                .hasMessageContaining("detectors.prada: unknown parameter \"x\"");
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("coverage", Map.of("cells", "hexagons"))))
                .hasMessage("detectors.coverage.cells: \"hexagons\" (expected: sign or fixed)");
        assertThatThrownBy(() -> DetectorProfile.fromConfig(Map.of("coverage", Map.of("cell_mads", 0.0))))
                .hasMessageStartingWith("detectors.coverage.cell_mads: ");
    }

    @Test
    void seededFillsOnlyTheSecretSeedsTheConfigLeavesUnset() {
        DetectorProfile every = DetectorProfile.fromConfig(Map.of(
                "prada",
                Map.of(),
                "ood",
                Map.of(),
                "boundary",
                Map.of(),
                "coverage",
                Map.of(),
                "cross_key",
                Map.of(),
                "tenant",
                Map.of()));
        assertThat(every.seeded(1)).isEqualTo(every.seeded(1)).isNotEqualTo(every.seeded(2));
        for (String name : new String[] {"prada", "ood", "boundary", "coverage", "cross_key", "tenant"}) {
            DetectorProfile one = DetectorProfile.fromConfig(Map.of(name, Map.of()));
            assertThat(one.seeded(1)).as(name).isNotEqualTo(one.seeded(2));
        }
        DetectorProfile set = DetectorProfile.fromConfig(Map.of(
                "ood", Map.of("input_seed", 5L, "run_seed", 6L),
                "tenant", Map.of("prada", Map.of("step_sample_seed", 7L), "coverage", Map.of("run_seed", 8L)),
                "volume", Map.of()));
        assertThat(set.seeded(1)).isEqualTo(set.seeded(2)).isEqualTo(set);
    }
}
