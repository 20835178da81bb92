package dev.moat.detectors.ood;

import dev.moat.detectors.Detector;
import dev.moat.detectors.internal.Decimals;
import dev.moat.detectors.internal.KeyPopulation;
import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.internal.Runs;
import dev.moat.detectors.internal.SpreadPeers;
import dev.moat.detectors.stats.KolmogorovSmirnov;
import java.util.Map;

/**
 * Out-of-distribution queries, seen through the model's own confidence: a model is confident on
 * data like its training data and unsure elsewhere, which is also what adaptive misinformation
 * keys on (Kariyappa and Qureshi, CVPR 2020: top-1 confidence below tau ~ 0.99 marks OOD queries).
 * Random, synthetic and noisy attack queries shift a key's top-1 confidences down.
 *
 * <p>The key's last {@code window} (500) top-1 confidences are binned on u = -log10(1 - c) in 40 bins
 * over [0, 4] (KS is invariant under this monotone map, and it spreads out the mass near 1), and
 * compared with a reference CDF by the one-sided two-sample Kolmogorov-Smirnov statistic D+ (the
 * key is less confident) with Smirnov's asymptotic p-value exp(-2 n D^2). The reference is built from
 * {@code reference_confidences} (comma-separated honest confidences) if given, else it is the
 * pointwise lenient quantile of the CDFs of the worker's trusted keys (see {@link KeyPopulation}:
 * keys that have been ok for a while, weighted by age, remembered for a day after they stop), each
 * key reporting every 200 answers (at least {@code min_keys}, 5); before that the score stays 0.
 * With {@code detection.calibration} set, the calibration's CDFs are the reference (see below).
 * Score: 0 at D+ = {@code d_low} (0.12), 1 at {@code d_high} (0.2), both widened when the peers
 * differ (below), only while p &lt; {@code alpha} (1e-4) and the window holds {@code min_queries} (100).
 *
 * <p>Calibration (fixtures' {@code HonestClient}s and {@code KnockoffAttacker}, real digits model):
 * with a 500-answer window honest keys' D+ stayed below 0.09 on seeds 1-4 while Knockoff's (a
 * third natural, a third noisy, a third shifted) stayed around 0.23-0.29; a 200-answer window
 * lets honest D+ reach 0.16, too close. The small alpha keeps short windows (where chance D+ is
 * larger) from alarming: at 100 answers p &lt; 1e-4 needs D+ &gt; 0.21.
 *
 * <p><b>Runs.</b> A query that repeats the key's current situation (a near-copy of its run's first
 * query with a near answer, see {@link Runs}; {@code run_near}, 0.5, 0 turns it off; {@code
 * run_seed}) is not put in the window, though its input still goes to the input reference and the
 * spread test: a camera sending every frame of a scene counts the scene once, and a monitor sending
 * overlapping windows of a machine's series (each its last one read a few samples later, session 30)
 * counts a state once. Keys report their window every 200 queries once it holds {@value #REPORT_MIN}
 * answers; on a population of such monitors the reference forms later (their windows hold 15-229
 * runs in 1,500 queries).
 *
 * <p><b>Peers who differ.</b> Those thresholds hold for customers as alike as the fixtures'. Where
 * each customer's data sit at their own level (sensors at their own levels: the 13-input series
 * model's ordinary keys, level 50 +- 10, reached D+ 0.2-0.38 against the others), the least
 * confident were flagged (6-8 of 12, issue 9), and each key flagged left the reference to fewer, more
 * alike keys. An operator cannot know in advance how much their customers differ, so the worker
 * measures it ({@link #spread}): the weighted 0.75 quantile, over its trusted keys, of each key's D-
 * against its own reference (how much more confident than the class mixture it is compared with its
 * last reported window is). Both thresholds are multiplied by {@code f = 2 x spread / d_low},
 * between 1 and {@code max_widening} (3; 1 turns the widening off). Honest keys that differ, differ
 * both ways, so the confident side shows the spread; the less confident side is what ood looks for,
 * and reading it would let the keys being judged, or attackers trusted before the reference formed,
 * widen their own thresholds. The 0.75 quantile because about half the keys sit on the less
 * confident side with D- near 0. Measured (12 peers over two workers): the tests' tabular (13
 * inputs), wide (3,072) and one-hot/integer populations 0.02-0.066 (f at most 1.1), the series ones
 * 0.08-0.21 (f 1.3-3). With a configured reference ({@code detection.calibration}, {@code
 * reference_confidences}) f is 1: no peers are read. Cost: three arrays of 1,024 per worker (24 KB),
 * recomputed as the references are (at most once a second of event time or every 64 reports, linear
 * in the trusted keys' stored class counts); nothing per key.
 *
 * <p><b>Class mix.</b> Classes differ in how confident the model is on them (on the 3,072-input
 * digits, honest class-6 answers never reach the top three bins where most class-0 and class-2
 * answers sit), so a customer whose data are mostly one class sat below the pooled reference and was
 * flagged (issue 9: D+ 1.0 by 210 rows). Online, each window entry therefore keeps the answer's top-1
 * class beside its bin (one byte each, see {@link State}), the worker learns a reference per class
 * from its trusted keys ({@link ClassReferences}: their answers of that class pooled, each key
 * counting at most 50 of them, with its age weight; at least 3 keys and 50 answers), and a key is
 * compared with the mixture sum_c share_key(c) * ref_c over the classes in its own window. A class
 * without a reference of its own (too few trusted answers yet, or beyond the 255 classes tracked per
 * worker) uses the pointwise maximum of the pooled reference and the classes' own ones (the least
 * confident known honest level). With {@code detection.calibration}, the file's per-class CDFs
 * ({@code ood.class_cdf.C}, built the same way by {@code moat calibrate}; {@link ConfiguredClasses}) take the peers' place, and
 * the file's pooled CDF the pooled one's; a file without them, or {@code reference_confidences},
 * is one pooled CDF used as before, without the class mix.
 *
 * <p><b>Inputs like the peers' ({@code input_near}, off by default).</b> Confidence alone cannot tell a
 * customer whose data sit elsewhere in the data's range (the wide series peers: a window's level moves
 * the model's confidence so much that one honest peer reaches D+ 0.68 against the others, past the
 * widened 0.36-0.6) from a key whose queries are off the data. With {@code input_near: X} (X > 0; 2
 * measured) the worker keeps a reference of the trusted keys' inputs ({@link InputReference}: 16
 * secretly sampled coordinates, whitened, 128 rows, at most 16 a key) and marks each answer whose
 * input lies within X times the peers' typical distance of another key's row (its own rows never
 * vouch for it) and whose top-1 minus top-2 margin is at least {@value #HESITANT}: such an answer
 * counts as the reference itself in the window's CDF, so D+ is (the share of the other answers) x
 * (their own D+). The bit rides in the bin byte, so no bytes per key. Off by default because of its
 * price: JbDA steps and line searches stay near natural inputs, and with the gate {@code ood} no
 * longer flags, in {@code NarrowAndWideAdaptiveAttackersTest}, the 13-input line searches mixed 1:1
 * and 1:3, JbDA mixed 1:1 and its Sybils over 5 tenants, or the 3,072-input line search mixed 1:1 /
 * 1:3 ({@code OodInputGateTest.theInputGateLetsStepsAndLineSearchesNearNaturalDataPastOodBypass}).
 *
 * <p><b>The inputs themselves.</b> A model confident far from its data answers random rows as
 * confidently as natural ones, so two tests read the inputs: whether they spread like no trusted peer's
 * ({@link InputSpread}, on by default up to {@code spread_max_width}, wider past {@code
 * spread_wide_floor}) and whether they are as rough as noise where the peers' are smooth ({@link
 * Roughness}, {@code rough_share}, on by default). A key's score is the largest of the three tests'.
 *
 * <p>How an attacker would get around it, and what they get:
 *
 * <ul>
 *   <li>Random and synthetic queries are unconfident whatever class they land in: each class's
 *       honest answers are confident on that class, so the per-class mixture flags them as the pooled
 *       reference did (the fixtures' random, JbDA and Knockoff attackers are flagged at the same rows;
 *       {@code OneClassCustomerIsNotOutOfDistributionTest} checks random queries in a population of
 *       one-class-heavy customers).
 *   <li>Sending only queries the model labels as the class whose honest answers are least confident
 *       (or a class with no reference of its own) buys exactly that class's honest confidence level,
 *       no more: such an attacker must still be as confident as honest users' answers of that class,
 *       which is what an honest customer of that class is allowed.
 *   <li>Poisoning a class's reference: only trusted keys (ood score below 0.25, risk below 0.5) feed
 *       it, each with at most 50 answers and its age weight, so a class's reference moves in
 *       proportion to the attackers' share of that class's trusted answers. A rare class has fewer
 *       honest answers, so fewer keys can move it than the pooled reference (a weighted mean, not the
 *       pooled reference's 0.75 quantile: per-key class samples are too small for a quantile over keys
 *       in a small population). Keys that stay trusted may drift it by at most about their own
 *       tolerated D+ (0.14, f x 0.14 when widened) per report; report after report, on a rare class
 *       they make most of, that had no bound, and through the envelope it loosened every class
 *       without a reference. Each class's reference is therefore held to at most {@code d_high}
 *       above its anchor (see {@link ClassReferences}): at most 0.2 a day (the anchor bounds a
 *       widened drift too). A calibration file avoids all of it.
 *   <li>Using up the class codes (models with more than 255 classes): once they are taken, a trusted
 *       key's new class takes over the code of the least recently seen class without a reference.
 *   <li>Widening the thresholds (the peers' spread): keys that are flagged, or merely less confident
 *       than their reference, do not count (trust gate; the less confident side is not read), so
 *       OOD keys, however many, cannot widen it, and keys as confident as the peers leave it where it
 *       is. What widens it is trusted keys that are <i>more</i> confident than the peers: Sybils
 *       sending natural data without its least confident quarter, as a quarter of a worker's trusted
 *       weight (age-weighted: keys trusted for an hour weigh ten times a new one), widen the
 *       thresholds of every key in that worker up to {@code max_widening}: D+ from 0.36 to 0.6 at 3
 *       ({@code OodPeerSpreadTest.confidentSybilsWidenTheThresholdsUpToMaxWideningBypass}: a key at
 *       D+ 0.3 flagged without them is not; under a quarter they buy nothing, and their confident
 *       answers also tighten the class references the attack is compared with). Random and
 *       synthetic queries (D+ 0.5-1) stay above the widened range; what the widening gives away is the
 *       band between 0.12 and 0.36-0.6 that diluted or warm-started attacks sit in. A population
 *       whose honest keys differ gives every attacker in it the same room; a calibration file (or
 *       {@code max_widening: 1}) does not widen.
 *   <li>Against a calibration file with {@code ood.pair_cdf.A.B} lines, an answer is compared with
 *       its (top-1, top-2) class pair's reference (the less confident of the pair's and class A's):
 *       a misread B labelled A keeps B second and meets honest misread Bs. Filtering queries to the
 *       least confident pair buys that pair's honest level, as for classes.
 * </ul>
 */
