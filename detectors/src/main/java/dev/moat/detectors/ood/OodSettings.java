package dev.moat.detectors.ood;

import dev.moat.detectors.internal.Params;
import dev.moat.detectors.internal.Runs;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.params.ParamSpec.Decimal;
import dev.moat.detectors.params.ParamSpec.Text;
import dev.moat.detectors.params.ParamSpec.Whole;
import java.util.List;
import java.util.Map;

/**
 * {@link OodDetector}'s validated parameters: {@link #PARAMETERS} lists each with its range, {@link
 * #from} reads and checks a policy's {@code ood} map against it (the defaults are documented on
 * {@link OodDetector}, and the input tests' on {@link InputSpread} and {@link Roughness}), and {@link
 * #calibrated} puts a calibration's references in. Built by {@link
 * OodDetector#factory} once per policy (and by tests) and read by the detector. {@code referenceCdf} is null when learned from the population,
 * {@code classCdfs} (class index to CDF) the calibration's per-class references, empty without.
 */
public record OodSettings(
        int window,
        int minQueries,
        int minKeys,
        double dLow,
        double dHigh,
        double alpha,
        double maxWidening,
        double inputNear,
        Long inputSeed,
        double spreadMargin,
        double spreadWidth,
        int spreadMaxWidth,
        double spreadWideFloor,
        double roughShare,
        double runNear,
        Long runSeed,
        double[] referenceCdf,
        Map<Integer, double[]> classCdfs,
        Map<Long, double[]> pairCdfs) {
    /** The largest {@code spread_max_width} accepted. */
    static final int SPREAD_MAX_WIDTH_LIMIT = 65_536;

    /** Every parameter this detector takes, with its range: what {@link Params} reads and checks. */
    public static final List<ParamSpec> PARAMETERS = List.of(
            new Whole("window", 10, 100_000),
            new Whole("min_queries", 1, 100_000),
            new Whole("min_keys", 1, 100_000),
            new Decimal("d_low", 0, 1),
            new Decimal("d_high", 0, 1),
            new Decimal("alpha", 0, 1),
            new Decimal("max_widening", 1, 10),
            new Decimal("input_near", 0, 10),
            new Whole("input_seed", Long.MIN_VALUE, Long.MAX_VALUE),
            new Decimal("spread_margin", 0, 5),
            new Decimal("spread_width", 0.01, 5),
            new Whole("spread_max_width", 0, SPREAD_MAX_WIDTH_LIMIT),
            new Decimal("spread_wide_floor", 0, 1_000),
            new Decimal("rough_share", 0, 1),
            new Decimal("run_near", 0, 10),
            new Whole("run_seed", Long.MIN_VALUE, Long.MAX_VALUE),
            new Text("reference_confidences"));

    public static OodSettings from(Map<String, Object> raw) {
        Params p = new Params(OodDetector.NAME, raw, PARAMETERS);
        String ref = p.string("reference_confidences", null);
        double[] cdf = null;
        if (ref != null) {
            cdf = new double[OodDetector.BINS];
            String[] cells = ref.split(",");
            for (String cell : cells) {
                double c;
                try {
                    c = Double.parseDouble(cell.trim());
                } catch (NumberFormatException e) {
                    throw p.fail("reference_confidences", ref, "comma-separated confidences in [0, 1]");
                }
                if (!(c >= 0 && c <= 1)) {
                    throw p.fail("reference_confidences", ref, "comma-separated confidences in [0, 1]");
                }
                cdf[OodDetector.bin(c)] += 1.0 / cells.length;
            }
            for (int i = 1; i < OodDetector.BINS; i++) {
                cdf[i] += cdf[i - 1];
            }
        }
        OodSettings s = new OodSettings(
                (int) p.integer("window", 500),
                (int) p.integer("min_queries", 100),
                (int) p.integer("min_keys", 5),
                p.number("d_low", 0.12),
                p.number("d_high", 0.2),
                p.number("alpha", 1e-4),
                p.number("max_widening", 3),
                p.number("input_near", 0),
                raw.containsKey("input_seed") ? p.integer("input_seed", 0) : null,
                p.number("spread_margin", 0.3),
                p.number("spread_width", 0.2),
                (int) p.integer("spread_max_width", InputSpread.SPREAD_MAX_WIDTH),
                wideFloor(p),
                p.number("rough_share", Roughness.ROUGH_SHARE),
                p.number("run_near", Runs.DEFAULT_NEAR),
                raw.containsKey("run_seed") ? p.integer("run_seed", 0) : null,
                cdf,
                Map.of(),
                Map.of());
        if (s.dHigh <= s.dLow) {
            throw p.fail("d_high", s.dHigh, "greater than d_low (" + s.dLow + ")");
        }
        return s;
    }

    private static double wideFloor(Params p) {
        double f = p.number("spread_wide_floor", InputSpread.SPREAD_WIDE_FLOOR);
        if (f != 0 && f < 1.5) {
            throw p.fail("spread_wide_floor", f, "0 (off) or a ratio of at least 1.5");
        }
        return f;
    }

    /** Whether the spread test judges inputs of {@code width}: up to {@code spread_max_width}, wider with a wide floor. */
    boolean spreadJudges(int width) {
        return spreadMaxWidth > 0 && (width <= spreadMaxWidth || spreadWideFloor > 0);
    }

    /**
     * These settings with {@code calibration}'s confidence references ({@code ood.confidence_cdf}, per
     * class and per class pair) unless {@code reference_confidences} is set or there is none; else these.
     */
    OodSettings calibrated(dev.moat.detectors.Calibration calibration) {
        return referenceCdf() == null && calibration != null && calibration.oodReference() != null
                ? new OodSettings(
                        window(),
                        minQueries(),
                        minKeys(),
                        dLow(),
                        dHigh(),
                        alpha(),
                        maxWidening(),
                        inputNear(),
                        inputSeed(),
                        spreadMargin(),
                        spreadWidth(),
                        spreadMaxWidth(),
                        spreadWideFloor(),
                        roughShare(),
                        runNear(),
                        runSeed(),
                        calibration.oodReference(),
                        calibration.oodClassReferences(),
                        calibration.oodPairReferences())
                : this;
    }
}
