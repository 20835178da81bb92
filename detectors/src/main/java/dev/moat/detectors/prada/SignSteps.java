package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.FloatOrder.differs;
import static dev.moat.detectors.prada.FloatOrder.greater;
import static dev.moat.detectors.prada.FloatOrder.key;
import static dev.moat.detectors.prada.FloatOrder.select;
import static dev.moat.detectors.prada.FloatOrder.selectBits;

import java.util.Arrays;

/**
 * PRADA's secondary test: is a query a sign step away from a stored one? Jacobian-based dataset
 * augmentation (Papernot et al., AsiaCCS 2017) and the FGSM-family attacks PRADA's authors
 * evaluate (I-FGSM, MI-FGSM, T-RND) query {@code x' = clip(x + lambda * sign(g))}: the displacement
 * from an earlier query has the same magnitude lambda in every coordinate that moved. Its length,
 * lambda * sqrt(moved), is the same for every synthetic query, which keeps PRADA's distance
 * distribution normal-looking (W ~ 0.98 on JbDA); its shape is what gives it away.
 *
 * <p>The displacement d from the nearest stored query (over the coordinates compared: all of them
 * for narrow inputs, the key's sample of raw coordinates for wide ones) counts as a step when at
 * least {@value #MIN_MOVED} coordinates moved, their median move is at least {@code minStep}, and
 * one of four shapes holds:
 * <ol>
 *   <li><b>equal</b>: at least {@value #AGREEMENT} of the moved coordinates moved by the median
 *       magnitude, within {@value #TOLERANCE} of it (plus the stored row's quantisation error): plain
 *       JbDA/FGSM, also when clipping at the bounds leaves some coordinates short;</li>
 *   <li><b>flat</b>: at least {@value #FLAT_MIN_MOVED} coordinates (and {@value #MIN_DENSE} of the
 *       compared ones) moved and either the largest move is at most the larger of {@value #MAX_CREST}
 *       and {@link NoiseLimits#crestLimit} times the root mean square move, or, over the moves that did not end
 *       at a clip value (at least {@value #FLAT_MIN_MOVED}; see {@link #flatInside}), the largest is
 *       at most {@link NoiseLimits#crestLimit} times their root mean
 *       square (a sign step has crest factor 1, steps of
 *       uniformly random size per coordinate 1.4-1.73; natural neighbours, whose differences sit in a
 *       few strokes or edges, are well above, and so is Gaussian noise, an honest client re-sending an
 *       image with fresh sensor noise: the limit for n moves is the level the largest of n normal
 *       magnitudes stays below with probability {@value NoiseLimits#FLAT_NOISE_PASS}, so it grows with n, 1.62
 *       at 48 to 2.05 at 128). Moves that ended at a clip value are left out
 *       of the crest: clipping cuts them short (before, clipped JbDA with random sizes U(0, 2) on
 *       1,024-wide digits had crest factors of 1.75-2.0 and passed none of the shapes).
 *       With fewer moved coordinates (64-feature inputs) only the other two shapes count, because
 *       noise and random-size steps cannot be told apart there. A flat displacement that is smooth
 *       across neighbouring compared coordinates ({@link Smoothness}: series windows, brightness
 *       changes) is no step, nor one between two records ({@link NaturalPairs}: query and parent with
 *       the same local variation, windows of one series), nor one whose mean signed move exceeds the spread about it unless it
 *       is also flat about that centre ({@link #centredFlat}: a common offset plus noise, an
 *       image's background level or exposure re-sent with sensor noise, has a low crest);</li>
 *   <li><b>repeat</b>: the moves agree, coordinate by coordinate within the same tolerance, with
 *       the last move the key made in that coordinate on at least half of the coordinates that moved
 *       now and before (and those are at least half of the moved ones): steps scaled per feature,
 *       {@code eps * range_j * sign(g_j)}, have the same magnitude in coordinate j every time,
 *       whatever the ranges, also when each step moves only a fraction of the coordinates. Moves
 *       between levels of the key's own lattice do not count ({@link RepeatedMoves#repeats}): a customer who
 *       rounds its records to levels repeats a level's width too.</li>
 *   <li><b>even</b> ({@link #even}, narrow inputs, where a step moves too few coordinates for the
 *       flat shape): at least as many of the moves reach half the largest as Gaussian noise of that
 *       many moves does with probability {@value NoiseLimits#EVEN_NOISE_PASS}: random sizes put half their
 *       moves there, noise a fifth; not moves on a lattice of the data's own, nor periodic ones.</li>
 * </ol>
 * Before the shapes, two kinds of move are left out as if the coordinate had not moved (issue 9, an
 * attacker who read the README): moves over {@value #FAR_MOVE} times the median move (outliers that
 * move, planted in fresh coordinates every query to raise the floor's scale or spoil the crest), and,
 * with at least {@value #FLAT_MIN_MOVED} moves, moves between two values within a band ({@link
 * #CLIP_BAND} of the end values' spread) of the lowest or the highest end value (a coordinate at a
 * bound that stays there: clipping leaves it unmoved, clipped values jittered off the bound so that
 * they do not tie move it by a sliver, which pulled the crest's root mean square down). Moves that
 * ended within that band are also taken as clipped in {@link #flatInside}.
 *
 * <p>Natural neighbours, Gaussian noise and interpolations fail the first three (on the digits data at most
 * 7% of the moved coordinates agree with the median for honest, random, knockoff and boundary
 * traffic; 80-100% for JbDA). The floor on the step keeps re-encoded copies of one image (every
 * pixel off by one grey level) from counting. Not thread-safe: scratch buffers per detector.
 *
 * <p>Asked by {@link PradaDetector} (a query against its nearest stored one: {@link #isStepKeyed},
 * and {@link #isFlatScaled} against the key's recent rows) and {@link CrossKeyParents} (against other
 * keys' candidate parents: {@link #isStepAcross}); both then ask {@link #lastDigits} of a wide pair
 * that passed. This class holds the entry points, the far, stuck and clip passes and the equal, flat
 * and even shapes; beside it: the repeat shape and its history ({@link RepeatedMoves}), the data's
 * own moves that no shape counts ({@link DataMoves}, {@link LastDigits}), the noise-calibrated limits
 * ({@link NoiseLimits}) and the branchless order keys and selection ({@link FloatOrder}).
 */
final class SignSteps {

    static final int MIN_MOVED = 8;
    static final double AGREEMENT = 0.5;
    static final double TOLERANCE = 0.03;
    static final double MIN_DENSE = 0.25;
    /**
     * A move is resolved when the stored row's quantisation error is at most this share of it: the
     * equal and repeat shapes compare magnitudes within {@value #TOLERANCE} plus that error, so on
     * unresolved moves they would agree by chance. Steps of at least 2% of a single-scale row's range
     * are resolved (the error is 0.2% of it); on inputs whose features span several orders of
     * magnitude (tabular data) the small features' moves are not.
     */
    static final double RESOLVED = 0.125;

    static final int FLAT_MIN_MOVED = 48;

    /**
     * The even shape judges displacements of this many moved coordinates up to {@value
     * #FLAT_MIN_MOVED} (exclusive), where the crest cannot tell random sizes from noise.
     */
    static final int EVEN_MIN_MOVED = 16;

