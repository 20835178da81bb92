package dev.moat.config.internal;

import dev.moat.config.OutputSpec;
import dev.moat.config.Values;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One output transform written as a single-key map ({@code - top_k: 3}), as used in a policy's
 * {@code outputs} and in an escalation step's {@code perturb}.
 */
final class OutputSpecs {
    private static final List<String> KINDS =
            List.of("top_k", "round", "label_only", "noise", "reverse_sigmoid", "strip", "watermark");

    private OutputSpecs() {}

    /** Every spec of a list (or of one spec written alone); invalid ones are reported and left out. */
    static List<OutputSpec> list(ConfigNode node) {
        List<OutputSpec> out = new ArrayList<>();
        for (ConfigNode item : node.itemsOrSingle("a list of output transforms such as [{top_k: 3}, {round: 2}]")) {
            OutputSpec spec = one(item);
            if (spec != null) {
                out.add(spec);
            }
        }
        return out;
    }

    static OutputSpec one(ConfigNode item) {
        String expected = "a single-key map, one of: " + String.join(", ", KINDS);
        if (!item.isMapping()) {
            item.fail(expected);
            return null;
        }
        Fields f = item.fields(KINDS.toArray(String[]::new));
        List<String> given = KINDS.stream().filter(f::has).toList();
        if (given.size() != 1) {
            if (given.size() > 1) {
                item.report("a map with " + String.join(", ", given) + " (expected one transform per list entry)");
            } else if (f.names().isEmpty()) {
                item.fail(expected);
            }
            return null;
        }
        String kind = given.get(0);
        ConfigNode v = f.get(kind);
        return switch (kind) {
            case "top_k" ->
                v.as(null, "an integer >= 1", s -> {
                    Long k = Values.integer(s);
                    return k != null && k >= 1 && k <= Integer.MAX_VALUE ? new OutputSpec.TopK(k.intValue()) : null;
                });
            case "round" ->
                v.as(null, "an integer from 0 to 10", s -> {
                    Long d = Values.integer(s);
                    return d != null && d >= 0 && d <= 10 ? new OutputSpec.Round(d.intValue()) : null;
                });
            case "label_only" ->
                v.as(
                        null,
                        "true (remove the entry to turn it off)",
                        s -> Boolean.TRUE.equals(Values.bool(s)) ? new OutputSpec.LabelOnly() : null);
            case "noise" -> noise(v);
            case "reverse_sigmoid" -> reverseSigmoid(v);
            case "strip" -> strip(v);
            default -> watermark(v);
        };
    }

    private static OutputSpec noise(ConfigNode node) {
        Fields f = node.required().fields("kind", "scale", "epsilon", "sensitivity", "keep_top1");
        String kind = Fields.oneOf(f.required("kind"), List.of("gaussian", "laplace"), null);
        double scale = f.number("scale", 0, v -> v > 0, "a number > 0");
        double epsilon = f.number("epsilon", 0, v -> v > 0, "a number > 0 (privacy budget)");
        double sensitivity = f.number("sensitivity", 1.0, v -> v > 0, "a number > 0");
        boolean keepTop1 = f.bool("keep_top1", true);
        if ("gaussian".equals(kind) && !f.has("scale")) {
            f.required("scale").missing("a number > 0, the standard deviation");
        }
        if ("laplace".equals(kind) && !f.has("scale") && !f.has("epsilon")) {
            f.required("epsilon").missing("epsilon > 0 (or scale > 0) for laplace noise");
        }
        if ("laplace".equals(kind) && f.has("epsilon") && !f.has("scale") && epsilon > 0) {
            scale = sensitivity / epsilon;
        }
        return kind == null ? null : new OutputSpec.Noise(kind, scale, epsilon, sensitivity, keepTop1);
    }

    private static OutputSpec reverseSigmoid(ConfigNode node) {
        Fields f = node.fields("beta", "gamma");
        return new OutputSpec.ReverseSigmoid(
                f.number("beta", 1.0, v -> v > 0, "a number > 0"), f.number("gamma", 0.2, v -> v > 0, "a number > 0"));
    }

    private static OutputSpec strip(ConfigNode node) {
        List<String> pointers = new ArrayList<>();
        List<ConfigNode> items = node.required().itemsOrSingle("a list of JSON pointers such as [\"/explanations\"]");
        items.forEach(item -> {
            String p = RoutingSections.pointer(item);
            if (p != null) {
                pointers.add(p);
            }
        });
        if (items.isEmpty() && node.isSequence()) {
            node.fail("at least one JSON pointer such as \"/explanations\"");
        }
        return new OutputSpec.Strip(pointers);
    }

    private static OutputSpec watermark(ConfigNode node) {
        Fields f = node.required()
                .fields("rate", "secret", "ledger", "attribution", "ledger_max_size", "ledger_max_files");
        double rate = f.number("rate", 0.005, v -> v > 0 && v <= 0.5, "a number in (0, 0.5]");
        String secret = f.required("secret")
                .secret()
                .as(null, "a secret of at least 16 characters", s -> s.length() >= 16 ? s : null);
        String attribution = f.oneOf(
                "attribution",
                List.of(OutputSpec.Watermark.BY_KEY, OutputSpec.Watermark.BY_TENANT, OutputSpec.Watermark.BY_NONE),
                OutputSpec.Watermark.BY_KEY);
        long maxBytes = f.size("ledger_max_size", 4096, 1L << 40, OutputSpec.Watermark.DEFAULT_LEDGER_MAX_BYTES);
        int maxFiles = f.integer("ledger_max_files", 1, 10_000, OutputSpec.Watermark.DEFAULT_LEDGER_MAX_FILES);
        Path ledger = Fields.writableFile(f.get("ledger"), "a file the gateway can append the watermark ledger to");
        return new OutputSpec.Watermark(rate, secret, ledger, attribution, maxBytes, maxFiles);
    }

    /**
     * An escalation step's {@code watermark: {rate: 0.05}}: the raised rate, at least {@code base}
     * (the outputs' watermark rate); NaN when invalid.
     */
    static double escalatedRate(ConfigNode node, double base) {
        Fields f = node.required().fields("rate");
        String expected = "a number from the outputs' watermark rate " + base
                + " to 0.5 (a step raises a suspicious key's rate, never lowers it)";
        return f.required("rate").as(Double.NaN, expected, s -> {
            Double v = Values.decimal(s);
            return v != null && v >= base && v <= 0.5 ? v : null;
        });
    }
}
