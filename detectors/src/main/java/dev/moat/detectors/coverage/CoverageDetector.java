package dev.moat.detectors.coverage;

import dev.moat.detectors.Calibration;
import dev.moat.detectors.Detector;
import dev.moat.detectors.internal.BitWindow;
import dev.moat.detectors.internal.Decimals;
import dev.moat.detectors.internal.KeyPopulation;
import dev.moat.detectors.internal.Params;
import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.internal.Runs;
import dev.moat.detectors.internal.SeriesWindows;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.params.ParamSpec.Decimal;
import dev.moat.detectors.params.ParamSpec.Text;
import dev.moat.detectors.params.ParamSpec.Whole;
import dev.moat.detectors.stats.RandomProjection;
import dev.moat.detectors.stats.SparseProjection;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Input-space coverage (after Kesarwani et al., "Model Extraction Warning in MLaaS Paradigm",
 * ACSAC 2018, who track how much of the feature space a user's queries cover). Honest traffic
 * clusters around the natural data and keeps landing in cells it has visited; random, synthetic
 * and noisy attack queries keep opening new ones.
 *
 * <p>Cells ({@code cells: fixed}, the default since session 25) come from p-stable locality-sensitive
 * hashing (Datar et al. 2004): {@code bits} (12) seeded random projections of the input (dense
 * Gaussian planes for inputs up to 64 wide, very sparse ones for wider, {@link SparseProjection}),
 * each cut into intervals of a fixed width in the data's units, {@code cell_mads} (3) median
 * absolute deviations of that projection over the trusted keys ({@link #updateFixed}); the
 * {@code bits} interval indices hashed into 2^bits cells. The widths come from a calibration file
 * ({@code coverage.cell_widths.W}) or, without one, from the trusted keys' reported spreads, once,
 * when {@code min_keys} (5) keys have reported (200 rows each); before that there are no cells and
 * no score. No key places anything: the former sign cells ({@code cells: sign}: the signs of the
 * projections around the mean of the key's own first {@code warmup} (32) inputs) let 32 blank rows
 * put every later random row in a few cells ({@code CoverageColdStartTest.blankFirstRowsPlaceTheCentreBypass}).
 * Visited cells are a bitset of 2^bits bits (512 bytes at 12 bits). The statistic is novelty: the
 * share of the key's last {@code window} (200) queries that opened a new cell. Score 0 at novelty
 * {@code novelty_low} (0.6), 1 at {@code novelty_high} (0.9), once {@code min_queries} (500) queries
 * are in (counted from the key's first cell); against the peers (issue 9), both move up together
 * when the reference plus {@code peer_margin} (0.1) is above {@code novelty_low}. The reference is
 * {@code reference_novelty} if set, else a calibration file's, else the median over the worker's
 * trusted keys ({@link KeyPopulation}, at least {@code min_keys}, 5) of each key's peak window
 * novelty from its second window on; a key is trusted while it is ok and its novelty, judged
 * against the reference as it stands, scores under 0.25 (before {@code min_queries} too), and joins
 * unjudged only while there is no reference. Where every honest query opens a new cell
 * (documents), the peers' reference says so and novelty stops counting; the absolute thresholds
 * stay the floor.
 *
 * <p>A query that is the key's last one read 1-16 coordinates later along a series ({@link
 * SeriesWindows}; {@code run_near}, 0.5, 0 turns it off; {@code run_seed}) marks its cell visited
 * but is not put in the novelty window: a monitor's overlapping windows of its machine's series
 * are one situation read along, not a sweep of the input space (session 31: the survey's vibration
 * monitors were flagged at 75-79% novelty). A key is scored once its window is full ({@code window}
 * queries that did not follow), so a monitor is not, and reports no peak. The price: a series read
 * along is not judged here at all, and on a population of monitors no reference forms ({@code
 * CoverageSeriesTest.randomValuesSentAsSlidingWindowsAreNoCoverageNoveltyBypass}); {@code ood}
 * and {@code boundary} judge every one of its windows.
 *
 * <p>Likewise a query that repeats the key's current situation ({@link Runs}: a near-copy of its
 * run's first query with a near answer; a camera's next frame of a scene, a re-send) marks its cell
 * but is not counted (session 35), as {@code ood} and {@code boundary} count a situation once: four
 * of the survey's night cameras at 3,072 inputs opened a cell with 75-86% of their frames, the
 * sensor's noise moving the projections by a cell, and were flagged; and a thief who sent each
 * random row twice halved his novelty with the copies ({@code
 * CoverageSeriesTest.randomRowsEachSentTwiceHalveTheirNoveltyBypass}). The price: on a population of
 * keys that stream, whose windows of situations fill slowly, the reference forms later or not at all.
 *
 * <p>With no cells or no reference (no calibration, fewer than {@code min_keys} trusted keys: a
 * fresh or restarted gateway's first rows, a small deployment) the score is 0 and the reason says
 * so: novelty cannot tell random queries from new documents without knowing what this model's
 * honest keys open. The keys that are most of a fresh worker's first keys set both (pinned:
 * {@code CoverageFixedCellsTest}); a calibration file closes that. A tenant's pool ({@link
 * #pooledOver}) takes its worker's key-level cells, and with no tenants' reference its key-level
 * reference.
 */
public final class CoverageDetector implements Detector<CoverageDetector.State> {

    public static final String NAME = "coverage";
    /** Every parameter this detector takes, with its range: what {@link Params} reads and checks. */
    public static final List<ParamSpec> PARAMETERS = List.of(
            new Whole("bits", 4, 24),
            new Whole("window", 10, 100_000),
            new Whole("min_queries", 1, 10_000_000),
            new Whole("warmup", 1, 10_000),
            new Decimal("novelty_low", 0, 1),
            new Decimal("novelty_high", 0, 1),
            new Whole("seed", Long.MIN_VALUE, Long.MAX_VALUE),
            new Decimal("reference_novelty", 0, 1),
            new Whole("min_keys", 1, 100_000),
            new Decimal("peer_margin", 0, 1),
            new Text("cells"),
            new Decimal("cell_mads", 0.01, 1_000),
            new Decimal("run_near", 0, 10),
            new Whole("run_seed", Long.MIN_VALUE, Long.MAX_VALUE));

    /**
     * Validated parameters; {@code referenceNovelty} is NaN when learned from the trusted peers
     * (see {@link CoverageDetector}).
     */
    public record Settings(
            int bits,
            int window,
            int minQueries,
            int warmup,
            double noveltyLow,
            double noveltyHigh,
            long seed,
            double referenceNovelty,
            int minKeys,
            double peerMargin,
            boolean fixedCells,
            double cellMads,
            double runNear,
            Long runSeed) {
        public static Settings from(Map<String, Object> raw) {
            Params p = new Params(NAME, raw, PARAMETERS);
            Settings s = new Settings(
                    (int) p.integer("bits", 12),
                    (int) p.integer("window", 200),
                    (int) p.integer("min_queries", 500),
                    (int) p.integer("warmup", 32),
                    p.number("novelty_low", 0.6),
                    p.number("novelty_high", 0.9),
                    p.integer("seed", 0xC0FE),
                    p.number("reference_novelty", Double.NaN),
                    (int) p.integer("min_keys", 5),
                    p.number("peer_margin", 0.1),
                    fixedCells(p),
                    p.number("cell_mads", 3),
                    p.number("run_near", dev.moat.detectors.internal.Runs.DEFAULT_NEAR),
                    raw.containsKey("run_seed") ? p.integer("run_seed", 0) : null);
            if (s.noveltyHigh <= s.noveltyLow) {
                throw p.fail("novelty_high", s.noveltyHigh, "greater than novelty_low (" + s.noveltyLow + ")");
            }
            return s;
        }

        /** These settings with the fixed reference {@code novelty} (a calibration's, checked in [0, 1] when read). */
        Settings withReferenceNovelty(double novelty) {
            return new Settings(
                    bits,
                    window,
                    minQueries,
                    warmup,
                    noveltyLow,
                    noveltyHigh,
                    seed,
                    novelty,
                    minKeys,
                    peerMargin,
                    fixedCells,
                    cellMads,
                    runNear,
                    runSeed);
        }

        private static boolean fixedCells(Params p) {
            String cells = p.string("cells", "fixed");
            return switch (cells) {
                case "sign" -> false;
                case "fixed" -> true;
                default -> throw p.fail("cells", cells, "sign or fixed");
            };
        }
    }

    /** One key's centre, visited cells and novelty window. */
    static final class State {
        /**
         * The centre's {@code bits} projections: the running mean of the first warmup queries'
         * projections (floats for wide inputs, which are projected sparsely; doubles for narrow
         * ones, projected on the dense planes), what every later query's projections are compared
         * with. Null before the first query. With {@code cells: fixed}: until the key's first cell, a
         * float array of each projection's running mean and then its mean absolute deviation ({@link
         * #updateFixed}); null from then on (and never allocated where a calibration gives the widths).
         */
        Object centre;

        /** Queries averaged into the centre (low 16 bits) and, for narrow inputs, the width the planes are drawn for (above). */
        int seen;

        long[] visited;
        /** The key's last query's block ({@link SeriesWindows#remember}; null until one). */
        char[] last;

        int cells;
        /** Whether each of the last {@code window} queries opened a new cell. */
        BitWindow novelty;

        long queries;
        /** The key's slot in the peers' reference ({@link KeyPopulation}), -1 while it holds none. */
        int slot = -1;
        /** With {@code cells: fixed}: the key's slot among the trusted keys' spreads, -1 while it holds none. */
        int spreadSlot = -1;
        /**
         * The highest novelty of a full window while the key was trusted, in 65,535ths (2 bytes; 0 when
         * it was last not trusted).
         */
        char peak;
        /** Whether the key's published risk was not below {@link KeyPopulation#KEY_OK_BELOW}. */
        boolean keyNotOk;

        /** The key's current run of answers ({@link Runs}): its members after the first do not count. */
        final Runs.Key run = new Runs.Key();
    }

    public static Factory factory(Map<String, Object> params) {
        Settings s = Settings.from(params);
        return Factory.of(NAME, () -> new CoverageDetector(s));
    }

    /**
     * The cell parameters a calibration's reference novelty was recorded with (the defaults): a policy
     * that changes any of them gets no reference from the calibration (its novelty is another
     * statistic).
     */
    static final Set<String> CELL_PARAMS = Set.of("bits", "window", "warmup", "seed", "cells", "cell_mads");

    /**
     * {@link #factory(Map)} with what a calibration file {@code c} (null: none) recorded for the
     * default cells: its cell widths ({@code coverage.cell_widths.W}, for inputs W wide) and its
     * fixed reference ({@code coverage.reference_novelty}, unless {@code params} set {@code
     * reference_novelty} themselves). Neither when {@code params} change the cells ({@link
     * #CELL_PARAMS}: the file's numbers are of another statistic), except that {@code cells} may
     * name the file's own kind: a file with widths is of {@code fixed} cells, one without them
     * (written before them) of {@code sign} cells, whose reference only a policy with {@code cells:
     * sign} takes.
     */
    public static Factory factory(Map<String, Object> params, Calibration c) {
        Settings s = Settings.from(params);
        boolean fileFixed = c != null && c.hasCoverageCells();
        if (c == null
                || s.fixedCells() != fileFixed
                || params.keySet().stream().anyMatch(k -> CELL_PARAMS.contains(k) && !k.equals("cells"))) {
            return factory(params);
        }
        Settings settings = params.containsKey("reference_novelty") || !c.hasCoverage()
                ? s
                : s.withReferenceNovelty(c.coverageNovelty());
        int width = c.coverageCellsWidth();
        double[] widths = c.coverageCellWidths();
        if (widths != null && widths.length != settings.bits()) {
            return factory(params);
        }
        return Factory.of(NAME, () -> new CoverageDetector(settings, width, widths));
    }

    /**
     * What {@code moat calibrate} records for coverage from keys' recorded inputs, with the default
     * parameters: the fixed cells' widths, as the online cells take them from trusted keys (the
     * median over keys of each key's mean absolute deviation of each projection, as it last reported
     * it, every {@code window} inputs), and in those cells each key's peak novelty (the highest of a
     * full window from its second on, as a trusted key reports it) and their median. Keeps each
     * key's {@code bits} projections of every input (8 x 12 bytes an input), since the widths must
     * be known before any cell is: the file is written once, from a recording. Only the input width
     * most keys sent counts. Not thread-safe.
     */
    public static final class Peaks {
        private final Settings settings = Settings.from(Map.of());
        private final CoverageDetector projector = new CoverageDetector(settings);
        private final Map<String, Recorded> keys = new java.util.LinkedHashMap<>();
        private Result result;

        /**
         * Adds one recorded input of {@code key} with no answer (empty inputs are ignored, as online):
         * no run is seen ({@link #add(String, double[], double[])} sees them, as the online detector does).
         */
        public void add(String key, double[] input) {
            add(key, input, new double[0]);
        }

        /**
         * Adds one recorded input of {@code key} and the answer it got (empty inputs are ignored, as
         * online): a query that repeats the key's current situation ({@link Runs}) or follows its last
         * one along a series is kept out of the novelty windows, as online.
         */
        public void add(String key, double[] input, double[] prediction) {
            if (input.length == 0) {
                return;
            }
            result = null;
            double[] x = projector.projectionOf(input);
            Recorded r = keys.computeIfAbsent(key, k -> new Recorded(input.length, settings.bits()));
            // whether it follows the key's last input along a series or repeats its situation, as online (the
            // cells see only projections); every recorded key is one the operator vouches for
            boolean follows = projector.series.follows(input, r.last);
            r.last = projector.series.remember(r.last, input);
            follows |= projector.repeats(r.run, input, prediction, true);
            r.add(x, input.length, follows);
        }

        /** Keys with a peak (at least 2 {@code window} inputs of the recorded width: 400). */
        public int keys() {
            return result().peaks.length;
        }

        /**
         * The median of the keys' peaks, NaN with fewer than {@code minKeys} keys with one or with no
         * cell widths ({@link #cellWidths}).
         */
        public double median(int minKeys) {
            double[] p = result().peaks;
            if (cellWidths(minKeys) == null || p.length == 0 || p.length < minKeys) {
                return Double.NaN;
            }
            int n = p.length;
            return (n & 1) == 1 ? p[n / 2] : 0.5 * (p[n / 2 - 1] + p[n / 2]);
        }

        /**
         * The cells' widths (one per projection), null with fewer than {@code minKeys} keys of {@code
         * window} (200) inputs of the recorded width.
         */
        public double[] cellWidths(int minKeys) {
            Result r = result();
            return r.widths == null || r.spreadKeys < minKeys ? null : r.widths.clone();
        }

        /** The input width the cells' widths are for (the one most keys sent), 0 with no inputs. */
        public int inputWidth() {
            return result().width;
        }

        private Result result() {
            if (result == null) {
                result = compute();
            }
            return result;
        }

        private record Result(int width, double[] widths, int spreadKeys, double[] peaks) {}

        private Result compute() {
            Map<Integer, Integer> byWidth = new java.util.HashMap<>();
            keys.values().forEach(r -> byWidth.merge(r.width, 1, Integer::sum));
            int width = byWidth.entrySet().stream()
                    .max(Map.Entry.<Integer, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                    .map(Map.Entry::getKey)
                    .orElse(0);
            int bits = settings.bits();
            int window = settings.window();
            java.util.List<float[]> spreads = new java.util.ArrayList<>();
            for (Recorded r : keys.values()) {
                if (r.width != width || r.n < window) {
                    continue;
                }
                // the key's running mean and mean absolute deviation as online, its last report's
                float[] stats = new float[2 * bits];
                float[] reported = new float[bits];
                for (int i = 0; i < r.n; i++) {
                    accumulate(stats, r.rows, i * bits, i + 1, bits);
                    if ((i + 1) % window == 0) {
                        System.arraycopy(stats, bits, reported, 0, bits);
                    }
                }
                spreads.add(reported);
            }
            if (spreads.isEmpty()) {
                return new Result(width, null, 0, new double[0]);
            }
            double[] widths = new double[bits];
            double[] column = new double[spreads.size()];
            for (int b = 0; b < bits; b++) {
                for (int k = 0; k < column.length; k++) {
                    column[k] = spreads.get(k)[b];
                }
                Arrays.sort(column);
                // the median the online population takes with equal weights: the smallest value whose
                // cumulative weight reaches half
                double median = column[(column.length + 1) / 2 - 1];
                widths[b] = Math.max(settings.cellMads() * MAD_PER_MEAN_DEVIATION * median, Double.MIN_NORMAL);
            }
            CoverageDetector detector = new CoverageDetector(settings, width, widths);
            double[] x = new double[bits];
            java.util.List<Double> peaks = new java.util.ArrayList<>();
            for (Recorded r : keys.values()) {
                if (r.width != width) {
                    continue;
                }
                State s = detector.newState();
                double peak = Double.NaN;
                for (int i = 0; i < r.n; i++) {
                    System.arraycopy(r.rows, i * bits, x, 0, bits);
                    detector.updateFixed(s, x, width, 0, r.follows.get(i));
                    long after = s.queries - settings.warmup();
                    if (s.novelty != null && s.novelty.full() && after % window == 0 && after >= 2L * window) {
                        double n = novelty(s);
                        peak = Double.isNaN(peak) ? n : Math.max(peak, n);
                    }
                }
                if (!Double.isNaN(peak)) {
                    peaks.add(peak);
                }
            }
            return new Result(
                    width,
                    widths,
                    spreads.size(),
                    peaks.stream().mapToDouble(Double::doubleValue).sorted().toArray());
        }
    }

    /** One recorded key's projections (for {@link Peaks}): {@code bits} doubles an input, of its first width. */
    private static final class Recorded {
        final int width;
        final int bits;
        double[] rows;
        int n;
        /**
         * Which rows followed the key's last input along a series ({@link SeriesWindows}) or repeated
         * its situation ({@link Runs}), that input's block, and the key's run.
         */
        final java.util.BitSet follows = new java.util.BitSet();

        char[] last;
        final Runs.Key run = new Runs.Key();

        Recorded(int width, int bits) {
            this.width = width;
            this.bits = bits;
            this.rows = new double[64 * bits];
        }

        void add(double[] x, int inputWidth, boolean followed) {
            if (inputWidth != width) {
                return;
            }
            follows.set(n, followed);
            if ((n + 1) * bits > rows.length) {
                rows = Arrays.copyOf(rows, rows.length * 2);
            }
            System.arraycopy(x, 0, rows, n * bits, bits);
            n++;
        }
    }

    /** Wider inputs are first projected to this many dimensions. */
    static final int PROJECT_ABOVE = 64;

    /**
     * The reference quantile over trusted keys' peak novelty: the median, so attackers must hold
     * more than half of the trusted weight to raise it (the 0.75 quantile the other detectors use
     * is their lenient side; here the lenient side is up, and a quarter of the weight would do).
     */
    static final double PEER_QUANTILE = 0.5;

    private final Settings settings;

    /** Windows read later along a series ({@code run_near}; null with 0): such a query's cell does not count. */
    private final SeriesWindows series;

    /**
     * A key's runs ({@code run_near}, {@code run_seed}; off with 0): a query that repeats the key's
     * current situation (a camera's next frame of a scene) marks its cell but does not count.
     */
    private final Runs runs;

    private final KeyPopulation population = new KeyPopulation(1024, 1, 0L, 3_600_000L, 86_400_000L, PEER_QUANTILE);
    private final double[] summary = new double[1];
    private static final int PEAK_UNIT = Character.MAX_VALUE;
    private final double[] projected = new double[24];
    private SparseProjection.ByWidth projections;
    private double[] planes = new double[0];
    private final double[] dots = new double[24];
    private int planeDims;
    /** For a tenant's pool: the key-level coverage of its worker, whose reference stands in for a missing one. */
    private CoverageDetector keys;

    public CoverageDetector(Settings settings) {
        this(settings, 0, null);
    }

    /**
     * With {@code cells: fixed} and {@code cellWidths} (one per projection; null: none), the cells of
     * inputs {@code width} wide have these widths from the first query (a calibration's) instead of
     * the trusted keys' (see {@link #updateFixed}).
     */
    CoverageDetector(Settings settings, int width, double[] cellWidths) {
        this.settings = settings;
        this.series = settings.runNear() > 0
                ? new SeriesWindows(
                        settings.runNear(),
                        settings.runSeed() != null ? settings.runSeed() : new java.security.SecureRandom().nextLong())
                : null;
        this.runs = new Runs(
                settings.runNear(),
                0,
                settings.runSeed() != null ? settings.runSeed() : new java.security.SecureRandom().nextLong(),
                false);
        boolean fixed = settings.fixedCells();
        this.byWidth = fixed ? new java.util.HashMap<>() : null;
        this.spreadSummary = fixed ? new double[settings.bits()] : null;
        this.offsets = fixed ? offsets() : null;
        if (fixed && cellWidths != null) {
            if (cellWidths.length != settings.bits()) {
                throw new IllegalArgumentException(
                        cellWidths.length + " cell widths (expected bits: " + settings.bits() + ")");
            }
            cellsOf(width, 0).setWidths(cellWidths.clone());
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public State newState() {
        return new State();
    }

    @Override
    public void update(State s, double[] input, double[] prediction, long now) {
        if (input.length == 0) {
            return;
        }
        // a window read later along a series (a monitor's overlapping windows) opens no cell that counts
        boolean follows = false;
        if (series != null) {
            follows = series.follows(input, s.last);
            s.last = series.remember(s.last, input);
        }
        // and so does a repeat of the key's current situation (a camera's next frame of its scene)
        follows |= repeats(s.run, input, prediction, !s.keyNotOk);
        if (settings.fixedCells()) {
            updateFixed(s, projectionOf(input), input.length, now, follows);
            return;
        }
        double[] x = input;
        boolean wide = input.length > PROJECT_ABOVE;
        if (wide) {
            x = projectWide(input);
        }
        s.queries++;
        int bits = settings.bits();
        if (s.centre == null) {
            s.centre = wide ? new float[bits] : new double[bits];
            s.seen = wide ? 0 : input.length << 16;
        }
        if (!wide) {
            // the planes are drawn for the key's first width; a narrower query uses their first coordinates
            // (a key whose first query was wide: for this query's width)
            int dims = s.seen >>> 16 == 0 ? input.length : s.seen >>> 16;
            x = project(input, Math.min(dims, input.length), dims);
        }
        int seen = seen(s);
        if (seen < settings.warmup()) {
            s.seen++;
            seen++;
            if (s.centre instanceof float[] centre) {
                for (int b = 0; b < bits; b++) {
                    centre[b] += (float) ((x[b] - centre[b]) / seen);
                }
            } else {
                double[] centre = (double[]) s.centre;
                for (int b = 0; b < bits; b++) {
                    centre[b] += (x[b] - centre[b]) / seen;
                }
            }
            return;
        }
        // bit b: the sign of plane b . (x - centre), as projection b of x above the centre's
        int cell = 0;
        if (s.centre instanceof float[] centre) {
            for (int b = 0; b < bits; b++) {
                if (x[b] > centre[b]) {
                    cell |= 1 << b;
                }
            }
        } else {
            double[] centre = (double[]) s.centre;
            for (int b = 0; b < bits; b++) {
                if (x[b] > centre[b]) {
                    cell |= 1 << b;
                }
            }
        }
        count(s, cell, now, follows);
    }

    /**
     * Wide inputs: the cell's hyperplanes are very sparse random ones (Li et al. 2006), applied once:
     * bit b is sign(p_b . (x - centre)) = sign(p_b . x - p_b . centre), so the key keeps only the bits
     * projections of its centre and a query costs ~bits * sqrt(d) additions. Into a scratch array.
     */
    private double[] projectWide(double[] input) {
        if (projections == null) {
            projections = new SparseProjection.ByWidth(settings.bits(), settings.seed());
        }
        projections.of(input.length).project(input, projected);
        return projected;
    }

    /**
     * The {@code bits} projections {@code cells: fixed} hashes (into a scratch array): sparse ones for
     * inputs wider than {@value #PROJECT_ABOVE}, the dense planes drawn for the input's own width else.
     */
    double[] projectionOf(double[] input) {
        return input.length > PROJECT_ABOVE ? projectWide(input) : project(input, input.length, input.length);
    }

    /**
     * Whether the query repeats the key's current situation ({@link Runs#joins}): a near-copy of its
     * run's first input with a near answer. Never without an answer, or with runs off. A {@code
     * trusted} key's run anchors teach the population's mean input.
     */
    boolean repeats(Runs.Key run, double[] input, double[] prediction, boolean trusted) {
        if (!runs.enabled() || prediction.length == 0) {
            return false;
        }
        double margin = Rows.margin(prediction);
        if (Double.isNaN(margin)) {
            return false;
        }
        int cls = Rows.top1Class(prediction);
        return runs.joins(run, input, cls, Rows.top1(prediction), margin, trusted);
    }

    /**
     * Marks the cell visited and, unless the query {@code follows} the key's last one along a series
     * or repeats its situation, puts its novelty into the key's window; every full window, the key's report to the peers.
     */
    private void count(State s, int cell, long now, boolean follows) {
        if (s.visited == null) {
            s.visited = new long[Math.max(1, (1 << settings.bits()) >>> 6)];
            s.novelty = new BitWindow(settings.window());
        }
        long bit = 1L << (cell & 63);
        boolean isNew = (s.visited[cell >>> 6] & bit) == 0;
        if (isNew) {
            s.visited[cell >>> 6] |= bit;
            s.cells++;
        }
        if (!follows) {
            s.novelty.add(isNew);
        }
        int window = settings.window();
        if (s.novelty.full() && (s.queries - settings.warmup()) % window == 0) {
            // From its second full window on (its first, into an empty set of visited cells, opens more than
            // any later one), every full window: the key's peak, the highest window novelty it has shown while
            // trusted (what its freshest data open; re-sent data open nothing, and would make a key that sends
            // only new data look unlike peers that also re-send), and its report. Trusted: ok, and its novelty
            // within the reference as it would be scored, even before min_queries; only while there is no
            // reference yet does an ok key join unjudged (the start: else where every honest key's novelty is
            // high no key could ever form the reference; a key its own coverage flagged is not ok).
            if (s.queries - settings.warmup() >= 2L * window) {
                double ref = reference(now);
                double judged = judge(s, ref);
                boolean ok = !s.keyNotOk && (judged < KeyPopulation.TRUSTED_BELOW || Double.isNaN(ref));
                s.peak = ok ? (char) Math.max(s.peak, Math.round(novelty(s) * PEAK_UNIT)) : 0;
                summary[0] = (double) s.peak / PEAK_UNIT;
                s.slot = population.report(s.slot, s, summary, ok, now);
            }
        }
    }

    /**
     * {@code cells: fixed} (session 24): cell b of a query is {@code floor(p_b . x / w_b + u_b)} (p-stable
     * hashing, Datar et al. 2004; {@code u_b} seeded in [0, 1)), the {@code bits} integers hashed into
     * 2^bits cells, with {@code w_b} = {@code cell_mads} (3) median absolute deviations of projection b,
     * the median over the trusted keys of each key's own (reported every {@code window} queries,
     * estimated as 0.845 times its mean absolute deviation), fixed once {@code min_keys} keys count,
     * or a calibration's; each input width its own (up to {@value #MAX_WIDTHS}; a key reports only
     * rows of its first width, so one key of another width cannot stop the cells forming, and
     * {@code CoverageFixedCellsTest.anotherWidthBlindsTheCellsBypass} shows it did; a width is kept
     * from a key's first report of it, and keys of many widths cannot crowd it out, {@link
     * #cellsOf}); a tenant's pool
     * takes its keys'. Cells of a fixed size in the data's
     * units: no centre for a key to place, where signs around the mean of a key's first 32 inputs
     * let 32 blank rows put every later random row in a few cells
     * ({@code CoverageColdStartTest.blankFirstRowsPlaceTheCentreBypass}). Before the width is known
     * there are no cells and no score, and a key's queries count from its first cell ({@code
     * s.queries} starts at {@code warmup} then, so {@code min_queries} and the reports keep their
     * meaning). State: until its first cell, the {@code centre} array holds each projection's
     * running mean and mean absolute deviation (2 x bits floats) and {@code seen} the key's first
     * width (above its count); dropped at its first cell.
     */
    private void updateFixed(State s, double[] x, int width, long now, boolean follows) {
        int bits = settings.bits();
        double[] scale = cellScales(width, now);
        if (scale == null) {
            // no widths for this width yet: until its first cell the key reports the spreads of the rows of its
            // first width (so a key's report is of one width), which only matter until the widths are known
            if (s.visited == null && width <= 0xFFFF) {
                int own = s.seen >>> 16;
                if (own == 0) {
                    own = width;
                    s.seen = width << 16;
                }
                if (own == width) {
                    if (s.centre == null) {
                        s.centre = new float[2 * bits];
                    }
                    float[] stats = (float[]) s.centre;
                    int n = Math.min(seen(s) + 1, 0xFFFF);
                    s.seen = (s.seen & ~0xFFFF) | n;
                    accumulate(stats, x, 0, n, bits);
                    // every window rows (s.queries counts them until the first cell)
                    if (++s.queries % settings.window() == 0) {
                        double[] spread = spreadSummary;
                        for (int b = 0; b < bits; b++) {
                            spread[b] = stats[bits + b];
                        }
                        WidthCells cells = cellsOf(width, now);
                        if (cells != null) {
                            s.spreadSlot = cells.spreads.report(s.spreadSlot, s, spread, !s.keyNotOk, now);
                        }
                    }
                }
            }
            scale = cellScales(width, now);
            if (scale == null) {
                return;
            }
        }
        long h = 0x9E3779B97F4A7C15L;
        for (int b = 0; b < bits; b++) {
            long k = (long) Math.floor(x[b] * scale[b] + offsets[b]);
            h = (h ^ k) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        if (s.visited == null) {
            // the key's first cell: its queries count from here, and its spreads are no longer needed
            s.queries = settings.warmup();
            s.centre = null;
        }
        s.queries++;
        count(s, (int) (h & ((1 << bits) - 1)), now, follows);
    }

    /**
     * One input's projections {@code x[from..from+bits)} into a key's running means ({@code
     * stats[0..bits)}) and mean absolute deviations ({@code stats[bits..2 bits)}), its {@code n}th.
     */
    static void accumulate(float[] stats, double[] x, int from, int n, int bits) {
        for (int b = 0; b < bits; b++) {
            float mean = stats[b] += (float) ((x[from + b] - stats[b]) / n);
            stats[bits + b] += (float) ((Math.abs(x[from + b] - mean) - stats[bits + b]) / n);
        }
    }

    /**
     * The fixed cells' inverse widths for inputs {@code width} wide (a multiplication per projection
     * where a division cost about ten times as much), or null while there are none (see {@link
     * #updateFixed}).
     */
    private double[] cellScales(int width, long now) {
        if (keys != null && keys.byWidth != null) {
            return keys.cellScales(width, now);
        }
        // the last width's cells, or that it has none yet (no map lookup, no boxed width, per event)
        WidthCells cells = width == lastWidth ? lastCells : byWidth.get(width);
        lastWidth = width;
        lastCells = cells;
        if (cells == null) {
            return null;
        }
        if (cells.scales == null && cells.spreads.activeKeys(now) >= settings.minKeys()) {
            double[] w = new double[settings.bits()];
            for (int b = 0; b < w.length; b++) {
                // the median absolute deviation of a normal variable is 0.845 of its mean absolute deviation
                w[b] = Math.max(
                        settings.cellMads() * MAD_PER_MEAN_DEVIATION * cells.spreads.median(b, now), Double.MIN_NORMAL);
            }
            cells.setWidths(w);
        }
        return cells.scales;
    }

    /**
     * The cells of inputs {@code width} wide, made at a key's first report of that width. Past {@link
     * #MAX_WIDTHS} widths a new one replaces the width without cells yet that the fewest trusted keys
     * report (an entry with cells is never replaced), so keys sending rows of many widths cannot
     * crowd out a width several honest keys report; null when every width has cells.
     */
    private WidthCells cellsOf(int width, long now) {
        WidthCells cells = byWidth.get(width);
        if (cells == null) {
            if (byWidth.size() >= MAX_WIDTHS) {
                Integer fewest = null;
                int least = Integer.MAX_VALUE;
                for (Map.Entry<Integer, WidthCells> e : byWidth.entrySet()) {
                    int active = e.getValue().spreads.activeKeys(now);
                    if (e.getValue().scales == null && active < least) {
                        least = active;
                        fewest = e.getKey();
                    }
                }
                if (fewest == null) {
                    return null;
                }
                byWidth.remove(fewest);
                lastWidth = -1;
                lastCells = null;
            }
            cells = new WidthCells(settings.bits());
            byWidth.put(width, cells);
            lastWidth = -1;
        }
        return cells;
    }

    /** Input widths with cells of their own, at most (a policy's models; the map stays bounded whatever keys send). */
    static final int MAX_WIDTHS = 16;

    /**
     * With {@code cells: fixed}, for one input width: the trusted keys' spreads of each projection,
     * and once {@code min_keys} have reported, their medians' cell widths (fixed from then on).
     */
    private static final class WidthCells {
        final KeyPopulation spreads;
        /** 1 / the widths: a multiplication per projection where a division cost about ten times as much. */
        double[] scales;

        WidthCells(int bits) {
            spreads = new KeyPopulation(1024, bits, 0L, 3_600_000L, 86_400_000L, PEER_QUANTILE);
        }

        void setWidths(double[] w) {
            scales = new double[w.length];
            for (int b = 0; b < w.length; b++) {
                scales[b] = 1 / w[b];
            }
        }
    }

    static final double MAD_PER_MEAN_DEVIATION = 0.845;

    /** With {@code cells: fixed}: per input width, the trusted keys' spreads and the cells' widths; null with signs. */
    private final Map<Integer, WidthCells> byWidth;

    /** The last width looked up in {@link #byWidth}, and its cells (one policy's inputs are mostly of one width). */
    private int lastWidth = -1;

    private WidthCells lastCells;
    private final double[] spreadSummary;
    private final double[] offsets;

    private double[] offsets() {
        SplittableRandom r = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
        double[] u = new double[settings.bits()];
        for (int b = 0; b < u.length; b++) {
            u[b] = r.nextDouble();
        }
        return u;
    }

    /**
     * The peers' reference novelty: {@code reference_novelty} if set, else the median of the trusted
     * keys' peak novelty once {@code min_keys} of them count, else NaN (none yet).
     */
    double reference(long now) {
        double ref = ownReference(now);
        return Double.isNaN(ref) ? borrowedReference(now) : ref;
    }

    /**
     * For a tenant's pool with no tenants' reference yet: its keys' (a pool of keys that each re-send
     * their own records opens more cells than any one of them, so this can be strict for it; the
     * absolute thresholds, a floor, scored it the same before); NaN for a key-level instance.
     */
    private double borrowedReference(long now) {
        return keys == null ? Double.NaN : keys.reference(now);
    }

    /** {@code reference_novelty}, or the trusted peers' once {@code min_keys} count, else NaN; never the key-level one. */
    private double ownReference(long now) {
        double ref = settings.referenceNovelty();
        if (Double.isNaN(ref) && population.activeKeys(now) >= settings.minKeys()) {
            ref = population.median(0, now);
        }
        return ref;
    }

    /**
     * Makes this instance (a tenant's pooled coverage) use {@code keyLevel}'s reference (the same
     * worker's key-level coverage) while it has none of its own: where fewer than {@code min_keys}
     * tenants have pooled two windows (a deployment of one or a few tenants, always), there is no
     * tenants' reference, and without one the pool would have no opinion.
     */
    public void pooledOver(CoverageDetector keyLevel) {
        this.keys = keyLevel == this ? null : keyLevel;
    }

    /**
     * Where the score starts: {@code novelty_low}, or {@code peer_margin} above the peers' reference
     * {@code ref} when that is higher (the absolute threshold is a floor: peers can only make coverage
     * more lenient, never stricter than before it learned from them).
     */
    private double low(double ref) {
        return Double.isNaN(ref) ? settings.noveltyLow() : Math.max(settings.noveltyLow(), ref + settings.peerMargin());
    }

    /** From score 0 to 1: {@code novelty_high - novelty_low}, shifted with the start. */
    private double span() {
        return settings.noveltyHigh() - settings.noveltyLow();
    }

    @Override
    public void observeRisk(State s, double risk) {
        s.keyNotOk = !(risk < KeyPopulation.KEY_OK_BELOW);
    }

    /** Queries averaged into the key's centre so far. */
    static int seen(State s) {
        return s.seen & 0xFFFF;
    }

    /**
     * x[0..n)'s projections on the {@code bits} dense Gaussian planes drawn for width {@code dims}
     * (into a scratch array): bit b of a cell is whether projection b is above the centre's, the
     * sign of plane b . (x - centre) in exact arithmetic.
     */
    private double[] project(double[] x, int n, int dims) {
        int bits = settings.bits();
        if (planeDims != dims) {
            // plane b's coefficient i is drawn in the order b * dims + i and stored at i * bits + b
            planes = new double[bits * dims];
            SplittableRandom rnd = new SplittableRandom(settings.seed());
            for (int b = 0; b < bits; b++) {
                for (int i = 0; i < dims; i++) {
                    planes[i * bits + b] = RandomProjection.gaussian(rnd);
                }
            }
            planeDims = dims;
        }
        // Coordinate by coordinate, all planes at once: the bits sums are independent chains the CPU
        // overlaps, where one dot product at a time waited on each addition.
        double[] dot = dots;
        Arrays.fill(dot, 0, bits, 0.0);
        for (int i = 0; i < n; i++) {
            double d = x[i];
            int row = i * bits;
            for (int b = 0; b < bits; b++) {
                dot[b] += planes[row + b] * d;
            }
        }
        return dot;
    }

    private static double novelty(State s) {
        return s.novelty == null || s.novelty.filled() == 0 ? 0 : (double) s.novelty.count() / s.novelty.filled();
    }

    /**
     * The score against the reference as it is at {@code timeMillis} (computed, not kept: 8 bytes a
     * key; the reference is recomputed at most once a second of event time or every 64 reports).
     */
    @Override
    public double score(State s, long timeMillis) {
        // a full window too: windows read along a series are not put in it (a monitor's may hold a few)
        if (s.queries < settings.minQueries() || s.novelty == null || !s.novelty.full()) {
            return 0;
        }
        double own = ownReference(timeMillis);
        double ref = Double.isNaN(own) ? borrowedReference(timeMillis) : own;
        // no reference yet (fewer than min_keys trusted keys, no reference_novelty): coverage has not learned
        // what this model's honest novelty is, and where every honest query opens a cell (documents, fresh
        // images) the absolute thresholds flagged every customer; so it has no opinion (the reason says why)
        if (Double.isNaN(ref)) {
            return 0;
        }
        double score = judge(s, ref);
        // one key's novelty is no pool's: several honest keys' rows, pooled, open more cells than any of them
        // (eight ordinary keys of a tenant 79% against 38% of the narrow keys that formed the key-level one):
        // against it a pool is flagged only where its novelty reaches novelty_high, what random rows open
        return Double.isNaN(own) && novelty(s) < settings.noveltyHigh() ? Math.min(BORROWED_MAX_SCORE, score) : score;
    }

    /** The highest score of a pool judged against its keys' reference below {@code novelty_high}: under suspicious. */
    static final double BORROWED_MAX_SCORE = 0.45;

    /** The key's current novelty scored against the reference {@code ref} (NaN: none), whatever its queries. */
    private double judge(State s, double ref) {
        return Rows.clamp01((novelty(s) - low(ref)) / span());
    }

    @Override
    public String reason(State s, long timeMillis) {
        // String.format's text, built without a Formatter (reasons are rebuilt on a few percent of events)
        StringBuilder b = new StringBuilder(80)
                .append("coverage: ")
                .append(s.cells)
                .append(" cells after ")
                // fixed cells count a key's queries from warmup at its first cell: the reason says how many had one
                .append(settings.fixedCells() ? (s.visited == null ? 0 : s.queries - settings.warmup()) : s.queries)
                .append(" queries, ");
        Decimals.fixed(b, 100 * novelty(s), 0)
                .append("% of last ")
                .append(s.novelty == null ? 0 : s.novelty.filled())
                .append(" opened a new cell");
        double own = ownReference(timeMillis);
        double ref = Double.isNaN(own) ? borrowedReference(timeMillis) : own;
        if (settings.fixedCells() && s.visited == null) {
            // no cells before the trusted keys' spreads give their width (a pool: its keys', when they have them)
            CoverageDetector from = keys != null && keys.byWidth != null ? keys : this;
            WidthCells cells = from.byWidth.get(s.seen >>> 16);
            b.append(" (no cell width yet: ")
                    .append(cells == null ? 0 : cells.spreads.activeKeys(timeMillis))
                    .append(" of ")
                    .append(settings.minKeys())
                    .append(" trusted keys' spreads)");
        } else if (!Double.isNaN(ref)) {
            Decimals.fixed(b.append(" (peers "), 100 * ref, 0)
                    .append(Double.isNaN(own) ? "%, its keys'" : "%")
                    .append(')');
        } else {
            b.append(" (no reference yet: ")
                    .append(population.activeKeys(timeMillis))
                    .append(" of ")
                    .append(settings.minKeys())
                    .append(" trusted keys)");
        }
        return b.toString();
    }
}