public final class OodDetector implements Detector<OodDetector.State> {

    public static final String NAME = "ood";
    static final int BINS = 40;
    static final int REPORT_EVERY = 200;

    /**
     * A key reports once its window holds this many answers: a streaming key's window fills slowly
     * (a run counts once, see {@link Runs}), and its situations are as good a sample of honest answers.
     */
    static final int REPORT_MIN = 50;

    /** A window entry's bin byte carries this bit when the answer's input was near the peers' inputs. */
    static final int NEAR_BIT = 0x40;

    /**
     * Answers with a top-1 minus top-2 margin below this (boundary's default {@code margin}) count as
     * evidence even on inputs near the peers'.
     */
    static final double HESITANT = 0.2;

    /** The bin of a window entry's bin byte. */
    static final int BIN_MASK = 0x3f;

    /**
     * How far the thresholds may widen for whether a key is trusted (feeds the references, the peers'
     * spread and the input reference), whatever {@code max_widening} allows its score: a key the
     * peers' spread keeps from being flagged, but that sits further from the reference than this
     * widening allows, is left ok and out of what defines honest (session 26; keys trusted at a cold
     * start then cannot hold the references by widening them, see {@code
     * OodColdStartClassReferenceTest}).
     */
    static final double TRUST_WIDENING = 3;

