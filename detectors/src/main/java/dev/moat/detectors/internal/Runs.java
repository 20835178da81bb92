package dev.moat.detectors.internal;

import java.util.SplittableRandom;

/**
 * Answers that come in runs: a customer who streams (a camera sending every frame of a scene it
 * holds, a client re-sending the same record) asks the same question many times in a row, and a
 * test that reads a key's window of answers as independent draws ({@code ood}'s KS, {@code
 * boundary}'s share, {@code coverage}'s novelty since session 35) then sees two or three situations
 * repeated hundreds of times. This class
 * decides, per query, whether it only repeats the key's current situation, so that the window
 * counts a situation once.
 *
 * <p>A query <em>joins the current run</em> when both
 *
 * <ul>
 *   <li>its answer is near the run's first answer (the <em>anchor</em>, not the previous one, so a
 *       run cannot drift): the same top-1 class, both hesitant (margin under {@value #HESITANT}) or
 *       neither, a top-1 minus top-2 margin within {@value #MARGIN_TOLERANCE}, and a confidence
 *       within {@value #U_TOLERANCE} on u = -log10(1 - c) (three of {@code ood}'s bins); and
 *   <li>its input is a near-copy of the anchor's: on {@value #COORDINATES} coordinates drawn from a
 *       secret generator (all of them on narrower inputs), it moves none of them (a re-send) or at
 *       least half (a stream's noise; a sweep of one feature or a sparse probe is a new situation),
 *       and its distance to the anchor is at most {@code near} (0.5) times the smaller of the
 *       anchor's own contrast there (the root of the sum of squared deviations of its sampled values
 *       from their mean) and its distance from the population's mean input (a running mean of
 *       trusted keys' anchors, {@value #POPULATION_MEMORY} of them at most; before {@value
 *       #POPULATION_MIN}, nothing joins). The contrast alone is the features' offsets on records
 *       whose features have scales of their own, under which two unrelated records are near-copies;
 *       the population's mean bounds it by how far records lie from each other. Width-free (the same
 *       number of coordinates at any width) and scale-free (any {@code a x + b} of the inputs gives
 *       the same decision), so no unit of the data is assumed; <em>or</em> its input is the key's
 *       <em>last</em> query read 1 to {@value SeriesWindows#MAX_SHIFT} coordinates later ({@link SeriesWindows}, session
 *       30: a monitor's overlapping windows of a vibration, whose next window is no near-copy of the
 *       last because the sine's phase moved). This part is chained (each window against the one
 *       before), so that a stream can go on; the answer is still held to the anchor's. {@code ood}'s
 *       runs take it, {@code boundary}'s and {@code coverage}'s do not (coverage reads series with
 *       a {@link SeriesWindows} of its own, on every query; {@link #Runs(double, int, long,
 *       boolean)}).
 * </ul>
 *
 * Otherwise the query starts a new run and becomes its anchor. A run counts once: the detectors
 * put only its anchor in their windows; and an anchor that re-sends one of the key's last {@code
 * recall} anchors (the same fingerprint, {@link #resend}) is not counted again. A query of another width than the first one seen never
 * joins (and resets the key's anchor); a non-finite value never joins.
 *
 * <p>Why a thief gains little: to hide an answer he must send a near-copy of a query he has just
 * sent and get (nearly) the same answer, which teaches him close to nothing new; a thief who moves
 * his queries further, in fewer coordinates, or whose answers change, is counted as before; sorting
 * a batch by answer does not make its inputs near-copies. A series sent as sliding windows joins
 * {@code ood}'s runs while its answers stay near the anchor's, which a random walk's windows do
 * (their level moves slowly): its confidence test then counts few of them, while its roughness and
 * input spread and {@code boundary}'s share (whose runs take no shifts) judge every input as before
 * ({@code coverage} does not since session 31: {@link SeriesWindows}); among vibration monitors such
 * a thief is flagged at the same rows as before ({@code
 * HonestDataShapesTest.aRandomSeriesSentAsSlidingWindowsIsFlagged}). A window read
 * later plus a step under half the window's contrast joins as a near-copy plus noise does ({@code
 * RunsTest.shiftedWindowsPlusStepsUnderHalfTheContrastJoinBypass}). What he can gain is measured in the
 * detectors' README ("Honest streams whose answers come in runs") and pinned in {@code RunsTest}:
 * consecutive bisection steps on the same side of a boundary whose margins are within {@value
 * #MARGIN_TOLERANCE}; small perturbations around a boundary point (about half count); and a trusted
 * key that drags the population's mean far from the data brings back the contrast alone.
 *
 * <p>Cost: per detector instance the sampled coordinates (fixed at the first width seen) and the
 * population's mean on them; per key a {@link Key} ({@value #COORDINATES} floats, and on inputs of
 * at least 21 coordinates the last query's block and shifts, at most
 * {@value SeriesWindows#BLOCK} + {@value SeriesWindows#MAX_SHIFT} 16-bit codes); per query at most {@value #COORDINATES} differences
 * (twice for a query that starts a run), the block's coding, and, only when the answer is near the
 * anchor's and the input is no near-copy, at most {@value SeriesWindows#MAX_SHIFT} shifts of {@value SeriesWindows#BLOCK}
 * differences each (abandoned once over the bound), allocation-free once the key's anchor exists; with a {@code recall}, per key a ring of up to that many ints (grown from 8, 8 at a time to 64, then by half)
 * and, per query that starts a run, a hash of the sampled values (of the whole row
 * when they say nothing) and an OR over the ring.
 */
