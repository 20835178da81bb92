package dev.moat.config.internal;

import dev.moat.config.DetectorCheck;
import dev.moat.config.DetectorNames;
import dev.moat.config.DetectorParameters;
import dev.moat.config.DetectorParameters.Decimal;
import dev.moat.config.DetectorParameters.Nested;
import dev.moat.config.DetectorParameters.Param;
import dev.moat.config.DetectorParameters.Text;
import dev.moat.config.DetectorParameters.Whole;
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
import java.util.function.Predicate;

/**
 * The {@code policies} section: per policy its always-on {@code outputs}, its {@code detectors} with
 * their parameters, its {@code escalation} ladder and its {@code llm} rules.
 */
final class PolicySection {
    private static final List<String> DETECTORS = List.copyOf(new TreeSet<>(DetectorNames.ALL));

    private PolicySection() {}

    /** @param check the detectors' own check, run on each detector whose parameters passed the loader's */
    static Map<String, PolicyConfig> policies(ConfigNode node, DetectorCheck check) {
        Map<String, PolicyConfig> out = new LinkedHashMap<>();
        node.entries().forEach((name, value) -> out.put(name, policy(name, value, check)));
        return out;
    }

    private static PolicyConfig policy(String name, ConfigNode node, DetectorCheck check) {
        Fields f = node.fields("outputs", "detectors", "escalation", "llm");
        List<OutputSpec> outputs = f.has("outputs") ? OutputSpecs.list(f.get("outputs")) : List.of();
        return new PolicyConfig(
                name,
                outputs,
                detectors(f.get("detectors"), check),
                escalation(f.get("escalation"), outputs),
                f.has("llm") ? llm(f.get("llm")) : null);
    }

