package dev.moat.detectors.prada;

import dev.moat.detectors.internal.Params;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.params.ParamSpec.Decimal;
import dev.moat.detectors.params.ParamSpec.Whole;
import java.util.List;
import java.util.Map;

/**
 * {@link PradaDetector}'s validated parameters: {@link #PARAMETERS} lists each with its range, and
 * {@link #from} reads and checks a policy's {@code prada} map against it (the defaults are
 * documented on {@link PradaDetector}). Built by {@link PradaDetector#factory} once per policy (and
 * by tests) and read by the detector. {@code stepSampleSeed} is null unless the operator fixes the
 * coordinate samples' seed (tests do, for repeatable runs).
 */
public record PradaSettings(
        double delta,
        int minDistances,
        int maxSetSize,
        int maxDistances,
        int projectionDims,
        int testEvery,
        double ramp,
        long seed,
        int stepWindow,
        int stepMinQueries,
        double stepLow,
        double stepHigh,
        double stepMinFraction,
        int stepCoordinates,
        Long stepSampleSeed,
        int stepRecentRows,
        double stepEvidence,
        double wMaxScore) {
    /** Every parameter this detector takes, with its range: what {@link Params} reads and checks. */
    public static final List<ParamSpec> PARAMETERS = List.of(
            new Decimal("delta", 0.0, 1.0),
            new Whole("min_distances", 3, 4000),
            new Whole("max_set_size", 1, 100_000),
            new Whole("max_distances", 10, 5000),
            new Whole("projection_dims", 2, 4096),
            new Whole("test_every", 1, 10_000),
            new Decimal("ramp", 1e-6, 1.0),
            new Whole("seed", Long.MIN_VALUE, Long.MAX_VALUE),
            new Whole("step_window", 10, 100_000),
            new Whole("step_min_queries", 1, 100_000),
            new Decimal("step_low", 0.0, 1.0),
            new Decimal("step_high", 0.0, 1.0),
            new Decimal("step_min_fraction", 0.0, 1.0),
            new Whole("step_coordinates", SignSteps.MIN_MOVED, 4096),
            new Whole("step_sample_seed", Long.MIN_VALUE, Long.MAX_VALUE),
            new Whole("step_recent_rows", 0, 65_536),
            new Decimal("step_evidence", 0.0, 1e6),
            new Decimal("w_max_score", 0.0, 1.0));

    /** The default cap on the W test's score: under the suspicious threshold (0.5), so W alone leaves a key ok. */
    public static final double DEFAULT_W_MAX_SCORE = 0.45;

    /** The default ring of recent rows' samples per wide key past the warm-up (0: none). */
    public static final int DEFAULT_RECENT_ROWS = 1024;

    /** The default level of the sequential test's statistic that scores 1 (half of it scores 0; 0: no test). */
    public static final double DEFAULT_STEP_EVIDENCE = 14;

    public static PradaSettings from(Map<String, Object> raw) {
        Params p = new Params(PradaDetector.NAME, raw, PARAMETERS);
        PradaSettings s = new PradaSettings(
                p.number("delta", 0.90),
                (int) p.integer("min_distances", 100),
                (int) p.integer("max_set_size", 1000),
                (int) p.integer("max_distances", 300),
                (int) p.integer("projection_dims", 64),
                (int) p.integer("test_every", 10),
                p.number("ramp", 0.2),
                p.integer("seed", 0x5eed),
                (int) p.integer("step_window", 200),
                (int) p.integer("step_min_queries", 50),
                p.number("step_low", 0.05),
                p.number("step_high", 0.15),
                p.number("step_min_fraction", 0.02),
                (int) p.integer("step_coordinates", 128),
                raw.containsKey("step_sample_seed") ? p.integer("step_sample_seed", 0) : null,
                (int) p.integer("step_recent_rows", DEFAULT_RECENT_ROWS),
                p.number("step_evidence", DEFAULT_STEP_EVIDENCE),
                p.number("w_max_score", DEFAULT_W_MAX_SCORE));
        if (s.stepHigh <= s.stepLow) {
            throw p.fail("step_high", s.stepHigh, "greater than step_low (" + s.stepLow + ")");
        }
        return s;
    }
}
