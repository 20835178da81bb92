package dev.moat.detectors.prada;

import dev.moat.detectors.Detector;
import dev.moat.detectors.internal.Decimals;
import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.stats.SparseProjection;
import java.util.Map;

/**
 * PRADA (M. Juuti, S. Szyller, S. Marchal, N. Asokan, "PRADA: Protecting Against DNN Model
 * Stealing Attacks", IEEE EuroS&amp;P 2019; reference code {@code growing_set.py} of SSGAalto's
 * {@code prada-protecting-against-dnn-model-stealing-attacks}). Honest queries are natural samples
 * whose distances to the nearest earlier query of the same predicted class look normal; synthetic
 * attack queries (JbDA, perturbations of a seed) do not.
 *
 * <p>Per predicted class c: a growing set G_c and threshold T_c. The first query of c starts
 * G_c = {x}, T_c = 0. Later, d = min over y in G_c of ||x - y||_2 is appended to D_c; if d &gt; T_c,
 * x joins G_c and T_c = max(T_c, mean(D_Gc) - std(D_Gc)). Every {@code test_every} (10) queries the
 * D_c of classes holding at least 10 distances are pooled, values beyond 3 standard deviations
 * dropped, and if more than {@code min_distances} (100) remain, the Shapiro-Wilk W is computed;
 * W &lt; {@code delta} (0.90, the reference server's value) is an alarm.
 *
 * <p>Departures, for bounded memory and time: G_c holds at most {@code max_set_size} (1000) vectors,
 * the oldest replaced first; D_c keeps the latest {@code max_distances} (300) values per class (the
 * reference keeps all), which also makes W follow a key's recent behaviour; inputs wider than
 * {@code projection_dims} (64) go through a seeded very sparse random projection ({@link
 * SparseProjection}, Li et al. 2006: ~k*sqrt(d) additions) for the distances; vectors are stored
 * with one byte per coordinate and a per-vector offset and step ({@link ByteRows}: within 0.2% of
 * the vector's range, exact for whole numbers spanning at most 255), distances as floats. The pooled test merges per-class runs kept sorted as they
 * arrive ({@link NormalityTest}). W score: 0 while W &gt;= delta, then linear to 1 at W = delta - {@code ramp}
 * (0.2), capped at {@code w_max_score} (0.45, under the suspicious threshold): by default W alone
 * never takes a key past {@code ok}. Measured through this detector (WHarness, 64, 1,024 and 3,072
 * inputs), natural traffic is less normal than the attacks: honest keys' pooled W runs 0.85-0.93
 * (30,000 queries of natural digits that repeat with sensor noise; customers sending 2-3 classes
 * 0.85-0.90; one sending 95% of one class down to 0.38, its re-sent near-duplicates against the
 * rest), while JbDA (plain, range-scaled, random step), random and Knockoff queries keep W at
 * 0.92-0.99; only line-search (boundary) queries fall lower (0.73-0.77), and the boundary detector
 * and the sign-step test see those. A thief perturbing a few seeds with small noise and a customer
 * re-sending a few items look the same to W. An operator whose honest traffic keeps W high (check
 * the reasons of ok keys) can raise {@code w_max_score} to let W escalate on its own.
 *
 * <p>Addition, for the attack PRADA's W misses when every synthetic step has the same length:
 * the sign-step test ({@link SignSteps}) looks at the displacement of each query from the nearest
 * member of G_c that the growing-set search has just found. Over the key's last {@code step_window}
 * (200) queries, the share of sign steps scores 0 at {@code step_low} (0.05) and 1 at {@code
 * step_high} (0.15), once {@code step_min_queries} (50) are in the window; a step must move the
 * median coordinate by at least {@code step_min_fraction} (0.02) of the largest input magnitude the
 * key has sent or, if smaller, of the value a sixteenth of the moved coordinates reach (so one outlier
 * query cannot raise the floor for good). Besides equal magnitudes it recognises flat steps (random size per coordinate) and
 * steps that repeat the key's previous displacement coordinate by coordinate (steps scaled per
 * feature); see {@link SignSteps}. Wide inputs are not blind to it: each key gets a secret sample of
 * {@code step_coordinates} (128) raw coordinates (random start and stride, from a secure seed), stored
 * next to each growing-set member, and the test compares the query's sampled coordinates with the
 * nearest member's.
 *
 * <p>Wide inputs, keys past {@value RecentRows#RECENT_AFTER} queries (issue 9, diluted JbDA): a query
 * that is no step from its nearest member is compared with the nearest of the key's last {@code
 * step_recent_rows} (1,024) rows ({@link RecentRows}). For those keys a CUSUM of the step bits over the key's life
 * (honest base rate {@value #BASE_RATE} against {@value #ATTACK_RATE}) scores 0 at half of {@code
 * step_evidence} (14) and 1 at it. The detector's score is the largest of the W, window and CUSUM
 * scores: the sign-step scores are not capped.
 *
 * <p>Where the parts live: the parameters, their ranges and defaults in {@link PradaSettings}; the
 * pooled W test in {@link NormalityTest}; the wide keys' recent rows, the sign-step test's second
 * parent, in {@link RecentRows}; the population's data level and lattice, which the last-digit
 * test reads, in {@link DataLevels}; how a light key (its first {@value #LIGHT_QUERIES} queries) stores
 * its rows, and the per-class states it expands to, in {@link LightKeys}.
 */
