package dev.moat.detectors;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A fixed honest reference for the detectors that compare a key with its peers, written by {@code
 * moat calibrate} from traffic the operator vouches for and named by {@code detection.calibration}.
 * With one configured, {@code ood}, {@code boundary} and {@code volume} (and {@code coverage} when
 * the file has its line) compare every key with it
 * instead of with the keys active now, so no number of attacking keys can move what "normal" means.
 *
 * <ul>
 *   <li>{@code ood.confidence_cdf}: the CDF of the honest keys' top-1 confidences over ood's 40 bins
 *       (the pointwise median over keys, as the online reference is built);
 *   <li>{@code ood.class_cdf.C}, one line per top-1 class index C with enough answers: the CDF of
 *       the honest answers of class C over the same bins, built as {@code ood}'s online per-class
 *       references are (answers pooled over keys, each key counting at most {@value #CLASS_KEY_CAP} of
 *       them; at least {@value #CLASS_MIN_KEYS} keys and {@value #CLASS_MIN_ANSWERS} such answers);
 *       {@code ood} compares a key with the mix of these its own classes call for (absent in files
 *       written before: then the pooled CDF alone, as before);
 *   <li>{@code ood.pair_cdf.A.B}, one line per pair of top-1 class A and top-2 class B with enough
 *       answers, built the same way from the answers whose top two classes are A then B: {@code ood}
 *       compares such an answer with it rather than with class A's (a misread B labelled A, B second,
 *       is compared with honest misread Bs, not with confident As); absent in older files;
 *   <li>{@code boundary.margin_cdf}: the median over keys of the share of answers whose top-1 minus
 *       top-2 margin is below (i+1)/100, for i in 0..99 (any configured {@code margin} reads its share
 *       off it);
 *   <li>{@code volume.log_rate_median}, {@code volume.log_rate_mad}: median and median absolute
 *       deviation over keys of ln(queries per hour while active);
 *   <li>{@code coverage.cell_widths.W = w1,...,w12}: coverage's fixed cells' width along each of its
 *       projections for inputs W wide, {@code cell_mads} (3) times 0.845 times the median over keys
 *       (at least 200 inputs of that width) of each key's mean absolute deviation of the projection,
 *       as the online cells take them from the trusted keys (recordings with inputs only; the width
 *       most keys sent). A gateway with the file has coverage's cells from its first query, and no
 *       key, however many, can set them;
 *   <li>{@code coverage.reference_novelty}: the median over keys of their peak novelty in those
 *       cells, as {@code coverage}'s online reference takes it (keys with at least 400 inputs of that
 *       width). Both are recorded with coverage's default cells, so a policy that changes {@code
 *       bits}, {@code window}, {@code warmup}, {@code seed}, {@code cells} or {@code cell_mads}
 *       learns them online instead. A file without {@code coverage.cell_widths} (written before
 *       them) has a reference novelty of the former sign cells: it is used only by policies that set
 *       {@code cells: sign};
 *   <li>{@code ood.spread.rows.K}, one line per recorded key K (0, 1, ...; recordings with inputs at
 *       most {@code spread_max_width} wide, 63 by default): up to {@value #SPREAD_PER_KEY} of its
 *       natural input rows at full width (at least {@value #SPREAD_MIN_PER_KEY}), {@code ;} between rows, {@code ,} between values; at most
 *       {@value #SPREAD_ROWS} rows from at least {@value #SPREAD_MIN_KEYS} keys, {@value
 *       #SPREAD_MIN_ROWS} in all. {@code ood}'s spread test starts each worker's input reference from
 *       them (its own secret coordinates drawn from the full rows) and keeps it so;
 *   <li>{@code ood.spread.peers = MEDIAN,SIGMA}: the median and robust deviation (1.4826 x MAD) of the
 *       recorded keys' mean log spread ratios, measured offline with the same statistic, against that
 *       reference: the spread test's threshold from the first query, which online reports do not
 *       move. Both spread fields or neither (see {@code ood.SpreadRecording}).
 * </ul>
 *
 * <p>The file is plain {@code name = value} lines ({@code #} starts a comment), so it can be read,
 * diffed and reviewed. A field may be absent (for example, no {@code volume} line when the recording
 * had no times); the detector then learns that reference online.
 *
 * @param keys                how many keys the reference was built from
 * @param queries             how many answers
 * @param oodCdf              40 cumulative shares, or null
 * @param oodClassCdfs        per top-1 class index, 40 cumulative shares (empty when none)
 * @param oodPairCdfs         per {@link #pair} key (top-1, top-2 class), 40 cumulative shares (empty when none)
 * @param marginCdf           100 cumulative shares, or null
 * @param volumeLogRateMedian ln(queries per hour), NaN when absent
 * @param volumeLogRateMad    its median absolute deviation, NaN when absent
 * @param coverageNovelty     coverage's reference novelty in [0, 1], NaN when absent
 * @param spreadRows          per recorded key, its natural input rows for ood's spread test (all of one
 *                            width; empty when none)
 * @param spreadPeersMedian   the recorded keys' median mean log spread ratio, NaN when absent
 * @param spreadPeersSigma    their robust deviation (1.4826 x MAD), NaN when absent
 * @param coverageCellsWidth  the input width {@code coverageCellWidths} are for, 0 without them
 * @param coverageCellWidths  coverage's fixed cells' width per projection, null when absent
 */
public record Calibration(
        int keys,
        long queries,
        double[] oodCdf,
        SortedMap<Integer, double[]> oodClassCdfs,
        SortedMap<Long, double[]> oodPairCdfs,
        double[] marginCdf,
        double volumeLogRateMedian,
        double volumeLogRateMad,
        double coverageNovelty,
        List<double[][]> spreadRows,
        double spreadPeersMedian,
        double spreadPeersSigma,
        int coverageCellsWidth,
        double[] coverageCellWidths) {

    public static final String FORMAT = "moat-calibration-1";
    public static final int OOD_BINS = 40;
    public static final int MARGIN_BINS = 100;

    /** A key's answers of one class count at most this many times in that class's ood reference. */
    public static final int CLASS_KEY_CAP = 50;

    /** Answers (each key's capped) a class's ood reference needs. */
    public static final int CLASS_MIN_ANSWERS = 50;

    /** Keys a class's ood reference needs. */
    public static final int CLASS_MIN_KEYS = 3;

    /** At most this many spread rows in all ({@code ood}'s input reference holds as many). */
    public static final int SPREAD_ROWS = 128;

    /** At most this many spread rows per key (as online: no key holds more than an eighth of the reference). */
    public static final int SPREAD_PER_KEY = 16;

    /**
     * At least this many spread rows per key: the reference reads a key's spread only from as many of
     * its rows (online the same), so a key with fewer would be held and never counted, and a file of
     * such keys would leave the spread test silent instead of failing the load.
     */
    public static final int SPREAD_MIN_PER_KEY = 4;

    /** Spread rows needed in all (the online reference is ready from as many). */
    public static final int SPREAD_MIN_ROWS = 48;

    /** Keys the spread rows must come from (the online reference and the peers' threshold need as many). */
    public static final int SPREAD_MIN_KEYS = 3;

    /** Without coverage's cell widths (recordings without inputs, files written before them). */
    public Calibration(
            int keys,
            long queries,
            double[] oodCdf,
            SortedMap<Integer, double[]> oodClassCdfs,
            SortedMap<Long, double[]> oodPairCdfs,
            double[] marginCdf,
            double volumeLogRateMedian,
            double volumeLogRateMad,
            double coverageNovelty,
            List<double[][]> spreadRows,
            double spreadPeersMedian,
            double spreadPeersSigma) {
        this(
                keys,
                queries,
                oodCdf,
                oodClassCdfs,
                oodPairCdfs,
                marginCdf,
                volumeLogRateMedian,
                volumeLogRateMad,
                coverageNovelty,
                spreadRows,
                spreadPeersMedian,
                spreadPeersSigma,
                0,
                null);
    }

    /** Without ood's spread reference (recordings without narrow inputs, files written before it). */
    public Calibration(
            int keys,
            long queries,
            double[] oodCdf,
            SortedMap<Integer, double[]> oodClassCdfs,
            SortedMap<Long, double[]> oodPairCdfs,
            double[] marginCdf,
            double volumeLogRateMedian,
            double volumeLogRateMad,
            double coverageNovelty) {
        this(
                keys,
                queries,
                oodCdf,
                oodClassCdfs,
                oodPairCdfs,
                marginCdf,
                volumeLogRateMedian,
                volumeLogRateMad,
                coverageNovelty,
                null,
                Double.NaN,
                Double.NaN);
    }

    /** Without per-class ood references (files written before them). */
    public Calibration(
            int keys,
            long queries,
            double[] oodCdf,
            double[] marginCdf,
            double volumeLogRateMedian,
            double volumeLogRateMad) {
        this(keys, queries, oodCdf, null, null, marginCdf, volumeLogRateMedian, volumeLogRateMad, Double.NaN);
    }

    /** Without per-class-pair ood references (files written before them). */
    public Calibration(
            int keys,
            long queries,
            double[] oodCdf,
            SortedMap<Integer, double[]> oodClassCdfs,
            double[] marginCdf,
            double volumeLogRateMedian,
            double volumeLogRateMad) {
        this(keys, queries, oodCdf, oodClassCdfs, null, marginCdf, volumeLogRateMedian, volumeLogRateMad, Double.NaN);
    }

    /** Without coverage's reference (recordings without inputs, files written before it). */
    public Calibration(
            int keys,
            long queries,
            double[] oodCdf,
            SortedMap<Integer, double[]> oodClassCdfs,
            SortedMap<Long, double[]> oodPairCdfs,
            double[] marginCdf,
            double volumeLogRateMedian,
            double volumeLogRateMad) {
        this(
                keys,
                queries,
                oodCdf,
                oodClassCdfs,
                oodPairCdfs,
                marginCdf,
                volumeLogRateMedian,
                volumeLogRateMad,
                Double.NaN);
    }

    /** The key of the class pair (top-1 class {@code top1}, top-2 class {@code top2}) in {@link #oodPairCdfs}. */
    public static long pair(int top1, int top2) {
        return ((long) top1 << 16) | top2;
    }

    /** The top-1 class of a {@link #pair} key. */
    public static int pairTop1(long pair) {
        return (int) (pair >>> 16);
    }

    /** The top-2 class of a {@link #pair} key. */
    public static int pairTop2(long pair) {
        return (int) (pair & 0xffff);
    }

    public Calibration {
        if (oodCdf != null && oodCdf.length != OOD_BINS) {
            throw new IllegalArgumentException(
                    "ood.confidence_cdf: " + oodCdf.length + " values (expected " + OOD_BINS + ")");
        }
        if (marginCdf != null && marginCdf.length != MARGIN_BINS) {
            throw new IllegalArgumentException(
                    "boundary.margin_cdf: " + marginCdf.length + " values (expected " + MARGIN_BINS + ")");
        }
        oodCdf = oodCdf == null ? null : oodCdf.clone();
        marginCdf = marginCdf == null ? null : marginCdf.clone();
        SortedMap<Integer, double[]> classes = new TreeMap<>();
        if (oodClassCdfs != null) {
            for (Map.Entry<Integer, double[]> e : oodClassCdfs.entrySet()) {
                if (e.getValue().length != OOD_BINS || e.getKey() < 0) {
                    throw new IllegalArgumentException("ood.class_cdf." + e.getKey() + ": " + e.getValue().length
                            + " values (expected " + OOD_BINS + ", class >= 0)");
                }
                classes.put(e.getKey(), e.getValue().clone());
            }
        }
        oodClassCdfs = java.util.Collections.unmodifiableSortedMap(classes);
        SortedMap<Long, double[]> pairs = new TreeMap<>();
        if (oodPairCdfs != null) {
            for (Map.Entry<Long, double[]> e : oodPairCdfs.entrySet()) {
                long k = e.getKey();
                if (e.getValue().length != OOD_BINS
                        || k < 0
                        || k > pair(65_535, 65_535)
                        || pairTop1(k) == pairTop2(k)) {
                    throw new IllegalArgumentException("ood.pair_cdf." + pairTop1(k) + "." + pairTop2(k) + ": "
                            + e.getValue().length + " values (expected " + OOD_BINS + ", two different classes)");
                }
                pairs.put(k, e.getValue().clone());
            }
        }
        oodPairCdfs = java.util.Collections.unmodifiableSortedMap(pairs);
        if (!Double.isNaN(coverageNovelty) && !(coverageNovelty >= 0 && coverageNovelty <= 1)) {
            throw new IllegalArgumentException(
                    "coverage.reference_novelty: " + coverageNovelty + " (expected a number in [0, 1])");
        }
        String cellsProblem = cellsProblem(coverageCellsWidth, coverageCellWidths);
        if (cellsProblem != null) {
            throw new IllegalArgumentException(cellsProblem);
        }
        coverageCellWidths = coverageCellWidths == null ? null : coverageCellWidths.clone();
        spreadRows = spreadRows == null ? List.of() : copyOf(spreadRows);
        String problem = spreadProblem(spreadRows, spreadPeersMedian, spreadPeersSigma);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** What is wrong with coverage's cell widths {@code widths} for inputs {@code width} wide, or null. */
    private static String cellsProblem(int width, double[] widths) {
        if (widths == null) {
            return null;
        }
        if (width < 1 || width > 65_535 || widths.length < COVERAGE_MIN_BITS || widths.length > COVERAGE_MAX_BITS) {
            return CELLS_PREFIX + width + ": " + widths.length + " widths (expected " + COVERAGE_MIN_BITS + " to "
                    + COVERAGE_MAX_BITS + ", one per projection, for an input width in [1, 65535])";
        }
        for (int b = 0; b < widths.length; b++) {
            if (!(widths[b] > 0) || !Double.isFinite(widths[b])) {
                return CELLS_PREFIX + width + ": width " + (b + 1) + " is " + widths[b]
                        + " (expected a positive finite number)";
            }
        }
        return null;
    }

    /** Coverage's projections ({@code bits}) at least and at most. */
    static final int COVERAGE_MIN_BITS = 4;

    static final int COVERAGE_MAX_BITS = 24;

    private static List<double[][]> copyOf(List<double[][]> rows) {
        List<double[][]> out = new java.util.ArrayList<>(rows.size());
        for (double[][] key : rows) {
            double[][] copy = new double[key.length][];
            for (int i = 0; i < key.length; i++) {
                copy[i] = key[i].clone();
            }
            out.add(copy);
        }
        return java.util.Collections.unmodifiableList(out);
    }

    /** What is wrong with the spread fields (both or neither, the rows' counts and width), or null. */
    private static String spreadProblem(List<double[][]> rows, double median, double sigma) {
        boolean peers = !Double.isNaN(median) || !Double.isNaN(sigma);
        if (rows.isEmpty() && !peers) {
            return null;
        }
        if (rows.isEmpty() || Double.isNaN(median) || Double.isNaN(sigma)) {
            return "ood.spread.rows and ood.spread.peers (expected: both or neither)";
        }
        if (!Double.isFinite(median) || !(sigma >= 0) || !Double.isFinite(sigma)) {
            return "ood.spread.peers: " + median + "," + sigma
                    + " (expected: MEDIAN,SIGMA, a finite log ratio and a finite deviation >= 0)";
        }
        int total = 0;
        int width = -1;
        for (int k = 0; k < rows.size(); k++) {
            double[][] key = rows.get(k);
            if (key.length < SPREAD_MIN_PER_KEY || key.length > SPREAD_PER_KEY) {
                return "ood.spread.rows." + k + ": " + key.length + " rows (expected " + SPREAD_MIN_PER_KEY + " to "
                        + SPREAD_PER_KEY + ")";
            }
            for (double[] row : key) {
                if (width < 0) {
                    width = row.length;
                }
                if (row.length == 0 || row.length != width) {
                    return "ood.spread.rows." + k + ": a row of " + row.length + " values (expected " + width
                            + ", the first row's, at least 1)";
                }
                for (double v : row) {
                    if (!Double.isFinite(v)) {
                        return "ood.spread.rows." + k + ": value " + v + " (expected finite numbers)";
                    }
                }
            }
            total += key.length;
        }
        if (rows.size() < SPREAD_MIN_KEYS || total < SPREAD_MIN_ROWS || total > SPREAD_ROWS) {
            return "ood.spread.rows: " + total + " rows from " + rows.size() + " keys (expected " + SPREAD_MIN_ROWS
                    + " to " + SPREAD_ROWS + " rows from at least " + SPREAD_MIN_KEYS + " keys)";
        }
        return null;
    }

    /** This calibration with {@code ood}'s spread reference: per key its rows, and the keys' median and deviation. */
    public Calibration withSpread(List<double[][]> rows, double median, double sigma) {
        return new Calibration(
                keys,
                queries,
                oodCdf,
                oodClassCdfs,
                oodPairCdfs,
                marginCdf,
                volumeLogRateMedian,
                volumeLogRateMad,
                coverageNovelty,
                rows,
                median,
                sigma,
                coverageCellsWidth,
                coverageCellWidths);
    }

    /** Per recorded key, its spread rows (copies; empty without). */
    @Override
    public List<double[][]> spreadRows() {
        return copyOf(spreadRows);
    }

    /** Whether the file holds {@code ood}'s spread reference ({@code ood.spread.rows.K}, {@code ood.spread.peers}). */
    public boolean hasSpread() {
        return !spreadRows.isEmpty();
    }

    /** The width of the spread rows, -1 without them. */
    public int spreadWidth() {
        return spreadRows.isEmpty() ? -1 : spreadRows.get(0)[0].length;
    }

    /** This calibration with {@code coverage}'s reference novelty {@code novelty} (NaN: none). */
    public Calibration withCoverageNovelty(double novelty) {
        return new Calibration(
                keys,
                queries,
                oodCdf,
                oodClassCdfs,
                oodPairCdfs,
                marginCdf,
                volumeLogRateMedian,
                volumeLogRateMad,
                novelty,
                spreadRows,
                spreadPeersMedian,
                spreadPeersSigma,
                coverageCellsWidth,
                coverageCellWidths);
    }

    /** Whether the file holds {@code coverage}'s reference novelty. */
    public boolean hasCoverage() {
        return !Double.isNaN(coverageNovelty);
    }

    /**
     * This calibration with {@code coverage}'s cell widths {@code widths} (one per projection) for
     * inputs {@code width} wide (null: none).
     */
    public Calibration withCoverageCells(int width, double[] widths) {
        return new Calibration(
                keys,
                queries,
                oodCdf,
                oodClassCdfs,
                oodPairCdfs,
                marginCdf,
                volumeLogRateMedian,
                volumeLogRateMad,
                coverageNovelty,
                spreadRows,
                spreadPeersMedian,
                spreadPeersSigma,
                widths == null ? 0 : width,
                widths);
    }

    /** Whether the file holds {@code coverage}'s cell widths ({@code coverage.cell_widths.WIDTH}). */
    public boolean hasCoverageCells() {
        return coverageCellWidths != null;
    }

    /** Coverage's cell widths (a copy), null without them. */
    @Override
    public double[] coverageCellWidths() {
        return coverageCellWidths == null ? null : coverageCellWidths.clone();
    }

    /**
     * The per-class-pair ood reference CDFs, {@link #pair} key (top-1 class, top-2 class) to 40 values
     * (copies; empty when none).
     */
    public SortedMap<Long, double[]> oodPairReferences() {
        SortedMap<Long, double[]> out = new TreeMap<>();
        oodPairCdfs.forEach((c, v) -> out.put(c, v.clone()));
        return out;
    }

    /** The per-class ood reference CDFs, class index to 40 values (copies; empty when none). */
    public SortedMap<Integer, double[]> oodClassReferences() {
        SortedMap<Integer, double[]> out = new TreeMap<>();
        oodClassCdfs.forEach((c, v) -> out.put(c, v.clone()));
        return out;
    }

    /** The honest share of answers with a margin below {@code margin}, or NaN without a margin reference. */
    public double shareBelow(double margin) {
        if (marginCdf == null) {
            return Double.NaN;
        }
        // marginCdf[i] is the share below (i+1)/100; interpolate linearly between the points (0 at margin 0)
        double pos = margin * MARGIN_BINS - 1;
        if (pos <= -1) {
            return 0;
        }
        if (pos >= MARGIN_BINS - 1) {
            return marginCdf[MARGIN_BINS - 1];
        }
        int i = (int) Math.floor(pos);
        double lo = i < 0 ? 0 : marginCdf[i];
        double hi = marginCdf[i + 1];
        return lo + (hi - lo) * (pos - i);
    }

    /** The ood reference CDF (a copy), or null. */
    public double[] oodReference() {
        return oodCdf == null ? null : oodCdf.clone();
    }

    /** True when the volume reference is present. */
    public boolean hasVolume() {
        return !Double.isNaN(volumeLogRateMedian) && !Double.isNaN(volumeLogRateMad);
    }

    /** Writes the file (see the class comment for the format). */
    public void write(Path file, String comment) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("# Moat detector calibration: a fixed honest reference (moat calibrate)\n");
            for (String line : comment.split("\n")) {
                w.write("# " + line + "\n");
            }
            w.write("format = " + FORMAT + "\n");
            w.write("keys = " + keys + "\n");
            w.write("queries = " + queries + "\n");
            if (oodCdf != null) {
                w.write("ood.confidence_cdf = " + join(oodCdf) + "\n");
            }
            for (Map.Entry<Integer, double[]> e : oodClassCdfs.entrySet()) {
                w.write("ood.class_cdf." + e.getKey() + " = " + join(e.getValue()) + "\n");
            }
            for (Map.Entry<Long, double[]> e : oodPairCdfs.entrySet()) {
                w.write("ood.pair_cdf." + pairTop1(e.getKey()) + "." + pairTop2(e.getKey()) + " = " + join(e.getValue())
                        + "\n");
            }
            if (marginCdf != null) {
                w.write("boundary.margin_cdf = " + join(marginCdf) + "\n");
            }
            if (hasVolume()) {
                w.write(String.format(Locale.ROOT, "volume.log_rate_median = %.6f%n", volumeLogRateMedian));
                w.write(String.format(Locale.ROOT, "volume.log_rate_mad = %.6f%n", volumeLogRateMad));
            }
            if (hasCoverage()) {
                w.write(String.format(Locale.ROOT, "coverage.reference_novelty = %.6f%n", coverageNovelty));
            }
            if (hasCoverageCells()) {
                StringBuilder sb = new StringBuilder(CELLS_PREFIX)
                        .append(coverageCellsWidth)
                        .append(" = ");
                for (int b = 0; b < coverageCellWidths.length; b++) {
                    sb.append(b == 0 ? "" : ",").append(coverageCellWidths[b]);
                }
                w.write(sb.append('\n').toString());
            }
            if (hasSpread()) {
                w.write(String.format(
                        Locale.ROOT, "ood.spread.peers = %s,%s%n", exact(spreadPeersMedian), exact(spreadPeersSigma)));
                for (int k = 0; k < spreadRows.size(); k++) {
                    StringBuilder sb =
                            new StringBuilder("ood.spread.rows.").append(k).append(" = ");
                    double[][] key = spreadRows.get(k);
                    for (int i = 0; i < key.length; i++) {
                        sb.append(i == 0 ? "" : ";");
                        for (int j = 0; j < key[i].length; j++) {
                            sb.append(j == 0 ? "" : ",").append(exact(key[i][j]));
                        }
                    }
                    w.write(sb.append('\n').toString());
                }
            }
        }
    }

    /** A number as it reads back exactly (the rows are inputs: rounding would move them). */
    private static String exact(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static String join(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", v[i]));
        }
        return sb.toString();
    }

    /**
     * Reads a calibration file.
     *
     * @throws IllegalArgumentException naming file:line, the field and what was expected
     */
    public static Calibration read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String format = null;
        int keys = 0;
        long queries = 0;
        double[] ood = null;
        SortedMap<Integer, double[]> classes = new TreeMap<>();
        SortedMap<Long, double[]> pairs = new TreeMap<>();
        double[] margin = null;
        double median = Double.NaN;
        double mad = Double.NaN;
        double coverage = Double.NaN;
        SortedMap<Integer, double[][]> spread = new TreeMap<>();
        double spreadMedian = Double.NaN;
        double spreadSigma = Double.NaN;
        int width = -1;
        int cellsWidth = 0;
        double[] cellWidths = null;
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            String where = file + ":" + n + ":1: ";
            if (eq < 0) {
                throw new IllegalArgumentException(where + "\"" + line + "\" (expected: name = value)");
            }
            String name = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (name.startsWith(PAIR_PREFIX)) {
                String[] ab = name.substring(PAIR_PREFIX.length()).split("\\.", -1);
                int a = -1;
                int b = -1;
                try {
                    if (ab.length == 2) {
                        a = Integer.parseInt(ab[0]);
                        b = Integer.parseInt(ab[1]);
                    }
                } catch (NumberFormatException e) {
                    a = -1;
                }
                if (a < 0 || a > 65_535 || b < 0 || b > 65_535 || a == b) {
                    throw new IllegalArgumentException(where + name
                            + ": class pair (expected ood.pair_cdf.A.B with A, B two different class indices in"
                            + " [0, 65535])");
                }
                if (pairs.put(pair(a, b), cdf(where, name, value, OOD_BINS)) != null) {
                    throw new IllegalArgumentException(where + name + ": given twice (expected once per class pair)");
                }
                continue;
            }
            if (name.startsWith(SPREAD_ROWS_PREFIX)) {
                int k = suffixIndex(
                        where,
                        name,
                        SPREAD_ROWS_PREFIX,
                        "key (expected ood.spread.rows.K with K a key index in [0, 65535])");
                double[][] rows = spreadRows(where, name, value, width);
                width = rows[0].length;
                if (spread.put(k, rows) != null) {
                    throw new IllegalArgumentException(where + name + ": given twice (expected once per key)");
                }
                continue;
            }
            if (name.startsWith(CELLS_PREFIX)) {
                int w = suffixIndex(
                        where,
                        name,
                        CELLS_PREFIX,
                        "input width (expected coverage.cell_widths.W with W the inputs' width in [1, 65535])");
                if (cellWidths != null) {
                    throw new IllegalArgumentException(
                            where + name + ": a second input width (expected one coverage.cell_widths line)");
                }
                String[] v = value.split(",", -1);
                cellWidths = new double[v.length];
                for (int b = 0; b < v.length; b++) {
                    cellWidths[b] = number(where, name, v[b].strip(), Double.MIN_NORMAL, Double.MAX_VALUE);
                }
                cellsWidth = w;
                String problem = cellsProblem(cellsWidth, cellWidths);
                if (problem != null) {
                    throw new IllegalArgumentException(where + problem);
                }
                continue;
            }
            if (name.startsWith(CLASS_PREFIX)) {
                int cls = suffixIndex(
                        where,
                        name,
                        CLASS_PREFIX,
                        "class (expected ood.class_cdf.N with N a class index in [0, 65535])");
                if (classes.put(cls, cdf(where, name, value, OOD_BINS)) != null) {
                    throw new IllegalArgumentException(where + name + ": given twice (expected once per class)");
                }
                continue;
            }
            switch (name) {
                case "format" -> format = value;
                case "keys" -> keys = (int) number(where, name, value, 0, Integer.MAX_VALUE);
                case "queries" -> queries = (long) number(where, name, value, 0, Long.MAX_VALUE);
                case "ood.confidence_cdf" -> ood = cdf(where, name, value, OOD_BINS);
                case "boundary.margin_cdf" -> margin = cdf(where, name, value, MARGIN_BINS);
                case "volume.log_rate_median" -> median = number(where, name, value, -50, 50);
                case "volume.log_rate_mad" -> mad = number(where, name, value, 0, 50);
                case "coverage.reference_novelty" -> coverage = number(where, name, value, 0, 1);
                case "ood.spread.peers" -> {
                    String[] two = value.split(",", -1);
                    if (two.length != 2) {
                        throw new IllegalArgumentException(where + name + ": \"" + value
                                + "\" (expected: MEDIAN,SIGMA, a log ratio in [-50, 50] and a deviation in [0, 50])");
                    }
                    spreadMedian = number(where, name, two[0].strip(), -50, 50);
                    spreadSigma = number(where, name, two[1].strip(), 0, 50);
                }
                default ->
                    throw new IllegalArgumentException(where + "unknown field \"" + name
                            + "\" (expected one of: format, keys, queries, ood.confidence_cdf, ood.class_cdf.CLASS,"
                            + " ood.pair_cdf.TOP1.TOP2, boundary.margin_cdf, volume.log_rate_median, volume.log_rate_mad,"
                            + " coverage.reference_novelty, coverage.cell_widths.WIDTH, ood.spread.rows.KEY,"
                            + " ood.spread.peers)");
            }
        }
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException(
                    file + ": format: " + format + " (expected: a line \"format = " + FORMAT + "\")");
        }
        if (Double.isNaN(median) != Double.isNaN(mad)) {
            throw new IllegalArgumentException(
                    file + ": volume.log_rate_median and volume.log_rate_mad (expected: both or neither)");
        }
        List<double[][]> spreadRows = new java.util.ArrayList<>(spread.values());
        String problem = spreadProblem(spreadRows, spreadMedian, spreadSigma);
        if (problem != null) {
            throw new IllegalArgumentException(file + ": " + problem);
        }
        return new Calibration(
                keys,
                queries,
                ood,
                classes,
                pairs,
                margin,
                median,
                mad,
                coverage,
                spreadRows,
                spreadMedian,
                spreadSigma,
                cellsWidth,
                cellWidths);
    }

    /** One key's spread rows: {@code ;} between rows, {@code ,} between values, every row {@code width} wide (-1: any). */
    private static double[][] spreadRows(String where, String name, String value, int width) {
        String[] rows = value.split(";", -1);
        if (rows.length < SPREAD_MIN_PER_KEY || rows.length > SPREAD_PER_KEY) {
            throw new IllegalArgumentException(where + name + ": " + rows.length + " rows (expected "
                    + SPREAD_MIN_PER_KEY + " to " + SPREAD_PER_KEY + ", separated by ;)");
        }
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            String[] cells = rows[i].split(",", -1);
            if (width >= 0 && cells.length != width) {
                throw new IllegalArgumentException(where + name + ": row " + (i + 1) + " has " + cells.length
                        + " values (expected " + width + ", the width of the first spread row)");
            }
            width = cells.length;
            out[i] = new double[cells.length];
            for (int j = 0; j < cells.length; j++) {
                double v;
                try {
                    v = Double.parseDouble(cells[j].strip());
                } catch (NumberFormatException e) {
                    v = Double.NaN;
                }
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException(
                            where + name + ": row " + (i + 1) + " value " + (j + 1) + " is \"" + cells[j].strip()
                                    + "\" (expected: finite numbers, , between values, ; between rows)");
                }
                out[i][j] = v;
            }
        }
        return out;
    }

    private static final String CLASS_PREFIX = "ood.class_cdf.";
    private static final String PAIR_PREFIX = "ood.pair_cdf.";
    private static final String SPREAD_ROWS_PREFIX = "ood.spread.rows.";
    private static final String CELLS_PREFIX = "coverage.cell_widths.";

    private static double number(String where, String name, String value, double min, double max) {
        try {
            double d = Double.parseDouble(value);
            if (d >= min && d <= max) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                where + name + ": \"" + value + "\" (expected: a number in [" + min + ", " + max + "])");
    }

    /** The index after {@code prefix} in {@code name}, in [0, 65535], else a load error saying {@code expected}. */
    private static int suffixIndex(String where, String name, String prefix, String expected) {
        int k;
        try {
            k = Integer.parseInt(name.substring(prefix.length()));
        } catch (NumberFormatException e) {
            k = -1;
        }
        if (k < 0 || k > 65_535) {
            throw new IllegalArgumentException(where + name + ": " + expected);
        }
        return k;
    }

    private static double[] cdf(String where, String name, String value, int n) {
        String[] cells = value.split(",");
        String expected = " (expected: " + n + " comma-separated non-decreasing shares in [0, 1])";
        if (cells.length != n) {
            throw new IllegalArgumentException(where + name + ": " + cells.length + " values" + expected);
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            try {
                v[i] = Double.parseDouble(cells[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + name + ": \"" + cells[i].strip() + "\"" + expected);
            }
            if (!(v[i] >= 0 && v[i] <= 1 + 1e-9) || i > 0 && v[i] < v[i - 1] - 1e-9) {
                throw new IllegalArgumentException(where + name + ": value " + (i + 1) + " is " + v[i] + expected);
            }
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Calibration c
                && keys == c.keys
                && queries == c.queries
                && Arrays.equals(oodCdf, c.oodCdf)
                && sameClasses(oodClassCdfs, c.oodClassCdfs)
                && sameClasses(oodPairCdfs, c.oodPairCdfs)
                && Arrays.equals(marginCdf, c.marginCdf)
                && Double.compare(volumeLogRateMedian, c.volumeLogRateMedian) == 0
                && Double.compare(volumeLogRateMad, c.volumeLogRateMad) == 0
                && Double.compare(coverageNovelty, c.coverageNovelty) == 0
                && sameRows(spreadRows, c.spreadRows)
                && Double.compare(spreadPeersMedian, c.spreadPeersMedian) == 0
                && Double.compare(spreadPeersSigma, c.spreadPeersSigma) == 0
                && coverageCellsWidth == c.coverageCellsWidth
                && Arrays.equals(coverageCellWidths, c.coverageCellWidths);
    }

    private static boolean sameRows(List<double[][]> a, List<double[][]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int k = 0; k < a.size(); k++) {
            if (!Arrays.deepEquals(a.get(k), b.get(k))) {
                return false;
            }
        }
        return true;
    }

    private static <K> boolean sameClasses(SortedMap<K, double[]> a, SortedMap<K, double[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<K, double[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(oodCdf) * 31 + Arrays.hashCode(marginCdf) + Double.hashCode(volumeLogRateMedian);
    }

    @Override
    public String toString() {
        return "Calibration[" + keys + " keys, " + queries + " queries]";
    }
}