    /** The quantile, over trusted keys' weight, of their D- that measures how much the peers differ. */
    static final double SPREAD_QUANTILE = 0.75;

    /** The thresholds widen once {@code SPREAD_FACTOR x spread} exceeds {@code d_low}. */
    static final double SPREAD_FACTOR = 2.0;

    /**
     * One key's window: each answer as two bytes, its confidence bin and its top-1 class's code
     * ({@link ClassReferences#code}), so entry i is {@code window[2i], window[2i+1]}. The array grows
     * while the window fills: 8 entries (16 bytes) at first, then 4 at a time up to 64, then by half (20
     * entries at 20 answers). The
     * per-bin counts are not kept: they are counted from the window when the statistic is computed
     * (every 10 answers), which saves each key 176 bytes.
     */
    static final class State {
        byte[] window;
        int next;
        int filled;
        long queries;
        /** Answers put in the window (the first of each run, see {@link Runs}): the reports' and scores' clock. */
        long counted;

        /** The key's current run of answers (see {@link Runs}): its members after the first are not counted. */
        final Runs.Key run = new Runs.Key();

        int slot = -1;
        double d = Double.NaN;
        double p = 1;
        double score;
        /**
         * The score with the thresholds widened at most {@link #TRUST_WIDENING} times (as {@link
         * #score} where the peers differ less): what decides whether the key is trusted, that is feeds
         * the references, the peers' spread and the input reference.
         */
        float trustScore;
        /** The share of the window's answers compared with their class's own reference at the last score. */
        float classShare;

