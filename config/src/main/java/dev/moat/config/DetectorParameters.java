package dev.moat.config;

import static java.util.Map.entry;

import java.util.Map;

/**
 * The parameters each detector takes, as the loader checks them: a name a detector's table does not
 * hold is reported as unknown (with the closest known one), a value outside its range with the
 * range, each at its line. The detectors declare the same in their own tables ({@code
 * dev.moat.detectors.params.ParamSpec}), which this module cannot see; gateway-core's {@code
 * DetectorParametersDriftTest} fails when the two differ in a name, a kind or a range.
 */
public final class DetectorParameters {

    /** What one parameter takes. */
    public sealed interface Param permits Whole, Decimal, Text, Nested {}

    /** A whole number in [min, max]. */
    public record Whole(long min, long max) implements Param {}

    /** A number in [min, max]. */
    public record Decimal(double min, double max) implements Param {}

    /** A string of the form {@code expected} describes (checked by the policy reader). */
    public record Text(String expected) implements Param {}

    /** A mapping of the parameters of the detector the parameter is named after (the tenant's pooled ones). */
    public record Nested() implements Param {}

    private static final Whole SEED = new Whole(Long.MIN_VALUE, Long.MAX_VALUE);
    private static final Decimal SHARE = new Decimal(0, 1);
    private static final Decimal Z = new Decimal(0, 100);
    private static final Decimal NEAR = new Decimal(0, 10);
    private static final Whole WINDOW = new Whole(10, 100_000);
    private static final Whole COUNT = new Whole(1, 100_000);

    private static final Map<String, Map<String, Param>> ALL = Map.of(
            "prada",
            Map.ofEntries(
                    entry("delta", SHARE),
                    entry("min_distances", new Whole(3, 4000)),
                    entry("max_set_size", COUNT),
                    entry("max_distances", new Whole(10, 5000)),
                    entry("projection_dims", new Whole(2, 4096)),
                    entry("test_every", new Whole(1, 10_000)),
                    entry("ramp", new Decimal(1e-6, 1)),
                    entry("seed", SEED),
                    entry("step_window", WINDOW),
                    entry("step_min_queries", COUNT),
                    entry("step_low", SHARE),
                    entry("step_high", SHARE),
                    entry("step_min_fraction", SHARE),
                    entry("step_coordinates", new Whole(8, 4096)),
                    entry("step_sample_seed", SEED),
                    entry("step_recent_rows", new Whole(0, 65_536)),
                    entry("step_evidence", new Decimal(0, 1e6)),
                    entry("w_max_score", SHARE)),
            "volume",
            Map.of(
                    "daily_budget",
                    new Whole(1, Long.MAX_VALUE / 4),
                    "half_life_minutes",
                    new Decimal(1, 7 * 24 * 60),
                    "min_keys",
                    new Whole(2, 100_000),
                    "z_low",
                    Z,
                    "z_high",
                    Z,
                    "max_score",
                    SHARE),
            "boundary",
            Map.ofEntries(
                    entry("margin", SHARE),
                    entry("window", WINDOW),
                    entry("min_queries", COUNT),
                    entry("reference_share", SHARE),
                    entry("default_share", SHARE),
                    entry("min_keys", COUNT),
                    entry("tolerance", SHARE),
                    entry("z_low", Z),
                    entry("z_high", Z),
                    entry("run_near", NEAR),
                    entry("run_seed", SEED),
                    entry("max_widening", new Decimal(1, 10))),
            "ood",
            Map.ofEntries(
                    entry("window", WINDOW),
                    entry("min_queries", COUNT),
                    entry("min_keys", COUNT),
                    entry("d_low", SHARE),
                    entry("d_high", SHARE),
                    entry("alpha", SHARE),
                    entry("max_widening", new Decimal(1, 10)),
                    entry("input_near", NEAR),
                    entry("input_seed", SEED),
                    entry("spread_margin", new Decimal(0, 5)),
                    entry("spread_width", new Decimal(0.01, 5)),
                    entry("spread_max_width", new Whole(0, 65_536)),
                    entry("spread_wide_floor", new Decimal(0, 1_000)),
                    entry("rough_share", SHARE),
                    entry("run_near", NEAR),
                    entry("run_seed", SEED),
                    entry("reference_confidences", new Text("comma-separated confidences in [0, 1], as a string"))),
            "coverage",
            Map.ofEntries(
                    entry("bits", new Whole(4, 24)),
                    entry("window", WINDOW),
                    entry("min_queries", new Whole(1, 10_000_000)),
                    entry("warmup", new Whole(1, 10_000)),
                    entry("novelty_low", SHARE),
                    entry("novelty_high", SHARE),
                    entry("seed", SEED),
                    entry("reference_novelty", SHARE),
                    entry("min_keys", COUNT),
                    entry("peer_margin", SHARE),
                    entry("cells", new Text("sign or fixed")),
                    entry("cell_mads", new Decimal(0.01, 1_000)),
                    entry("run_near", NEAR),
                    entry("run_seed", SEED)),
            "tenant",
            Map.of(
                    "min_keys", new Whole(1, 1_000_000),
                    "use", new Text("a comma-separated subset of coverage, prada, volume"),
                    "prada", new Nested(),
                    "coverage", new Nested(),
                    "volume", new Nested()),
            "cross_key",
            Map.ofEntries(
                    entry("store_size", new Whole(16, 1_000_000)),
                    entry("coordinates", new Whole(8, 4096)),
                    entry("window", WINDOW),
                    entry("min_hits", COUNT),
                    entry("step_low", SHARE),
                    entry("step_high", SHARE),
                    entry("step_min_fraction", SHARE),
                    entry("max_keys", new Whole(1, 10_000_000)),
                    entry("sample", new Whole(1, 1_000_000)),
                    entry("search_all_rows", new Whole(0, 1_000_000_000)),
                    entry("sample_seed", SEED)));

    private DetectorParameters() {}

    /** Detector name ({@link DetectorNames#ALL}) to parameter name to what it takes. */
    public static Map<String, Map<String, Param>> all() {
        return ALL;
    }

    /** One detector's parameters; empty for a name that is not a detector. */
    public static Map<String, Param> of(String detector) {
        return ALL.getOrDefault(detector, Map.of());
    }
}
