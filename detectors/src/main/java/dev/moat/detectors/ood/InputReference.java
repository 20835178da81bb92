package dev.moat.detectors.ood;

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

    private final double near;
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
    private boolean ready;
    private final double[] center = new double[DIMS];
    private final double[] scale = new double[DIMS];
    private final double[] chol = new double[DIMS * DIMS];
    private final float[] white = new float[ROWS * DIMS];
    private double limit2;
    private final double[] z = new double[DIMS];
    private final double[] y = new double[DIMS];
    private final double[] column = new double[ROWS];
    private final double[] cov = new double[DIMS * DIMS];
    private final double[] dist = new double[ROWS];
    private final double[] mean = new double[DIMS];
    private final boolean[] kept = new boolean[ROWS];

    /**
     * @param near the factor on the peers' typical nearest-other-key distance within which a query is
     *     near; 0 turns the gate off (no query is ever near)
     * @param seed the seed for the coordinates and admissions
     */
    InputReference(double near, long seed) {
        this.near = near;
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    boolean enabled() {
        return near > 0;
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
        refitIfDue();
        if (!ready || input.length != width) {
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
        if (near <= 0 || input.length == 0 || (filled >= MIN_ROWS && random.nextInt(ADMIT_ONE_IN) != 0)) {
            return;
        }
        if (width < 0) {
            width = input.length;
            m = Math.min(DIMS, width);
            coords = pick(width, m, new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L));
        }
        if (input.length != width) {
            return;
        }
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

    /** Drops the rows of a key that is no longer trusted. */
    void drop(int self) {
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
        }
    }

    private static int[] pick(int width, int m, SplittableRandom r) {
        int[] all = new int[width];
        for (int i = 0; i < width; i++) {
            all[i] = i;
        }
        for (int i = 0; i < m; i++) {
            int j = i + r.nextInt(width - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] out = Arrays.copyOf(all, m);
        Arrays.sort(out);
        return out;
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
        if (near <= 0 || filled < MIN_ROWS || owners() < MIN_OWNERS) {
            return;
        }
        // robust centre and scale per coordinate
        for (int j = 0; j < m; j++) {
            for (int r = 0; r < filled; r++) {
                column[r] = rows[r * DIMS + j];
            }
            Arrays.sort(column, 0, filled);
            double med = median(column, filled);
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
        }
        Arrays.fill(kept, 0, filled, true);
        fitCovariance();
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
        fitCovariance();
        for (int r = 0; r < filled; r++) {
            standardised(r);
            solve(z, y);
            for (int j = 0; j < m; j++) {
                white[r * DIMS + j] = (float) y[j];
            }
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
        ready = true;
    }

    private void standardised(int r) {
        for (int j = 0; j < m; j++) {
            z[j] = Math.max(-1e6, Math.min(1e6, (rows[r * DIMS + j] - center[j]) / scale[j]));
        }
    }

    /** The covariance of the kept rows' standardised coordinates plus the ridge, into {@link #chol} as L. */
    private void fitCovariance() {
        Arrays.fill(mean, 0);
        int n = 0;
        for (int r = 0; r < filled; r++) {
            if (kept[r]) {
                standardised(r);
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
                standardised(r);
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
