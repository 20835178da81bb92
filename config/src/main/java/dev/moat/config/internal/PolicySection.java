package dev.moat.config.internal;

import dev.moat.config.DetectorNames;
import dev.moat.config.OutputSpec;
import dev.moat.config.PolicyConfig;
import dev.moat.config.PolicyConfig.EscalationStep;
import dev.moat.config.PolicyConfig.LlmRules;
import dev.moat.config.RateLimit;
import dev.moat.config.Values;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code policies} section: per policy its always-on {@code outputs}, its {@code detectors} with
 * their parameters, its {@code escalation} ladder and its {@code llm} rules.
 */
final class PolicySection {
    private static final List<String> DETECTORS = List.copyOf(new TreeSet<>(DetectorNames.ALL));

    private PolicySection() {}

    static Map<String, PolicyConfig> policies(ConfigNode node) {
        Map<String, PolicyConfig> out = new LinkedHashMap<>();
        node.entries().forEach((name, value) -> out.put(name, policy(name, value)));
        return out;
    }

    private static PolicyConfig policy(String name, ConfigNode node) {
        Fields f = node.fields("outputs", "detectors", "escalation", "llm");
        List<OutputSpec> outputs = f.has("outputs") ? OutputSpecs.list(f.get("outputs")) : List.of();
        return new PolicyConfig(
                name,
                outputs,
                detectors(f.get("detectors")),
                escalation(f.get("escalation"), outputs),
                f.has("llm") ? llm(f.get("llm")) : null);
    }