        /** The factor the thresholds were widened by at the last score (see {@link #widening}); 1: not. */
        float widening = 1;
        /**
         * Whether the key's published risk (see {@link Detector#observeRisk}) was not below
         * {@link dev.moat.detectors.internal.KeyPopulation#KEY_OK_BELOW}: all that is asked of it (a boolean,
         * not the double: 8 bytes a key).
         */
        boolean keyNotOk;

        /**
         * The spread test (narrow inputs): the key's own centre in the input reference's coordinates
         * (null until the reference has its width and the key sends inputs of it), how many inputs it
         * has averaged (capped), the mean log of its judged inputs' spread ratios ({@link
         * InputReference#spreadRatio}) and how many (capped at {@value InputSpread#SPREAD_MEMORY}), and the
         * test's score and threshold at the last computation.
         */
        float[] centre;

        int centred;
        float spreadLog;
        int judged;
        float spreadScore;
        float spreadThreshold = Float.NaN;

        /** Whether that threshold was the cold one ({@link InputSpread#COLD_WIDE_FACTOR} times the wide floor: no peers yet). */
        boolean spreadCold;

        /** Whether the key's spread was past the peers' threshold at its last report: it then vouches for nothing. */
        boolean spreadUnlike;

        /** The input reference's coordinates the spread statistics are in ({@link InputReference#epoch}). */
        byte spreadEpoch;

        /**
         * The roughness test ({@link Roughness#judgeRough}): the width of the key's first input read (0: none yet),
         * how many of that width's inputs it has read and their mean log roughness (what it reports to
         * the peers), how many inputs were judged against smooth peers and their mean place between the
         * peers and white noise, and the test's score at the last computation.
         */
        int roughWidth;

        int roughReports;
        float roughLog;
        int roughN;
        float roughZ;
        float roughScore;
    }

    public static Factory factory(Map<String, Object> params) {
        return factory(params, null);
    }

    /** As {@link #factory(Map)}, with the calibration's reference unless {@code reference_confidences} is set. */
    public static Factory factory(Map<String, Object> params, dev.moat.detectors.Calibration calibration) {
        OodSettings parsed = OodSettings.from(params);
        OodSettings s = parsed.calibrated(calibration);
        InputSpread.SpreadCalibration spread = calibration != null
                        && calibration.hasSpread()
                        && calibration.spreadWidth() <= parsed.spreadMaxWidth()
                ? new InputSpread.SpreadCalibration(
                        calibration.spreadRows(), calibration.spreadPeersMedian(), calibration.spreadPeersSigma())
                : null;
        return Factory.of(NAME, () -> new OodDetector(s, spread));
    }

    private final OodSettings settings;
    private final KeyPopulation population = KeyPopulation.standard(BINS);
    private final ClassReferences classes;
    private final InputReference inputs;

    /** The spread test: whether a key's inputs spread like no trusted peer's. */
    private final InputSpread inputSpread;

    /** The roughness test: whether a key's inputs are as rough as noise where its peers' are smooth. */
    private final Roughness roughness;

    private final Runs runs;
    private final double[] cdf = new double[BINS];
    private final double[] pooled = new double[BINS];
    private final double[] reference = new double[BINS];
    private final int[] counts = new int[BINS];
    private final int[] classCounts = new int[ClassReferences.UNTRACKED + 1];

    /** The peers' spread (see {@link #spread}) at its last recomputation, and when that was. */
    private double spread;

    private long spreadAt = Long.MIN_VALUE;
    private int reportsSinceSpread = Integer.MAX_VALUE;
    private final double[] fallback = new double[BINS];
    private final double[] slotReference = new double[BINS];
    private final double[] slotCdf = new double[BINS];
    private final double[] confidentSide;
    private final double[] spreadWeights;
    private final long[] spreadOrder;

    /** The calibration's per-class and per-pair references, or null without (then the peers' are used). */
    private final ConfiguredClasses configured;

