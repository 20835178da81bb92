package dev.moat.detectors.ood;

import dev.moat.detectors.Calibration;
import dev.moat.detectors.internal.KeyPopulation;
import java.util.Arrays;

/**
 * Per-class reference CDFs of top-1 confidence for {@link OodDetector}, learned from the same trusted
 * keys as its pooled reference: a key's class-conditional summary lives beside its {@link
 * KeyPopulation} slot and counts with that slot's weight, so the trust gate, the age weights, the
 * day-long memory and the slot recycling are the population's.
 *
 * <ul>
 *   <li><b>Class codes.</b> The top-1 class of an answer is stored as one byte. Codes are handed out
 *       per worker in first-seen order, up to {@value #MAX_CLASSES} classes (class indices below
 *       65,536); then a class seen in an answer to a trusted key takes over the code of the class
 *       without a reference that was seen least recently (see {@link #code}). Answers of a class with
 *       no code are {@link #UNTRACKED} and are compared as a class without a reference of its own is
 *       (see {@link #envelope}).
 *   <li><b>Summary.</b> When a key reports (every 200 answers), its window's (class, bin) counts are
 *       kept, sparse and sorted, in its slot (at most one int per answer in the window).
 *   <li><b>Reference.</b> For class c, the trusted keys' answers of c are pooled into one CDF, each key
 *       counting with its age weight and at most {@value #KEY_CAP} of its answers of c (so a heavy or
 *       one-class key does not make the class its own; a uniform key holds about 50 of each of ten
 *       classes in a full window). The class has a reference once at least {@code minKeys} (3) keys
 *       and {@value #MIN_CLASS_ANSWERS} capped answers feed it; otherwise null, and the caller uses
 *       {@link #envelope} or the pooled reference. Each reference is held to at most {@code slack}
 *       ({@code d_high}) above its anchor in every bin (see {@link #anchor}). Pooled rather than a
 *       quantile over keys as the population does: a key's sample of one class is small (20
 *       answers of each of ten classes at its first report, 5 of each for a customer sending 90% of
 *       one class), so a per-key quantile would be noisy and would need per-class voters that small
 *       populations do not have.
 * </ul>
 *
 * <p>Recomputed lazily, at most once a second of event time or every 64 reports (as the population
 * is), in time linear in the stored counts (a binary search per key and class, then its counts).
 * Memory: one int per distinct (class, bin) of each reporting key's window (at most 500 per slot: 2
 * MB for the 1,024 slots in the worst case), 2 KB for when each code was seen last, plus 320 bytes
 * per class with a reference and as much for its anchor. Not thread-safe (the worker's).
 */
final class ClassReferences {

    /** At most this many classes get a code (and so a reference of their own). */
    static final int MAX_CLASSES = 255;

    /** The code of answers whose class got none (beyond {@link #MAX_CLASSES}, or an index over 65,535). */
    static final int UNTRACKED = 255;

    /** Answers of a class (each key's capped at {@link #KEY_CAP}) its own reference needs. */
    static final int MIN_CLASS_ANSWERS = Calibration.CLASS_MIN_ANSWERS;

    /** A key's answers of one class count at most this many times in that class's reference. */
    static final int KEY_CAP = Calibration.CLASS_KEY_CAP;

    /** Keys a class's own reference needs (fewer if ood's {@code min_keys} is lower). */
    static final int MIN_VOTERS = Calibration.CLASS_MIN_KEYS;

    /** How long a class's anchor holds before it moves to the class's (held) reference of the time. */
    static final long ANCHOR_MILLIS = 86_400_000L;

    private static final int MAX_INDEX = 1 << 16;
    private static final int COUNT_BITS = 17;
    private static final int COUNT_MASK = (1 << COUNT_BITS) - 1;

    private final KeyPopulation population;
    private final int bins;
    private final int minKeys;
    private final int[][] cells;
    private final int[] cellCount;
    private final double[][] cdfs = new double[MAX_CLASSES][];
    private final boolean[] present = new boolean[MAX_CLASSES];
    private final double[][] anchors = new double[MAX_CLASSES][];
    private final long[] lastSeen = new long[MAX_CLASSES];
    private final long[] anchoredAt = new long[MAX_CLASSES];
    private final double slack;
    private byte[] codeOf = new byte[16];
    private int classes;
    private int[] indexOf = new int[16];
    private char[] sortBuf = new char[0];
    private final int[] slots;
    private final double[] weights;
    private final int[] voterSlot;
    private final int[] voterPos;
    private final int[] voterEnd;
    private final int[] voterTotal;
    private final int[] voterAcc;
    private final int[] voterStart;
    private final double[] voterWeight;
    private final double[] envelope;
    private boolean hasEnvelope;
    private int reportsSince = Integer.MAX_VALUE;
    private long computedAt = Long.MIN_VALUE;

