package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.FloatOrder.differs;

/**
 * The repeat shape of {@link SignSteps}' test ({@link #repeats}: the moves agree, coordinate by
 * coordinate, with the last move the key made there) and the history it reads: a key's {@code prev}
 * array, one float per coordinate holding its last move and where that move ended ({@link
 * #remembered}, read back by {@link #lastMove} and {@link #lastEnd}). Called by {@link SignSteps}'
 * isStep and isStepKeyed, which pass their moves ({@code current}, +0 where a coordinate did not
 * move) and scratch, and write each move left into {@code prev} after the shape is judged. Pure
 * functions of the arrays passed in.
 */
final class RepeatedMoves {

    private RepeatedMoves() {}

    /**
     * The repeat shape: at least {@value SignSteps#MIN_MOVED} coordinates moved now and before (at least half
     * of the moved ones), and at least half of them by the same amount as before. A move of one unit
     * between whole numbers (a flag or a one-hot category that one record has and its neighbour has
     * not, a count off by one; the parent's value within its quantisation error of a whole number)
     * counts as neither (issue 9, session 14): every two records of such a table differ so, again and
     * again. The price: per-feature steps of exactly one unit between whole numbers (a count of range
     * 10 stepped by a tenth of it) are not repeats.
     *
     * <p>Nor, and not as moved either, does a repeated move between levels of the key's own lattice
     * (issue 9, session 15, {@link #onLevel}): one that ended a whole number of such moves (none
     * included) from where the coordinate's last move ended.
     * A customer who rounds measurements to a few levels over their range ({@code Unsure.coarser})
     * moves one level's width between two of its records, in coordinate after coordinate and again
     * and again, and its values recur on the levels; a thief's step {@code eps * range_j} has the
     * same width every time too, but ends off the lattice of his last move's end there unless his
     * lineages share one (his seeds' values differ). Where the last move ended at the parent's value
     * a walk is no evidence (any step from the key's last query is there): such moves are left out
     * with the others only when fewer than the others, so a thief whose parent is his last query
     * still repeats. On 48 mixed-type columns at median top-1 0.7 a customer rounding half of its
     * features to 5 levels was flagged at 1,830 rows, one rounding all of them at 50
     * ({@code MidWidthSpreadTest.coarserCustomersOnMixedRecordsAreNoRepeatedSteps}). The price: a
     * thief whose values all sit on per-feature lattices of his step (seeds rounded to levels {@code
     * eps * range_j} apart, or one seed) is no repeat ({@code
     * SignStepsTest.perFeatureStepsOnLevelsBypass}); so are JbDA lineages whose seeds share values
     * where the step divides them (flags and whole numbers stepped by a tenth).
     *
     * <p>Nor, and not as moved either, does a move that ends on the pair's value bounds (the lowest or
     * highest value of query and parent, within the parent's quantisation; issue 9, session 17):
     * customers of objects on a black background who send each photo with its mirror and shifts
     * (test-time augmentation) erase the same edge pixels to the background in one shift after
     * another, so each repeated its move: 13 of 19 flagged at 784 inputs, now 1 of 19 (by {@code
     * cross_key}; {@code HonestDataShapesTest.testTimeAugmentationOfObjectsOnABlackBackgroundIsNoRepeatedSteps},
     * {@code BoundRepeatsTest}). A thief's per-feature steps that are clipped end there too and are
     * left out with them, but his unclipped ones still repeat (the {@code Wide} digits' plain and
     * per-feature JbDA steps at 784 and 3,072 were counted as often or more: 8 -> 16 for eps 0.3 at
     * 784, whose clipped moves no longer dilute the share; the survey's thieves unchanged). The
     * price: steps so large that nearly every moved value is clipped repeat nothing; such queries are
     * near-binary images, which no shape counted before this rule either ({@code
     * BoundRepeatsTest.stepsThatAllEndOnTheBoundsRepeatNothingBypass}).
     *
     * <p>{@code current} holds the moves judged (+0 where a coordinate did not move), {@code sameAt}
     * is the caller's scratch (n ints); {@code prev} is only read.
     */
    static boolean repeats(
            float[] prev,
            float[] x,
            float[] parent,
            int n,
            float quantError,
            int moved,
            float[] current,
            int[] sameAt) {
        // the pair's value bounds: a move that ends on one is an erasure to the data's floor or
        // ceiling, left out (see the class comment of the rule, below)
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, Math.min(x[i], parent[i]));
            hi = Math.max(hi, Math.max(x[i], parent[i]));
        }
        float loEdge = lo + quantError;
        float hiEdge = hi - quantError;
        int bound = 0;
        int both = 0;
        int agree = 0;
        int levels = 0;
        int atParent = 0;
        float unitTol = (float) SignSteps.TOLERANCE + quantError;
        // counted without data-dependent branches (whether a coordinate moved now and before is a coin
        // flip on natural rows)
        for (int i = 0; i < n; i++) {
            float c = current[i];
            int bits = Float.floatToRawIntBits(prev[i]);
            float p = lastMove(bits);
            float big = Math.max(c, p);
            float xi = x[i];
            float pi = parent[i];
            int unit = (Math.abs(c - 1f) <= unitTol ? 1 : 0)
                    & (xi == Math.rint(xi) ? 1 : 0)
                    & (Math.abs(pi - Math.rint(pi)) <= quantError ? 1 : 0);
            int atBound = (c > 0 ? 1 : 0) & (xi <= loEdge || xi >= hiEdge ? 1 : 0);
            bound += atBound;
            // a coordinate counts only where the quantisation slack is a small part of its move
            int in = (c > 0 ? 1 : 0)
                    & (p > 0 ? 1 : 0)
                    & (quantError <= SignSteps.RESOLVED * big ? 1 : 0)
                    & (1 - unit)
                    & (1 - atBound);
            int same = in & (Math.abs(c - p) <= SignSteps.TOLERANCE * big + 2 * quantError ? 1 : 0);
            both += in;
            // the agreeing coordinates' indices, gathered without a branch: only they are judged on a
            // level below (a division and roundings each, most of this test's time when every
            // coordinate paid them)
            sameAt[agree] = i;
            agree += same;
        }
        for (int k = 0; k < agree; k++) {
            int i = sameAt[k];
            int bits = Float.floatToRawIntBits(prev[i]);
            int level = onLevel(x[i], current[i], bits, quantError);
            levels += level;
            atParent += level & endedAt(parent[i], bits, quantError);
        }
        // the level moves are left out unless most of them only ended where the parent is (a walk)
        int out = 2 * atParent > levels ? 0 : levels;
        both -= out;
        agree -= out;
        return both >= SignSteps.MIN_MOVED && 2 * both >= moved - out - bound && 2 * agree >= both;
    }

    /**
     * What prev holds for a coordinate that moved by {@code move} to {@code end}: both rounded to
     * bfloat16 (a float's upper 16 bits: 8 bits of precision, within 0.4 % of the value), the move in
     * the upper half, so that prev read as a float is the move within 0.4 % ({@link #lastMove}), and
     * the end in the lower ({@link #lastEnd}); 0 for no move. One float per coordinate, as before the
     * ends were kept.
     */
    static int remembered(float move, float end) {
        int top = (Float.floatToRawIntBits(move) + 0x8000) & 0xFFFF0000;
        int low = (Float.floatToRawIntBits(end + 0f) + 0x8000) >>> 16;
        return top | (low & -differs(top, 0));
    }

    /** The last move prev's bits remember (see {@link #remembered}). */
    static float lastMove(int bits) {
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    /** Where the last move prev's bits remember ended (see {@link #remembered}). */
    static float lastEnd(int bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** The slack of {@link #lastEnd} against a value: bfloat16's rounding of it. */
    private static double endSlack(float last, float value) {
        return Math.abs(last) * 0x1p-8 + Math.ulp(value);
    }

    /**
     * 1 if {@code end}, where a coordinate's move of {@code move} ended, lies a whole number of such
     * moves (none included) from where its last move ended (prev's {@code bits}; see {@link
     * #remembered}): within the parent's quantisation error, which {@code move} carries, for each move
     * between them, plus the rounding of the end remembered; only while that slack is at most
     * {@value #LEVEL_SLACK} of the move (an unresolved lattice holds anything).
     */
    static int onLevel(float end, float move, int bits, float quantError) {
        float last = lastEnd(bits);
        double apart = (double) end - last;
        double levels = Math.rint(apart / move);
        double tol = Math.abs(levels) * (quantError + Math.ulp(move)) + endSlack(last, end);
        // ending at 0 again is no evidence: every sparse or clipped coordinate does (background pixels
        // stepped from outlier parents, clipped steps)
        return (Math.abs(apart - levels * move) <= tol ? 1 : 0)
                & (tol <= LEVEL_SLACK * move ? 1 : 0)
                & (end != 0 || levels != 0 ? 1 : 0);
    }

    /** 1 if the coordinate's last move (prev's {@code bits}) ended at {@code from}, the parent's value, within its quantisation error. */
    static int endedAt(float from, int bits, float quantError) {
        float last = lastEnd(bits);
        return Math.abs((double) from - last) <= quantError + endSlack(last, from) ? 1 : 0;
    }

    /** {@link #onLevel}: a lattice is resolved while its slack is at most this share of the move. */
    static final double LEVEL_SLACK = 0.125;
}