public final class PradaDetector implements Detector<PradaState> {

    public static final String NAME = "prada";

    /** The factory registered under {@code prada}. */
    public static Factory factory(Map<String, Object> params) {
        PradaSettings s = PradaSettings.from(params);
        return Factory.of(NAME, () -> new PradaDetector(s));
    }

    private final PradaSettings settings;
    private final SignSteps signSteps;
    /**
     * The pools of the states tested most often, kept between tests (a tenant's: see {@link
     * MergedPools}); told of every distance here, read by the normality test.
     */
    final MergedPools pools;
    /** The pooled W test, run every {@code test_every} queries of a key. */
    final NormalityTest normality;

    private final double[] projected;
    private final float[] x;
    /** The nearest member, decoded, for the sign-step test. */
    private final float[] parent;
    /** Wide inputs: the query's and the nearest member's sampled raw coordinates. */
    private final float[] xRaw;

    private final float[] parentRaw;
    /** A light key's sparse row's codes, expanded. */
    private final byte[] codeScratch;
    /** A light key's rows: how they are stored, decoded and expanded when the key goes heavy. */
    private final LightKeys lightKeys;
    /** Draws each key's coordinate sample; seeded from a secure source, so samples cannot be predicted. */
    private final java.util.SplittableRandom sampler;

    /** The sign-step test's second parent: the wide keys' recent rows. */
    final RecentRows recentRows;
    /** The population's data level and lattice, per input width, for the last-digit test. */
    final DataLevels dataLevels = new DataLevels();

    private SparseProjection.ByWidth projections;
    private int nearest;

    /** The index in G_c of the member the last query was compared with, for probes. */
    int nearestForTest() {
        return nearest;
    }

    private boolean lastStep;
    /** A light key's last search: where its nearest row starts, and where the row after the class's last starts. */
    private int nearestBase;

    private int lightEnd;

    /** Whether the last query counted as a sign step, for probes. */
    boolean lastStepForTest() {
        return lastStep;
    }

    /** Whether the last query counted as a step only through the recent rows, for probes. */
    boolean lastRecentStepForTest() {
        return recentRows.lastRecentStep;
    }

    /** Wide inputs: the last query's sampled raw coordinates (the array is reused), for probes. */
    float[] queryRawForTest() {
        return xRaw;
    }

    /** Wide inputs: the sampled raw coordinates of the row the last query was compared with, for probes. */
    float[] parentRawForTest() {
        return parentRaw;
    }