    public OodDetector(OodSettings settings) {
        this(settings, null);
    }

    /**
     * With {@code spread} (null: none) the spread test starts from a calibration: the input reference
     * from its rows ({@link InputReference#seed}, kept so) and the peers' threshold from its median and
     * deviation ({@link SpreadPeers#SpreadPeers(double, double)}, fixed), so it judges from a key's
     * first {@value InputSpread#CENTRE_FIRST} + {@value InputSpread#SPREAD_MIN} inputs, in a deployment of any size, after
     * every restart, and whoever the trusted keys are.
     */
    OodDetector(OodSettings settings, InputSpread.SpreadCalibration spread) {
        this.settings = settings;
        this.configured =
                settings.referenceCdf() != null && !settings.classCdfs().isEmpty()
                        ? new ConfiguredClasses(settings)
                        : null;
        this.confidentSide = new double[population.capacity()];
        this.spreadWeights = new double[population.capacity()];
        this.spreadOrder = new long[population.capacity()];
        this.classes = new ClassReferences(
                population, BINS, Math.min(settings.minKeys(), ClassReferences.MIN_VOTERS), settings.dHigh());
        // the gate needs peers' inputs: off with a configured reference (no peers are read)
        this.inputs = new InputReference(
                settings.referenceCdf() == null ? settings.inputNear() : 0,
                settings.spreadMaxWidth() > 0,
                settings.inputSeed() != null ? settings.inputSeed() : new java.security.SecureRandom().nextLong());
        this.runs = new Runs(
                settings.runNear(),
                settings.window(),
                settings.runSeed() != null ? settings.runSeed() : new java.security.SecureRandom().nextLong(),
                true);
        this.roughness = new Roughness(settings);
        this.inputSpread = new InputSpread(settings, inputs, spread, roughness);
    }