    private static Map<String, Map<String, Object>> detectors(ConfigNode node, DetectorCheck check) {
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
            int errors = params.source().errorCount();
            Map<String, ConfigNode> nodes = parameterNodes(params);
            Map<String, Object> values = Collections.unmodifiableMap(parameterValues(nodes));
            checkParameters(name, nodes, values);
            if (params.source().errorCount() == errors) {
                try {
                    check.check(name, values);
                } catch (IllegalArgumentException e) {
                    // the detector's message starts with "detectors.<name>." (or ": "), which the path already says
                    String message = e.getMessage();
                    for (String prefix : List.of("detectors." + name + ".", "detectors." + name + ": ")) {
                        if (message != null && message.startsWith(prefix)) {
                            message = message.substring(prefix.length());
                        }
                    }
                    params.reportAtKey(message);
                }
            }
            out.put(name, values);
        });
        return out;
    }

    private static Map<String, ConfigNode> parameterNodes(ConfigNode params) {
        if (params.isMapping()) {
            return params.entries();
        }
        if (!params.isAbsent()) {
            params.fail("a mapping of parameters, or {} for the defaults");
        }
        return Map.of();
    }

    /** A parameter written as null means "the detector's default", so it is left out. */
    private static Map<String, Object> parameterValues(Map<String, ConfigNode> nodes) {
        Map<String, Object> values = new LinkedHashMap<>();
        nodes.forEach((key, value) -> {
            Object v = value.plain();
            if (v != null) {
                values.put(key, v);
            }
        });
        return values;
    }

    /**
     * Every parameter of {@code detector} is checked at its line against the detector's table
     * ({@link DetectorParameters}), then the rules that join two parameters, each with the other at
     * its default when it is not written: the detector would refuse what is reported here.
     */
    private static void checkParameters(String detector, Map<String, ConfigNode> nodes, Map<String, Object> values) {
        Map<String, Param> table = DetectorParameters.of(detector);
        checkKnown(nodes, values, table);
        Order order = new Order(nodes, values, table);
        switch (detector) {
            case "prada" -> order.above("step_low", 0.05, "step_high", 0.15);
            case "volume" -> order.above("z_low", 3, "z_high", 6);
            case "boundary" -> order.above("z_low", 3, "z_high", 8);
            case "cross_key" -> {
                order.above("step_low", 0.05, "step_high", 0.15);
                order.atLeast("min_hits", 4, "window", 200);
            }
            case "ood" -> {
                order.above("d_low", 0.12, "d_high", 0.2);
                if (values.get("spread_wide_floor") instanceof Number n
                        && n.doubleValue() > 0
                        && n.doubleValue() < 1.5) {
                    nodes.get("spread_wide_floor").fail("0 (off) or a number in [1.5, 1000]");
                }
                checkList(nodes, values, table, "reference_confidences", s -> {
                    double c = Double.parseDouble(s);
                    return c >= 0 && c <= 1;
                });
            }
            case "coverage" -> {
                order.above("novelty_low", 0.6, "novelty_high", 0.9);
                if (values.get("cells") instanceof String c && !c.equals("sign") && !c.equals("fixed")) {
                    nodes.get("cells").fail("sign or fixed");
                }
            }
            case "tenant" -> {
                checkList(nodes, values, table, "use", s -> table.get(s) instanceof Nested);
                table.forEach((pooled, param) -> {
                    if (param instanceof Nested && values.get(pooled) instanceof Map<?, ?>) {
                        Map<String, ConfigNode> pooledNodes = nodes.get(pooled).entries();
                        checkParameters(pooled, pooledNodes, parameterValues(pooledNodes));
                    }
                });
            }
            default -> {}
        }
    }

    /**
     * Unknown names (with the closest known one) and values out of their range or of the wrong
     * kind are reported at their line; null values are the detector's defaults.
     */
    private static void checkKnown(
            Map<String, ConfigNode> nodes, Map<String, Object> values, Map<String, Param> table) {
        List<String> known = new ArrayList<>(table.keySet());
        known.sort(null);
        nodes.forEach((key, node) -> {
            Param param = table.get(key);
            Object v = values.get(key);
            if (param == null) {
                String hint = DidYouMean.closest(key, known)
                        .map(h -> "did you mean " + h + "? ")
                        .orElse("");
                node.reportAtKey("unknown parameter (" + hint + "expected one of: " + String.join(", ", known) + ")");
            } else if (v instanceof String s
                    && (param instanceof Whole || param instanceof Decimal)
                    && Values.decimal(s) != null) {
                // "0.9" reads as a number to a person: say that the quotes made it text
                node.report(node.quote(s) + ", quoted (expected " + expected(param, key)
                        + ", unquoted: quotes make it text)");
            } else if (v != null && !accepts(param, v)) {
                node.fail(expected(param, key));
            }
        });
    }

    private static boolean accepts(Param param, Object v) {
        if (param instanceof Whole w) {
            return v instanceof Long l && l >= w.min() && l <= w.max();
        }
        if (param instanceof Decimal d) {
            return v instanceof Number n && n.doubleValue() >= d.min() && n.doubleValue() <= d.max();
        }
        return param instanceof Text ? v instanceof String : v instanceof Map<?, ?>;
    }

    private static String expected(Param param, String name) {
        if (param instanceof Whole w) {
            return w.min() == Long.MIN_VALUE && w.max() == Long.MAX_VALUE
                    ? "a whole number"
                    : "a whole number in [" + w.min() + ", " + w.max() + "]";
        }
        if (param instanceof Decimal d) {
            return "a number in [" + fmt(d.min()) + ", " + fmt(d.max()) + "]";
        }
        return param instanceof Text t ? t.expected() : "a mapping of " + name + "'s parameters";
    }

    /**
     * A text parameter that is a comma-separated list, split and trimmed as the detector does: each
     * item must pass {@code item} (which may throw NumberFormatException for a rejected item).
     */
    private static void checkList(
            Map<String, ConfigNode> nodes,
            Map<String, Object> values,
            Map<String, Param> table,
            String name,
            Predicate<String> item) {
        if (values.get(name) instanceof String s && table.get(name) instanceof Text t) {
            for (String part : s.split(",")) {
                boolean ok;
                try {
                    ok = item.test(part.trim());
                } catch (NumberFormatException e) {
                    ok = false;
                }
                if (!ok) {
                    nodes.get(name).fail(t.expected());
                    return;
                }
            }
        }
    }

    /**
     * Two parameters that must keep an order, each at its default when not written; reported at
     * the upper one when it is written, else at the lower. A value already reported out of range is
     * left alone.
     */
    private record Order(Map<String, ConfigNode> nodes, Map<String, Object> values, Map<String, Param> table) {

        /** {@code high} strictly above {@code low}. */
        void above(String low, double lowDefault, String high, double highDefault) {
            check(low, lowDefault, high, highDefault, true);
        }

        /** {@code high} at least {@code low}. */
        void atLeast(String low, double lowDefault, String high, double highDefault) {
            check(low, lowDefault, high, highDefault, false);
        }

        private void check(String low, double lowDefault, String high, double highDefault, boolean strict) {
            Double lo = valid(low, lowDefault);
            Double hi = valid(high, highDefault);
            if (lo == null || hi == null || (strict ? hi > lo : hi >= lo)) {
                return;
            }
            if (values.containsKey(high)) {
                nodes.get(high)
                        .fail("a number " + (strict ? "greater than " : "at least ") + low + " (" + fmt(lo) + ")");
            } else {
                nodes.get(low).fail("a number " + (strict ? "below " : "at most ") + high + " (" + fmt(hi) + ")");
            }
        }

        /** The value in force: the written one when it is valid, the default when none is written, else null. */
        private Double valid(String name, double defaultValue) {
            Object v = values.get(name);
            if (v == null) {
                return defaultValue;
            }
            return accepts(table.get(name), v) ? ((Number) v).doubleValue() : null;
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