    /**
     * @param slack how much less confident (in any bin of the CDF) than its anchor a class's reference
     *     may become: ood's {@code d_high}
     */
    ClassReferences(KeyPopulation population, int bins, int minKeys, double slack) {
        this.slack = slack;
        if ((long) MAX_CLASSES * bins > (1 << (31 - COUNT_BITS))) {
            throw new IllegalArgumentException("bins: " + bins);
        }
        this.population = population;
        this.bins = bins;
        this.minKeys = minKeys;
        int capacity = population.capacity();
        this.cells = new int[capacity][];
        this.cellCount = new int[capacity];
        this.slots = new int[capacity];
        this.weights = new double[capacity];
        this.voterSlot = new int[capacity];
        this.voterPos = new int[capacity];
        this.voterEnd = new int[capacity];
        this.voterTotal = new int[capacity];
        this.voterAcc = new int[capacity];
        this.voterStart = new int[capacity];
        this.voterWeight = new double[capacity];
        this.envelope = new double[bins];
    }

    /**
     * The code of class index {@code cls}, or {@link #UNTRACKED}. A class seen for the first time gets
     * the next free code; once all {@value #MAX_CLASSES} are taken, a class seen in an answer to a key
     * that holds a trusted population slot ({@code trusted}) takes over the code of the class without a
     * reference of its own that was seen least recently (its stored counts are dropped), and other
     * keys' new classes are {@link #UNTRACKED}. So a key that sprays rare classes first uses the codes
     * up only until trusted keys' classes need them, and classes with a reference keep theirs.
     */
    int code(int cls, boolean trusted, long now) {
        if (cls < 0 || cls >= MAX_INDEX) {
            return UNTRACKED;
        }
        if (cls < codeOf.length) {
            int c = codeOf[cls] & 0xff;
            if (c != 0) {
                lastSeen[c - 1] = now;
                return c - 1;
            }
        }
        int code;
        if (classes < MAX_CLASSES) {
            code = classes++;
            if (code == indexOf.length) {
                indexOf = Arrays.copyOf(indexOf, 2 * code);
            }
        } else {
            code = trusted ? leastRecentWithoutReference() : -1;
            if (code < 0) {
                return UNTRACKED;
            }
            codeOf[indexOf[code]] = 0;
            forget(code);
        }
        if (cls >= codeOf.length) {
            codeOf = Arrays.copyOf(codeOf, Math.min(MAX_INDEX, Math.max(cls + 1, 2 * codeOf.length)));
        }
        codeOf[cls] = (byte) (code + 1);
        indexOf[code] = cls;
        lastSeen[code] = now;
        return code;
    }

    /** The code without a reference of its own (at the last recompute) seen least recently, or -1. */
    private int leastRecentWithoutReference() {
        int best = -1;
        for (int code = 0; code < classes; code++) {
            if (!present[code] && (best < 0 || lastSeen[code] < lastSeen[best])) {
                best = code;
            }
        }
        return best;
    }

    /**
     * Drops what is stored under {@code code} before it is handed to another class: the trusted keys'
     * counts of it and its anchor. Windows may still hold the code for up to a window of answers;
     * those answers are then read as the new class's.
     */
    private void forget(int code) {
        int lo = (code * bins) << COUNT_BITS;
        int hi = ((code + 1) * bins) << COUNT_BITS;
        for (int s = 0; s < cells.length; s++) {
            int n = cellCount[s];
            if (n > 0) {
                int[] c = cells[s];
                int from = lowerBound(c, n, lo);
                int to = lowerBound(c, n, hi);
                if (to > from) {
                    System.arraycopy(c, to, c, from, n - to);
                    cellCount[s] = n - (to - from);
                }
            }
        }
        anchors[code] = null;
        present[code] = false;
        reportsSince = Integer.MAX_VALUE;
    }

    /** The class index that got {@code code}. */
    int classIndex(int code) {
        return indexOf[code];
    }

    /**
     * Keeps the (class, bin) counts of a key's window for its population slot ({@code window} holds
     * {@code filled} entries as (bin, code) byte pairs). Call after the population accepted the
     * key's report into {@code slot}.
     */
    /**
     * A key lost its slot (no longer trusted): recompute at the next read, as the pooled reference
     * does when a key is dropped, so its answers leave the references at once.
     */
    void stale() {
        reportsSince = Integer.MAX_VALUE;
    }