public final class Runs {

    /** {@code run_near}'s default in {@code ood} and {@code boundary}. */
    public static final double DEFAULT_NEAR = 0.5;

    /** Coordinates compared (all of them on narrower inputs). */
    public static final int COORDINATES = 32;

    /** The largest difference of top-1 minus top-2 margins within a run. */
    public static final double MARGIN_TOLERANCE = 0.05;

    /** A run's answers are all hesitant (top-1 minus top-2 under this, {@code boundary}'s margin) or none. */
    public static final double HESITANT = 0.2;

    /** The largest difference of u = -log10(1 - top-1 confidence) within a run. */
    public static final double U_TOLERANCE = 0.3;

    private final double near;
    private final int recall;
    private final double marginTolerance;
    private final double uTolerance;
    private final long seed;
    /** Whether a window read later along a series joins ({@link SeriesWindows}); null: none does. */
    private final SeriesWindows series;

    private int width = -1;
    private int[] coords;

    /** The population's mean input on the sampled coordinates (trusted keys' anchors), and how many taught it. */
    private double[] population;

    private long populationSeen;

    /** Anchors of trusted keys before the population's mean is used (until then nothing joins a run). */
    static final int POPULATION_MIN = 64;

    /** The population's mean is a running mean of this many anchors, then an exponentially weighted one. */
    static final int POPULATION_MEMORY = 1024;

    /**
     * One key's current run (its anchor's sampled values, contrast, class, u and margin) and the
     * fingerprints of its last anchors ({@link #resend}).
     */
    public static final class Key {
        float[] anchor;
        float contrast2;
        int cls = -1;
        float u;
        float margin;
        /** The last anchors' fingerprints, a ring grown up to the detector's recall (null until one). */
        int[] seen;

        int seenCount;
        int seenNext;
        /** The anchor's fingerprint (0 without a recall), and whether its sample says nothing ({@link #blank}). */
        int print;

        boolean blankSample;
        boolean resent;
        /**
         * The key's last query on the block and the shifts after it ({@link SeriesWindows#remember};
         * null until one, and after a query of another width).
         */
        char[] last;

        /**
         * Whether the last query {@link Runs#joins} took in was a re-send (it moved none of the sampled
         * coordinates of a counted input), not a stream's near-copy.
         */
        public boolean resent() {
            return resent;
        }
    }

    /**
     * @param near the largest distance to the anchor, in units of the anchor's contrast (0: no runs,
     *     every query counts)
     * @param seed the seed of the sampled coordinates (secret in production)
     */
    public Runs(double near, long seed) {
        this(near, 0, seed);
    }

    /**
     * @param near as above
     * @param recall how many of a key's last anchors a re-send is matched against ({@link #resend}; the
     *     detector's window: an input counted in it once is not counted again; 0: the current anchor only)
     * @param seed as above
     */
    public Runs(double near, int recall, long seed) {
        this(near, recall, MARGIN_TOLERANCE, U_TOLERANCE, seed, true);
    }

    /**
     * @param near as above
     * @param recall as above
     * @param seed as above
     * @param series whether a window read later along a series joins ({@link SeriesWindows}; per key
     *     the last query's block, at most {@value SeriesWindows#BLOCK} + {@value SeriesWindows#MAX_SHIFT} 16-bit codes)
     */
    public Runs(double near, int recall, long seed, boolean series) {
        this(near, recall, MARGIN_TOLERANCE, U_TOLERANCE, seed, series);
    }

