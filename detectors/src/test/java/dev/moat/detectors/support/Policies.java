package dev.moat.detectors.support;

import java.util.Map;

/** The detector configs the engine tests share. */
public final class Policies {

    private Policies() {}

    /**
     * Every detector, as the examples' policy has them, with the seeded draws fixed ({@code prada}'s
     * step sample, the tenant's, {@code cross_key}'s) and {@code ood}'s parameters as given.
     */
    public static Map<String, Map<String, Object>> every(Map<String, Object> ood) {
        return Map.of(
                "prada",
                Map.of("delta", 0.9, "step_sample_seed", 7L),
                "volume",
                Map.of(),
                "boundary",
                Map.of(),
                "ood",
                ood,
                "coverage",
                Map.of(),
                "tenant",
                Map.of("prada", Map.of("step_sample_seed", 7L)),
                "cross_key",
                Map.of("sample_seed", 7L));
    }
}
