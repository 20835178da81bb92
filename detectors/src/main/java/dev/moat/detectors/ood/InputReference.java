package dev.moat.detectors.ood;

import dev.moat.detectors.stats.SymmetricEigen;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Where trusted keys' inputs lie, for {@link OodDetector}'s input gate: is a query's input like the
 * peers' inputs? {@code ood}'s evidence is answers less confident than the peers' <i>on inputs unlike
 * the peers'</i>; a customer whose data sit elsewhere in the data's own range (a sensor at another
 * level) gets less confident answers on inputs like everyone's, and that is no evidence of probing.
 *
 * <ul>
 *   <li><b>Coordinates.</b> {@value #DIMS} input coordinates (all of them up to {@value #DIMS} wide),
 *       drawn per worker from a secret generator (SecureRandom-seeded unless {@code input_seed} is set),
 *       so a key cannot learn which coordinates to keep natural.
 *   <li><b>Rows.</b> A reservoir of {@value #ROWS} sampled rows of trusted keys' queries (ood score
 *       below 0.25, risk below 0.5), each query admitted until {@value #MIN_ROWS} rows are held, then
 *       with probability 1/{@value #ADMIT_ONE_IN},
 *       at most {@value #PER_OWNER} rows per key (a key's later rows replace its own), and a key's rows
 *       dropped at once when it stops being trusted. So no key holds more than an eighth of it.
 *   <li><b>Metric.</b> Coordinates centred on their median and scaled by their robust spread, then
 *       whitened by the covariance of the rows (after dropping the quarter farthest from the first
 *       estimate, plus a ridge of {@value #RIDGE}): random, noisy and synthetic inputs break the
 *       correlations natural data have and land far from every row.
 *   <li><b>Near.</b> A query is near when its distance to the nearest row of <i>another</i> key is at
 *       most {@code input_near} (2) times the median, over the rows, of each row's distance to the
 *       nearest row of another key: no further from the other keys' inputs than the peers' inputs
 *       typically are from each other's, with room for 2x. A key's own rows never vouch for it.
 * </ul>
 *
 * <p>The same rows serve {@link OodDetector}'s spread test (inputs at most {@code spread_max_width}
 * wide): the principal axes of every row's covariance under a scale of at least an eighth of each
 * coordinate's range, averaged over refits ({@link #averageSpreadCovariance}, {@link #fitBasis}), and the trusted population's typical spread along the less
 * varied half of them ({@link #spreadLimit}, averaged over refits), against which {@link
 * #spreadRatio} measures an input's distance from its key's own centre. Either use turns the
 * collection of rows on.
 *
 * <p>Not ready (every query judged "not near", so ood acts as without the gate) until {@value
 * #MIN_ROWS} rows from {@value #MIN_OWNERS} keys; inputs of another width than the first trusted one
 * seen are never near. Cost per query: the sampled coordinates' whitening ({@value #DIMS}^2 / 2
 * multiply-adds) and a scan of the rows ({@value #ROWS} x {@value #DIMS}), independent of the width;
 * refits (medians, covariance, Cholesky, the rows' nearest-row distances: about ROWS^2 x DIMS) every
 * {@value #REFIT_EVERY} admitted rows or when a key's rows are dropped. Memory per worker: about 20 KB;
 * nothing per key. Not thread-safe (the worker's).
 */
final class InputReference {

    static final int DIMS = 16;
    static final int ROWS = 128;
    static final int PER_OWNER = 16;
    static final int MIN_ROWS = 48;
    static final int MIN_OWNERS = 3;
    static final int ADMIT_ONE_IN = 4;
    static final int REFIT_EVERY = 256;
    static final double RIDGE = 0.05;
    static final double TRIM = 0.75;

    /**
     * The spread test's limit is an average over about this many refits (128 rows a refit): one
     * refit's limit moves by 10-15% with the rows it happens to hold, and an average also holds it
     * against sudden shifts of who the trusted keys are.
     */
    static final int SPREAD_MEMORY = 16;

    /** The spread test's scale of a coordinate is at least its rows' range over this. */
    static final double SPREAD_RANGE_SHARE = 8;

    /** An owner's rows say how far its inputs lie from its own centre once it has this many. */
    static final int SPREAD_OWNER_ROWS = 4;

    private final double near;
    private final boolean spread;
    private final SplittableRandom random;
    private final long seed;
    private int width = -1;
    private int m;
    private int[] coords;
    private final float[] rows = new float[ROWS * DIMS];
    private final int[] owner = new int[ROWS];
    private int filled;
    private int admittedSince;
    private boolean dirty;

    /** Seeded from a calibration ({@link #seed}): its rows are the reference, and no offer or drop moves them. */
    private boolean seeded;

    private boolean ready;
    private final double[] center = new double[DIMS];
    private final double[] scale = new double[DIMS];
    private final double[] spreadScale = new double[DIMS];
    private final double[] chol = new double[DIMS * DIMS];
    /**
     * The spread test's whitening: row k is the covariance's (every row's, untrimmed) k-th unit
     * eigenvector over the square root of its eigenvalue, so {@code basis z} has unit variance along
     * each principal axis.
     */
    private final double[] basis = new double[DIMS * DIMS];

    /** The covariance of the rows' sampled coordinates (their own units, lower triangle), averaged over refits: {@link #averageSpreadCovariance}. */
    private final double[] spreadCov = new double[DIMS * DIMS];

    private int spreadCovRefits;

    private final double[] eigenValues = new double[DIMS];
    private final double[] eigenVectors = new double[DIMS * DIMS];
    private final double[] eigenWork = new double[DIMS * DIMS];
    private final long[] byValue = new long[DIMS];
    private final double[] squares = new double[DIMS];
    private final float[] white = new float[ROWS * DIMS];
    private double limit2 = -1;
    private double spreadLimit2 = -1;
    private int spreadRefits;
    private final double[] z = new double[DIMS];
    private final double[] y = new double[DIMS];
    private final double[] column = new double[ROWS];
    private final double[] cov = new double[DIMS * DIMS];
    private final double[] dist = new double[ROWS];
    private final double[] mean = new double[DIMS];
    private final boolean[] kept = new boolean[ROWS];
    private final long[] order = new long[ROWS];

    /**
     * @param near the factor on the peers' typical nearest-other-key distance within which a query is
     *     near; 0 turns the gate off (no query is ever near)
     * @param spread whether to keep the reference for {@link OodDetector}'s spread test even with the gate off
     * @param seed the seed for the coordinates and admissions
     */
    InputReference(double near, boolean spread, long seed) {
        this.near = near;
        this.spread = spread;
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** Whether trusted keys' inputs are collected (the gate, the spread test or both are on). */
    boolean enabled() {
        return near > 0 || spread;
    }

    /** Whether the reference can judge inputs now. */
    boolean ready() {
        return ready;
    }

    /**
     * Whether {@code input} is near the other keys' inputs, for the key {@code self} (an identity that
     * its own rows carry). False while not ready, for another width, or with the gate off.
     */
    boolean near(double[] input, int self) {
        if (near <= 0) {
            return false;
        }
        refitIfDue();
        if (!ready || limit2 < 0 || input.length != width) {
            return false;
        }
        whiten(input);
        double best = limit2;
        for (int r = 0; r < filled; r++) {
            if (owner[r] == self) {
                continue;
            }
            int o = r * DIMS;
            double acc = 0;
            for (int j = 0; j < m && acc <= best; j++) {
                double d = y[j] - white[o + j];
                acc += d * d;
            }
            if (acc <= best) {
                return true;
            }
        }
        return false;
    }

    /**
     * Offers a trusted key's query: admitted while fewer than {@value #MIN_ROWS} rows are held (so the
     * reference is ready after about as many trusted queries), then with probability 1/{@value
     * #ADMIT_ONE_IN}.
     */
    void offer(double[] input, int self) {
        if (seeded || !enabled() || input.length == 0 || (filled >= MIN_ROWS && random.nextInt(ADMIT_ONE_IN) != 0)) {
            return;
        }
        if (width < 0) {
            width = input.length;
            m = Math.min(DIMS, width);
            coords = chooseCoordinates(null);
            if (width > DIMS && width <= SURVEY_MAX_WIDTH) {
                pending = new float[SURVEY][];
                pendingOwner = new int[SURVEY];
            }
        }
        if (input.length != width) {
            return;
        }
        admit(input, self);
        if (pending != null) {
            survey(input, self);
        }
    }

    /**
     * Inputs wider than {@value #DIMS}: the first {@value #SURVEY} admitted are also held in full; then
     * the coordinates are drawn again from them ({@link #chooseCoordinates}), and when the draw changes
     * the reference starts over on the new coordinates from the held inputs, and {@link #epoch} moves
     * on (keys' spread statistics in the old ones start over too). Until then the uniform draw is read,
     * as before, so on inputs whose draw stands nothing changes, not even when judging starts.
     */
    private void survey(double[] input, int self) {
        pending[surveyed] = asHeld(input);
        pendingOwner[surveyed++] = self;
        if (surveyed < SURVEY) {
            return;
        }
        float[][] held = java.util.Arrays.copyOf(pending, surveyed);
        int[] owners = java.util.Arrays.copyOf(pendingOwner, surveyed);
        pending = null;
        pendingOwner = null;
        int[] chosen = chooseCoordinates(held);
        if (java.util.Arrays.equals(chosen, coords)) {
            return;
        }
        coords = chosen;
        epoch++;
        filled = 0;
        admittedSince = 0;
        ready = false;
        dirty = true;
        spreadLimit2 = -1;
        spreadRefits = 0;
        spreadCovRefits = 0;
        double[] row = new double[width];
        for (int i = 0; i < held.length; i++) {
            for (int j = 0; j < width; j++) {
                row[j] = held[i][j];
            }
            admit(row, owners[i]);
        }
    }

    /** An input as the survey holds it: floats, a value that is not finite as 0. */
    private static float[] asHeld(double[] input) {
        float[] copy = new float[input.length];
        for (int j = 0; j < input.length; j++) {
            double v = input[j];
            copy[j] = Double.isFinite(v) ? (float) v : 0f;
        }
        return copy;
    }

    /** How many times the coordinates were drawn again ({@link #survey}): a key's spread statistics belong to one. */
    int epoch() {
        return epoch;
    }

    private int epoch;

    /**
     * The secret sample of {@code m} coordinates (issue 9, session 20): drawn uniformly; when more
     * than half of the drawn coordinates are quiet over the surveyed inputs {@code held} (null: none),
     * fewer than a quarter of them differing from its most common value, each quiet one is swapped for
     * a busy one, drawn uniformly among those not taken. On sparse inputs (TF-IDF or bag-of-words
     * rows, where most words are absent from most texts) a uniform draw of 16 of 1,000 coordinates
     * held zeros and rare words, so honest keys spread 2.7-4.9x the population along them, none
     * reported, the peers never had a threshold, and random rows were never flagged by the spread test
     * ({@code HonestDataShapesTest.randomRowsOnSparseTfIdfRowsGaveTheSpreadTestNothingToReadBypass}).
     * Where half the draw or more is busy (dense inputs, images with a blank border, records whose
     * one-hot columns and flags are quiet: random rows break those, and the spread test needs them;
     * swapping them out cost random-size JbDA its flag on 20 mixed columns) the draw is the uniform
     * one, as before. A thief at the cold start who floods the survey with random rows makes every
     * coordinate busy: the uniform draw again, nothing worse than before.
     */
    private int[] chooseCoordinates(float[][] held) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
        int[] drawn = dev.moat.detectors.internal.Rows.sampleCoordinates(width, m, r);
        if (held == null || held.length < 2) {
            return drawn;
        }
        boolean[] varies = new boolean[width];
        int varying = 0;
        float[] column = new float[held.length];
        for (int j = 0; j < width; j++) {
            for (int i = 0; i < held.length; i++) {
                column[i] = held[i][j];
            }
            java.util.Arrays.sort(column);
            // the most common value's count: a coordinate varies when a quarter of the inputs or more differ from it
            int mode = 1;
            for (int i = 1, run = 1; i < column.length; i++) {
                run = column[i] == column[i - 1] ? run + 1 : 1;
                mode = Math.max(mode, run);
            }
            if (4 * (held.length - mode) >= held.length) {
                varies[j] = true;
                varying++;
            }
        }
        boolean[] taken = new boolean[width];
        int free = varying;
        for (int c : drawn) {
            taken[c] = true;
            if (varies[c]) {
                free--;
            }
        }
        if (2 * (drawn.length - (varying - free)) <= drawn.length) {
            // half the draw or more is busy: it stands (mixed records' one-hot columns and flags are quiet,
            // and random rows break them: the spread test needs them)
            return drawn;
        }
        for (int k = 0; k < drawn.length && free > 0; k++) {
            if (varies[drawn[k]]) {
                continue;
            }
            // the pick-th varying coordinate not yet taken
            int pick = r.nextInt(free);
            for (int j = 0; j < width; j++) {
                if (varies[j] && !taken[j] && pick-- == 0) {
                    taken[drawn[k]] = false;
                    taken[j] = true;
                    drawn[k] = j;
                    free--;
                    break;
                }
            }
        }
        java.util.Arrays.sort(drawn);
        return drawn;
    }

    /** Inputs wider than this keep the uniform draw: the survey would hold 48 x width floats (12 MB here). */
    static final int SURVEY_MAX_WIDTH = 65_536;

    /** Inputs a reference wider than {@value #DIMS} holds in full to draw its coordinates again. */
    static final int SURVEY = MIN_ROWS;

    /** The surveyed inputs and their owners, until the coordinates are drawn again (then null). */
    private float[][] pending;

    private int[] pendingOwner;
    private int surveyed;

    private void admit(double[] input, int self) {
        int own = 0;
        for (int r = 0; r < filled; r++) {
            if (owner[r] == self) {
                own++;
            }
        }
        int at;
        if (own >= PER_OWNER) {
            // replace one of its own rows
            int k = random.nextInt(own);
            at = -1;
            for (int r = 0; r < filled; r++) {
                if (owner[r] == self && k-- == 0) {
                    at = r;
                    break;
                }
            }
        } else if (filled < ROWS) {
            at = filled++;
        } else {
            at = random.nextInt(ROWS);
        }
        int o = at * DIMS;
        for (int j = 0; j < m; j++) {
            double v = input[coords[j]];
            rows[o + j] = Double.isFinite(v) ? (float) v : 0f;
        }
        owner[at] = self;
        admittedSince++;
        if (!ready || admittedSince >= REFIT_EVERY) {
            dirty = true;
        }
    }

    /** Drops the rows of a key that is no longer trusted (never a calibration's, see {@link #seed}). */
    void drop(int self) {
        if (seeded) {
            return;
        }
        if (pending != null) {
            int kept = 0;
            for (int i = 0; i < surveyed; i++) {
                if (pendingOwner[i] != self) {
                    pending[kept] = pending[i];
                    pendingOwner[kept++] = pendingOwner[i];
                }
            }
            for (int i = kept; i < surveyed; i++) {
                pending[i] = null;
            }
            surveyed = kept;
        }
        int w = 0;
        boolean any = false;
        for (int r = 0; r < filled; r++) {
            if (owner[r] == self) {
                any = true;
                continue;
            }
            if (w != r) {
                System.arraycopy(rows, r * DIMS, rows, w * DIMS, DIMS);
                owner[w] = owner[r];
            }
            w++;
        }
        if (any) {
            filled = w;
            dirty = true;
            // the average of the axes starts again from the rows left: rows of a key no longer trusted (a thief
            // judged unlike the peers, random rows at a cold start) would otherwise shape them for 16 refits more
            spreadCovRefits = 0;
        }
    }

    /**
     * Starts the reference from a calibration's rows ({@code rows.get(k)}: recorded key k's full-width
     * inputs, all of one width) and keeps it so: each key owns its rows under an identity of its own
     * (no online key's), the worker's own secret coordinates are drawn from the full rows as for its
     * first trusted input, and from then on {@link #offer} and {@link #drop} change nothing. Online rows
     * do not join: a reference that trusted keys could feed is one that keys trusted from a cold start,
     * or patient ones trusted while they stayed narrow, could move, and the calibration is what the
     * operator vouches for. Ignored when empty or not enabled; at most {@value #ROWS} rows and {@value
     * #PER_OWNER} per key are taken. The rows' refit happens at the first use, as online.
     */
    void seed(java.util.List<double[][]> rowsByKey) {
        if (!enabled() || rowsByKey.isEmpty()) {
            return;
        }
        width = rowsByKey.get(0)[0].length;
        m = Math.min(DIMS, width);
        pending = null;
        pendingOwner = null;
        // the coordinates from the rows the reference will hold, as the online survey draws them
        java.util.List<float[]> held = new java.util.ArrayList<>();
        for (double[][] key : rowsByKey) {
            for (int i = 0; i < Math.min(PER_OWNER, key.length) && held.size() < ROWS; i++) {
                if (key[i].length == width) {
                    held.add(asHeld(key[i]));
                }
            }
        }
        coords = chooseCoordinates(width > DIMS ? held.toArray(new float[0][]) : null);
        filled = 0;
        for (int k = 0; k < rowsByKey.size(); k++) {
            double[][] key = rowsByKey.get(k);
            for (int i = 0; i < Math.min(PER_OWNER, key.length) && filled < ROWS; i++) {
                if (key[i].length != width) {
                    continue;
                }
                int o = filled * DIMS;
                for (int j = 0; j < m; j++) {
                    double v = key[i][coords[j]];
                    rows[o + j] = Double.isFinite(v) ? (float) v : 0f;
                }
                // identities below any online key's in practice: identity hashes are small non-negative ints
                owner[filled++] = Integer.MIN_VALUE + k;
            }
        }
        seeded = true;
        dirty = true;
    }

    /** Whether {@link #spreadRatio} judges inputs (as of the last refit). */
    boolean spreadReady() {
        return ready && spreadLimit2 > 0;
    }

    /** The spread test's limit (a squared whitened distance; -1: none yet). */
    double spreadLimit2() {
        return ready ? spreadLimit2 : -1;
    }

    /** The width of the inputs the reference holds (-1 before the first), and how many coordinates it samples. */
    int width() {
        return width;
    }

    int dims() {
        return m;
    }

    /** Sampled coordinate {@code j} of {@code input} (of the reference's width), 0 where not finite. */
    double coordinate(double[] input, int j) {
        double v = input[coords[j]];
        return Double.isFinite(v) ? v : 0;
    }

    /**
     * How far {@code input} lies from {@code centre} (a key's own centre, in the sampled coordinates'
     * units) along the minor principal axes ({@link #minorSpread}), over how far the trusted
     * population's inputs typically lie from its centre ({@link #spreadLimit}): the spread test's one
     * number. NaN while not ready.
     */
    double spreadRatio(double[] input, float[] centre) {
        refitIfDue();
        if (!ready || spreadLimit2 <= 0 || input.length != width) {
            return Double.NaN;
        }
        for (int j = 0; j < m; j++) {
            double v = (coordinate(input, j) - centre[j]) / spreadScale[j];
            z[j] = Math.max(-1e6, Math.min(1e6, v));
        }
        return minorSpread(z) / spreadLimit2;
    }

    /**
     * The mean over the minor principal axes (the less varied half, see {@link #minorAxes}) of {@code
     * (basis z)_k^2}: how far a standardised displacement lies along the directions in which natural
     * inputs barely vary. Where inputs are correlated (a sensor's window, images, records whose
     * features move together), those directions are the data's noise, alike for every honest key, and
     * a customer whose data vary more than the others' (a sensor with a larger swing, a wider range of
     * one feature) differs along the major axes, which are not read; random and synthetic rows break
     * the correlations and land far along the minor ones. Where features are independent (every axis
     * alike), it is how far the input lies along half of them.
     */
    private double minorSpread(double[] standardised) {
        int h = project(standardised, squares);
        for (int k = 0; k < h; k++) {
            squares[k] *= squares[k];
        }
        return meanOf(squares, h);
    }

    /** The coordinates of {@code standardised} on the minor axes, into {@code out}; returns how many. */
    private int project(double[] standardised, double[] out) {
        int h = minorAxes();
        for (int k = 0; k < h; k++) {
            double acc = 0;
            for (int j = 0; j < m; j++) {
                acc += basis[k * DIMS + j] * standardised[j];
            }
            out[k] = acc;
        }
        return h;
    }

    private static double meanOf(double[] values, int h) {
        double acc = 0;
        for (int i = 0; i < h; i++) {
            acc += values[i];
        }
        return acc / h;
    }

    /** How many of the principal axes, the least varied, the spread test reads: the smaller half, at least one. */
    private int minorAxes() {
        return Math.max(1, (m + 1) / 2);
    }

    /** y = L^-1 ((x - centre) / scale) over the sampled coordinates. */
    private void whiten(double[] input) {
        for (int j = 0; j < m; j++) {
            double v = input[coords[j]];
            double s = (Double.isFinite(v) ? v - center[j] : 1e6) / scale[j];
            z[j] = Math.max(-1e6, Math.min(1e6, s));
        }
        solve(z, y);
    }

    private void solve(double[] in, double[] out) {
        for (int i = 0; i < m; i++) {
            double acc = in[i];
            for (int k = 0; k < i; k++) {
                acc -= chol[i * DIMS + k] * out[k];
            }
            out[i] = acc / chol[i * DIMS + i];
        }
    }

    private void refitIfDue() {
        if (!dirty) {
            return;
        }
        dirty = false;
        admittedSince = 0;
        ready = false;
        if (!enabled() || filled < MIN_ROWS || owners() < MIN_OWNERS) {
            return;
        }
        // robust centre and scale per coordinate
        for (int j = 0; j < m; j++) {
            for (int r = 0; r < filled; r++) {
                column[r] = rows[r * DIMS + j];
            }
            Arrays.sort(column, 0, filled);
            double med = median(column, filled);
            double range = column[filled - 1] - column[0];
            double absDev = 0;
            for (int r = 0; r < filled; r++) {
                column[r] = Math.abs(column[r] - med);
                absDev += column[r];
            }
            Arrays.sort(column, 0, filled);
            double mad = 1.4826 * median(column, filled);
            double s = Math.max(mad, 1.2533 * absDev / filled);
            center[j] = med;
            scale[j] = Math.max(s, 1e-9 * (1 + Math.abs(med)));
            // the spread test's scale: at least an eighth of the rows' range (a rare value of a nearly constant
            // feature, a flag set on one row in a hundred, has a robust scale near 0 and would lie thousands of
            // scales out), and a coordinate constant over every row is left out (no scale to measure it by)
            spreadScale[j] = range > 0 ? Math.max(s, range / SPREAD_RANGE_SHARE) : Double.POSITIVE_INFINITY;
        }
        Arrays.fill(kept, 0, filled, true);
        fitCovariance(spreadScale);
        averageSpreadCovariance();
        fitBasis();
        double fresh = spreadLimit();
        if (fresh < 0) {
            spreadLimit2 = -1;
        } else {
            // an average over refits: the first ones alike, then the last SPREAD_MEMORY or so (in logs)
            spreadRefits = Math.min(spreadRefits + 1, SPREAD_MEMORY);
            spreadLimit2 = spreadLimit2 <= 0
                    ? fresh
                    : Math.exp(Math.log(spreadLimit2) + (Math.log(fresh) - Math.log(spreadLimit2)) / spreadRefits);
        }
        fitCovariance(scale);
        // one trimming step: refit on the rows nearest the first fit
        for (int r = 0; r < filled; r++) {
            standardised(r);
            solve(z, y);
            double acc = 0;
            for (int j = 0; j < m; j++) {
                acc += y[j] * y[j];
            }
            dist[r] = acc;
            column[r] = acc;
        }
        Arrays.sort(column, 0, filled);
        double cut = column[Math.min(filled - 1, (int) (TRIM * filled))];
        for (int r = 0; r < filled; r++) {
            kept[r] = dist[r] <= cut;
        }
        fitCovariance(scale);
        for (int r = 0; r < filled; r++) {
            standardised(r);
            solve(z, y);
            for (int j = 0; j < m; j++) {
                white[r * DIMS + j] = (float) y[j];
            }
        }
        ready = true;
        limit2 = -1;
        if (near <= 0) {
            return;
        }
        // each row's squared distance to the nearest row of another key; the limit is near^2 x their median
        int n = 0;
        for (int r = 0; r < filled; r++) {
            double best = Double.MAX_VALUE;
            for (int q = 0; q < filled; q++) {
                if (owner[q] == owner[r]) {
                    continue;
                }
                double acc = 0;
                for (int j = 0; j < m && acc < best; j++) {
                    double d = white[r * DIMS + j] - white[q * DIMS + j];
                    acc += d * d;
                }
                best = Math.min(best, acc);
            }
            if (best < Double.MAX_VALUE) {
                column[n++] = best;
            }
        }
        if (n < MIN_ROWS / 2) {
            return;
        }
        Arrays.sort(column, 0, n);
        limit2 = near * near * median(column, n);
    }

    /**
     * The spread test's limit on {@link #minorSpread} of a displacement from a key's own centre: the
     * median, over the rows of the owners with at least {@value #SPREAD_OWNER_ROWS} rows, of each
     * row's {@link #minorSpread} from the rows' mean, each owner's rows weighing 1 together, times
     * (rows - 1) / (rows - m - 2) (the rows shaped the axes they are measured on, so they lie nearer
     * than a new input). How far the trusted keys' inputs, all together, lie from their centre along
     * the axes they barely vary on: a key whose own inputs spread farther from its own centre than the
     * whole trusted population spreads from its centre is unlike any of them. A customer whose data
     * cover the whole population, or one class of it, or sit at their own level, has at most about
     * half its inputs beyond (0.4-0.65 measured); random rows in the features' box 0.9-1.0. The
     * population's spread, not a typical key's: a typical key's (tried first) shrank whenever the
     * active keys were narrower customers (one-class customers and line searches late in a run) and
     * flagged the heavy keys that cover everything. The weighted median moves only while keys that
     * spread their inputs are most of the keys, however many rows they hold. (Also tried: a tail
     * quantile of each owner's rows, whose order statistics with 8-16 rows sit below the quantile they
     * estimate; a parametric tail from the median, which whitened binary and count features, far from
     * normal, do not follow; every axis, or the Cholesky-whitened distance, on which sensors with a
     * larger swing than the other customers' had 90-99% of their inputs beyond.) -1 (nothing is
     * beyond) with fewer than {@value #MIN_OWNERS} such owners.
     */
    private double spreadLimit() {
        // every row on the principal axes, and their mean
        int h = minorAxes();
        Arrays.fill(mean, 0);
        for (int r = 0; r < filled; r++) {
            standardised(r, spreadScale);
            project(z, y);
            for (int k = 0; k < h; k++) {
                white[r * DIMS + k] = (float) y[k];
                mean[k] += y[k] / filled;
            }
        }
        int owners = 0;
        int pooled = 0;
        Arrays.fill(kept, 0, filled, false);
        for (int r = 0; r < filled; r++) {
            if (kept[r]) {
                continue;
            }
            int n = 0;
            for (int q = r; q < filled; q++) {
                if (owner[q] == owner[r]) {
                    kept[q] = true;
                    n++;
                }
            }
            if (n < SPREAD_OWNER_ROWS) {
                continue;
            }
            owners++;
            for (int q = r; q < filled; q++) {
                if (owner[q] == owner[r]) {
                    for (int k = 0; k < h; k++) {
                        double d = white[q * DIMS + k] - mean[k];
                        y[k] = d * d;
                    }
                    column[pooled] = meanOf(y, h);
                    dist[pooled] = 1.0 / n;
                    // non-negative, so the float bits sort as the values
                    order[pooled] = ((long) Float.floatToIntBits((float) column[pooled]) << 32) | pooled;
                    pooled++;
                }
            }
        }
        if (owners < MIN_OWNERS) {
            return -1;
        }
        // the median over the rows, each owner's rows weighing 1 together
        Arrays.sort(order, 0, pooled);
        double acc = 0;
        double median = column[(int) order[pooled - 1]];
        for (int i = 0; i < pooled; i++) {
            int at = (int) order[i];
            acc += dist[at];
            if (acc >= owners / 2.0) {
                median = column[at];
                break;
            }
        }
        // the rows shaped the covariance they are measured with, so they lie nearer than a new input: a new
        // input's squared Mahalanobis distance is (n - 1) / (n - m - 2) times an in-sample one on average
        return median * (filled - 1) / Math.max(1, filled - m - 2);
    }

    private void standardised(int r) {
        standardised(r, scale);
    }

    private void standardised(int r, double[] sc) {
        for (int j = 0; j < m; j++) {
            z[j] = Math.max(-1e6, Math.min(1e6, (rows[r * DIMS + j] - center[j]) / sc[j]));
        }
    }

    /**
     * Folds the covariance {@link #fitCovariance} just left in {@link #cov} (under {@link
     * #spreadScale}) into {@link #spreadCov}, an average over refits in the coordinates' own units (the
     * first refits alike, then about the last {@value #SPREAD_MEMORY}, as the limit), and writes that
     * average back into {@link #cov} under the current scales, plus the ridge. Why: the basis was one
     * refit's, from 128 rows, and a rare value (a category or flag a few of the rows carry) is now
     * held by one row, now by none; under a refit where it is scarce, its direction became a minor
     * axis, and a key whose records carry it more often than the rows did lay far along it until the
     * next refit. A heavy key sends its 256 judged inputs within one refit (about 25 s on the test
     * gateways), so its mean took that refit alone: a 50x customer on 60 mixed-type columns went from
     * 0.97x to 1.66x the trusted keys' spread within one refit, past the peers' 1.49x, and back after
     * the next ({@code MidWidthSpreadTest.heavyCustomerOnSixtyMixedColumnsIsNotFlaggedByOneRefitsAxes}).
     * The average starts again at every {@link #drop}: averaged past it, the rows of five random-row
     * keys at a cold start, dropped once judged, kept their directions major and hid the keys ({@code
     * InputSpreadTest.spreadingKeysAsAMinorityFromTheStartDoNotMoveTheLimit}).
     */
    private void averageSpreadCovariance() {
        spreadCovRefits = Math.min(spreadCovRefits + 1, SPREAD_MEMORY);
        double w = 1.0 / spreadCovRefits;
        for (int a = 0; a < m; a++) {
            for (int b = 0; b <= a; b++) {
                double sa = spreadScale[a];
                double sb = spreadScale[b];
                boolean finite = Double.isFinite(sa) && Double.isFinite(sb);
                double raw = finite ? (cov[a * DIMS + b] - (a == b ? RIDGE : 0)) * sa * sb : 0;
                double avg = spreadCov[a * DIMS + b] + (raw - spreadCov[a * DIMS + b]) * w;
                spreadCov[a * DIMS + b] = avg;
                cov[a * DIMS + b] = (finite ? avg / (sa * sb) : 0) + (a == b ? RIDGE : 0);
            }
        }
    }

    /** The spread test's {@link #basis} from {@link #cov} as {@link #fitCovariance} left it (the lower triangle). */
    private void fitBasis() {
        System.arraycopy(cov, 0, eigenWork, 0, cov.length);
        SymmetricEigen.decompose(eigenWork, m, DIMS, eigenValues, eigenVectors);
        // the axes in ascending order of variance: the spread test reads the minor ones
        for (int k = 0; k < m; k++) {
            // eigenvalues of a covariance plus the ridge are positive, so the float bits sort as the values
            byValue[k] = ((long) Float.floatToIntBits((float) Math.max(eigenValues[k], RIDGE)) << 32) | k;
        }
        Arrays.sort(byValue, 0, m);
        for (int i = 0; i < m; i++) {
            int k = (int) byValue[i];
            double inv = 1 / Math.sqrt(Math.max(eigenValues[k], RIDGE));
            for (int j = 0; j < m; j++) {
                basis[i * DIMS + j] = eigenVectors[j * DIMS + k] * inv;
            }
        }
    }

    /** The covariance of the kept rows' standardised coordinates plus the ridge, into {@link #chol} as L. */
    private void fitCovariance(double[] sc) {
        Arrays.fill(mean, 0);
        int n = 0;
        for (int r = 0; r < filled; r++) {
            if (kept[r]) {
                standardised(r, sc);
                for (int j = 0; j < m; j++) {
                    mean[j] += z[j];
                }
                n++;
            }
        }
        for (int j = 0; j < m; j++) {
            mean[j] /= n;
        }
        Arrays.fill(cov, 0);
        for (int r = 0; r < filled; r++) {
            if (kept[r]) {
                standardised(r, sc);
                for (int a = 0; a < m; a++) {
                    double da = z[a] - mean[a];
                    for (int b = 0; b <= a; b++) {
                        cov[a * DIMS + b] += da * (z[b] - mean[b]);
                    }
                }
            }
        }
        for (int a = 0; a < m; a++) {
            for (int b = 0; b <= a; b++) {
                cov[a * DIMS + b] /= Math.max(1, n - 1);
            }
            cov[a * DIMS + a] += RIDGE;
        }
        // Cholesky: cov = L L^T (lower triangle)
        Arrays.fill(chol, 0);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j <= i; j++) {
                double acc = cov[i * DIMS + j];
                for (int k = 0; k < j; k++) {
                    acc -= chol[i * DIMS + k] * chol[j * DIMS + k];
                }
                if (i == j) {
                    chol[i * DIMS + i] = Math.sqrt(Math.max(acc, RIDGE));
                } else {
                    chol[i * DIMS + j] = acc / chol[j * DIMS + j];
                }
            }
        }
    }

    private int owners() {
        int distinct = 0;
        outer:
        for (int r = 0; r < filled; r++) {
            for (int q = 0; q < r; q++) {
                if (owner[q] == owner[r]) {
                    continue outer;
                }
            }
            if (++distinct >= MIN_OWNERS) {
                return distinct;
            }
        }
        return distinct;
    }

    private static double median(double[] sorted, int n) {
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
