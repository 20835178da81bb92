package dev.moat.detectors.ood;

import dev.moat.detectors.Detector;
import dev.moat.detectors.internal.Decimals;
import dev.moat.detectors.internal.KeyPopulation;
import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.internal.Runs;
import dev.moat.detectors.internal.SpreadPeers;
import dev.moat.detectors.internal.WidthPeers;
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
 * ({@code ood.class_cdf.C}, built the same way by {@code moat calibrate}) take the peers' place, and
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
 * <p><b>Inputs that spread like no peer's (narrow inputs, on by default).</b> A model that is
 * confident far from its data (a linear model under a softmax, a binary clinical model) answers random
 * rows as confidently as natural ones, so the confidence test cannot see Tramer's equation solving or
 * random-size JbDA at 13 inputs. For inputs at most {@code spread_max_width} (63, 16 coordinates sampled from 17 on; 0 turns it off)
 * wide, the worker's {@link InputReference} (its trusted keys' inputs) also keeps the principal axes
 * of those inputs, and each key its own centre (the mean of its first 64 inputs, then an exponentially
 * weighted one): each input's {@link InputReference#spreadRatio} is how far it lies from the key's
 * centre along the less varied half of the axes, over how far the trusted population's inputs lie
 * from theirs. Natural records of any customer (one class, another level, a sensor with a larger
 * swing) barely move along those axes; random and synthetic rows break the correlations and the
 * features' ranges and do. The key's score reads the mean log ratio over its last 256 inputs (from
 * 128): 0 at the trusted keys' median plus the larger of {@code spread_margin} (0.3, 1.35x) and four
 * robust deviations ({@link SpreadPeers}), at least 0.4 (1.49x), 1 at {@code spread_width} (0.2) past it.
 * Measured (ood/InputSpreadProbe, InputSpreadTest): honest keys 0.0-0.16, random rows on the clinical
 * model 0.74-0.84, on wine-13 1.8; EXTRACTING at 150-180 rows. What it cannot see: random rows diluted
 * 1:3 with natural ones (1:1 is flagged), synthetic rows drawn from each feature's own marginal
 * where the features are independent (they are natural records), steps that stay near natural
 * records (the clinical model's random-size JbDA: 1.25-1.3x), and, learned online, thieves who are
 * most of the trusted keys from a cold start. With {@code detection.calibration} holding {@code
 * ood.spread.rows.K} and {@code ood.spread.peers} ({@link SpreadRecording}, {@code moat calibrate}),
 * the reference starts from the file's rows and the threshold from its median and deviation, and
 * neither moves ({@link InputReference#seed}, {@link SpreadPeers#SpreadPeers(double, double)}): the
 * test judges from a key's 144th input in a deployment of any size, after a restart, and whoever the
 * trusted keys are. Its price: honest rows off the data's manifold are flagged like random
 * ones (test-time augmentation by brightness on the tabular test model, saturated records). Cost:
 * the projection of each input's m coordinates read (all up to 16 inputs, 16 sampled up to {@code
 * spread_max_width}) onto the minor axes (13 x 7 at 13 inputs, 16 x 8 from 17); per key 4m + 12
 * bytes. Wider inputs are judged too, past at least {@code spread_wide_floor} (8x; 0: not judged)
 * the trusted keys' spread ({@link #SPREAD_WIDE_FLOOR}): random rows on 100-feature records, never
 * flagged before, are, and the honest keys that differ along the minor axes of images and sensor
 * windows (2-6.9x) are not; random-size JbDA on such records (4-7x) is not either. So is a key of any
 * width whose own inputs are smooth ({@link #smooth}: the roughness test below has read 16 of them,
 * and their mean log roughness is under its smooth line, -1), since session 32: a series customer
 * differs from the peers along the minor axes as wide ones do (32-sample vibration monitors at 2-13x,
 * 7 of 19 flagged in the survey before), and rows as rough as noise are the roughness test's. Smooth
 * synthetic windows (random walks, random tones: 12.8x and 49x) are still flagged; a key not yet
 * read, or not smooth, is judged as before. Wider inputs are judged before the peers have a
 * threshold too, past four times the floor ({@link #COLD_WIDE_FACTOR}): customers who stream count a
 * scene once and may never teach the peers (session 34).
 *
 * <p><b>Inputs as rough as noise (session 26, on by default: {@code rough_share}, 2/3; 0 turns it
 * off).</b> Images, sound, vibration and other series are smooth along their coordinates: neighbouring
 * values differ much less than the values spread. Uniform random rows and random-size sign steps are
 * not: their neighbours differ as independent values do. The test reads, per input, half von
 * Neumann's ratio ({@link #roughness}: mean square successive difference over twice the variance, 1
 * for independent values) of a block of {@value #ROUGH_BLOCK} consecutive coordinates at a secret
 * place, and judges it only where the trusted peers of that input width are smooth (median log
 * ratio below {@value #ROUGH_SMOOTH_PEERS}; records, embeddings and word counts, whose coordinates
 * have no order, sit near 0 and are never judged). A key's score is 0 until it has come {@code
 * rough_share} of the way, in log, from its peers' median to white noise, over its last {@value
 * #ROUGH_MEMORY} judged inputs, and 1 at {@value #ROUGH_WIDTH} further ({@link #judgeRough}).
 * Measured on the honest-shapes survey's 32 shapes (a throwaway probe of the statistic, per key over
 * 300 rows, blocks at random places): where the peers' median is below -1, honest keys came at most
 * 49% of the way to noise (mixed day and night cameras at 3,072: -1.42 against a median of -2.81;
 * vibration windows 31%, -1.35 against -1.96), uniform random rows all of it (0.00-0.03), random-size
 * JbDA on vibration windows 78% (-0.43). It does not see: random rows smooth along the
 * coordinates (the survey's video attacker draws them in the 8x8 space and upsamples: -1.8),
 * steps whose sizes are small against the data's own variation (random-size steps of up to 10% of the
 * range on a vibration, {@code OodRoughnessTest}: 0.14), plain sign steps on smooth data (a level
 * change), anything on data without order, and thieves who are most of a width's trusted keys from
 * a cold start (the peers' median is theirs). Cost: one pass over 32 coordinates and a logarithm a
 * query; 20 bytes a key.
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
     * The spread test's memory: a key's log spread ratio is the mean of its judged inputs' until this
     * many, then an exponentially weighted mean with as many inputs' memory; it scores from {@value
     * #SPREAD_MIN} judged inputs.
     */
    static final int SPREAD_MEMORY = 256;

    static final int SPREAD_MIN = 128;

    /**
     * The widest inputs the spread test judges by default ({@code spread_max_width}): records of up
     * to 63 features (from 17 on, 16 of them sampled). Not images from 8x8 on: a customer who sends
     * mostly one class of images spreads along directions the other classes barely vary on, as random
     * rows do (2.0-2.8x on the 64-input digits, {@code InputSpreadWidthTest}).
     */
    static final int SPREAD_MAX_WIDTH = 63;

    /**
     * Past {@code spread_max_width}, the spread test judges inputs only beyond this ratio of the
     * trusted keys' spread ({@code spread_wide_floor}; 0 turns it off there): records wider than 63
     * features that a model answers confidently off its data (random rows on a 100-feature record
     * model, never flagged before; 2.2-2.7 in log, 9-15x), while what honest keys reach there stays
     * under it (customers of one class of images 2x, series customers at their own levels up to 4.6-6.9x;
     * {@code ood/WideSpreadProbe}).
     */
    static final double SPREAD_WIDE_FLOOR = 8;

    /**
     * Inputs wider than {@code spread_max_width} are judged, while the peers have no threshold, past
     * this many times {@code spread_wide_floor} (32x by default), and keys under the floor itself (8x)
     * report to the peers and vouch for the input reference (the narrow inputs' cold bar, 1.5x, kept
     * out of both every key that no threshold at this width would flag). Issue 9, session 34:
     * customers who stream (cameras sending every frame of a scene) count a scene once, so few of
     * them reach the {@value #SPREAD_MIN} judged inputs and {@value #DISTINCT_PEER} distinct
     * situations a report needs, and
     * those that did (the heavy ones, day cameras at 4-7.5x against a reference of night ones) were
     * over 1.5x: on a population of day cameras, or of day and night ones, the peers never formed and
     * random rows at 3,072 inputs (spread 160-240x) were never judged, flagged by {@code coverage} at
     * 601 rows by day and never in 1,000 mixed ({@code
     * HonestDataShapesTest.randomRowsAmongStreamingCustomersWhoTeachNoSpreadPeersBypass}). Four
     * times, not two: before the peers form the reference is young, and an ordinary stroke-image
     * customer at 3,072 inputs sat at 23.5x of it ({@code StrokeImagesTest}, flagged at twice the
     * floor); random rows measured 58x (64 inputs) to 260x, JbDA 69-280x. Reports stop at the floor,
     * not at the cold threshold: a key between the two is one the peers' threshold (at least the
     * floor) would flag, and thieves there that are most of the reporting keys would set it over their
     * own spread. A calibration's peers, or three trusted reports, take over.
     */
    static final double COLD_WIDE_FACTOR = 4;

    private static final double LOG_COLD_WIDE_FACTOR = Math.log(COLD_WIDE_FACTOR);

    /** A key's spread is checked against the peers' threshold, and reported to {@link SpreadPeers} if trusted and like them, every this many answers. */
    static final int SPREAD_REPORT_EVERY = 64;

    /**
     * The key's centre is the mean of its first inputs, then an exponentially weighted mean with this
     * many inputs' memory; inputs are judged from the {@value #CENTRE_FIRST}th on.
     */
    static final int CENTRE_MEMORY = 64;

    static final int CENTRE_FIRST = 16;

    /**
     * A key reports its spread to the peers' reference once it has sent this many distinct situations
     * (issue 9, session 18: synthetic monitors that send one request over and over, trusted, reported
     * the floor's spread and pulled the peers' median down until an ordinary customer was past it; a
     * share of distinct inputs instead kept out customers who re-send half their records, and the
     * median then came from a Sybil's narrow boxes).
     */
    static final int DISTINCT_PEER = 32;

    /**
     * A trusted key's inputs join the input reference from its this-many-th answer on, and, once the
     * reference judges spreads, only while its own spread is judged ({@value #SPREAD_MIN} inputs) and
     * not past the peers' threshold.
     */
    static final int VOUCH_AFTER = 256;

    /** Spread ratios below this count as this (logs of inputs at the key's very centre would dominate). */
    static final double SPREAD_RATIO_FLOOR = 0.05;

    /** The log of one input's spread ratio, as a key's mean takes it: clamped below (see {@link #SPREAD_RATIO_FLOOR}). */
    static double spreadLog(double ratio) {
        return Math.log(Math.max(ratio, SPREAD_RATIO_FLOOR));
    }

    /**
     * How far the thresholds may widen for whether a key is trusted (feeds the references, the peers'
     * spread and the input reference), whatever {@code max_widening} allows its score: a key the
     * peers' spread keeps from being flagged, but that sits further from the reference than this
     * widening allows, is left ok and out of what defines honest (session 26; keys trusted at a cold
     * start then cannot hold the references by widening them, see {@code
     * OodColdStartClassReferenceTest}).
     */
    static final double TRUST_WIDENING = 3;

    /**
     * The roughness test's default {@code rough_share}: a key is scored once its rows' mean log
     * roughness has come this share of the way from the peers' median to white noise's (0).
     */
    static final double ROUGH_SHARE = 2.0 / 3;

    /** Consecutive coordinates of an input the roughness test reads (inputs narrower are not judged). */
    static final int ROUGH_BLOCK = 32;

    /** The roughness test judges only where the peers' median log roughness is below this (their data are smooth). */
    static final double ROUGH_SMOOTH_PEERS = -1;

    /** A key's mean log roughness averages its first inputs, then keeps this many inputs' memory. */
    static final int ROUGH_MEMORY = 64;

    /** A key is scored, and reports to its width's peers, from this many judged inputs on. */
    static final int ROUGH_MIN = 64;

    /**
     * A key's inputs are smooth for the spread test ({@link #smooth}) from this many read by the
     * roughness test on: the roughness test reads a situation once (a run's repeats are not read), so a
     * monitor whose windows often repeat has its 64th read after the spread test's first judgement
     * (its 144th input) and was judged against the narrow threshold until then
     * ({@code SmoothKeySpreadFloorTest}). A mean of 16 reads already tells smooth windows (log
     * roughness -1.5 to -3) from noise (about 0); a thief who sends 16 smooth rows first and noise after
     * is past -1 again within 24-32 reads, before his spread is judged (from his 144th input).
     */
    static final int SMOOTH_MIN = 16;

    /** The roughness test's score rises from 0 to 1 over this much of the way to white noise. */
    static final double ROUGH_WIDTH = 0.1;

    /** Roughness below this counts as this (logs of near-constant smooth blocks would dominate). */
    static final double ROUGH_FLOOR = 1e-4;

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
         * InputReference#spreadRatio}) and how many (capped at {@value #SPREAD_MEMORY}), and the
         * test's score and threshold at the last computation.
         */
        float[] centre;

        int centred;
        float spreadLog;
        int judged;
        float spreadScore;
        float spreadThreshold = Float.NaN;

        /** Whether that threshold was the cold one ({@link #COLD_WIDE_FACTOR} times the wide floor: no peers yet). */
        boolean spreadCold;

        /** Whether the key's spread was past the peers' threshold at its last report: it then vouches for nothing. */
        boolean spreadUnlike;

        /** The input reference's coordinates the spread statistics are in ({@link InputReference#epoch}). */
        byte spreadEpoch;

        /**
         * The roughness test ({@link #judgeRough}): the width of the key's first input read (0: none yet),
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
        SpreadCalibration spread = calibration != null
                        && calibration.hasSpread()
                        && calibration.spreadWidth() <= parsed.spreadMaxWidth()
                ? new SpreadCalibration(
                        calibration.spreadRows(), calibration.spreadPeersMedian(), calibration.spreadPeersSigma())
                : null;
        return Factory.of(NAME, () -> new OodDetector(s, spread));
    }

    /**
     * A calibration's spread reference ({@code ood.spread.rows.K}, {@code ood.spread.peers}): per
     * recorded key its natural rows, and the recorded keys' median mean log spread ratio and its
     * robust deviation.
     */
    record SpreadCalibration(java.util.List<double[][]> rows, double median, double sigma) {}

    private final OodSettings settings;
    private final KeyPopulation population = KeyPopulation.standard(BINS);
    private final ClassReferences classes;
    private final InputReference inputs;
    private final SpreadPeers spreadPeers;
    /** The roughness test's peers per input width ({@link #judgeRough}), at most {@value WidthPeers#WIDTHS}. */
    private final WidthPeers roughPeers;

    /** Where in each input the roughness test reads its block: secret per worker, drawn per input. */
    private final java.util.SplittableRandom roughDraw;

    /** log {@code spread_wide_floor}: the least log spread ratio flagged past {@code spread_max_width}. */
    private final double wideFloorLog;

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

    /**
     * With configured per-class references: the reference of each configured code (classes' first,
     * then class pairs'), or null without. The window holds these codes instead of {@link
     * ClassReferences#code}'s.
     */
    private final double[][] configuredClasses;

    /** The configured code of each top-1 class index ({@link ClassReferences#UNTRACKED}: none). */
    private final int[] configuredCodeOfClass;

    /** Per top-1 class index, the top-2 classes with a configured pair reference, sorted (null: none). */
    private final int[][] configuredPairSeconds;

    /** The configured codes of {@link #configuredPairSeconds}' pairs. */
    private final int[][] configuredPairCodes;

    /** The pointwise maximum of the configured pooled and per-class references. */
    private final double[] configuredEnvelope = new double[BINS];

    public OodDetector(OodSettings settings) {
        this(settings, null);
    }

    /**
     * With {@code spread} (null: none) the spread test starts from a calibration: the input reference
     * from its rows ({@link InputReference#seed}, kept so) and the peers' threshold from its median and
     * deviation ({@link SpreadPeers#SpreadPeers(double, double)}, fixed), so it judges from a key's
     * first {@value #CENTRE_FIRST} + {@value #SPREAD_MIN} inputs, in a deployment of any size, after
     * every restart, and whoever the trusted keys are.
     */
    OodDetector(OodSettings settings, SpreadCalibration spread) {
        this.settings = settings;
        if (settings.referenceCdf() != null && !settings.classCdfs().isEmpty()) {
            // codes 0..254: the classes' references first (by class index), then the class pairs' (by pair)
            java.util.List<double[]> refs = new java.util.ArrayList<>();
            int max = 0;
            for (int c : settings.classCdfs().keySet()) {
                max = Math.max(max, c);
            }
            for (long pair : settings.pairCdfs().keySet()) {
                max = Math.max(max, dev.moat.detectors.Calibration.pairTop1(pair));
            }
            configuredCodeOfClass = new int[max + 1];
            java.util.Arrays.fill(configuredCodeOfClass, ClassReferences.UNTRACKED);
            System.arraycopy(settings.referenceCdf(), 0, configuredEnvelope, 0, BINS);
            for (Map.Entry<Integer, double[]> e : new java.util.TreeMap<>(settings.classCdfs()).entrySet()) {
                if (refs.size() == ClassReferences.MAX_CLASSES) {
                    break;
                }
                configuredCodeOfClass[e.getKey()] = refs.size();
                refs.add(e.getValue().clone());
                for (int i = 0; i < BINS; i++) {
                    // classes without a reference of their own: the least confident of the pooled and the classes'
                    // (not the pairs': a pair is the classes' confusions, less confident than any class's answers)
                    configuredEnvelope[i] = Math.max(configuredEnvelope[i], e.getValue()[i]);
                }
            }
            configuredPairSeconds = new int[max + 1][];
            configuredPairCodes = new int[max + 1][];
            for (Map.Entry<Long, double[]> e : new java.util.TreeMap<>(settings.pairCdfs()).entrySet()) {
                if (refs.size() == ClassReferences.MAX_CLASSES) {
                    break;
                }
                int a = dev.moat.detectors.Calibration.pairTop1(e.getKey());
                int[] seconds = configuredPairSeconds[a];
                int n = seconds == null ? 0 : seconds.length;
                // sorted by the TreeMap's order: top-2 classes ascend within a top-1 class
                configuredPairSeconds[a] =
                        seconds = java.util.Arrays.copyOf(seconds == null ? new int[0] : seconds, n + 1);
                seconds[n] = dev.moat.detectors.Calibration.pairTop2(e.getKey());
                int[] codes = java.util.Arrays.copyOf(
                        configuredPairCodes[a] == null ? new int[0] : configuredPairCodes[a], n + 1);
                codes[n] = refs.size();
                configuredPairCodes[a] = codes;
                // the less confident of the pair's and its top-1 class's: a pair's reference rests on fewer answers,
                // and its noise must not make an honest key's answers of the class look worse than the class's own
                double[] ref = e.getValue().clone();
                int classCode = configuredCodeOfClass[a];
                if (classCode != ClassReferences.UNTRACKED) {
                    for (int i = 0; i < BINS; i++) {
                        ref[i] = Math.max(ref[i], refs.get(classCode)[i]);
                    }
                }
                refs.add(ref);
            }
            configuredClasses = refs.toArray(new double[0][]);
        } else {
            configuredClasses = null;
            configuredCodeOfClass = null;
            configuredPairSeconds = null;
            configuredPairCodes = null;
        }
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
        if (spread != null && settings.spreadMaxWidth() > 0) {
            inputs.seed(spread.rows());
            this.spreadPeers = new SpreadPeers(spread.median(), spread.sigma());
        } else {
            this.spreadPeers = new SpreadPeers();
        }
        this.wideFloorLog = Math.log(settings.spreadWideFloor());
        this.roughPeers = new WidthPeers(settings.minKeys());
        this.roughDraw = new java.util.SplittableRandom(
                settings.inputSeed() != null
                        ? settings.inputSeed() * 0x9E3779B97F4A7C15L + 3
                        : new java.security.SecureRandom().nextLong());
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
                if (trusted && vouches(s, input.length)) {
                    inputs.offer(input, self);
                }
                judgeSpread(s, input, trusted);
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
            if (trusted && vouches(s, input.length)) {
                inputs.offer(input, self);
            }
            judgeSpread(s, input, trusted);
        }
        judgeRough(s, input, trusted);
        s.window[2 * s.next] = (byte) b;
        s.window[2 * s.next + 1] = (byte)
                (configuredClasses != null
                        ? configuredCode(cls, prediction)
                        : classes.code(cls, s.slot >= 0 && trusted(s), now));
        s.next = s.next + 1 == window ? 0 : s.next + 1;
        s.queries++;
        s.counted++;
        report(s, now);
        // the statistic moves little per query: recompute every 10 answers
        if (s.counted % 10 == 0 || s.filled == settings.minQueries()) {
            s.spreadScore = (float) spreadScore(s);
            s.roughScore = (float) roughScore(s);
            double inputsScore = Math.max(s.spreadScore, s.roughScore);
            s.score = Math.max(computeScore(s, now), inputsScore);
            s.trustScore = (float) Math.max(s.trustScore, inputsScore);
            if (trusted && s.trustScore >= KeyPopulation.TRUSTED_BELOW) {
                inputs.drop(System.identityHashCode(s));
                spreadPeers.drop(System.identityHashCode(s));
                SpreadPeers peers = roughPeers.get(s.roughWidth);
                if (peers != null) {
                    peers.drop(System.identityHashCode(s));
                }
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

    /**
     * The roughness test (issue 9, session 26): how much an input's neighbouring coordinates differ,
     * against how much its values spread ({@link #roughness} of a block of {@value #ROUGH_BLOCK}
     * consecutive coordinates at a secret place drawn per input): about 1 for white noise (independent
     * coordinates: uniform random rows, random-size sign steps), well under 1 for images, sound,
     * vibration and other series (neighbours alike), about 1 for records, embeddings and word counts
     * (no order). Each input of a width whose peers' median log roughness is below {@value
     * #ROUGH_SMOOTH_PEERS} (smooth data) is placed on the way from that median (0) to white noise (1)
     * in log, z = (log r - median) / -median, and the key keeps the mean of z over its first {@value
     * #ROUGH_MEMORY} such inputs, then with that many inputs' memory, whatever their widths (rows of a
     * width without smooth peers are not judged, so other widths sent in between hide nothing). For
     * the peers, the key also keeps the mean log r of its first width's inputs, which it reports to
     * that width's {@link SpreadPeers} every {@value #SPREAD_REPORT_EVERY} of them once it has {@value
     * #ROUGH_MIN}, while trusted and not scored. Only situations (not a run's repeats) are read; each
     * r at least {@value #ROUGH_FLOOR}; blocks of one value are skipped.
     */
    private void judgeRough(State s, double[] input, boolean trusted) {
        int n = input.length;
        if (settings.roughShare() <= 0 || n < ROUGH_BLOCK) {
            return;
        }
        double r = roughness(input, roughDraw.nextInt(n - ROUGH_BLOCK + 1), ROUGH_BLOCK);
        if (Double.isNaN(r)) {
            return;
        }
        double log = Math.log(Math.max(ROUGH_FLOOR, r));
        if (s.roughWidth == 0) {
            s.roughWidth = n;
        }
        if (n == s.roughWidth) {
            s.roughLog += (float) ((log - s.roughLog) / Math.min(s.roughReports + 1, ROUGH_MEMORY));
            s.roughReports = Math.min(s.roughReports + 1, 1 << 30);
            if (trusted
                    && s.roughReports >= ROUGH_MIN
                    && s.roughReports % SPREAD_REPORT_EVERY == 0
                    && s.roughScore <= 0) {
                SpreadPeers peers = roughPeers.of(n, true);
                if (peers != null) {
                    peers.report(System.identityHashCode(s), s.roughLog);
                }
            }
        }
        // a median of at least min_keys trusted keys (5): in a small deployment the few keys that came first
        // (attackers, maybe) would be the peers, as for every peer reference here
        double median = roughPeers.median(n);
        if (median < ROUGH_SMOOTH_PEERS) {
            double z = (log - median) / -median;
            s.roughZ += (float) ((z - s.roughZ) / Math.min(s.roughN + 1, ROUGH_MEMORY));
            s.roughN = Math.min(s.roughN + 1, 1 << 30);
        }
    }

    /**
     * Half von Neumann's ratio of {@code x[from..from+n)}: the mean square successive difference
     * (over n - 1) over twice the variance (over n), 1 in expectation for independent values, near 0
     * for a smooth series; NaN when the values are all (nearly) one or not finite.
     */
    static double roughness(double[] x, int from, int n) {
        double mean = 0;
        for (int j = from; j < from + n; j++) {
            mean += x[j];
        }
        mean /= n;
        double spread = 0;
        double diffs = 0;
        double prev = x[from];
        for (int j = from; j < from + n; j++) {
            double v = x[j];
            spread += (v - mean) * (v - mean);
            diffs += (v - prev) * (v - prev);
            prev = v;
        }
        if (!(spread > 1e-12 * n * (1 + mean * mean)) || !Double.isFinite(diffs)) {
            return Double.NaN;
        }
        return diffs / (n - 1) / (2 * spread / n);
    }

    /**
     * The roughness test's score: 0 until the key has {@value #ROUGH_MIN} judged inputs (of widths whose
     * peers, {@code min_keys} (5) trusted keys or more, are smooth); then 0 at {@code
     * rough_share} (2/3) of the way from the peers to white noise, 1 at {@value #ROUGH_WIDTH} past it.
     */
    private double roughScore(State s) {
        if (s.roughN < ROUGH_MIN) {
            return 0;
        }
        return Rows.clamp01((s.roughZ - settings.roughShare()) / ROUGH_WIDTH);
    }

    /** The input reference's epoch the peers' reports belong to. */
    private int peersEpoch;

    /**
     * One input's turn in the spread test: its log spread ratio ({@link InputReference#spreadRatio},
     * from the key's own centre) joins the key's mean, then the input moves the centre. Only inputs at
     * most {@code spread_max_width} wide, of the reference's width.
     */
    private void judgeSpread(State s, double[] input, boolean trusted) {
        int width = inputs.width();
        if (width < 0 || !settings.spreadJudges(width) || input.length != width) {
            return;
        }
        if (peersEpoch != inputs.epoch()) {
            // the reports were of spreads along the old coordinates
            peersEpoch = inputs.epoch();
            spreadPeers.clear();
        }
        if (advanceSpread(inputs, s, input) && s.judged >= SPREAD_MIN && s.queries % SPREAD_REPORT_EVERY == 0) {
            // a key past the threshold (before there is one, past 1.5x, or the wide floor on inputs wider than
            // spread_max_width: COLD_WIDE_FACTOR) is no evidence of what natural inputs
            // look like nor of how much honest keys differ: keys that spread their inputs, trusted until the
            // peers have a threshold, would otherwise widen it for themselves and join the input reference
            double threshold = spreadThreshold(s, width);
            boolean unlike = s.spreadLog
                    > (!Double.isNaN(threshold)
                            ? threshold
                            : coldWide(width) ? wideFloorLog : SpreadPeers.COLD_REPORT_BELOW);
            int self = System.identityHashCode(s);
            if (unlike && !s.spreadUnlike) {
                inputs.drop(self);
            }
            s.spreadUnlike = unlike;
            // and only a key of DISTINCT_PEER distinct situations (s.counted: a run, or an input the window holds,
            // counts once) speaks for how far honest keys spread: a monitor that sends one request over and over,
            // trusted, had no spread and pulled the peers' median down until a customer was past it
            if (trusted && !unlike && s.counted >= DISTINCT_PEER) {
                spreadPeers.report(self, s.spreadLog);
            } else {
                spreadPeers.drop(self);
            }
        }
    }

    /**
     * The spread statistic's step for one input of the reference's width, shared by the detector and
     * {@link SpreadRecording} (which measures recorded keys offline the same way): once the key's
     * centre has {@value #CENTRE_FIRST} inputs, the input's log spread ratio ({@link
     * InputReference#spreadRatio} from that centre) joins the key's mean; then the input moves the
     * centre. Returns whether the input was judged (the reference could measure it).
     */
    static boolean advanceSpread(InputReference inputs, State s, double[] input) {
        int m = inputs.dims();
        if (s.centre == null) {
            s.centre = new float[m];
            s.spreadEpoch = (byte) inputs.epoch();
        } else if (s.spreadEpoch != (byte) inputs.epoch()) {
            // the reference drew its coordinates again: the key's centre and spread were in the old ones
            java.util.Arrays.fill(s.centre, 0f);
            s.centred = 0;
            s.judged = 0;
            s.spreadLog = 0;
            s.spreadEpoch = (byte) inputs.epoch();
        }
        boolean judged = false;
        if (s.centred >= CENTRE_FIRST) {
            double ratio = inputs.spreadRatio(input, s.centre);
            if (!Double.isNaN(ratio)) {
                if (s.judged < SPREAD_MEMORY) {
                    s.judged++;
                }
                // clamped below: an input at the centre itself says nothing more than one near it
                double v = spreadLog(ratio);
                s.spreadLog += (float) ((v - s.spreadLog) / s.judged);
                judged = true;
            }
        }
        if (s.centred < CENTRE_MEMORY) {
            s.centred++;
        }
        float a = 1f / s.centred;
        for (int j = 0; j < m; j++) {
            s.centre[j] += (float) (a * (inputs.coordinate(input, j) - s.centre[j]));
        }
        return judged;
    }

    /**
     * The log spread ratio past which a key's inputs of {@code width} spread like no peer's: the peers'
     * threshold ({@link SpreadPeers#threshold}), past {@code spread_max_width} or for a key whose inputs
     * are {@link #smooth} at least {@code spread_wide_floor}; NaN while the peers have none.
     */
    private double spreadThreshold(State s, int width) {
        double threshold = spreadPeers.threshold(settings.spreadMargin());
        return width > settings.spreadMaxWidth() || smooth(s, width) ? Math.max(threshold, wideFloorLog) : threshold;
    }

    /** Whether inputs of {@code width} are judged past the cold wide threshold while the peers have none. */
    private boolean coldWide(int width) {
        return width > settings.spreadMaxWidth() && settings.spreadWideFloor() > 0;
    }

    /**
     * Whether the key's own inputs of {@code width} are smooth: the roughness test is on and has read
     * {@value #SMOOTH_MIN} of them, and their mean log roughness is under {@value #ROUGH_SMOOTH_PEERS}.
     */
    private boolean smooth(State s, int width) {
        return settings.roughShare() > 0
                && s.roughWidth == width
                && s.roughReports >= SMOOTH_MIN
                && s.roughLog < ROUGH_SMOOTH_PEERS;
    }

    /**
     * The spread test's score: 0 at the peers' threshold ({@link SpreadPeers#threshold}: their median
     * log spread ratio plus the larger of {@code spread_margin} and four robust deviations, at least
     * {@value SpreadPeers#FLOOR}), 1 at {@code spread_width} past it; 0 before {@value #SPREAD_MIN}
     * judged inputs and, on inputs at most {@code spread_max_width} wide, while fewer than {@value
     * SpreadPeers#MIN_KEYS} trusted keys have reported (wider ones are judged past {@value
     * #COLD_WIDE_FACTOR} times the wide floor until then).
     */
    private double spreadScore(State s) {
        if (s.judged < SPREAD_MIN) {
            return 0;
        }
        int width = inputs.width();
        double threshold = spreadThreshold(s, width);
        s.spreadCold = false;
        if (Double.isNaN(threshold) && coldWide(width)) {
            // wide inputs before the peers have a threshold: four times the wide floor (the peers' own is at least it)
            threshold = wideFloorLog + LOG_COLD_WIDE_FACTOR;
            s.spreadCold = true;
        }
        s.spreadThreshold = (float) threshold;
        if (Double.isNaN(threshold)) {
            return 0;
        }
        return Rows.clamp01((s.spreadLog - threshold) / settings.spreadWidth());
    }

    /**
     * Whether a trusted key's input may join the input reference: always where the spread test does not
     * judge the inputs' width (the gate's reference, as before the spread test); on inputs wider than
     * {@code spread_max_width} with the gate on, while the key's spread is not unlike the peers'; else from
     * its {@value #VOUCH_AFTER}th answer and, once spreads are judged, while its own is judged and not
     * unlike the peers'.
     */
    private boolean vouches(State s, int width) {
        if (!settings.spreadJudges(width)) {
            return true;
        }
        if (width > settings.spreadMaxWidth() && settings.inputNear() > 0) {
            // the gate reads the reference from a key's first answers on wide inputs (series customers at their
            // own levels were flagged before it had their rows); a key whose inputs spread like no peer's still
            // stops vouching
            return !s.spreadUnlike;
        }
        return s.queries >= VOUCH_AFTER && !s.spreadUnlike && (s.judged >= SPREAD_MIN || !inputs.spreadReady());
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
        } else if (configuredClasses != null) {
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
        double[] env = configuredClasses != null ? configuredEnvelope : classes.envelope(now);
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
        if (configuredClasses == null) {
            return classes.reference(code, now);
        }
        return code < configuredClasses.length ? configuredClasses[code] : null;
    }

    /**
     * The configured code of an answer of top-1 class {@code cls}: its (top-1, top-2) class pair's when
     * the calibration has a reference for the pair, else its top-1 class's, else {@link
     * ClassReferences#UNTRACKED}.
     */
    private int configuredCode(int cls, double[] prediction) {
        if (cls >= configuredCodeOfClass.length) {
            return ClassReferences.UNTRACKED;
        }
        int[] seconds = configuredPairSeconds[cls];
        if (seconds != null && prediction.length >= 3) {
            int i = java.util.Arrays.binarySearch(seconds, Rows.runnerUp(prediction));
            if (i >= 0) {
                return configuredPairCodes[cls][i];
            }
        }
        return configuredCodeOfClass[cls];
    }

    @Override
    public void observeRisk(State s, double risk) {
        boolean notOk = !(risk < KeyPopulation.KEY_OK_BELOW);
        if (notOk && !s.keyNotOk) {
            inputs.drop(System.identityHashCode(s));
            spreadPeers.drop(System.identityHashCode(s));
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
                    .append(Math.min(s.roughN, ROUGH_MEMORY));
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
        if (settings.referenceCdf() != null && configuredClasses == null) {
            b.append("reference");
        } else {
            b.append(configuredClasses != null ? "the calibration" : "peers'").append(" (");
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
