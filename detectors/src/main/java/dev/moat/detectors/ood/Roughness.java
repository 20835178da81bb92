package dev.moat.detectors.ood;

import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.internal.SpreadPeers;
import dev.moat.detectors.internal.WidthPeers;
import dev.moat.detectors.ood.OodDetector.State;

/**
 * {@link OodDetector}'s roughness test: whether a key's inputs are as rough as noise where its peers'
 * are smooth. The detector calls {@link #judgeRough} with each input it counts (not a run's repeats),
 * {@link #roughScore} when it recomputes a key's score, and {@link #drop} when a key's own scores make
 * it untrusted; {@link InputSpread} asks {@link #smooth} whether a key's own inputs are smooth. The
 * per-key numbers live in {@link State} (its {@code rough} fields); this class holds the worker's side:
 * each width's peers and the secret draw of where an input's block is read.
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
 */
final class Roughness {

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

    private final OodSettings settings;

    /** The roughness test's peers per input width ({@link #judgeRough}), at most {@value WidthPeers#WIDTHS}. */
    private final WidthPeers roughPeers;

    /** Where in each input the roughness test reads its block: secret per worker, drawn per input. */
    private final java.util.SplittableRandom roughDraw;

    Roughness(OodSettings settings) {
        this.settings = settings;
        this.roughPeers = new WidthPeers(settings.minKeys());
        this.roughDraw = new java.util.SplittableRandom(
                settings.inputSeed() != null
                        ? settings.inputSeed() * 0x9E3779B97F4A7C15L + 3
                        : new java.security.SecureRandom().nextLong());
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
     * that width's {@link SpreadPeers} every {@value InputSpread#SPREAD_REPORT_EVERY} of them once it has {@value
     * #ROUGH_MIN}, while trusted and not scored. Only situations (not a run's repeats) are read; each
     * r at least {@value #ROUGH_FLOOR}; blocks of one value are skipped.
     */
    void judgeRough(State s, double[] input, boolean trusted) {
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
                    && s.roughReports % InputSpread.SPREAD_REPORT_EVERY == 0
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
    double roughScore(State s) {
        if (s.roughN < ROUGH_MIN) {
            return 0;
        }
        return Rows.clamp01((s.roughZ - settings.roughShare()) / ROUGH_WIDTH);
    }

    /**
     * Whether the key's own inputs of {@code width} are smooth: the roughness test is on and has read
     * {@value #SMOOTH_MIN} of them, and their mean log roughness is under {@value #ROUGH_SMOOTH_PEERS}.
     */
    boolean smooth(State s, int width) {
        return settings.roughShare() > 0
                && s.roughWidth == width
                && s.roughReports >= SMOOTH_MIN
                && s.roughLog < ROUGH_SMOOTH_PEERS;
    }

    /** Takes the key's report out of its width's peers (the key is no longer trusted). */
    void drop(State s) {
        SpreadPeers peers = roughPeers.get(s.roughWidth);
        if (peers != null) {
            peers.drop(System.identityHashCode(s));
        }
    }
}