    private static Map<String, Map<String, Object>> detectors(ConfigNode node) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        node.entries().forEach((name, params) -> {
            if (!DetectorNames.ALL.contains(name)) {
                String hint = DidYouMean.closest(name, DETECTORS)
                        .map(s -> "did you mean " + s + "? ")
                        .orElse("");
                params.reportAtKey(
                        "unknown detector (" + hint + "expected one of: " + String.join(", ", DETECTORS) + ")");
                return;
            }
            Map<String, ConfigNode> nodes = Map.of();
            if (params.isMapping()) {
                nodes = params.entries();
            } else if (!params.isAbsent()) {
                params.fail("a mapping of parameters, or {} for the defaults");
            }
            // A parameter written as null means "the detector's default", so it is left out.
            Map<String, Object> values = new LinkedHashMap<>();
            nodes.forEach((key, value) -> {
                Object v = value.plain();
                if (v != null) {
                    values.put(key, v);
                }
            });
            if ("prada".equals(name)) {
                checkPrada(nodes, values);
            }
            if ("cross_key".equals(name)) {
                checkCrossKey(nodes, values);
            }
            if ("ood".equals(name)) {
                checkOod(nodes, values);
            }
            if ("coverage".equals(name)) {
                checkCoverage(nodes, values);
            }
            out.put(name, Collections.unmodifiableMap(values));
        });
        return out;
    }

    /** Only the parameters whose meaning the config knows are range-checked; others pass through. */
    private static void checkPrada(Map<String, ConfigNode> nodes, Map<String, Object> values) {
        if (values.containsKey("delta")) {
            Object d = values.get("delta");
            if (!(d instanceof Number n) || !(n.doubleValue() > 0 && n.doubleValue() < 1)) {
                nodes.get("delta").fail("a number in (0, 1), the Shapiro-Wilk threshold");
            }
        }
        if (values.containsKey("min_distances")) {
            Object m = values.get("min_distances");
            if (!(m instanceof Long l) || l < 10) {
                nodes.get("min_distances").fail("an integer >= 10");
            }
        }
    }

    private static final Map<String, long[]> CROSS_KEY_INTEGERS = Map.of(
            "store_size", new long[] {16, 1_000_000},
            "coordinates", new long[] {8, 4096},
            "window", new long[] {10, 100_000},
            "min_hits", new long[] {1, 100_000},
            "max_keys", new long[] {1, 10_000_000},
            "sample", new long[] {1, 1_000_000},
            "search_all_rows", new long[] {0, 1_000_000_000},
            "sample_seed", new long[] {Long.MIN_VALUE, Long.MAX_VALUE});
    private static final List<String> CROSS_KEY_NUMBERS = List.of("step_low", "step_high", "step_min_fraction");

    /** Every {@code cross_key} parameter is known here: unknown names and out-of-range values are reported at their line. */
    private static void checkCrossKey(Map<String, ConfigNode> nodes, Map<String, Object> values) {
        checkKnown(nodes, values, CROSS_KEY_INTEGERS, CROSS_KEY_NUMBERS);
    }

    /**
     * A detector whose parameters are whole numbers in their ranges ({@code integers}) and numbers
     * in [0, 1] ({@code fractions}): unknown names (with the closest known one) and out-of-range
     * values are reported at their line.
     */
    private static void checkKnown(
            Map<String, ConfigNode> nodes,
            Map<String, Object> values,
            Map<String, long[]> integers,
            List<String> fractions) {
        checkKnown(nodes, values, integers, fractions, List.of());
    }

    /** As above, with {@code others} known too and checked by the caller. */
    private static void checkKnown(
            Map<String, ConfigNode> nodes,
            Map<String, Object> values,
            Map<String, long[]> integers,
            List<String> fractions,
            List<String> others) {
        List<String> known = new ArrayList<>(integers.keySet());
        known.addAll(fractions);
        known.addAll(others);
        known.sort(null);
        nodes.forEach((key, node) -> {
            Object v = values.get(key);
            long[] range = integers.get(key);
            if (others.contains(key)) {
                return;
            }
            if (range != null) {
                if (v != null && (!(v instanceof Long l) || l < range[0] || l > range[1])) {
                    node.fail(
                            range[0] == Long.MIN_VALUE
                                    ? "a whole number"
                                    : "a whole number in [" + range[0] + ", " + range[1] + "]");
                }
            } else if (fractions.contains(key)) {
                if (v != null && (!(v instanceof Number n) || !(n.doubleValue() >= 0 && n.doubleValue() <= 1))) {
                    node.fail("a number in [0, 1]");
                }
            } else {
                String hint = DidYouMean.closest(key, known)
                        .map(h -> "did you mean " + h + "? ")
                        .orElse("");
                node.reportAtKey("unknown parameter (" + hint + "expected one of: " + String.join(", ", known) + ")");
            }
        });
    }

    private static final Map<String, long[]> OOD_INTEGERS = Map.of(
            "window", new long[] {10, 100_000},
            "min_queries", new long[] {1, 100_000},
            "min_keys", new long[] {1, 100_000},
            "input_seed", new long[] {Long.MIN_VALUE, Long.MAX_VALUE},
            "run_seed", new long[] {Long.MIN_VALUE, Long.MAX_VALUE},
            "spread_max_width", new long[] {0, 65_536});
    private static final Map<String, double[]> OOD_NUMBERS = Map.of(
            "d_low", new double[] {0, 1},
            "d_high", new double[] {0, 1},
            "alpha", new double[] {0, 1},
            "max_widening", new double[] {1, 10},
            "input_near", new double[] {0, 10},
            "run_near", new double[] {0, 10},
            "spread_margin", new double[] {0, 5},
            "spread_width", new double[] {0.01, 5},
            "spread_wide_floor", new double[] {0, 1_000},
            "rough_share", new double[] {0, 1});

    /**
     * Every {@code ood} parameter is known here (the detector's own ranges): unknown names, out-of-range
     * values and a {@code d_high} not above {@code d_low} are reported at their line.
     */
    private static void checkOod(Map<String, ConfigNode> nodes, Map<String, Object> values) {
        List<String> known = new ArrayList<>(OOD_INTEGERS.keySet());
        known.addAll(OOD_NUMBERS.keySet());
        known.add("reference_confidences");
        known.sort(null);
        nodes.forEach((key, node) -> {
            Object v = values.get(key);
            long[] integers = OOD_INTEGERS.get(key);
            double[] numbers = OOD_NUMBERS.get(key);
            if (integers != null) {
                if (v != null && (!(v instanceof Long l) || l < integers[0] || l > integers[1])) {
                    node.fail(
                            integers[0] == Long.MIN_VALUE
                                    ? "a whole number"
                                    : "a whole number in [" + integers[0] + ", " + integers[1] + "]");
                }
            } else if (numbers != null) {
                if (v != null
                        && (!(v instanceof Number n)
                                || !(n.doubleValue() >= numbers[0] && n.doubleValue() <= numbers[1]))) {
                    node.fail("a number in [" + fmt(numbers[0]) + ", " + fmt(numbers[1]) + "]");
                }
            } else if (key.equals("reference_confidences")) {
                if (v != null && !(v instanceof String)) {
                    node.fail("comma-separated confidences in [0, 1], as a string");
                }
            } else {
                String hint = DidYouMean.closest(key, known)
                        .map(h -> "did you mean " + h + "? ")
                        .orElse("");
                node.reportAtKey("unknown parameter (" + hint + "expected one of: " + String.join(", ", known) + ")");
            }
        });
        double low = values.get("d_low") instanceof Number n ? n.doubleValue() : 0.12;
        if (low >= 0
                && low <= 1
                && values.get("d_high") instanceof Number n
                && n.doubleValue() <= low
                && n.doubleValue() >= 0) {
            nodes.get("d_high").fail("a number greater than d_low (" + fmt(low) + ")");
        }
        if (values.get("spread_wide_floor") instanceof Number n && n.doubleValue() > 0 && n.doubleValue() < 1.5) {
            nodes.get("spread_wide_floor").fail("0 (off) or a number in [1.5, 1000]");
        }
    }

    private static final Map<String, long[]> COVERAGE_INTEGERS = Map.of(
            "bits", new long[] {4, 24},
            "window", new long[] {10, 100_000},
            "min_queries", new long[] {1, 10_000_000},
            "warmup", new long[] {1, 10_000},
            "min_keys", new long[] {1, 100_000},
            "seed", new long[] {Long.MIN_VALUE, Long.MAX_VALUE},
            "run_seed", new long[] {Long.MIN_VALUE, Long.MAX_VALUE});
    private static final List<String> COVERAGE_NUMBERS =
            List.of("novelty_low", "novelty_high", "reference_novelty", "peer_margin");

    /**
     * Every {@code coverage} parameter is known here (the detector's own ranges): unknown names,
     * out-of-range values and a {@code novelty_high} not above {@code novelty_low} are reported at their line.
     */
    private static void checkCoverage(Map<String, ConfigNode> nodes, Map<String, Object> values) {
        checkKnown(nodes, values, COVERAGE_INTEGERS, COVERAGE_NUMBERS, List.of("cells", "cell_mads", "run_near"));
        if (nodes.containsKey("cells")
                && !("sign".equals(values.get("cells")) || "fixed".equals(values.get("cells")))) {
            nodes.get("cells").fail("sign or fixed");
        }
        if (nodes.containsKey("cell_mads")
                && !(values.get("cell_mads") instanceof Number n
                        && n.doubleValue() >= 0.01
                        && n.doubleValue() <= 1_000)) {
            nodes.get("cell_mads").fail("a number in [0.01, 1000]");
        }
        if (nodes.containsKey("run_near")
                && !(values.get("run_near") instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 10)) {
            nodes.get("run_near").fail("a number in [0, 10]");
        }
        double low = values.get("novelty_low") instanceof Number n ? n.doubleValue() : 0.6;
        if (low >= 0
                && low <= 1
                && values.get("novelty_high") instanceof Number n
                && n.doubleValue() <= low
                && n.doubleValue() >= 0) {
            nodes.get("novelty_high").fail("a number greater than novelty_low (" + fmt(low) + ")");
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static List<EscalationStep> escalation(ConfigNode node, List<OutputSpec> outputs) {
        double baseRate = outputs.stream()
                .filter(OutputSpec.Watermark.class::isInstance)
                .mapToDouble(o -> ((OutputSpec.Watermark) o).rate())
                .findFirst()
                .orElse(Double.NaN);
        boolean watermarkAllowed = !Double.isNaN(baseRate);
        List<EscalationStep> out = new ArrayList<>();
        double previous = Double.NaN;
        for (ConfigNode item : node.items("a list of steps like {at: 0.8, throttle: \"20/1m\"}")) {
            Fields f = item.fields("at", "perturb", "throttle", "block", "watermark");
            ConfigNode atNode = f.required("at");
            double at = atNode.as(Double.NaN, "a risk from 0 to 1", s -> {
                Double v = Values.decimal(s);
                return v != null && v >= 0 && v <= 1 ? v : null;
            });
            if (!Double.isNaN(at) && !Double.isNaN(previous) && at <= previous) {
                atNode.fail("a risk above the previous step's " + previous + " (steps ascend strictly by at)");
            }
            if (!Double.isNaN(at)) {
                previous = at;
            }
            List<OutputSpec> perturb = f.has("perturb") ? OutputSpecs.list(f.get("perturb")) : List.of();
            List<RateLimit> throttle = new ArrayList<>();
            for (ConfigNode r : f.get("throttle").itemsOrSingle("a rate like \"20/1m\" or a list of them")) {
                RateLimit limit = r.as(null, Values.RATE_EXPECTED, Values::rate);
                if (limit != null) {
                    throttle.add(limit);
                }
            }
            Duration block = f.has("block") ? f.duration("block", null) : null;
            double watermarkRate = Double.NaN;
            if (f.has("watermark")) {
                ConfigNode w = f.get("watermark");
                if (watermarkAllowed) {
                    watermarkRate = OutputSpecs.escalatedRate(w, baseRate);
                } else {
                    w.reportAtKey("watermark step without a watermark in the policy's outputs"
                            + " (expected: a watermark output whose rate this step raises)");
                }
            }
            if (item.isMapping() && !f.has("perturb") && !f.has("throttle") && !f.has("block") && !f.has("watermark")) {
                item.fail("at least one action: perturb, throttle, block or watermark");
            }
            out.add(new EscalationStep(at, perturb, throttle, block, watermarkRate));
        }
        return out;
    }

    private static LlmRules llm(ConfigNode node) {
        Fields f = node.fields(
                "max_top_logprobs",
                "logprob_decimals",
                "logit_bias_with_logprobs",
                "max_logit_bias_entries",
                "prompt_logprobs");
        return new LlmRules(
                f.integer("max_top_logprobs", 0, 20, 5),
                f.integer("logprob_decimals", -1, 10, 2),
                f.oneOf("logit_bias_with_logprobs", List.of("reject", "neutralise"), "reject"),
                f.integer("max_logit_bias_entries", 0, 1_000_000, 10),
                f.oneOf("prompt_logprobs", List.of("reject", "strip"), "reject"));
    }
}