    Runs(double near, double marginTolerance, double uTolerance, long seed) {
        this(near, 0, marginTolerance, uTolerance, seed, true);
    }

    Runs(double near, int recall, double marginTolerance, double uTolerance, long seed, boolean series) {
        this.near = near;
        this.recall = Math.max(0, recall);
        this.marginTolerance = marginTolerance;
        this.uTolerance = uTolerance;
        this.seed = seed;
        this.series = series && near > 0 ? new SeriesWindows(near, seed) : null;
    }

    public boolean enabled() {
        return near > 0;
    }

    /** u = -log10(1 - c), the scale on which confidences are compared. */
    public static double u(double confidence) {
        return -Math.log10(Math.max(1e-12, 1 - confidence));
    }

    /**
     * Whether the query ({@code input}, answered with top-1 class {@code cls}, top-1 confidence
     * {@code confidence} and margin {@code margin}) joins the key's current run; if not, it becomes
     * the anchor of a new one.
     */
    public boolean joins(Key k, double[] input, int cls, double confidence, double margin) {
        return joins(k, input, cls, confidence, margin, false);
    }

    /**
     * As {@link #joins(Key, double[], int, double, double)}; a {@code trusted} key's anchors (the
     * queries that start a run) also teach the population's mean input.
     */
    public boolean joins(Key k, double[] input, int cls, double confidence, double margin, boolean trusted) {
        if (near <= 0 || input == null || input.length == 0) {
            return false;
        }
        if (width < 0) {
            width = input.length;
            coords = Rows.sampleCoordinates(width, Math.min(COORDINATES, width), new SplittableRandom(seed));
            population = new double[coords.length];
        }
        if (input.length != width) {
            k.cls = -1;
            k.last = null;
            return false;
        }
        boolean joined = joinsRun(k, input, cls, confidence, margin, trusted);
        if (series != null) {
            k.last = series.remember(k.last, input);
        }
        return joined;
    }

    private boolean joinsRun(Key k, double[] input, int cls, double confidence, double margin, boolean trusted) {
        double u = u(confidence);
        int m = coords.length;
        if (k.cls == cls
                && k.anchor != null
                && (margin < HESITANT) == (k.margin < HESITANT)
                && Math.abs(margin - k.margin) <= marginTolerance
                && Math.abs(u - k.u) <= uTolerance) {
            double d2 = 0;
            int moved = 0;
            float[] a = k.anchor;
            for (int j = 0; j < m; j++) {
                double d = input[coords[j]] - (double) a[j];
                if (Math.abs(d) > Math.ulp(a[j])) {
                    moved++;
                }
                d2 += d * d;
            }
            // a repeat moves no sampled coordinate (a re-send) or most of them (a stream's noise); a query that
            // moves a few (a sweep of one feature, a sparse probe) is a new situation; NaN never joins
            // an anchor whose sample says nothing (a sparse row's zeros) is re-sent only by the same whole input
            boolean same = moved > 0 || !k.blankSample || fingerprint(input, true, cls, u, margin) == k.print;
            if ((moved == 0 || 2 * moved >= m) && d2 <= near * near * k.contrast2 && same) {
                k.resent = moved == 0;
                return true;
            }
            if (series != null && series.follows(input, k.last)) {
                k.resent = false;
                return true;
            }
        }
        // a re-send of an earlier anchor is not counted either, but starts a run as any query the current
        // run does not take in (its anchor, and the population's mean, move as they did before re-sends
        // were matched)
        boolean blank = recall > 0 && blank(input);
        int fingerprint = recall > 0 ? fingerprint(input, blank, cls, u, margin) : 0;
        boolean resend = fingerprint != 0 && resend(k, fingerprint);
        k.resent = resend;
        k.print = fingerprint;
        k.blankSample = blank;
        if (k.anchor == null) {
            k.anchor = new float[m];
        }
        double mean = 0;
        for (int j = 0; j < m; j++) {
            double v = input[coords[j]];
            k.anchor[j] = (float) v;
            mean += v;
        }
        mean /= m;
        double c2 = 0;
        for (int j = 0; j < m; j++) {
            double d = k.anchor[j] - mean;
            c2 += d * d;
        }
        // the smaller of the anchor's own contrast and its distance from the population's mean input: on
        // records whose features have scales of their own, the contrast is the features' offsets, not how
        // records differ, and two unrelated records would be near-copies; before the population has a mean,
        // nothing joins
        double p2 = 0;
        for (int j = 0; j < m; j++) {
            double d = k.anchor[j] - population[j];
            p2 += d * d;
        }
        c2 = Math.min(c2, populationSeen >= POPULATION_MIN ? p2 : 0);
        if (trusted && Double.isFinite(p2)) {
            populationSeen++;
            double rate = 1.0 / Math.min(populationSeen, POPULATION_MEMORY);
            for (int j = 0; j < m; j++) {
                population[j] += rate * (k.anchor[j] - population[j]);
            }
        }
        k.contrast2 = Double.isFinite(c2) ? (float) c2 : -1;
        k.cls = Double.isFinite(c2) ? cls : -1;
        k.u = (float) u;
        k.margin = (float) margin;
        if (fingerprint != 0 && !resend) {
            remember(k, fingerprint);
        }
        return resend;
    }