    void report(int slot, byte[] window, int filled) {
        if (slot < 0 || slot >= cells.length) {
            return;
        }
        if (sortBuf.length < filled) {
            sortBuf = new char[filled];
        }
        int n = 0;
        for (int i = 0; i < filled; i++) {
            int code = window[2 * i + 1] & 0xff;
            if (code != UNTRACKED) {
                sortBuf[n++] = (char) (code * bins + (window[2 * i] & OodDetector.BIN_MASK));
            }
        }
        Arrays.sort(sortBuf, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0 || sortBuf[i] != sortBuf[i - 1]) {
                distinct++;
            }
        }
        int[] out = cells[slot];
        if (out == null || out.length < distinct) {
            out = new int[distinct];
            cells[slot] = out;
        }
        int m = -1;
        for (int i = 0; i < n; i++) {
            if (i == 0 || sortBuf[i] != sortBuf[i - 1]) {
                out[++m] = sortBuf[i] << COUNT_BITS;
            }
            out[m]++;
        }
        cellCount[slot] = distinct;
        if (reportsSince != Integer.MAX_VALUE) {
            reportsSince++;
        }
    }

    /** The reference CDF ({@code bins} values) of class {@code code}, or null when it has none (use the pooled one). */
    double[] reference(int code, long now) {
        if (code < 0 || code >= classes) {
            return null;
        }
        refresh(now);
        return present[code] ? cdfs[code] : null;
    }

    /**
     * The pointwise maximum of the classes' own references (the least confident honest class at each
     * bin), or null when no class has one: what a class without a reference of its own is compared
     * with, so an answer gains nothing from landing in such a class that it could not gain by landing
     * in the least confident class that has one. Each reference is held to its anchor (see {@link
     * #anchor}), so keys that drift a rare class's reference loosen this envelope by at most as much.
     */
    double[] envelope(long now) {
        refresh(now);
        return hasEnvelope ? envelope : null;
    }

    private void refresh(long now) {
        if (reportsSince < 64 && now - computedAt < 1000) {
            return;
        }
        computedAt = now;
        reportsSince = 0;
        int n = 0;
        for (int s = 0; s < cells.length; s++) {
            if (cellCount[s] > 0) {
                double w = population.weightOf(s, now);
                if (w > 0) {
                    slots[n] = s;
                    weights[n++] = w;
                } else if (w == 0 && cells[s] != null && !population.owned(s)) {
                    // a dropped or forgotten key's counts: free them (the slot's next owner reports its own)
                    cells[s] = null;
                    cellCount[s] = 0;
                }
            }
        }
        for (int code = 0; code < classes; code++) {
            int lo = (code * bins) << COUNT_BITS;
            int hi = ((code + 1) * bins) << COUNT_BITS;
            int m = 0;
            double total = 0;
            int capped = 0;
            for (int i = 0; i < n; i++) {
                int s = slots[i];
                int[] c = cells[s];
                int start = lowerBound(c, cellCount[s], lo);
                int end = lowerBound(c, cellCount[s], hi);
                int sum = 0;
                for (int k = start; k < end; k++) {
                    sum += c[k] & COUNT_MASK;
                }
                if (sum > 0) {
                    voterSlot[m] = s;
                    voterPos[m] = start;
                    voterEnd[m] = end;
                    voterTotal[m] = sum;
                    voterAcc[m] = 0;
                    // each key counts at most KEY_CAP answers of the class, with its age weight
                    voterWeight[m] = weights[i] * Math.min(sum, KEY_CAP);
                    total += voterWeight[m];
                    capped += Math.min(sum, KEY_CAP);
                    m++;
                }
            }
            if (m < minKeys || capped < MIN_CLASS_ANSWERS) {
                present[code] = false;
                continue;
            }
            double[] cdf = cdfs[code];
            if (cdf == null) {
                cdf = new double[bins];
                cdfs[code] = cdf;
            }
            for (int j = 0; j < m; j++) {
                voterStart[j] = voterPos[j];
            }
            mean(code, m, total, cdf);
            // keys far more confident than the mean (by more than slack, and chance, in some bin) leave it: a mean
            // moves with any share of its weight, and attackers whose answers are more confident than honest ones
            // (random rows or JbDA on a model confident far from its data) that no detector flags would
            // make the reference stricter and get honest keys flagged (issue 9, clinical-13). Only a
            // minority of the weight leaves: where the far keys are most of it, the mean is the outlier (less
            // confident keys trusted early, attackers at a cold start), and dropping the confident majority
            // would hand the reference to them.
            double kept = 0;
            for (int j = 0; j < m; j++) {
                // past slack by more than chance allows for the key's sample of the class (a one-sided KS
                // bound at about 95%: a key with 20 answers of a class is far from its mean by chance);
                // a far key's weight is marked by its sign until the share is known
                if (moreConfidentBy(code, j, cdf) > slack + 1.22 / Math.sqrt(voterTotal[j])) {
                    voterWeight[j] = -voterWeight[j];
                } else {
                    kept += voterWeight[j];
                }
            }
            boolean drop = kept < total && kept >= 0.5 * total;
            for (int j = 0; j < m; j++) {
                if (voterWeight[j] < 0) {
                    voterWeight[j] = drop ? 0 : -voterWeight[j];
                }
            }
            if (drop) {
                mean(code, m, kept, cdf);
            }
            anchor(code, cdf, now);
            present[code] = true;
        }
        hasEnvelope = false;
        Arrays.fill(envelope, 0);
        for (int code = 0; code < classes; code++) {
            if (present[code]) {
                hasEnvelope = true;
                for (int b = 0; b < bins; b++) {
                    envelope[b] = Math.max(envelope[b], cdfs[code][b]);
                }
            }
        }
    }

    /** The weighted mean over the m voters (from their start positions) of their CDFs of class {@code code}. */
    private void mean(int code, int m, double total, double[] cdf) {
        for (int j = 0; j < m; j++) {
            voterPos[j] = voterStart[j];
            voterAcc[j] = 0;
        }
        for (int b = 0; b < bins; b++) {
            double acc = 0;
            int upTo = ((code * bins + b + 1) << COUNT_BITS);
            for (int j = 0; j < m; j++) {
                int[] c = cells[voterSlot[j]];
                while (voterPos[j] < voterEnd[j] && c[voterPos[j]] < upTo) {
                    voterAcc[j] += c[voterPos[j]] & COUNT_MASK;
                    voterPos[j]++;
                }
                acc += voterWeight[j] * voterAcc[j] / voterTotal[j];
            }
            cdf[b] = acc / total;
        }
    }

    /** By how much voter j's CDF of class {@code code} sits below (is more confident than) {@code ref}, at most. */
    private double moreConfidentBy(int code, int j, double[] ref) {
        int[] c = cells[voterSlot[j]];
        int pos = voterStart[j];
        int acc = 0;
        double d = 0;
        for (int b = 0; b < bins; b++) {
            int upTo = ((code * bins + b + 1) << COUNT_BITS);
            while (pos < voterEnd[j] && c[pos] < upTo) {
                acc += c[pos] & COUNT_MASK;
                pos++;
            }
            d = Math.max(d, ref[b] - (double) acc / voterTotal[j]);
        }
        return d;
    }

    /**
     * Holds class {@code code}'s reference to at most {@link #slack} above (less confident than) its
     * anchor in every bin: the reference it had when first formed, moved to the held reference every
     * {@link #ANCHOR_MILLIS}. Keys that stay trusted against a reference they make most of (a rare
     * class's) could otherwise drift it report after report without bound; now by at most {@code
     * slack} a day.
     */
    private void anchor(int code, double[] cdf, long now) {
        double[] a = anchors[code];
        if (a == null) {
            anchors[code] = cdf.clone();
            anchoredAt[code] = now;
            return;
        }
        for (int b = 0; b < bins; b++) {
            cdf[b] = Math.min(cdf[b], a[b] + slack);
        }
        if (now - anchoredAt[code] >= ANCHOR_MILLIS) {
            System.arraycopy(cdf, 0, a, 0, bins);
            anchoredAt[code] = now;
        }
    }

    /**
     * The reference {@code slot}'s trusted key is compared with, from the class counts it last
     * reported: sum over its classes of (the class's share of its tracked answers) x (the class's own
     * reference, or {@code fallback} for a class without one), into {@code out}. False (out untouched)
     * when the slot holds no counts.
     */
    boolean mixtureOf(int slot, double[] fallback, double[] out, long now) {
        if (slot < 0 || slot >= cells.length || cellCount[slot] == 0) {
            return false;
        }
        refresh(now);
        int[] c = cells[slot];
        int n = cellCount[slot];
        int total = 0;
        for (int k = 0; k < n; k++) {
            total += c[k] & COUNT_MASK;
        }
        Arrays.fill(out, 0);
        int k = 0;
        while (k < n) {
            int code = (c[k] >>> COUNT_BITS) / bins;
            int count = 0;
            while (k < n && (c[k] >>> COUNT_BITS) / bins == code) {
                count += c[k] & COUNT_MASK;
                k++;
            }
            double[] r = code < classes && present[code] ? cdfs[code] : fallback;
            double share = (double) count / total;
            for (int b = 0; b < bins; b++) {
                out[b] += share * r[b];
            }
        }
        return true;
    }

    /** The first index in c[0..n) whose value is at least {@code key} (c is sorted). */
    private static int lowerBound(int[] c, int n, int key) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (c[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
