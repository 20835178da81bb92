package dev.moat.bench.eval;

import java.util.List;

/**
 * One defence configuration the evaluation compares: a tier (token-bucket limits, counted per
 * request) and, unless the route is a plain proxy, a policy in the config's YAML shape.
 *
 * @param name        short id used in tables and JSON
 * @param description one line for the report
 * @param tierLimits  the tier's rates, e.g. {@code "600/1m"}
 * @param policyYaml  the body of {@code policies.eval} (indented under it), or null for no policy;
 *                    {@code ${LEDGER}} stands for the run's watermark ledger path
 */
public record Preset(String name, String description, List<String> tierLimits, String policyYaml) {

    /** A tier loose enough never to matter. */
    static final List<String> UNLIMITED = List.of("1000000/1s");

    public boolean detects() {
        return policyYaml != null && policyYaml.contains("detectors:");
    }

    public boolean watermarks() {
        return policyYaml != null && policyYaml.contains("watermark:");
    }

    /** The seven presets, in report order. */
    public static List<Preset> all() {
        return List.of(
                new Preset("none", "plain authenticated proxy route, no policy", UNLIMITED, null),
                new Preset(
                        "ratelimit",
                        "tier 600/1m + 20000/1d (per request), no policy",
                        List.of("600/1m", "20000/1d"),
                        null),
                new Preset("minimise", "outputs: top_k 3, round 2", UNLIMITED, """
                        outputs:
                          - top_k: 3
                          - round: 2
                        """),
                new Preset("perturb", "outputs: reverse_sigmoid beta 1 gamma 0.2 (top-1 kept)", UNLIMITED, """
                        outputs:
                          - reverse_sigmoid: {beta: 1.0, gamma: 0.2}
                        """),
                new Preset("watermark", "outputs: watermark rate 0.01 (ledger)", UNLIMITED, """
                        outputs:
                          - watermark: {rate: 0.01, secret: "eval-watermark-secret-0001", ledger: "${LEDGER}"}
                        """),
                new Preset(
                        "full",
                        "demo.yaml: tier 600/1m + 100000/1d; top_k 3, round 2, watermark 0.01; all detectors; "
                                + "escalation 0.5 perturb (reverse sigmoid), 0.8 throttle 20/1m, 0.95 block 1h",
                        List.of("600/1m", "100000/1d"),
                        """
                        outputs:
                          - top_k: 3
                          - round: 2
                          - watermark: {rate: 0.01, secret: "eval-watermark-secret-0001", ledger: "${LEDGER}"}
                        detectors: {prada: {delta: 0.9}, volume: {}, boundary: {}, ood: {}, coverage: {}, tenant: {}, cross_key: {}}
                        escalation:
                          - {at: 0.5, perturb: {reverse_sigmoid: {beta: 1.0, gamma: 0.2}}}
                          - {at: 0.8, throttle: "20/1m"}
                          - {at: 0.95, block: 1h}
                        """),
                // What an operator gets by deceiving every answer from the first one (top-1 kept, so
                // honest labels do not change; the probabilities do) on top of the full policy.
                new Preset(
                        "strict",
                        "full, plus reverse sigmoid (beta 1, gamma 0.2, top-1 kept) on every answer, "
                                + "watermark 0.005",
                        List.of("600/1m", "100000/1d"),
                        """
                        outputs:
                          - reverse_sigmoid: {beta: 1.0, gamma: 0.2}
                          - top_k: 3
                          - round: 2
                          - watermark: {rate: 0.005, secret: "eval-watermark-secret-0001", ledger: "${LEDGER}"}
                        detectors: {prada: {delta: 0.9}, volume: {}, boundary: {}, ood: {}, coverage: {}, tenant: {}, cross_key: {}}
                        escalation:
                          - {at: 0.8, throttle: "20/1m"}
                          - {at: 0.95, block: 1h}
                        """));
    }

    public static Preset named(String name) {
        return all().stream()
                .filter(p -> p.name.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("preset: \"" + name + "\" (expected one of: "
                        + String.join(", ", all().stream().map(Preset::name).toList()) + ")"));
    }
}