    /**
     * Whether {@code fingerprint} is one of the key's last {@code recall} anchors' (issue 9, session 18:
     * a customer whose regression suite of 50 records runs again and again, every 50 queries, was
     * EXTRACTING by {@code ood} at 110-400 rows on 3,072-input images: its window held 50 inputs ten
     * times over, a sample of 50 read as one of 500, whose chance distance from the peers' is
     * D+ 0.2; and a key that sent one record over and over lowered the peers' spread reference
     * until an ordinary customer was flagged). A re-send of an input the window already counts is,
     * like a run's members, not counted again: the window counts each situation once, wherever it
     * recurs. What a thief gains: his exact re-sends (sampled coordinates unchanged, the same
     * class, the answer's u and margin in the same bins of {@value #U_TOLERANCE} and {@value
     * #MARGIN_TOLERANCE}) teach him nothing new; queries that move only coordinates outside the
     * secret sample and get the same answer are the sparse probes a run already takes in. No longer
     * counted, re-sends no longer fill the answer windows either (a key that re-sent one hesitant
     * record between random rows had each re-send counted as a hesitant answer); {@code ood}'s spread
     * test still judges them, so re-sending one natural record still pulls a key's spread towards the
     * peers' ({@code ResentInputsTest.randomRowsDilutedWithResendsOfOneRecordBypass}).
     */
    private boolean resend(Key k, int fingerprint) {
        int[] seen = k.seen;
        if (seen == null) {
            return false;
        }
        // no early exit: an OR over the whole ring, which the JIT can run several ints at a time (a miss, the
        // common case, reads the whole ring anyway); (x | -x) >>> 31 is 0 only for x == 0
        int hit = 0;
        for (int i = 0, n = k.seenCount; i < n; i++) {
            int x = seen[i] ^ fingerprint;
            hit |= ((x | -x) >>> 31) ^ 1;
        }
        return hit != 0;
    }

    private void remember(Key k, int fingerprint) {
        int[] seen = k.seen;
        if (seen == null || (k.seenNext == seen.length && seen.length < recall)) {
            // grown while it fills: 8 at a time up to 64, then by half, up to recall (a light key keeps a short
            // ring: 24 ints at 20 anchors, where doubling held 32)
            int n = seen == null ? 0 : seen.length;
            seen = k.seen = java.util.Arrays.copyOf(
                    seen == null ? new int[0] : seen, Math.min(recall, n < 64 ? n + 8 : n + n / 2));
        }
        if (k.seenNext == seen.length) {
            k.seenNext = 0; // full at recall: the oldest goes
        }
        seen[k.seenNext++] = fingerprint;
        k.seenCount = Math.max(k.seenCount, k.seenNext);
    }

    /** {@link #fingerprint} keeps a value's sign, exponent and 12 high mantissa bits. */
    static final int MANTISSA_KEPT = ~0x7FF;

    /**
     * A sample in which fewer than this many values differ from its first one says nothing of the
     * input: sparse rows (a document's word counts, 32 of 3,072 coordinates all 0 in most of them) and
     * blank regions would all share one fingerprint, and a customer's distinct documents would pass
     * for re-sends; their fingerprint hashes the whole input instead.
     */
    static final int SAMPLE_SAYS_SOMETHING = 4;

    /** Whether the input's sample says nothing ({@link #SAMPLE_SAYS_SOMETHING}); never on inputs sampled whole. */
    private boolean blank(double[] input) {
        if (coords.length >= input.length) {
            return false;
        }
        float first = (float) input[coords[0]];
        int differ = 0;
        for (int c : coords) {
            differ += (float) input[c] != first ? 1 : 0;
        }
        return differ < SAMPLE_SAYS_SOMETHING;
    }