    /** {@link #periodic}: a displacement whose moves correlate so with themselves at some lag is a periodic signal's. */
    static final double PERIODIC = 0.7;

    /**
     * The even shape judges displacements over fewer compared coordinates than this: narrow inputs,
     * where a step cannot move the flat shape's {@value #FLAT_MIN_MOVED}. A wide key's sample (128
     * coordinates) is left to the flat shape, which random sizes pass there; under 48 of its 128 moved
     * is a sparse displacement, such as an object's shift on a black background (test-time
     * augmentation: {@code HonestDataShapesTest.testTimeAugmentationOfObjectsOnABlackBackgroundIsNoRepeatedSteps}
     * flagged a customer when the even shape judged it).
     */
    static final int EVEN_MAX_COMPARED = 2 * FLAT_MIN_MOVED;

    /** The even shape: moves on a lattice whose unit is at least this many tolerances are the data's own ({@link #onLattice}). */
    static final int EVEN_UNIT = 4;

    static final double MAX_CREST = 1.75;
    /**
     * The floor's scale is the value that 1 in SCALE_RANK of the moved coordinates reach or exceed (in
     * the query or its parent): moving outliers in fewer coordinates than that do not raise it.
     */
    static final int SCALE_RANK = 16;
    /** Under 2 * SCALE_RANK moves the scale is this many times the largest value compared. */
    static final float FEW_MOVES_SLACK = 2f;

    /**
     * Moves over FAR_MOVE times the median move are left out (outliers that move): a floor of 2% of the
     * scale can only be passed by a median of 2% of it, so nothing under a third of the scale is left out.
     */
    static final float FAR_MOVE = 16f;
    /** Moves that ended within this share of the end values' spread of either extreme count as clipped. */
    static final float CLIP_BAND = 1f / 64;

    private final float[] magnitudes;
    private final float[] current;
    private final float[] spare;
    /** The moved coordinates' values in x, in coordinate order (then sorted, for {@link #flatInside}). */
    private final float[] endpoints;
    /** The moved coordinates' max(|x_i|, |parent_i|), for the floor's scale (scrambled by the selection). */
    private final float[] scales;
    /** {@link #lastDigits}' test, with its own scratch (it calls {@link #isStepAcross}, which uses the others). */
    private final LastDigits digits;

    /** {@link #isStepAcross}' moves in coordinate order, and their bits (for its selection, which scrambles them). */
    private final float[] ordered;

    private final int[] moveBits;
    private final int[] spareBits;
    /** {@link RepeatedMoves#repeats}' coordinates whose move repeats the last one. */
    private final int[] sameAt;

    SignSteps(int dims) {
        this.magnitudes = new float[dims];
        this.deltas = new float[dims];
        this.tones = new Tones(dims);
        this.shiftScratch = new float[dims];
        this.shiftSpare = new float[dims];
        this.ordered = new float[dims];
        this.moveBits = new int[dims];
        this.spareBits = new int[dims];
        this.sameAt = new int[dims];
        this.current = new float[dims];
        this.spare = new float[dims];
        this.endpoints = new float[dims];
        this.scales = new float[dims];
        this.digits = new LastDigits(dims);
        int slots = Integer.highestOneBit(Math.max(2, dims) * 2 - 1) << 1;
        this.seenBits = new int[slots];
        this.seenStamp = new int[slots];
    }

    /** The values {@link #findTies} has met this call: open addressing, a slot live while its stamp is the call's. */
    private final int[] seenBits;

    private final int[] seenStamp;
    private int stamp;
    /** The moved values' scratch, for tests. */
    float[] endpointsForTest() {
        return endpoints;
    }

    /** What {@link #lowestEnds} found: the second lowest and second highest of the moved values. */
    private float low2;

    private float high2;

