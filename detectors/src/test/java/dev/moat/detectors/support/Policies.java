package dev.moat.detectors.support;

import java.util.Map;

/** The detector configs the engine tests share. */
public final class Policies {

    private Policies() {}

    /**
     * {@code coverage}'s parameters: none (the default fixed cells), or {@code cells: sign} with {@code
     * -Dcoveragecells=sign} (a probe's switch, to compare with the cells before session 25).
     */
    static final Map<String, Object> COVERAGE =
            "sign".equals(System.getProperty("coveragecells")) ? Map.of("cells", "sign") : Map.of();

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
                COVERAGE,
                "tenant",
                COVERAGE.isEmpty()
                        ? Map.of("prada", Map.of("step_sample_seed", 7L))
                        : Map.of("prada", Map.of("step_sample_seed", 7L), "coverage", COVERAGE),
                "cross_key",
                Map.of("sample_seed", 7L));
    }
}