    /**
     * A hash of every non-zero value of the input (to 12 bits of mantissa) and its position: a sum of
     * per-value mixes, with no chain from one value to the next; 0 when a value is not finite. Paid
     * only by queries whose sample says nothing: a pass of compares over the input, and a mix per
     * non-zero value.
     */
    private static long wholeInput(double[] input) {
        // ood and boundary read the same row one after the other on one worker thread: the second is a look-up
        // (the gateway does not change a row after submitting it, see QueryEvent)
        WholeInput memo = LAST_WHOLE_INPUT.get();
        if (memo.row == input) {
            return memo.hash;
        }
        long sum = hashWhole(input);
        memo.row = input;
        memo.hash = sum;
        return sum;
    }

    /** This thread's last whole-input hash and its row (by identity). */
    private static final class WholeInput {
        double[] row;
        long hash;
    }

    private static final ThreadLocal<WholeInput> LAST_WHOLE_INPUT = ThreadLocal.withInitial(WholeInput::new);

    static long hashWhole(double[] input) {
        long sum = 0;
        int n = input.length;
        int j = 0;
        // eight values at a time while all eight are +0 or -0 (their bits ORed, the sign shifted out):
        // on a sparse row (word counts) most blocks are, and one test for eight halves the hash's time
        // on a row in cache (3,072 word counts, 12 of them non-zero: about 3.2 -> 1.5 us); a block
        // holding a value is hashed value by value, as the row's last few values are
        for (; j + 8 <= n; j += 8) {
            long any = Double.doubleToRawLongBits(input[j])
                    | Double.doubleToRawLongBits(input[j + 1])
                    | Double.doubleToRawLongBits(input[j + 2])
                    | Double.doubleToRawLongBits(input[j + 3])
                    | Double.doubleToRawLongBits(input[j + 4])
                    | Double.doubleToRawLongBits(input[j + 5])
                    | Double.doubleToRawLongBits(input[j + 6])
                    | Double.doubleToRawLongBits(input[j + 7]);
            if (any << 1 == 0) {
                continue;
            }
            for (int k = j; k < j + 8; k++) {
                if (input[k] == 0) {
                    continue;
                }
                float v = (float) input[k];
                if (!Float.isFinite(v)) {
                    return 0;
                }
                sum += mix(v, k);
            }
        }
        for (; j < n; j++) {
            if (input[j] == 0) {
                continue;
            }
            float v = (float) input[j];
            if (!Float.isFinite(v)) {
                return 0;
            }
            sum += mix(v, j);
        }
        return sum == 0 ? 1 : sum;
    }

    /** A finite non-zero value v at position j's part of {@link #hashWhole}: its 12 bits of mantissa and j, mixed. */
    private static long mix(float v, int j) {
        long x = ((long) (Float.floatToIntBits(v + 0f) & MANTISSA_KEPT) << 32) ^ j;
        x *= 0x9E3779B97F4A7C15L;
        return x ^ (x >>> 29);
    }

    /**
     * The query's fingerprint: its sampled values (as floats to 12 bits of mantissa), or its whole
     * input when the sample says nothing ({@link #wholeInput}), its class, whether it is hesitant and
     * the bins of its u and margin; 0 (never remembered) when a value is not finite.
     */
    private int fingerprint(double[] input, boolean blank, int cls, double u, double margin) {
        int h = 0x9E3779B9 * (cls + 1);
        for (int c : coords) {
            float v = (float) input[c];
            if (!Float.isFinite(v)) {
                return 0;
            }
            // to 12 bits of mantissa (a relative 2.4e-4): a re-send whose features were recomputed with a
            // different rounding in the last bits is the same input; a sign step moves by a tenth of a range
            h = 31 * h + (Float.floatToIntBits(v + 0f) & MANTISSA_KEPT);
        }
        if (blank) {
            long whole = wholeInput(input);
            if (whole == 0) {
                return 0;
            }
            h = 31 * h + (int) (whole ^ (whole >>> 32));
        }
        h = 31 * h + (margin < HESITANT ? 1 : 0);
        // u and the margin are at least 0: the cast is the floor
        h = 31 * h + (int) (u / uTolerance);
        h = 31 * h + (int) (margin / marginTolerance);
        // murmur3's finaliser, so that near inputs' fingerprints share no low bits
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h == 0 ? 1 : h;
    }
}