    static int bin(double confidence) {
        double u = -Math.log10(Math.max(1e-12, 1 - confidence));
        return Math.min(BINS - 1, Math.max(0, (int) (u * (BINS / 4.0))));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public State newState() {
        return new State();
    }

    /** Top-1 minus top-2 probability ({@code c} is the top-1's); for a single column p, |2p - 1|. */
    private static double margin(double[] prediction, int cls, double c) {
        if (prediction.length == 1) {
            return Math.abs(2 * prediction[0] - 1);
        }
        double second = 0;
        for (int i = 0; i < prediction.length; i++) {
            if (i != cls && prediction[i] > second) {
                second = prediction[i];
            }
        }
        return c - second;
    }

    @Override
    public void update(State s, double[] input, double[] prediction, long now) {
        int cls = Rows.top1Class(prediction);
        if (cls < 0) {
            return;
        }
        double c = prediction.length == 1 ? Math.max(prediction[0], 1 - prediction[0]) : prediction[cls];
        if (Double.isNaN(c)) {
            return;
        }
        // a repeat of the key's current situation (see Runs) is not put in the window: its first answer counts
        boolean repeat = runs.enabled() && runs.joins(s.run, input, cls, c, margin(prediction, cls, c), trusted(s));
        int window = settings.window();
        if (repeat) {
            if (inputs.enabled()) {
                boolean trusted = trusted(s);
                int self = System.identityHashCode(s);
                if (trusted && inputSpread.vouches(s, input.length)) {
                    inputs.offer(input, self);
                }
                inputSpread.judgeSpread(s, input, trusted);
            }
            s.queries++;
            report(s, now);
            return;
        }
        if (s.filled == (s.window == null ? 0 : s.window.length / 2) && s.filled < window) {
            // grown while it fills (next == filled until then), up to the window: from 8 answers (16 bytes), by 4
            // answers (8 bytes, the heap's alignment: at most 3 answers' room unused) up to 64, then by half;
            // light keys keep a short array (20 answers' room, 40 bytes, at 20 answers)
            int grown = s.filled < 64 ? Math.max(8, s.filled + 4) : s.filled + s.filled / 2;
            s.window = java.util.Arrays.copyOf(s.window == null ? new byte[0] : s.window, 2 * Math.min(window, grown));
        }
        if (s.filled < window) {
            s.filled++;
        }
        int b = bin(c);
        boolean trusted = trusted(s);
        if (inputs.enabled()) {
            int self = System.identityHashCode(s);
            // a hesitant answer (on a decision boundary) stays evidence whatever the input looks like: a line
            // search between natural points stays near them, and its answers are what it is after
            if (margin(prediction, cls, c) >= HESITANT && inputs.near(input, self)) {
                b |= NEAR_BIT;
            }
            // only keys with some history vouch for what natural inputs look like: Sybil keys of a few hundred
            // rows each, trusted until something flags them, would otherwise be most of the owners
            if (trusted && inputSpread.vouches(s, input.length)) {
                inputs.offer(input, self);
            }
            inputSpread.judgeSpread(s, input, trusted);
        }
        roughness.judgeRough(s, input, trusted);
        s.window[2 * s.next] = (byte) b;
        s.window[2 * s.next + 1] = (byte)
                (configured != null
                        ? configured.code(cls, prediction)
                        : classes.code(cls, s.slot >= 0 && trusted(s), now));
        s.next = s.next + 1 == window ? 0 : s.next + 1;
        s.queries++;
        s.counted++;
        report(s, now);
        // the statistic moves little per query: recompute every 10 answers
        if (s.counted % 10 == 0 || s.filled == settings.minQueries()) {
            s.spreadScore = (float) inputSpread.spreadScore(s);
            s.roughScore = (float) roughness.roughScore(s);
            double inputsScore = Math.max(s.spreadScore, s.roughScore);
            s.score = Math.max(computeScore(s, now), inputsScore);
            s.trustScore = (float) Math.max(s.trustScore, inputsScore);
            if (trusted && s.trustScore >= KeyPopulation.TRUSTED_BELOW) {
                inputs.drop(System.identityHashCode(s));
                inputSpread.drop(System.identityHashCode(s));
                roughness.drop(s);
            }
        }
    }

    /**
     * Every {@value #REPORT_EVERY} queries (or the window, if shorter) the key reports its window to
     * the peers' reference, once it holds {@link #REPORT_MIN} answers: keys report before their window
     * is full, so the reference exists soon after start-up, and a streaming key's window (a run counts
     * once) fills more slowly than its queries come.
     */
    private void report(State s, long now) {
        int reportEvery = Math.min(settings.window(), REPORT_EVERY);
        if (s.filled >= Math.min(reportEvery, REPORT_MIN)
                && s.queries % reportEvery == 0
                && settings.referenceCdf() == null) {
            cdfOf(s, cdf);
            int had = s.slot;
            s.slot = population.report(s.slot, s, cdf, trusted(s), now);
            if (had >= 0 && s.slot < 0) {
                classes.stale();
            }
            classes.report(s.slot, s.window, s.filled);
            if (reportsSinceSpread != Integer.MAX_VALUE) {
                reportsSinceSpread++;
            }
        }
    }

    /** The key's window as a CDF over the bins: its entries [0, filled) are the answers in the window. */
    private void cdfOf(State s, double[] out) {
        java.util.Arrays.fill(counts, 0);
        byte[] w = s.window;
        for (int i = 0, n = s.filled; i < n; i++) {
            counts[w[2 * i] & BIN_MASK]++;
        }
        double acc = 0;
        for (int i = 0; i < BINS; i++) {
            acc += counts[i];
            out[i] = acc / s.filled;
        }
    }

    /**
     * The key's window as a CDF in which the answers to inputs near the peers' inputs (see {@link
     * InputReference}) count as the reference itself: sum over the other answers of their bins' steps,
     * plus (their share) x ref. Its D+ against ref is the share of the answers to inputs unlike the peers'
     * times their own D+: answers less confident than the peers' on inputs like the peers' are no evidence.
     */
    private void evidenceCdf(State s, double[] ref, double[] out) {
        java.util.Arrays.fill(counts, 0);
        byte[] w = s.window;
        int near = 0;
        for (int i = 0, n = s.filled; i < n; i++) {
            int b = w[2 * i];
            if ((b & NEAR_BIT) != 0) {
                near++;
            } else {
                counts[b]++;
            }
        }
        double nearShare = (double) near / s.filled;
        double acc = 0;
        for (int i = 0; i < BINS; i++) {
            acc += counts[i];
            out[i] = acc / s.filled + nearShare * ref[i];
        }
    }

    /** The share of the key's window whose inputs were near the peers' inputs. */
    private static double nearShare(State s) {
        int near = 0;
        byte[] w = s.window;
        for (int i = 0, n = s.filled; i < n; i++) {
            if ((w[2 * i] & NEAR_BIT) != 0) {
                near++;
            }
        }
        return s.filled == 0 ? 0 : (double) near / s.filled;
    }

    /** Whether the key feeds the peers' references: its {@link State#trustScore} is low and its risk ok. */
    private static boolean trusted(State s) {
        return s.trustScore < KeyPopulation.TRUSTED_BELOW && !s.keyNotOk;
    }

    /**
     * The confidence test's score, the thresholds widened by {@link #widening}; sets {@link
     * State#trustScore} to the same with the widening at most {@link #TRUST_WIDENING}.
     */
    private double computeScore(State s, long now) {
        s.trustScore = 0;
        if (s.filled < settings.minQueries()) {
            return 0;
        }
        double[] ref = settings.referenceCdf();
        if (ref == null) {
            if (population.activeKeys(now) < settings.minKeys()) {
                s.d = Double.NaN;
                return 0;
            }
            fillPooled(now);
            ref = mixture(s, now);
        } else if (configured != null) {
            System.arraycopy(ref, 0, pooled, 0, BINS);
            ref = mixture(s, now);
        }
        evidenceCdf(s, ref, cdf);
        s.d = KolmogorovSmirnov.dPlus(cdf, ref, BINS);
        s.p = KolmogorovSmirnov.oneSidedP(s.d, s.filled);
        double f = widening(now);
        s.widening = (float) f;
        if (s.p >= settings.alpha()) {
            return 0;
        }
        double trust = Math.min(f, TRUST_WIDENING);
        s.trustScore = (float) thresholdScore(s.d, trust);
        return thresholdScore(s.d, f);
    }

    /** D+ scored from {@code f x d_low} (0) to {@code f x d_high} (1). */
    private double thresholdScore(double d, double f) {
        return Rows.clamp01((d - f * settings.dLow()) / (f * (settings.dHigh() - settings.dLow())));
    }

    /** The pooled reference of the online peers, into {@link #pooled}. */
    private void fillPooled(long now) {
        for (int i = 0; i < BINS; i++) {
            pooled[i] = population.median(i, now);
        }
    }

    /**
     * The factor by which {@code d_low} and {@code d_high} are widened: {@code SPREAD_FACTOR x
     * spread / d_low}, between 1 and {@code max_widening}; 1 with a configured reference.
     */
    double widening(long now) {
        if (settings.referenceCdf() != null) {
            return 1;
        }
        double f = SPREAD_FACTOR * spread(now) / settings.dLow();
        return Math.max(1, Math.min(settings.maxWidening(), f));
    }

    /**
     * How much the trusted peers differ from each other: the weighted {@value #SPREAD_QUANTILE}
     * quantile, over the trusted keys (the population's slots with a weight, each with it), of each
     * key's D- against its own reference, that is by how much its last reported CDF is more
     * confident than the class mixture it is compared with (the same references the keys are scored
     * against, from the class counts it reported). 0 while fewer than {@code min_keys} keys count.
     * Recomputed at most once a second of event time or every 64 reports, as the references are.
     *
     * <p>Only the confident side: a key less confident than its reference is what ood looks for, so
     * its D+ cannot say how much honest keys differ without letting the keys being judged widen the
     * thresholds they are judged by (and keys past them lose their slot, so the trusted keys' D+ is
     * cut off at the threshold). Honest keys that differ from each other differ both ways, so the
     * confident half shows the spread. The 0.75 quantile: about half the keys sit on the
     * less-confident side with D- near 0, so the median would read noise.
     */
    double spread(long now) {
        if (reportsSinceSpread < 64 && now - spreadAt < 1000) {
            return spread;
        }
        spreadAt = now;
        reportsSinceSpread = 0;
        spread = 0;
        if (population.activeKeys(now) < settings.minKeys()) {
            return 0;
        }
        fillPooled(now);
        double[] env = classes.envelope(now);
        for (int i = 0; i < BINS; i++) {
            fallback[i] = env == null ? pooled[i] : Math.max(pooled[i], env[i]);
        }
        int n = 0;
        double total = 0;
        for (int slot = 0; slot < spreadWeights.length; slot++) {
            double w = population.weightOf(slot, now);
            if (w > 0 && classes.mixtureOf(slot, fallback, slotReference, now)) {
                population.summaryOf(slot, slotCdf);
                confidentSide[n] = KolmogorovSmirnov.dPlus(slotReference, slotCdf, BINS);
                spreadWeights[n] = w;
                total += w;
                n++;
            }
        }
        if (n < settings.minKeys()) {
            return 0;
        }
        spread = KeyPopulation.weightedQuantile(confidentSide, spreadWeights, spreadOrder, n, total, SPREAD_QUANTILE);
        return spread;
    }

    /**
     * The key's reference: sum over the classes in its window of (the class's share of the window) x
     * (the class's own reference, or the pooled one when the class has none). Sets {@code s.classShare}.
     */
    private double[] mixture(State s, long now) {
        java.util.Arrays.fill(classCounts, 0);
        byte[] w = s.window;
        int n = s.filled;
        for (int i = 0; i < n; i++) {
            classCounts[w[2 * i + 1] & 0xff]++;
        }
        java.util.Arrays.fill(reference, 0);
        int own = 0;
        int rest = 0;
        double[] env = configured != null ? configured.envelope() : classes.envelope(now);
        for (int code = 0; code < classCounts.length; code++) {
            int k = classCounts[code];
            if (k == 0) {
                continue;
            }
            double[] r = code == ClassReferences.UNTRACKED ? null : classReference(code, now);
            if (r == null) {
                rest += k;
                continue;
            }
            own += k;
            double share = (double) k / n;
            for (int i = 0; i < BINS; i++) {
                reference[i] += share * r[i];
            }
        }
        if (rest > 0) {
            // classes without a reference of their own: the least confident of the pooled and the classes' own
            double share = (double) rest / n;
            for (int i = 0; i < BINS; i++) {
                reference[i] += share * (env == null ? pooled[i] : Math.max(pooled[i], env[i]));
            }
        }
        s.classShare = (float) own / n;
        return reference;
    }

    /** Class {@code code}'s own reference: the calibration's when configured, else the peers'; null without. */
    private double[] classReference(int code, long now) {
        if (configured == null) {
            return classes.reference(code, now);
        }
        return configured.reference(code);
    }

    @Override
    public void observeRisk(State s, double risk) {
        boolean notOk = !(risk < KeyPopulation.KEY_OK_BELOW);
        if (notOk && !s.keyNotOk) {
            inputs.drop(System.identityHashCode(s));
            inputSpread.drop(System.identityHashCode(s));
        }
        s.keyNotOk = notOk;
    }

    @Override
    public double score(State s, long timeMillis) {
        return s.score;
    }

    @Override
    public String reason(State s, long timeMillis) {
        // String.format's text, built without a Formatter (reasons are rebuilt on a few percent of events)
        StringBuilder b = new StringBuilder(140).append("ood: ");
        if (s.spreadScore > 0) {
            // the inputs' evidence first: it is what scored
            Decimals.fixed(b.append("inputs spread like no peer's: "), Math.exp(s.spreadLog), 2)
                    .append("x the trusted keys' spread along the directions their inputs barely vary, over the last ")
                    .append(s.judged);
            if (s.spreadCold) {
                Decimals.fixed(b.append(" (past "), Math.exp(s.spreadThreshold), 2)
                        .append("x, four times the wide floor: no peers' threshold yet); ");
            } else {
                Decimals.fixed(b.append(" (past the peers' "), Math.exp(s.spreadThreshold), 2)
                        .append("x); ");
            }
        }
        if (s.roughScore > 0) {
            Decimals.fixed(b.append("inputs rough as noise: neighbouring coordinates differ "), 100 * s.roughZ, 0)
                    .append("% of the way from the peers' to independent ones', over the last ")
                    .append(Math.min(s.roughN, Roughness.ROUGH_MEMORY));
            Decimals.fixed(b.append(" (scored from "), 100 * settings.roughShare(), 0)
                    .append("%); ");
        }
        if (Double.isNaN(s.d)) {
            return b.append(s.filled)
                    .append(" answers in window, reference ")
                    .append(settings.referenceCdf() != null ? "configured" : "still learning from peers")
                    .toString();
        }
        b.append("last ").append(s.filled).append(" top-1 confidences vs ");
        if (settings.referenceCdf() != null && configured == null) {
            b.append("reference");
        } else {
            b.append(configured != null ? "the calibration" : "peers'").append(" (");
            Decimals.fixed(b, 100 * s.classShare, 0).append("% of them against their class's own)");
        }
        Decimals.fixed(b.append(", one-sided KS D+="), s.d, 2).append(" (p=");
        Decimals.scientific(b, s.p, 1).append(')');
        double near = nearShare(s);
        if (near > 0) {
            Decimals.fixed(b.append("; "), 100 * near, 0).append("% of them on inputs like the peers', not counted");
        }
        if (s.widening > 1) {
            Decimals.fixed(b.append("; the peers differ, so scored from D+ "), s.widening * settings.dLow(), 2);
            Decimals.fixed(b.append(" to "), s.widening * settings.dHigh(), 2);
            Decimals.fixed(b.append(" (x"), s.widening, 2).append(')');
        }
        return b.toString();
    }
}
