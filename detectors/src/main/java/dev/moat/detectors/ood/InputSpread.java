package dev.moat.detectors.ood;

import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.internal.SpreadPeers;
import dev.moat.detectors.ood.OodDetector.State;

/**
 * {@link OodDetector}'s spread test: whether a key's inputs spread like no trusted peer's. While the
 * detector's {@link InputReference} is enabled, the detector calls {@link #judgeSpread} with each
 * input (a run's repeats too), {@link #vouches} before it offers a trusted key's input to that
 * reference, {@link #spreadScore} when it recomputes a key's score, and {@link #drop} when a key stops
 * being trusted; {@link SpreadRecording} measures recorded keys with {@link #advanceSpread}. The
 * per-key numbers live in {@link State} (its centre and {@code spread} fields); this class holds the
 * worker's side: the peers' threshold ({@link SpreadPeers}) and the wide floor.
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
 * width whose own inputs are smooth ({@link Roughness#smooth}: the roughness test has read 16 of them,
 * and their mean log roughness is under its smooth line, -1), since session 32: a series customer
 * differs from the peers along the minor axes as wide ones do (32-sample vibration monitors at 2-13x,
 * 7 of 19 flagged in the survey before), and rows as rough as noise are the roughness test's. Smooth
 * synthetic windows (random walks, random tones: 12.8x and 49x) are still flagged; a key not yet
 * read, or not smooth, is judged as before. Wider inputs are judged before the peers have a
 * threshold too, past four times the floor ({@link #COLD_WIDE_FACTOR}): customers who stream count a
 * scene once and may never teach the peers (session 34).
 */
final class InputSpread {

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
     * A calibration's spread reference ({@code ood.spread.rows.K}, {@code ood.spread.peers}): per
     * recorded key its natural rows, and the recorded keys' median mean log spread ratio and its
     * robust deviation.
     */
    record SpreadCalibration(java.util.List<double[][]> rows, double median, double sigma) {}

    private final OodSettings settings;

    /** The detector's input reference (shared with its input gate): the coordinates spreads are measured in. */
    private final InputReference inputs;

    /** The roughness test, which says whether a key's own inputs are smooth. */
    private final Roughness roughness;

    /** The trusted keys' reported spreads: the peers' threshold. */
    private final SpreadPeers spreadPeers;

    /** log {@code spread_wide_floor}: the least log spread ratio flagged past {@code spread_max_width}. */
    private final double wideFloorLog;

    /** The input reference's epoch the peers' reports belong to. */
    private int peersEpoch;

    /**
     * With {@code spread} (null: none) the reference is seeded from the calibration's rows and the
     * peers' threshold fixed (see {@link OodDetector#OodDetector(OodSettings, SpreadCalibration)}).
     */
    InputSpread(OodSettings settings, InputReference inputs, SpreadCalibration spread, Roughness roughness) {
        this.settings = settings;
        this.inputs = inputs;
        this.roughness = roughness;
        if (spread != null && settings.spreadMaxWidth() > 0) {
            inputs.seed(spread.rows());
            this.spreadPeers = new SpreadPeers(spread.median(), spread.sigma());
        } else {
            this.spreadPeers = new SpreadPeers();
        }
        this.wideFloorLog = Math.log(settings.spreadWideFloor());
    }

    /**
     * One input's turn in the spread test: its log spread ratio ({@link InputReference#spreadRatio},
     * from the key's own centre) joins the key's mean, then the input moves the centre. Only inputs of
     * the reference's width, at a width the test judges ({@link OodSettings#spreadJudges}).
     */
    void judgeSpread(State s, double[] input, boolean trusted) {
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
     * are {@link Roughness#smooth} at least {@code spread_wide_floor}; NaN while the peers have none.
     */
    private double spreadThreshold(State s, int width) {
        double threshold = spreadPeers.threshold(settings.spreadMargin());
        return width > settings.spreadMaxWidth() || roughness.smooth(s, width)
                ? Math.max(threshold, wideFloorLog)
                : threshold;
    }

    /** Whether inputs of {@code width} are judged past the cold wide threshold while the peers have none. */
    private boolean coldWide(int width) {
        return width > settings.spreadMaxWidth() && settings.spreadWideFloor() > 0;
    }

    /**
     * The spread test's score: 0 at the peers' threshold ({@link SpreadPeers#threshold}: their median
     * log spread ratio plus the larger of {@code spread_margin} and four robust deviations, at least
     * {@value SpreadPeers#FLOOR}), 1 at {@code spread_width} past it; 0 before {@value #SPREAD_MIN}
     * judged inputs and, on inputs at most {@code spread_max_width} wide, while fewer than {@value
     * SpreadPeers#MIN_KEYS} trusted keys have reported (wider ones are judged past {@value
     * #COLD_WIDE_FACTOR} times the wide floor until then).
     */
    double spreadScore(State s) {
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
    boolean vouches(State s, int width) {
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

    /** Takes key {@code self}'s report out of the peers' threshold (the key is no longer trusted). */
    void drop(int self) {
        spreadPeers.drop(self);
    }
}