    /**
     * A key stays in light mode (one log and one row array, no per-class state) for its first
     * {@value #LIGHT_QUERIES} queries, and never past min_distances (so the W test, which needs more
     * distances than that, never runs on a light key).
     */
    static final int LIGHT_QUERIES = 64;

    private final int lightQueries;

    public PradaDetector(PradaSettings settings) {
        this(settings, true);
    }

    /**
     * With {@code light} false every key is heavy from its first query: for tests that check that
     * light mode and its replay give the same scores and reasons as the per-class states.
     */
    PradaDetector(PradaSettings settings, boolean light) {
        this.settings = settings;
        this.lightQueries = light ? Math.min(LIGHT_QUERIES, settings.minDistances()) : 0;
        this.pools = new MergedPools(settings.testEvery());
        this.normality = new NormalityTest(settings, pools);
        this.projected = new double[settings.projectionDims()];
        this.x = new float[settings.projectionDims()];
        this.parent = new float[settings.projectionDims()];
        this.xRaw = new float[settings.stepCoordinates()];
        this.parentRaw = new float[settings.stepCoordinates()];
        this.codeScratch = new byte[settings.projectionDims()];
        this.lightKeys = new LightKeys(settings, x, codeScratch);
        this.signSteps = new SignSteps(Math.max(settings.projectionDims(), settings.stepCoordinates()));
        // secret unless the operator fixes it (tests do, for repeatable runs)
        this.sampler = new java.util.SplittableRandom(
                settings.stepSampleSeed() != null
                        ? settings.stepSampleSeed()
                        : new java.security.SecureRandom().nextLong());
        this.recentRows = new RecentRows(settings, signSteps, xRaw, parentRaw);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PradaState newState() {
        return new PradaState(settings.stepWindow());
    }

    @Override
    public void update(PradaState s, double[] input, double[] prediction, long timeMillis) {
        int c = Rows.argmax(prediction);
        if (c < 0 || input.length == 0) {
            return;
        }
        boolean wide = input.length > settings.projectionDims();
        this.input = input;
        int len = load(input);
        if (s.dims < 0) {
            s.dims = len;
        }
        if (wide) {
            loadSample(s, input);
        }
        s.queries++;
        if (s.classes.length == 0) {
            // light (a heavy key's classes array is never empty after its first update)
            if (light(s, c, len, wide)) {
                // no test: fewer distances than min_distances exist yet (see lightQueries)
                if (++s.sinceTest >= settings.testEvery()) {
                    s.sinceTest = 0;
                }
                return;
            }
            lightKeys.toHeavy(s);
        }
        Object held = s.slot(c);
        if (held == null) {
            // the class's first query: G_c = {x}, T_c = 0, kept as the bare row until a second query
            byte[] row = new byte[ByteRows.stride(s.dims)];
            s.classes[c] = row;
            encode(s, row, 0, c, wide);
            noteStep(s, recentRows.recentStep(s, wide, false));
        } else {
            PradaState.ClassState cs = held instanceof PradaState.ClassState k ? k : s.promote(c, (byte[]) held);
            float d = (float) Math.sqrt(nearestSquared(s, cs.rows, 0, members(cs)));
            noteStep(s, recentRows.recentStep(s, wide, d > 0 && isStep(s, cs.rows, s.rawRows(c), 0, len, wide)));
            if (cs.count() == 0) {
                s.noteActive(c);
            }
            int cap = settings.maxDistances();
            boolean pushed = cs.full(cap);
            float oldest = pushed ? cs.oldest() : 0f;
            cs.add(d, cap);
            pools.note(s, c, d, pushed, oldest);
            if (d > cs.threshold) {
                add(s, cs, c, len, wide);
                if (cs.memberCount == Integer.MAX_VALUE) {
                    // halving keeps the mean and variance
                    cs.memberCount >>= 1;
                    cs.memberSum /= 2;
                    cs.memberSumSq /= 2;
                }
                cs.join(d);
            }
        }
        if (++s.sinceTest >= settings.testEvery()) {
            s.sinceTest = 0;
            normality.test(s);
        }
    }

    /**
     * Light mode: the query scored and stored against the key's one array of rows and log (see {@link
     * PradaState#logLength}), exactly as the per-class states would score and store it. Returns false,
     * changing nothing, when the key must go heavy first: past {@link #lightQueries} queries, a class
     * of 128 or above, class c's G_c full (the next member would replace the oldest), or a query
     * whose width class (wide or not) differs from the key's first.
     */
    private boolean light(PradaState s, int c, int len, boolean wide) {
        // the log is the tail of the key's one array, after its rows
        byte[] log = s.lightRows;
        int size = s.logLength;
        int from = log == null ? 0 : log.length - size;
        if (c >= 128 || s.queries > lightQueries || (size > 0 && wide != (s.lightRaw != null))) {
            return false;
        }
        // class c's members, the rows of lower classes before them, and T_c replayed from the log
        int before = 0;
        int members = 0;
        boolean seen = false;
        int memberCount = 0;
        double memberSum = 0;
        double memberSumSq = 0;
        double threshold = 0;
        long seenLow = 0; // the classes met so far in the log, bits 0-63 and 64-127: their first entries are one byte
        long seenHigh = 0;
        for (int at = 0; at < size; ) {
            int b = log[from + at];
            int t = b & 0x7F;
            boolean joined = b < 0;
            long bit = 1L << (t & 63);
            boolean first = ((t < 64 ? seenLow : seenHigh) & bit) == 0;
            if (t < 64) {
                seenLow |= bit;
            } else {
                seenHigh |= bit;
            }
            int here = at;
            at += first ? 1 : PradaState.LOG_ENTRY;
            if (t != c) {
                if (t < c && joined) {
                    before++;
                }
                continue;
            }
            if (joined) {
                members++;
            }
            if (first) {
                seen = true;
            } else if (joined) {
                float d = ByteRows.getFloat(log, from + here + 1);
                memberCount++;
                memberSum += d;
                memberSumSq += (double) d * d;
                threshold = PradaState.ClassState.raised(threshold, memberCount, memberSum, memberSumSq);
            }
        }
        if (members >= settings.maxSetSize()) {
            return false;
        }
        float d = 0;
        boolean join;
        if (!seen) {
            join = true;
            noteStep(s, false);
        } else {
            d = (float) Math.sqrt(nearestLightSquared(s, before, members));
            noteStep(s, d > 0 && isStep(s, s.lightRows, s.lightRaw, before, len, wide));
            join = d > threshold;
        }
        // a class's first entry is its byte alone (it always joins, at no distance)
        int entry = seen ? PradaState.LOG_ENTRY : 1;
        if (join) {
            // the new member goes after class c's others: the array grows by exactly one row (and the entry)
            // the class's rows end where the search stopped (a class's first row: walk to it)
            lightKeys.storeLight(s, before + members, seen ? lightEnd : s.lightBase(before + members), entry);
        } else {
            s.lightRows = java.util.Arrays.copyOf(log, log.length + entry);
        }
        byte[] grown = s.lightRows;
        int end = grown.length - entry;
        grown[end] = (byte) (join ? c | 0x80 : c);
        if (seen) {
            ByteRows.putFloat(grown, end + 1, d);
        }
        s.logLength = size + entry;
        if (join) {
            if (wide) {
                int rawStride = ByteRows.stride(s.sampleSize);
                s.lightRaw = LightKeys.withRow(s.lightRaw, (before + members) * rawStride, rawStride, 0);
                ByteRows.encode(xRaw, s.sampleSize, s.lightRaw, (before + members) * rawStride);
            }
        }
        return true;
    }

    /**
     * Copies the key's sample of raw coordinates of a wide input into {@link #xRaw}, drawing the
     * sample at the key's first wide query: {@code step_coordinates} coordinates in runs of {@value
     * StepSample#RUN} consecutive ones at a random offset and a random stride over the input's blocks
     * ({@link StepSample}: all distinct, neighbours for {@link Smoothness}), from a secret seed.
     */
    private void loadSample(PradaState s, double[] input) {
        if (s.sampleSize == 0) {
            int n = input.length;
            s.sampleOf = n;
            s.sampleSize = Math.min(settings.stepCoordinates(), n);
            s.sampleStart = sampler.nextInt(n);
            s.sampleStride = StepSample.stride(sampler, s.sampleSize, n, s.sampleStart);
        }
        StepSample.gather(input, xRaw, s.sampleSize, s.sampleOf, s.sampleStart, s.sampleStride);
    }

    /** Copies the (projected, if wide) input into {@link #x} as floats; returns its length. */
    private int load(double[] input) {
        double[] src = input;
        int len = input.length;
        if (len > settings.projectionDims()) {
            if (projections == null) {
                projections = new SparseProjection.ByWidth(settings.projectionDims(), settings.seed());
            }
            projections.of(len).project(input, projected);
            src = projected;
            len = settings.projectionDims();
        }
        for (int i = 0; i < len; i++) {
            x[i] = (float) src[i];
        }
        // a query shorter than the stored rows is compared as if zero-padded
        java.util.Arrays.fill(x, len, x.length, 0f);
        return len;
    }

    /** The members of G_c held (the size field also carries the ring's next slot once full). */
    private int members(PradaState.ClassState cs) {
        return Math.min(cs.size, settings.maxSetSize());
    }

    private void add(PradaState s, PradaState.ClassState cs, int c, int len, boolean wide) {
        int dims = s.dims;
        int stride = ByteRows.stride(dims);
        int cap = settings.maxSetSize();
        byte[] rows = cs.rows;
        int slot;
        if (cs.size < cap) {
            slot = cs.size++;
            int held = rows == null ? 0 : rows.length / stride;
            if (slot == held) {
                // one row at a time while small (most classes of a light key hold one or two members), then by half
                int grown = Math.min(cap, held < 4 ? held + 1 : held + (held >> 1));
                byte[] bigger = new byte[grown * stride];
                if (rows != null) {
                    System.arraycopy(rows, 0, bigger, 0, rows.length);
                }
                cs.rows = rows = bigger;
            }
        } else {
            // full: size holds cap + the slot the next member replaces
            slot = cs.size - cap;
            cs.size = cap + (slot + 1) % cap;
        }
        encode(s, rows, slot, c, wide);
    }

    /** Stores the query as member {@code slot} of class c's rows (and its raw sample, for wide inputs). */
    private void encode(PradaState s, byte[] rows, int slot, int c, boolean wide) {
        int dims = s.dims;
        int stride = ByteRows.stride(dims);
        // x is zero beyond len, as a stored row shorter than dims would be padded
        ByteRows.encode(x, dims, rows, slot * stride);
        if (wide && s.sampleSize > 0) {
            int rawStride = ByteRows.stride(s.sampleSize);
            int need = (rows.length / stride) * rawStride;
            byte[] raw = s.rawRows(c);
            if (raw == null || raw.length < need) {
                raw = raw == null ? new byte[need] : java.util.Arrays.copyOf(raw, need);
                s.setRawRows(c, raw);
            }
            ByteRows.encode(xRaw, s.sampleSize, raw, slot * rawStride);
        }
    }

    /**
     * Squared distance from the (zero-padded) query to the nearest member of G_c, the {@code size}
     * rows from row {@code first} of {@code rows} (its index among them in {@link #nearest}), decoding the members' bytes on the fly. Partial distances: a member is
     * abandoned once its running sum passes the best so far, checked every 16 coordinates.
     */
    private double nearestSquared(PradaState s, byte[] rows, int first, int size) {
        int dims = s.dims;
        int stride = ByteRows.stride(dims);
        float[] q = x;
        float best = Float.POSITIVE_INFINITY;
        int bestIndex = 0;
        for (int m = 0; m < size; m++) {
            int base = (first + m) * stride;
            float sum = ByteRows.distanceSquared(
                    q, rows, base, dims, ByteRows.offset(rows, base, dims), ByteRows.step(rows, base, dims), best);
            if (sum < best) {
                best = sum;
                bestIndex = m;
            }
        }
        nearest = bestIndex;
        return best;
    }

    /**
     * As {@link #nearestSquared}, over rows {@code first} to {@code first + size} of a light key's
     * {@link PradaState#lightRows} (each under its own or the shared header).
     */
    private double nearestLightSquared(PradaState s, int first, int size) {
        int dims = s.dims;
        byte[] rows = s.lightRows;
        float[] q = x;
        float best = Float.POSITIVE_INFINITY;
        int bestIndex = 0;
        int base = s.lightBase(first);
        nearestBase = base; // member 0 unless a later one is nearer (as bestIndex)
        for (int m = 0; m < size; m++) {
            int r = first + m;
            boolean own = s.lightOwn(r);
            int length = s.lightCodes(r, base);
            byte[] codes = s.lightCodes(r, base, codeScratch);
            float lo = own ? ByteRows.getFloat(rows, base + length) : s.lightLo;
            float step = own ? ByteRows.getFloat(rows, base + length + 4) : s.lightStep;
            float sum = ByteRows.distanceSquared(q, codes, codes == rows ? base : 0, dims, lo, step, best);
            if (sum < best) {
                best = sum;
                bestIndex = m;
                nearestBase = base;
            }
            base += length + (own ? ByteRows.HEADER : 0);
        }
        nearest = bestIndex;
        lightEnd = base;
        return best;
    }

    /** Whether the query is a sign step from the nearest member, row {@code first + nearest} of rows (raw: of raw). */
    private boolean isStep(PradaState s, byte[] rows, byte[] raw, int first, int len, boolean wide) {
        float[] q;
        float[] p;
        int n;
        float quantError;
        if (wide) {
            if (raw == null || s.sampleSize == 0) {
                return false;
            }
            n = s.sampleSize;
            int base = (first + nearest) * ByteRows.stride(n);
            ByteRows.decode(raw, base, n, parentRaw);
            quantError = ByteRows.quantisation(raw, base, n);
            q = xRaw;
            p = parentRaw;
        } else {
            n = Math.min(len, s.dims);
            int r = first + nearest;
            if (rows == s.lightRows) {
                // a light key's row: its codes may be sparse, its header shared
                quantError = lightKeys.decodeLight(s, r, nearestBase, parent);
            } else {
                int base = r * ByteRows.stride(s.dims);
                ByteRows.decode(rows, base, s.dims, parent);
                quantError = ByteRows.quantisation(rows, base, s.dims);
            }
            q = x;
            p = parent;
        }
        float sampleMax = 0;
        for (int i = 0; i < n; i++) {
            float a = Math.abs(q[i]);
            if (a > s.inputScale) {
                s.inputScale = a;
            }
            sampleMax = Math.max(sampleMax, a);
        }
        if (wide) {
            dataLevels.learnDataLevel(this, s, input.length, sampleMax, q, n);
        }
        // the repeat shape's memory only for keys with enough queries to be scored (light keys stay small)
        if ((s.prevSteps == null || s.prevSteps.length != n) && s.queries >= settings.stepMinQueries() / 2) {
            s.prevSteps = new float[n];
        }
        float[] prev = s.prevSteps != null && s.prevSteps.length == n ? s.prevSteps : null;
        // the floor: step_min_fraction of the key's largest value, or of this displacement's if smaller
        // (one outlier query would raise the key's for good); clipping is judged on the displacement itself
        // isStepScaled's answer and prev, in fewer passes without data-dependent branches
        signSteps.inOrder(!wide || StepSample.whole(s.sampleSize, s.sampleOf));
        return signSteps.isStepKeyed(q, p, n, (float) settings.stepMinFraction(), s.inputScale, quantError, prev)
                && !(wide
                        && signSteps.lastDigits(
                                input,
                                q,
                                p,
                                n,
                                quantError,
                                (float) settings.stepMinFraction(),
                                s.inputScale,
                                dataLevels.dataLevel,
                                dataLevels.dataUnit));
    }

    /** The query being scored (its whole input, for {@link SignSteps#lastDigits}). */
    private double[] input;

    /** The sequential test's honest base rate of sign steps and the attack rate it tests against. */
    static final double BASE_RATE = 0.005;

    static final double ATTACK_RATE = 0.04;
    /** The log-likelihood ratios of a step and of a non-step, BASE_RATE against ATTACK_RATE. */
    private static final double STEP_LLR = Math.log(ATTACK_RATE / BASE_RATE);

    private static final double NO_STEP_LLR = Math.log((1 - ATTACK_RATE) / (1 - BASE_RATE));

    private void noteStep(PradaState s, boolean step) {
        lastStep = step;
        if (s.recent != null && settings.stepEvidence() > 0) {
            // wide keys past the warm-up (where the honest base rate was measured): a CUSUM over the key's
            // life, so a share of steps under step_low in every window of step_window still adds up
            s.recent.evidence = Math.max(0, s.recent.evidence + (step ? STEP_LLR : NO_STEP_LLR));
        }
        s.add(step);
    }

    /**
     * The sign-step window's score: 0 under step_min_queries, else 0 at step_low and 1 at step_high
     * (computed from the window, not stored: a field per key would cost 8 bytes on every key).
     */
    double stepScore(PradaState s) {
        int filled = s.filled();
        return filled < settings.stepMinQueries()
                ? 0
                : Rows.clamp01(((double) s.count() / filled - settings.stepLow())
                        / (settings.stepHigh() - settings.stepLow()));
    }

    @Override
    public double score(PradaState s, long timeMillis) {
        return Math.max(Math.max(Math.min(settings.wMaxScore(), s.wUncapped), stepScore(s)), evidenceScore(s));
    }

    /** The sequential test's score: 0 up to half of step_evidence, then linear to 1 at step_evidence. */
    private double evidenceScore(PradaState s) {
        double h = settings.stepEvidence();
        return h > 0 && s.recent != null ? Rows.clamp01((s.recent.evidence - h / 2) / (h / 2)) : 0;
    }

    @Override
    public String reason(PradaState s, long timeMillis) {
        // String.format's text, built without a Formatter (reasons are rebuilt on a few percent of events)
        StringBuilder b = new StringBuilder(160);
        if (Double.isNaN(s.lastW)) {
            b.append("prada: collecting distances after ")
                    .append(s.queries)
                    .append(" queries (need > ")
                    .append(settings.minDistances())
                    .append(')');
        } else {
            b.append("prada: W=");
            Decimals.fixed(b, s.lastW, 3).append(s.lastW < settings.delta() ? " < " : " >= ");
            Decimals.fixed(b, settings.delta(), 2)
                    .append(" over ")
                    .append(s.lastN)
                    .append(" distances after ")
                    .append(s.queries)
                    .append(" queries");
            if (s.wUncapped > settings.wMaxScore()) {
                b.append(" (W score ");
                Decimals.fixed(b, s.wUncapped, 2).append(", capped at w_max_score ");
                Decimals.fixed(b, settings.wMaxScore(), 2).append(')');
            }
        }
        if (s.filled() != 0) {
            b.append("; ")
                    .append(s.count())
                    .append(" of last ")
                    .append(s.filled())
                    .append(" queries are sign steps from a stored one");
        }
        if (s.recent != null && s.recent.evidence >= settings.stepEvidence() / 2 && settings.stepEvidence() > 0) {
            b.append("; sign-step evidence ");
            Decimals.fixed(b, s.recent.evidence, 1).append(" of ");
            Decimals.fixed(b, settings.stepEvidence(), 1).append(" over the key's life");
        }
        return b.toString();
    }
}