    /**
     * The second lowest and second highest of {@code endpoints[0..moved)} (a lone outlier skipped), into
     * low2, high2; the lowest and highest themselves into lowestEnd, highestEnd (for {@link #isStepAcross}).
     */
    private void lowestEnds(int moved) {
        float low1 = Float.POSITIVE_INFINITY;
        float lowSecond = Float.POSITIVE_INFINITY;
        float high1 = Float.NEGATIVE_INFINITY;
        float highSecond = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < moved; k++) {
            float v = endpoints[k];
            if (v < lowSecond) {
                lowSecond = Math.max(v, low1);
                low1 = Math.min(v, low1);
            }
            if (v > highSecond) {
                highSecond = Math.min(v, high1);
                high1 = Math.max(v, high1);
            }
        }
        low2 = lowSecond;
        high2 = highSecond;
        lowestEnd = low1;
        highestEnd = high1;
    }

    /** What {@link #findTies} found: the lowest and highest value at least two moves ended at, or NaN. */
    float lowTie;

    float highTie;

    /**
     * The lowest and the highest of the values {@code endpoints[0..moved)} that occur at least twice
     * (NaN if none), as a sort of them would find by comparing neighbours, in one pass over a hash
     * set instead of a sort (the sort was 11 % of the engine's CPU at 3,072 inputs: every natural
     * query that fails the all-moves crest reaches it). The values never hold NaN (a NaN move is no
     * move) and -0 is stored as 0, so equal bits are equal values.
     */
    void findTies(int moved) {
        if (++stamp == 0) {
            Arrays.fill(seenStamp, 0);
            stamp = 1;
        }
        int mask = seenBits.length - 1;
        float low = Float.NaN;
        float high = Float.NaN;
        for (int k = 0; k < moved; k++) {
            float v = endpoints[k];
            int bits = Float.floatToRawIntBits(v);
            int h = (bits * 0x9E3779B9) >>> 16 & mask;
            while (seenStamp[h] == stamp && seenBits[h] != bits) {
                h = (h + 1) & mask;
            }
            if (seenStamp[h] == stamp) {
                if (!(v >= low)) {
                    low = v;
                }
                if (!(v <= high)) {
                    high = v;
                }
            } else {
                seenStamp[h] = stamp;
                seenBits[h] = bits;
            }
        }
        lowTie = low;
        highTie = high;
    }

    /**
     * The flat shape over the moves that were not clipped: at least {@value #FLAT_MIN_MOVED} of them,
     * the largest at most {@link NoiseLimits#crestLimit} times their root mean square. Reads {@link #current}
     * (the moved magnitudes by coordinate) and {@link #endpoints} (the moved values).
     *
     * <p>A move counts as clipped when it ended at a known bound ({@code lo}, {@code hi}) or at this
     * displacement's own clip values: the lowest and the highest value that at least two moved
     * coordinates ended at exactly, or a value within {@link #CLIP_BAND} of the end values' spread of
     * the second lowest or second highest end value (clipped values jittered off the bound). Clipping leaves every move it cut short at the bound's value, while
     * moves of continuous random size practically never end on the same value twice; values below the
     * lowest tie (or above the highest) that only one coordinate reached are skipped, so one moving
     * outlier does not hide the bound. The bounds are not the key's extremes: one query with an
     * outlier value moved those out for good (issue 9's review), and coordinates that did not move
     * (outliers planted at the same place in every query) do not count here. Only the lowest and
     * highest tie, not every tie, so inputs on a grid (whole numbers 0..255, where moves tie by
     * chance) keep the moves inside the range.
     */
    private boolean flatInside(float[] x, int n, int moved, float lo, float hi) {
        findTies(moved);
        float lowTie = this.lowTie;
        float highTie = this.highTie;
        // the second lowest and second highest end value (a lone outlier skipped): moves that ended
        // within a band of them are taken as clipped too, so clipped values jittered off the bound
        // (so that they do not tie) still are
        lowestEnds(moved);
        float band = CLIP_BAND * (high2 - low2);
        float lowEdge = low2 + band;
        float highEdge = high2 - band;
        int inner = 0;
        double sumSq = 0;
        float innerMax = 0;
        for (int i = 0; i < n; i++) {
            float d = current[i];
            float v = x[i];
            if (d > 0 && v > lo && v < hi && v != lowTie && v != highTie && v > lowEdge && v < highEdge) {
                inner++;
                sumSq += (double) d * d;
                innerMax = Math.max(innerMax, d);
            }
        }
        innerCount = inner;
        innerLowEdge = lowEdge;
        innerHighEdge = highEdge;
        return inner >= FLAT_MIN_MOVED && innerMax <= NoiseLimits.crestLimit(inner) * Math.sqrt(sumSq / inner);
    }

    /** What the last {@link #flatInside} counted: its unclipped moves, and the band's edges it used (with lowTie, highTie). */
    private int innerCount;

    private float innerLowEdge;
    private float innerHighEdge;

    /**
     * {@link #centredFlat} over the unclipped moves when at least {@value #FLAT_MIN_MOVED} are left
     * (limit {@link NoiseLimits#crestLimit} of their count), else over every move (limit {@code allLimit}):
     * clipping cuts moves short, so a clipped step's centre is judged on the moves that did not end at
     * a clip value, as the flat shape's crest is.
     */
    private boolean centred(
            float[] x,
            float[] parent,
            int n,
            float lo,
            float hi,
            int inner,
            float lowEdge,
            float highEdge,
            float lowTie,
            float highTie,
            double allLimit) {
        return inner >= FLAT_MIN_MOVED
                ? centredFlat(x, parent, n, lo, hi, lowEdge, highEdge, lowTie, highTie, NoiseLimits.crestLimit(inner))
                : centredFlat(
                        x,
                        parent,
                        n,
                        Float.NEGATIVE_INFINITY,
                        Float.POSITIVE_INFINITY,
                        Float.NEGATIVE_INFINITY,
                        Float.POSITIVE_INFINITY,
                        Float.NaN,
                        Float.NaN,
                        allLimit);
    }

    /**
     * The flat shape's centred twin (issue 9, smooth3: honest smooth images flagged), over the moves
     * {@code current[i] > 0} with {@code x[i]} strictly inside {@code lo, hi} and the edges and not at
     * a tie (pass infinite edges and NaN ties for every move). A displacement {@code c + e_j} (a
     * common offset c, an image's background level or exposure, plus noise e) has moves of magnitude
     * about c, so with c two or three times the noise its crest factor is low and it passed the flat
     * shape (smooth 784-pixel images against another record of the key: 95 % of the moves one sign,
     * crest 1.9-2.05, the limit 2.05); the limit is calibrated on noise centred on 0, and its moves
     * less their mean are the noise, whose crest is a Gaussian's. True when the mean signed move is
     * under the root mean square spread about it (then the magnitudes' crest is the flat shape's to
     * judge, as before), or when the signed moves less their mean, or the sizes less their mean size,
     * have a crest of at most {@code limit}. A sign step is flat about its centre: mixed signs give a
     * centre near 0; one sign (clipping at a bound leaves only the moves away from it, background
     * pixels of digits) leaves sizes from a bounded spread (uniform sizes: crest sqrt(3)), and equal
     * sizes have no spread at all. What is left to an attacker: sizes that spread about their mean
     * like Gaussian noise on a common offset over that spread, which Gaussian sizes without the offset
     * already got ({@code CentredFlatShapeTest}). Runs only after a crest test passed (two passes over
     * the n compared coordinates).
     */
    private boolean centredFlat(
            float[] x,
            float[] parent,
            int n,
            float lo,
            float hi,
            float lowEdge,
            float highEdge,
            float lowTie,
            float highTie,
            double limit) {
        int count = 0;
        double signedSum = 0;
        double sizeSum = 0;
        for (int i = 0; i < n; i++) {
            float m = current[i];
            float v = x[i];
            if (m > 0 && v > lo && v < hi && v != lowTie && v != highTie && v > lowEdge && v < highEdge) {
                count++;
                signedSum += x[i] >= parent[i] ? m : -m;
                sizeSum += m;
            }
        }
        if (count == 0) {
            return false;
        }
        double offset = signedSum / count;
        double size = sizeSum / count;
        double spreadSq = 0;
        double spreadMax = 0;
        double sizeSq = 0;
        double sizeMax = 0;
        for (int i = 0; i < n; i++) {
            float m = current[i];
            float v = x[i];
            if (m > 0 && v > lo && v < hi && v != lowTie && v != highTie && v > lowEdge && v < highEdge) {
                double a = (x[i] >= parent[i] ? m : -m) - offset;
                double b = m - size;
                spreadSq += a * a;
                spreadMax = Math.max(spreadMax, Math.abs(a));
                sizeSq += b * b;
                sizeMax = Math.max(sizeMax, Math.abs(b));
            }
        }
        double spread = Math.sqrt(spreadSq / count);
        // an offset under the spread about it leaves the magnitudes' crest to the flat shape; over it, the
        // moves less the offset, or the sizes less their mean, must be flat
        return Math.abs(offset) < spread || spreadMax <= limit * spread || sizeMax <= limit * Math.sqrt(sizeSq / count);
    }

    /**
     * True if x[0..n) differs from parent[0..n) by a step of at least minStep. {@code quantError} is
     * the largest error of the stored parent's coordinates; {@code prev} (n floats, or null) holds
     * the key's previous displacement magnitudes and is overwritten with this one's when it moved.
     */
    boolean isStep(float[] x, float[] parent, int n, float minStep, float quantError, float[] prev) {
        return isStep(x, parent, n, minStep, quantError, prev, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    }

    /**
     * As above; {@code lo} and {@code hi} are known bounds of the input values: a coordinate of x at
     * either is taken as clipped, as is one at this displacement's own clip values (see {@link
     * #flatInside}), and left out of the flat shape's crest factor.
     */
    boolean isStep(
            float[] x, float[] parent, int n, float minStep, float quantError, float[] prev, float lo, float hi) {
        return isStep(x, parent, n, minStep, 0, 0, quantError, prev, lo, hi);
    }

    /**
     * As above, with the smallest step relative to the input scale: the median move must be at least
     * {@code stepFraction} times the smaller of {@code keyScale} (the largest |value| the key has
     * sent) and the value that a sixteenth of the moved coordinates reach, in this query or its parent
     * (1 in {@value #SCALE_RANK} of them, the 94th percentile of their max(|x_i|, |parent_i|); under
     * 32 moves, {@value #FEW_MOVES_SLACK} times the largest value of the query or its parent in any
     * compared coordinate). The second term
     * keeps one query with an outlier value (sent once, it stays the key's largest for good) from
     * raising the floor over every later step; coordinates that did not move do not count, so outliers
     * planted in every query at the same place do not either, and outliers that move count only once
     * they are in a sixteenth of the moved coordinates (which spoils the equal shape's median soon after).
     */
    boolean isStepScaled(
            float[] x, float[] parent, int n, float stepFraction, float keyScale, float quantError, float[] prev) {
        return isStep(
                x,
                parent,
                n,
                0,
                stepFraction,
                keyScale,
                quantError,
                prev,
                Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY);
    }

    /**
     * {@link #isStepScaled} with no history ({@code prev} null) and no known bounds, as {@code
     * cross_key} asks it for each candidate parent: the same answer on every input, in fewer passes
     * and without data-dependent branches in them. The far-move test counts the moves under a
     * sixteenth of the largest instead of selecting the median first (the median is under largest /
     * 16 exactly when more than half of them are), so the median is selected once (twice only when
     * far moves and then stuck coordinates are dropped, as isStep does); dropping the far moves, and
     * the stuck coordinates, each re-gathers the moves left in the same pass; the floor's moved scale
     * (a selection) is skipped when the median already reaches {@code stepFraction * keyScale}, which
     * the floor never exceeds; the agreement count and the flat shape over the unclipped moves share
     * one pass; and the clip values need no hash pass when the lowest and the highest end value each
     * occur twice (then they are the ties, and the band round them leaves them out already). A median
     * under {@code stepFraction * keyScale}, or a fraction of 0, goes to {@link #isStepScaled} itself.
     * On 4,500 honest candidate pairs of 128 coordinates (3,072-wide noisy digits, the three nearest
     * of 4,096) about 4.2 us of thread CPU against 6.8 for isStepScaled, loaded machine. Since then
     * (issue 9's seventh round) the comparisons whose answer is a coin flip on natural rows (stuck,
     * agreeing, inner) are made on int order keys ({@link FloatOrder#key}), which C2 compiles without a
     * branch (a float comparison it compiles to one), the median is selected on the moves' bits
     * ({@link FloatOrder#selectBits}), the end values come out of the far-count and the stuck passes instead of
     * passes of their own, and the last pass reads the gathered moves, not every coordinate: on
     * 30,000 candidate pairs of the benchmark's store (400 of them cycled, so from cache) 3.0-3.3 us
     * against 3.4-3.7, loaded machine. Checked against isStepScaled by {@code SignStepsAcrossTest}.
     */
    boolean isStepAcross(float[] x, float[] parent, int n, float stepFraction, float keyScale, float quantError) {
        return isStepFast(x, parent, n, stepFraction, keyScale, quantError, null);
    }

    /**
     * {@link #isStepScaled} with the key's history {@code prev} (PRADA's test of a query against its
     * nearest member): the same answer, and {@code prev} left as isStepScaled leaves it, on every
     * input, in the passes of {@link #isStepAcross} (issue 9's ninth round: isStepScaled was 23 % of
     * the engine's worker at 3,072 inputs, on the benchmark's honest pairs about 2.5 times
     * isStepAcross' time). The repeat shape is counted over the moves left after the far and stuck
     * ones are dropped, and prev takes them, as in isStepScaled; a median under {@code stepFraction *
     * keyScale} (or a fraction of 0) goes to isStepScaled itself, before prev is touched. Checked
     * against isStepScaled, prev included, by {@code SignStepsAcrossTest}.
     */
    boolean isStepKeyed(
            float[] x, float[] parent, int n, float stepFraction, float keyScale, float quantError, float[] prev) {
        return isStepFast(x, parent, n, stepFraction, keyScale, quantError, prev);
    }

    /**
     * Whether a wide pair that passed for a sign step is the data's last digit moving: {@link
     * LastDigits#lastDigits} with no population level or lattice, asked with this test's scratch.
     */
    boolean lastDigits(double[] in, float[] q, float[] p, int n, float quantError, float stepFraction, float keyScale) {
        return lastDigits(in, q, p, n, quantError, stepFraction, keyScale, Float.NaN, Float.NaN);
    }

    /**
     * As above, with the population's level {@code dataLevel} and lattice {@code dataUnit} (NaN: none):
     * {@link LastDigits#lastDigits}, which asks {@link #isStepAcross} of what is left with the last
     * digits undone.
     */
    boolean lastDigits(
            double[] in,
            float[] q,
            float[] p,
            int n,
            float quantError,
            float stepFraction,
            float keyScale,
            float dataLevel,
            float dataUnit) {
        return digits.lastDigits(this, in, q, p, n, quantError, stepFraction, keyScale, dataLevel, dataUnit);
    }

    private boolean isStepFast(
            float[] x, float[] parent, int n, float stepFraction, float keyScale, float quantError, float[] prev) {
        if (!(stepFraction > 0)) {
            return isStepScaled(x, parent, n, stepFraction, keyScale, quantError, prev);
        }
        float floor = Math.max(quantError, 0f);
        int[] moveBits = this.moveBits;
        float[] ordered = this.ordered;
        float[] endpoints = this.endpoints;
        float[] current = this.current;
        // Every pass below writes each coordinate's value and then counts it or not, and adds a move
        // that is not counted as +0 (which changes no sum), so that whether a coordinate moved, stayed
        // or is inner costs no branch: on natural rows those are coin flips, and their mispredictions
        // were most of the test's time. A float comparison whose answer is a coin flip is made on the
        // values' order keys (ints, see key), since C2 compiles it to a branch. The moves are gathered
        // twice: as bits into moveBits, which the median's selection (on the bits: a positive float's
        // bits order as it does) scrambles, and into ordered, in coordinate order, which the last pass
        // reads with endpoints instead of going over every coordinate again.
        int moved = 0;
        float largest = 0;
        // moved: d > floor on ints (a coin flip on natural rows, where a quarter or more of the
        // coordinates stay put, and C2 compiled the float comparison to a branch). floor is +0 or
        // more, or NaN (then nothing moved); d is an absolute value, so its bits order as it does,
        // and a NaN d (bits over +inf's, or negative) moved as little as the float test said
        int floorBits = floor != floor ? Integer.MAX_VALUE : Float.floatToRawIntBits(floor);
        for (int i = 0; i < n; i++) {
            float xi = x[i];
            float d = Math.abs(xi - parent[i]);
            int bits = Float.floatToRawIntBits(d);
            int in = greater(bits, floorBits) & greater(0x7F800001, bits);
            moveBits[moved] = bits;
            ordered[moved] = d;
            endpoints[moved] = xi + 0f; // -0 as 0, as == compares them
            moved += in;
            float kept = Float.intBitsToFloat(bits & -in);
            current[i] = kept;
            largest = kept > largest ? kept : largest;
        }
        if (moved < MIN_MOVED) {
            return false;
        }
        // FAR_MOVE * median < largest exactly when more than moved / 2 moves m have FAR_MOVE * m < largest;
        // the same pass finds the end values lowestEnds would (used when no move is far)
        int under = 0;
        float low1 = Float.POSITIVE_INFINITY;
        float lowSecond = Float.POSITIVE_INFINITY;
        float high1 = Float.NEGATIVE_INFINITY;
        float highSecond = Float.NEGATIVE_INFINITY;
        // the moves kept are positive (over a floor of at least 0, not NaN) and so is largest: their
        // bits order as they do, and an int comparison costs no branch (a float one compiled to a
        // branch that is a coin flip on natural rows)
        int largestBits = Float.floatToRawIntBits(largest);
        for (int k = 0; k < moved; k++) {
            under += greater(largestBits, Float.floatToRawIntBits(FAR_MOVE * ordered[k]));
            float v = endpoints[k];
            if (v < lowSecond) {
                lowSecond = Math.max(v, low1);
                low1 = Math.min(v, low1);
            }
            if (v > highSecond) {
                highSecond = Math.min(v, high1);
                high1 = Math.max(v, high1);
            }
        }
        boolean far = under > moved / 2;
        float median = Float.NaN;
        if (far) {
            // as isStep: the median of every move, the far ones dropped and the rest gathered, and
            // that median kept unless stuck coordinates are dropped below
            median = Float.intBitsToFloat(selectBits(moveBits, spareBits, moved, moved / 2));
            float farMove = FAR_MOVE * median;
            // d > 0 && !(d > farMove) on ints: current holds +0 or a positive move, farMove is positive
            int farBits = Float.floatToRawIntBits(farMove);
            moved = 0;
            for (int i = 0; i < n; i++) {
                float d = current[i];
                int bits = Float.floatToRawIntBits(d);
                int in = differs(bits, 0) & (1 - greater(bits, farBits));
                moveBits[moved] = bits;
                ordered[moved] = d;
                endpoints[moved] = x[i] + 0f;
                moved += in;
                current[i] = Float.intBitsToFloat(bits & -in);
            }
            if (moved < MIN_MOVED) {
                return false;
            }
            if (moved >= FLAT_MIN_MOVED) {
                lowestEnds(moved);
                lowSecond = low2;
                highSecond = high2;
            }
        }
        int stayed = 0;
        boolean ends = false;
        // the even shape judges only displacements that moved too few coordinates for the flat one before
        // any stuck one is dropped (a noisy re-send's clipped coordinates, dropped, would leave it the rest)
        boolean few = moved < FLAT_MIN_MOVED;
        if (moved >= FLAT_MIN_MOVED) {
            // a coordinate that sat within the band of the lowest (highest) end value and stays there
            // did not move (isStep's stuck coordinates): dropped, and the moves left gathered; the
            // same pass finds the end values of the moves left (as lowestEnds of them would)
            float band = CLIP_BAND * (highSecond - lowSecond);
            float lowEdge = lowSecond + band;
            float highEdge = highSecond - band;
            // stuck low: both ends at or under lowEdge, so the larger end's key at most lowEdge's (an
            // edge that is NaN holds nothing; a moved coordinate's ends are never NaN)
            int lowKey = lowEdge != lowEdge ? Integer.MIN_VALUE : key(lowEdge);
            int highKey = highEdge != highEdge ? Integer.MAX_VALUE : key(highEdge);
            // the end values' keys (a value not kept counts as the largest key for the lowest ends and
            // the smallest for the highest; at least MIN_MOVED are kept when they are read)
            int lowKey1 = Integer.MAX_VALUE;
            int lowKey2 = Integer.MAX_VALUE;
            int highKey1 = Integer.MIN_VALUE;
            int highKey2 = Integer.MIN_VALUE;
            int kept = 0;
            for (int i = 0; i < n; i++) {
                float d = current[i];
                float xi = x[i];
                int kx = key(xi);
                int kp = key(parent[i]);
                int free = greater(Math.max(kx, kp), lowKey) & greater(highKey, Math.min(kx, kp));
                // d > 0 on ints (current holds +0 or a positive move)
                int is = differs(Float.floatToRawIntBits(d), 0);
                int in = is & free;
                stayed += is - in;
                moveBits[kept] = Float.floatToRawIntBits(d);
                ordered[kept] = d;
                endpoints[kept] = xi + 0f;
                kept += in;
                // a stuck move cleared to +0, as isStep clears it (the repeat shape and the lattice read current)
                current[i] = Float.intBitsToFloat(Float.floatToRawIntBits(d) & -in);
                int kLow = (kx & -in) | (Integer.MAX_VALUE & (in - 1));
                int kHigh = (kx & -in) | (Integer.MIN_VALUE & (in - 1));
                lowKey2 = Math.min(lowKey2, Math.max(kLow, lowKey1));
                lowKey1 = Math.min(lowKey1, kLow);
                highKey2 = Math.max(highKey2, Math.min(kHigh, highKey1));
                highKey1 = Math.max(highKey1, kHigh);
            }
            moved = kept;
            if (moved < MIN_MOVED) {
                return false;
            }
            low1 = Float.intBitsToFloat(key(lowKey1));
            lowSecond = Float.intBitsToFloat(key(lowKey2));
            high1 = Float.intBitsToFloat(key(highKey1));
            highSecond = Float.intBitsToFloat(key(highKey2));
            ends = true;
        }
        if (!far || stayed > 0) {
            median = Float.intBitsToFloat(selectBits(moveBits, spareBits, moved, moved / 2));
        }
        // the floor is stepFraction * min(keyScale, movedScale), never over stepFraction * keyScale
        if (!(median >= stepFraction * keyScale)) {
            return isStepScaled(x, parent, n, stepFraction, keyScale, quantError, prev);
        }
        // from here the floor is stepFraction * keyScale <= median, so isStep reaches the shapes: the
        // repeat shape first, prev then updated with the moves left (current holds +0 or a positive
        // move, never NaN, so "moved" is its bits being non-zero and the copy costs no branch)
        boolean repeat = prev != null && RepeatedMoves.repeats(prev, x, parent, n, quantError, moved, current, sameAt);
        if (prev != null) {
            for (int i = 0; i < n; i++) {
                int c = Float.floatToRawIntBits(current[i]);
                int m = -differs(c, 0);
                prev[i] = Float.intBitsToFloat(
                        (RepeatedMoves.remembered(current[i], x[i]) & m) | (Float.floatToRawIntBits(prev[i]) & ~m));
            }
        }
        float tol = (float) (TOLERANCE * median) + quantError;
        boolean resolved = quantError <= RESOLVED * median;
        boolean flat = moved >= FLAT_MIN_MOVED && moved >= MIN_DENSE * n;
        float lowEdge = Float.POSITIVE_INFINITY;
        float highEdge = Float.NEGATIVE_INFINITY;
        float lowTie = Float.NaN;
        float highTie = Float.NaN;
        if (flat) {
            if (!ends) {
                // not reached (flat needs FLAT_MIN_MOVED moves, so the stuck pass ran); kept for safety
                lowestEnds(moved);
                low1 = lowestEnd;
                lowSecond = low2;
                high1 = highestEnd;
                highSecond = high2;
            }
            float band = CLIP_BAND * (highSecond - lowSecond);
            lowEdge = lowSecond + band;
            highEdge = highSecond - band;
            // the lowest end value, when it occurs twice, is the lowest tie, and at most lowEdge: the
            // band test below leaves it out already (the same for the highest); else find the ties
            if (!(lowSecond == low1 && highSecond == high1)) {
                findTies(moved);
                lowTie = this.lowTie;
                highTie = this.highTie;
            }
        }
        // inner: a value over lowEdge and -inf and under highEdge and +inf (an edge that is NaN holds
        // none) and no tie (a tie that is NaN, none, takes the key of the lower bound, never inner)
        int innerLow = lowEdge != lowEdge ? Integer.MAX_VALUE : Math.max(key(lowEdge), key(Float.NEGATIVE_INFINITY));
        int innerHigh =
                highEdge != highEdge ? Integer.MIN_VALUE : Math.min(key(highEdge), key(Float.POSITIVE_INFINITY));
        int lowTieKey = lowTie != lowTie ? innerLow : key(lowTie);
        int highTieKey = highTie != highTie ? innerLow : key(highTie);
        // agree: |move - median| at most tol (a NaN difference's bits, sign cleared, are over any tol's key)
        int tolKey = tol != tol ? Integer.MIN_VALUE : key(tol);
        // the sum of squares and largest of the moves left, in coordinate order as isStep's passes add
        // them (over the moves only: the coordinates that did not move added +0, which changes no sum)
        double sumSqAll = 0;
        largest = 0;
        int agree = 0;
        int inner = 0;
        double sumSq = 0;
        float innerMax = 0;
        for (int k = 0; k < moved; k++) {
            float d = ordered[k];
            int kv = key(endpoints[k]);
            sumSqAll += (double) d * d;
            largest = d > largest ? d : largest;
            agree += 1 - greater(Float.floatToRawIntBits(Math.abs(d - median)) & 0x7FFFFFFF, tolKey);
            int in = greater(kv, innerLow) & greater(innerHigh, kv) & differs(kv, lowTieKey) & differs(kv, highTieKey);
            inner += in;
            float k2 = Float.intBitsToFloat(Float.floatToRawIntBits(d) & -in);
            sumSq += (double) k2 * k2;
            innerMax = k2 > innerMax ? k2 : innerMax;
        }
        if (resolved
                && agree >= AGREEMENT * moved
                && !DataMoves.dataMoves(x, parent, n, moved, median, quantError, keyScale, current)) {
            return true;
        }
        if (flat) {
            double rmsAll = Math.sqrt(sumSqAll / moved);
            // the crest (over every move, or over the unclipped ones), then its centred twin (centredFlat),
            // which runs only when a crest passed
            double allLimit = Math.max(MAX_CREST, NoiseLimits.crestLimit(moved));
            boolean flatShape = (largest <= allLimit * rmsAll
                            || (inner >= FLAT_MIN_MOVED
                                    && innerMax <= NoiseLimits.crestLimit(inner) * Math.sqrt(sumSq / inner)))
                    && centred(
                            x,
                            parent,
                            n,
                            Float.NEGATIVE_INFINITY,
                            Float.POSITIVE_INFINITY,
                            inner,
                            lowEdge,
                            highEdge,
                            lowTie,
                            highTie,
                            allLimit);
            if (flatShape
                    && roughStep(x, parent, n)
                    && !DataMoves.twoRecords(x, parent, n, median, keyScale, current)) {
                return true;
            }
        }
        if (few && resolved && evenStep(x, parent, n, moved, largest, tol, median, keyScale)) {
            return true;
        }
        return repeat && !DataMoves.dataMoves(x, parent, n, moved, median, quantError, keyScale, current);
    }

    /** What {@link #lowestEnds} found besides low2 and high2: the lowest and the highest moved value. */
    private float lowestEnd;

    private float highestEnd;

    private boolean isStep(
            float[] x,
            float[] parent,
            int n,
            float minStep,
            float stepFraction,
            float keyScale,
            float quantError,
            float[] prev,
            float lo,
            float hi) {
        // not from keyScale, which an outlier query can make as large as it likes
        float floor = Math.max(quantError, stepFraction > 0 ? 0f : 1e-6f * minStep);
        int moved = 0;
        double sumSqAll = 0;
        float largest = 0;
        float allScale = 0;
        // no data-dependent branch (whether a coordinate moved is a coin flip on natural rows, and its
        // mispredictions were most of this pass): each move is written at the next slot and counted or
        // not, and a move not counted adds +0 to the sum and the maximum, which changes neither
        for (int i = 0; i < n; i++) {
            float xi = x[i];
            float pi = parent[i];
            float d = Math.abs(xi - pi);
            float scale = Math.max(Math.abs(xi), Math.abs(pi));
            allScale = Math.max(allScale, scale);
            int in = d > floor ? 1 : 0;
            float kept = Float.intBitsToFloat(Float.floatToRawIntBits(d) & -in);
            magnitudes[moved] = d;
            endpoints[moved] = xi + 0f; // -0 as 0, as == compares them
            scales[moved] = scale;
            moved += in;
            current[i] = kept;
            sumSqAll += (double) kept * kept;
            largest = Math.max(largest, kept);
        }
        if (moved < MIN_MOVED) {
            return false;
        }
        // the order statistic alone, not a sort: the agreement count and the crest need no order (a
        // sort of the moved magnitudes was 11 % of mode b's CPU in the load benchmark's profile)
        float median = select(magnitudes, spare, moved, moved / 2);
        float far = FAR_MOVE * median;
        if (largest > far) {
            // moves far beyond the median (outliers that move: values far outside the range, in fresh
            // coordinates every query) are no part of the step: they would set the floor's scale and
            // spoil the crest. Left out as if the coordinate had not moved.
            allScale = 0;
            for (int i = 0; i < n; i++) {
                if (current[i] > far) {
                    current[i] = 0;
                } else {
                    allScale = Math.max(allScale, Math.max(Math.abs(x[i]), Math.abs(parent[i])));
                }
            }
            moved = gather(x, parent, n);
            sumSqAll = gatheredSumSq;
            largest = gatheredLargest;
            if (moved < MIN_MOVED) {
                return false;
            }
        }
        // the even shape's condition, as in isStepFast
        boolean few = moved < FLAT_MIN_MOVED;
        if (moved >= FLAT_MIN_MOVED) {
            // a coordinate that sat at the lowest (highest) end value and stays within a band of it did
            // not move: clipping at a bound leaves it unmoved, and clipped values jittered off the bound
            // (so that they neither tie nor stay put) are no moves either
            lowestEnds(moved);
            float band = CLIP_BAND * (high2 - low2);
            float lowEdge = low2 + band;
            float highEdge = high2 - band;
            int stayed = 0;
            // without data-dependent branches: a stuck move's bits cleared (to +0, as assigning 0 would)
            for (int i = 0; i < n; i++) {
                float d = current[i];
                float xi = x[i];
                float pi = parent[i];
                int stuck =
                        (d > 0 ? 1 : 0) & ((xi <= lowEdge & pi <= lowEdge) | (xi >= highEdge & pi >= highEdge) ? 1 : 0);
                current[i] = Float.intBitsToFloat(Float.floatToRawIntBits(d) & (stuck - 1));
                stayed += stuck;
            }
            if (stayed > 0) {
                moved = gather(x, parent, n);
                sumSqAll = gatheredSumSq;
                largest = gatheredLargest;
                if (moved < MIN_MOVED) {
                    return false;
                }
                median = select(magnitudes, spare, moved, moved / 2);
            }
        }
        if (stepFraction > 0) {
            // the value a sixteenth of the moved coordinates reach: a few moving outliers do not set it;
            // with few moves, twice the largest value compared (a few moves on narrow inputs, such as
            // 13 features on scales 0.1..1,000, may all sit in the small features, and an honest
            // query's largest value may be well under the key's: at once, 0.36 -> 0.43 honest risk).
            // minStep is read only by the median test below and is never over stepFraction * keyScale,
            // so a median that reaches that passes whatever the moved scale: its selection is skipped
            // (most natural rows' moves are far over the floor)
            minStep = stepFraction * keyScale;
            if (!(median >= minStep)) {
                float movedScale = moved >= 2 * SCALE_RANK
                        ? select(scales, spare, moved, moved - 1 - moved / SCALE_RANK)
                        : FEW_MOVES_SLACK * allScale;
                minStep = stepFraction * Math.min(keyScale, movedScale);
            }
        }
        boolean repeat = prev != null && RepeatedMoves.repeats(prev, x, parent, n, quantError, moved, current, sameAt);
        if (prev != null) {
            // each coordinate remembers its last move, so steps that move a few coordinates at a time still meet
            for (int i = 0; i < n; i++) {
                if (current[i] > 0) {
                    prev[i] = Float.intBitsToFloat(RepeatedMoves.remembered(current[i], x[i]));
                }
            }
        }
        if (median < minStep) {
            return false;
        }
        float tol = (float) (TOLERANCE * median) + quantError;
        // a stored row's quantisation error more than RESOLVED of the median move leaves the magnitudes
        // unresolved: any moves near it would agree (13 features on scales 0.1..1,000 share one row step)
        boolean resolved = quantError <= RESOLVED * median;
        int agree = 0;
        // over current[], which holds every moved magnitude: select left magnitudes[] scrambled (no
        // data-dependent branch: a coordinate that did not move holds 0, which agrees only if the
        // median is within tol of 0, and is then taken out again)
        for (int i = 0; i < n; i++) {
            float d = current[i];
            agree += (d > 0 ? 1 : 0) & (Math.abs(d - median) <= tol ? 1 : 0);
        }
        if (resolved
                && agree >= AGREEMENT * moved
                && !DataMoves.dataMoves(x, parent, n, moved, median, quantError, keyScale, current)) {
            return true;
        }
        if (moved >= FLAT_MIN_MOVED && moved >= MIN_DENSE * n) {
            // over every move (clipped ones too), against the fixed limit or, if higher, the one
            // Gaussian noise of that many moves rarely meets
            double rmsAll = Math.sqrt(sumSqAll / moved);
            // over the unclipped moves, against the limit Gaussian noise of that many moves rarely meets;
            // either way not when the displacement is smooth (roughStep)
            // the crest (over every move, or over the unclipped ones: flatInside, which also finds those
            // for the centred twin), then its centred twin (centredFlat)
            double allLimit = Math.max(MAX_CREST, NoiseLimits.crestLimit(moved));
            boolean flatAll = largest <= allLimit * rmsAll;
            boolean flatIn = flatInside(x, n, moved, lo, hi);
            if ((flatAll || flatIn)
                    && centred(x, parent, n, lo, hi, innerCount, innerLowEdge, innerHighEdge, lowTie, highTie, allLimit)
                    && roughStep(x, parent, n)
                    && !DataMoves.twoRecords(x, parent, n, median, keyScale, current)) {
                return true;
            }
        }
        if (few && resolved && evenStep(x, parent, n, moved, largest, tol, median, keyScale)) {
            return true;
        }
        return repeat && !DataMoves.dataMoves(x, parent, n, moved, median, quantError, keyScale, current);
    }

    /** What {@link #gather} summed: the moves' sum of squares and the largest move. */
    private double gatheredSumSq;

    private float gatheredLargest;

    /**
     * Gathers the moves left in {@link #current} (after far or stuck ones were zeroed) into
     * {@link #magnitudes}, {@link #endpoints} and {@link #scales}, in coordinate order, as the first
     * pass does; returns how many, with their sum of squares and largest in the fields above.
     */
    private int gather(float[] x, float[] parent, int n) {
        int moved = 0;
        double sumSq = 0;
        float big = 0;
        // without data-dependent branches, as the first pass: current[] holds a move or +0, and +0
        // changes neither the sum nor the maximum
        for (int i = 0; i < n; i++) {
            float d = current[i];
            magnitudes[moved] = d;
            endpoints[moved] = x[i] + 0f;
            scales[moved] = Math.max(Math.abs(x[i]), Math.abs(parent[i]));
            moved += d > 0 ? 1 : 0;
            sumSq += (double) d * d;
            big = Math.max(big, d);
        }
        gatheredSumSq = sumSq;
        gatheredLargest = big;
        return moved;
    }

    /**
     * The even shape (issue 9, session 21: random-size JbDA on narrow inputs, whose steps move too
     * few coordinates for the flat shape; the 64-input digits' move 30-45), over fewer than {@value
     * #EVEN_MAX_COMPARED} compared coordinates: {@value #EVEN_MIN_MOVED} to {@value #FLAT_MIN_MOVED} - 1
     * coordinates (and {@value #MIN_DENSE} of the compared ones) moved, not all on one lattice
     * ({@link #onLattice}: whole grey levels, counts), and at least {@link NoiseLimits#evenCount} of them reach
     * half the largest move, and the moves are not periodic ({@link #periodic}: windows of a vibration).
     * Steps of uniformly
     * random size per coordinate put half their moves there (the sizes' upper half); Gaussian noise,
     * an honest client re-sending a record with fresh sensor noise, about a fifth, and reaches the
     * count with probability at most {@value NoiseLimits#EVEN_NOISE_PASS}; natural neighbours, whose differences
     * sit in a few strokes or features, fewer still. When the moves share a sign so much that their
     * mean signed move is over their spread about it (an offset plus noise: an exposure change
     * re-sent with sensor noise), the moves less that offset must be even too. Reads {@link #current}
     * (the moves left, +0 elsewhere).
     */
    private boolean even(float[] x, float[] parent, int n, int moved, float largest, float tol) {
        if (n >= EVEN_MAX_COMPARED
                || moved < EVEN_MIN_MOVED
                || moved >= FLAT_MIN_MOVED
                || moved < MIN_DENSE * n
                || !(largest > 0)) {
            return false;
        }
        float half = 0.5f * largest;
        int top = 0;
        float smallest = largest;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            float d = current[i];
            int in = d > 0 ? 1 : 0;
            top += d >= half ? 1 : 0;
            smallest = in == 1 ? Math.min(smallest, d) : smallest;
            double signed = in == 1 ? (double) x[i] - parent[i] : 0;
            sum += signed;
            sumSq += signed * signed;
        }
        int need = NoiseLimits.evenCount(moved);
        if (top < need || onLattice(x, n, smallest, tol) || periodic(x, parent, n)) {
            return false;
        }
        double offset = sum / moved;
        double spread = Math.sqrt(Math.max(0, sumSq / moved - offset * offset));
        if (Math.abs(offset) <= spread) {
            return true;
        }
        // an offset over the spread: the moves about it, as magnitudes, must be even too
        double big = 0;
        for (int i = 0; i < n; i++) {
            if (current[i] > 0) {
                big = Math.max(big, Math.abs((double) x[i] - parent[i] - offset));
            }
        }
        int topAbout = 0;
        for (int i = 0; i < n; i++) {
            if (current[i] > 0) {
                topAbout += Math.abs((double) x[i] - parent[i] - offset) >= 0.5 * big ? 1 : 0;
            }
        }
        return big > 0 && topAbout >= need;
    }

    /** The even shape ({@link #even}) and the flat shape's last exemptions: not smooth, not two records. */
    private boolean evenStep(
            float[] x, float[] parent, int n, int moved, float largest, float tol, float median, float keyScale) {
        return even(x, parent, n, moved, largest, tol)
                && roughStep(x, parent, n)
                && !DataMoves.twoRecords(x, parent, n, median, keyScale, current);
    }

    /**
     * Whether every move in {@link #current} is a whole multiple of the smallest, within {@code tol},
     * that unit is resolved (at least {@value #EVEN_UNIT} times {@code tol}), and the moved
     * coordinates' values in {@code x} lie on the same lattice (whole multiples of the unit apart):
     * whole grey levels or counts, which any two records of such data differ by, also once
     * normalised. Random sizes have no such unit; a thief who draws his sizes from a lattice of his
     * own (multiples of 0.4 on whole-number pixels) leaves his values off it, and only one who snaps
     * them to the data's own whole numbers is let through (as by {@link DataMoves#unitRecordMoves}).
     */
    private boolean onLattice(float[] x, int n, float unit, float tol) {
        if (!(unit >= EVEN_UNIT * tol)) {
            return false;
        }
        float origin = Float.NaN;
        for (int i = 0; i < n; i++) {
            float d = current[i];
            if (d > 0) {
                if (origin != origin) {
                    origin = x[i];
                }
                float v = x[i] - origin;
                if (Math.abs(d - unit * Math.round(d / unit)) > tol
                        || Math.abs(v - unit * Math.round(v / unit)) > tol) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Whether the signed moves (0 where a coordinate did not move), about their mean, correlate with
     * themselves at some lag from 1 to n / 2 by at least {@value #PERIODIC} (the lag's sum scaled by n
     * / (n - lag)): two windows of a vibration or any periodic signal differ by a periodic
     * displacement, whose magnitudes (a sine's) crowd at its peak. Measured on the survey's 32-sample
     * sensor windows (issue 9, session 21): 97% of the displacements that passed the even shape's count
     * and its other exemptions were periodic so (0.8 or more for 96%); on the random-size JbDA steps
     * of the 64-input digits, whose signs are the gradient's, 14%. The loop is {@link Tones}' (its
     * periodic gate, on the moves left), in its scratch.
     */
    private boolean periodic(float[] x, float[] parent, int n) {
        return tones.periodicMoves(x, parent, current, n);
    }

    /**
     * The scaled flat shape (issue 9, diluted JbDA with random per-feature sizes at wide inputs): x
     * differs from parent by a step whose moves, each divided by {@code scale[i]} (the key's largest
     * |value| in coordinate i), are flat. Steps {@code eps * range_j * u_j} with ranges that differ by
     * channel and position have crest factors of 2-3+ in raw units and 1.4-1.73 once divided per
     * coordinate; natural neighbours' differences, which sit in a few strokes or edges, stay far
     * above. Counts when at least {@value #FLAT_MIN_MOVED} coordinates (and {@value #MIN_DENSE} of
     * them) moved by more than {@code quantError}, the median scaled move is at least {@code
     * stepFraction}, and, after the far and the stuck moves are left out as in {@link #isStep}, the
     * unclipped scaled moves pass {@link #flatInside}. Coordinates the key never sent a nonzero value
     * in are left out. Separate from {@link #isStep}: it runs only against the key's recent rows.
     */
    boolean isFlatScaled(float[] x, float[] parent, int n, float[] scale, float stepFraction, float quantError) {
        int moved = 0;
        for (int i = 0; i < n; i++) {
            float d = Math.abs(x[i] - parent[i]);
            if (d > quantError && scale[i] > 0) {
                float v = d / scale[i];
                current[i] = v;
                magnitudes[moved] = v;
                endpoints[moved++] = x[i] + 0f;
            } else {
                current[i] = 0;
            }
        }
        if (moved < FLAT_MIN_MOVED || moved < MIN_DENSE * n) {
            return false;
        }
        float median = select(magnitudes, spare, moved, moved / 2);
        if (median < stepFraction) {
            return false;
        }
        float far = FAR_MOVE * median;
        lowestEnds(moved);
        float band = CLIP_BAND * (high2 - low2);
        float lowEdge = low2 + band;
        float highEdge = high2 - band;
        boolean dropped = false;
        for (int i = 0; i < n; i++) {
            float v = current[i];
            if (v > 0
                    && (v > far
                            || (x[i] <= lowEdge && parent[i] <= lowEdge)
                            || (x[i] >= highEdge && parent[i] >= highEdge))) {
                current[i] = 0;
                dropped = true;
            }
        }
        if (dropped) {
            moved = gather(x, parent, n);
            if (moved < FLAT_MIN_MOVED) {
                return false;
            }
        }
        return flatInside(x, n, moved, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY)
                && centredFlat(
                        x,
                        parent,
                        n,
                        Float.NEGATIVE_INFINITY,
                        Float.POSITIVE_INFINITY,
                        innerLowEdge,
                        innerHighEdge,
                        lowTie,
                        highTie,
                        NoiseLimits.crestLimit(innerCount))
                && roughStep(x, parent, n)
                && !DataMoves.fullRangeFlips(x, parent, n, largestOf(scale, n), current)
                && !(median >= DataMoves.SPACING);
    }

    private static float largestOf(float[] values, int n) {
        float m = 0;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, values[i]);
        }
        return m;
    }

    /**
     * The flat shape's last test (issue 9, smooth displacements): a displacement that passed the flat
     * shape counts as a step only if it is not smooth at a lag of 1 to 4 ({@link Smoothness}); called
     * by {@link #isStep}, {@link #isStepAcross} and {@link #isFlatScaled} only after the flat shape
     * passed, so natural rows that fail it pay nothing. The equal shape is not gated (equal moves are
     * plain JbDA whatever their layout), nor the repeat shape (gating it cleared brightness sweeps,
     * which `ood` flags anyway, and cost per-feature steps on the wide digits 7 rows: 129 -> 136).
     * Nor does a rough displacement count whose query and parent read as two records ({@link
     * NaturalPairs}: the same local variation in each, series windows whose seasonal period is short).
     */
    private boolean roughStep(float[] x, float[] parent, int n) {
        return !Smoothness.smooth(x, parent, n, deltas)
                && !NaturalPairs.twoRecords(x, parent, n, shiftSpare)
                && !ShiftedWindows.shifted(x, parent, n, inOrder ? n : StepSample.RUN, shiftScratch, shiftSpare)
                && !(inOrder ? tones.tonal(x, parent, n) : tones.tonalRuns(x, parent, n));
    }

    /**
     * Whether the arrays compared next are the input's coordinates in order (a narrow input, or a
     * sample that is the whole input), so that {@link ShiftedWindows} may shift along all of them;
     * else they are a sample's runs of {@value StepSample#RUN} neighbours. The caller sets it before
     * each test.
     */
    void inOrder(boolean inOrder) {
        this.inOrder = inOrder;
    }

    private boolean inOrder;

    /** {@link #roughStep}'s scratch: the signed moves. */
    private final float[] deltas;

    /** {@link #roughStep}'s tone test, with its scratch. */
    private final Tones tones;

    /** {@link ShiftedWindows}' scratch. */
    private final float[] shiftScratch;

    private final float[] shiftSpare;
}
