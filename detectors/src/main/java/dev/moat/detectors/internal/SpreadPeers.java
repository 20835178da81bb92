package dev.moat.detectors.internal;

import java.util.Arrays;

/**
 * How much trusted keys differ in how widely their inputs spread, for {@code OodDetector}'s spread
 * test: each trusted key's last reported mean log spread ratio (see {@code
 * InputReference#spreadRatio}), at most {@value #KEYS} keys (a key's new report replaces its old one;
 * a new key replaces the oldest report once it is full), and from them the value past which a key is
 * unlike the peers: the median plus the larger of the configured margin and {@value #WIDTH} robust
 * standard deviations (1.4826 x the median absolute deviation), at least {@value #FLOOR}.
 *
 * <p>Why: on customers alike (the clinical test model) honest keys sit at 0.03-0.13 and random rows
 * at 0.74-0.84; on sensors whose swings differ (the 13-input series model) honest keys range from
 * -0.14 to 0.16 and drift, so one fixed threshold flags either honest sensors or nothing. A median
 * and a median absolute deviation move only while keys that spread their inputs are most of the
 * reports, and a key past the threshold does not report (see {@code OodDetector}): a thief widens the
 * threshold for everyone only with that many trusted keys under it.
 *
 * <p>With a calibration carrying {@code ood.spread.peers}, the median and deviation are the
 * calibration's, fixed (reports are still recorded, for reasons, but move nothing).
 *
 * <p>Also {@code ood}'s roughness peers (their median log roughness per input width) and {@code
 * prada}'s population lattice and level (the medians of the keys' last lattice units and largest
 * sampled values, sessions 28-29), each per input width through {@link WidthPeers}: any value whose
 * reference is the median of one report a key, over the keys that reported last.
 *
 * <p>Not ready (no threshold) below {@value #MIN_KEYS} reports. Recomputed at most every {@value
 * #RECOMPUTE_EVERY} reports. Not thread-safe (the worker's).
 */
public final class SpreadPeers {

    public static final int KEYS = 64;
    public static final int MIN_KEYS = 3;
    public static final double WIDTH = 4;
    static final int RECOMPUTE_EVERY = 8;

    /** No threshold below this log ratio (1.49x the trusted population's spread): tight Sybils (keys each in a small box) trusted in numbers pull the peers' median down and shrink the population's spread, and at 0.25 an honest key at 1.43x was flagged (InputSpreadBypassTest.subBoxSybilBypass). */
    public static final double FLOOR = 0.4;

    /** Before there is a threshold, keys report log ratios up to this (1.5x). */
    public static final double COLD_REPORT_BELOW = 0.4;

    private final int[] owner = new int[KEYS];
    private final double[] share = new double[KEYS];
    private final long[] at = new long[KEYS];
    private final double[] work = new double[KEYS];
    private int filled;
    private long clock;
    private int since = Integer.MAX_VALUE;
    private double median = Double.NaN;
    private double sigma = Double.NaN;

    /** Whether the median and deviation come from a calibration ({@link #SpreadPeers(double, double)}). */
    private final boolean calibrated;

    /** Learns the peers from trusted keys' reports. */
    public SpreadPeers() {
        this.calibrated = false;
    }

    /**
     * The peers as a calibration measured them (the recorded keys' median mean log spread ratio and
     * its robust deviation, see {@link SpreadRecording}): ready from the first query, and reports do
     * not move it, so no number of trusted keys (thieves most of the keys from a cold start, or
     * patient ones under the threshold) can widen it. The threshold is formed from them as from
     * reports.
     */
    public SpreadPeers(double median, double sigma) {
        this.calibrated = true;
        this.median = median;
        this.sigma = sigma;
    }

    /** Records trusted key {@code self}'s current mean log spread ratio. */
    public void report(int self, double value) {
        int slot = -1;
        int oldest = 0;
        for (int i = 0; i < filled; i++) {
            if (owner[i] == self) {
                slot = i;
                break;
            }
            if (at[i] < at[oldest]) {
                oldest = i;
            }
        }
        if (slot < 0) {
            slot = filled < KEYS ? filled++ : oldest;
            owner[slot] = self;
        }
        share[slot] = value;
        at[slot] = ++clock;
        since = since == Integer.MAX_VALUE ? Integer.MAX_VALUE : since + 1;
    }

    /** Forgets the report of a key that is no longer trusted. */
    public void drop(int self) {
        for (int i = 0; i < filled; i++) {
            if (owner[i] == self) {
                filled--;
                owner[i] = owner[filled];
                share[i] = share[filled];
                at[i] = at[filled];
                since = Integer.MAX_VALUE;
                return;
            }
        }
    }

    /**
     * The share past which a key is unlike the peers: their median share plus the larger of {@code
     * margin} and {@value #WIDTH} robust deviations, at least {@value #FLOOR}; NaN while not ready.
     */
    public double threshold(double margin) {
        if (!calibrated && since >= RECOMPUTE_EVERY) {
            since = 0;
            if (filled < MIN_KEYS) {
                median = Double.NaN;
            } else {
                System.arraycopy(share, 0, work, 0, filled);
                Arrays.sort(work, 0, filled);
                median = median(work, filled);
                for (int i = 0; i < filled; i++) {
                    work[i] = Math.abs(share[i] - median);
                }
                Arrays.sort(work, 0, filled);
                sigma = 1.4826 * median(work, filled);
            }
        }
        return Double.isNaN(median) ? Double.NaN : Math.max(FLOOR, median + Math.max(margin, WIDTH * sigma));
    }

    /** The peers' median report (recomputed as {@link #threshold} does); NaN while not ready. */
    public double median() {
        threshold(0);
        return median;
    }

    /** Forgets every report (the input reference drew its coordinates again); a calibration's peers stay. */
    public void clear() {
        filled = 0;
        since = Integer.MAX_VALUE;
    }

    /** How many keys have reported (for reasons). */
    public int keys() {
        return filled;
    }

    private static double median(double[] sorted, int n) {
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
