package dev.moat.detectors.prada;

/**
 * The data's own moves, which {@link SignSteps}' shapes do not count as sign steps: records whose
 * moves are the data's unit (count data's lattice, whole-number records), strokes' flips, an offset
 * ({@link #dataMoves}, asked of the equal and repeat shapes), and two natural records ({@link
 * #twoRecords}, asked of the flat and even shapes). Each rule's Javadoc says what it exempts and what
 * it lets a thief do. Called by {@link SignSteps} only on displacements that passed a shape, with
 * the moves it judged ({@code current}: +0 where a coordinate did not move, or was left out as a far
 * or stuck move). Pure functions of the arrays passed in.
 */
final class DataMoves {

    private DataMoves() {}

    /** {@link #fullRangeFlips}: a move of at least this share of the values' reach is a flip. */
    static final double FLIP_REACH = 0.9;

    /** {@link #fullRangeFlips}: the share of the moves that must be flips. */
    static final double FLIP_SHARE = 0.125;

    /**
     * The data's own moves, which the equal and repeat shapes do not count (each rule below says what
     * it exempts and what it lets a thief do): count data's unit ({@link #sparseLattice}), whole-number
     * records ({@link #unitRecordMoves}), strokes' flips ({@link #fullRangeFlips}) and an offset
     * ({@link #uniformOffset}); with the equal shape's tolerance.
     */
    static boolean dataMoves(
            float[] x,
            float[] parent,
            int n,
            int moved,
            float median,
            float quantError,
            float keyScale,
            float[] current) {
        float tol = (float) (SignSteps.TOLERANCE * median) + quantError;
        return sparseLattice(x, parent, n, moved, median, quantError, current)
                || unitRecordMoves(x, n, median, tol, current)
                || fullRangeFlips(x, parent, n, keyScale, current)
                || uniformOffset(x, parent, n, median, tol);
    }

    /**
     * Two natural records, which the flat shape does not count: strokes' flips ({@link
     * #fullRangeFlips}) or moves as large as natural records differ by ({@link #naturalSpacing}).
     */
    static boolean twoRecords(float[] x, float[] parent, int n, float median, float keyScale, float[] current) {
        return fullRangeFlips(x, parent, n, keyScale, current) || naturalSpacing(x, parent, n, median, keyScale);
    }

    /**
     * Count data (issue 9, honest traffic that looks like probing): two bag-of-words rows differ by
     * one or two counts in the few words either holds, so their moves share one magnitude, the data's
     * unit, and a key's moves in a coordinate repeat it; the equal and repeat shapes took honest
     * documents at 3,072 inputs for sign steps. True when the moves are sparse (under {@value
     * SignSteps#MIN_DENSE} of the compared coordinates) and every compared value of the query, and the
     * parent's value in every moved coordinate, is a whole multiple of the median move (within
     * {@value SignSteps#TOLERANCE} of it, plus the parent's quantisation error, which must resolve the move as
     * for the equal shape): the step is then the data's
     * own unit, which any two records of integer data show. A sign step from a model's gradient
     * moves nearly every coordinate where the gradient is not zero, and on natural data the values
     * it leaves alone are off its lattice; only the moved values would not do (a JbDA child of zero
     * pixels, stepped by 1.6 on upsampled digits, sits on 1.6's lattice there: OutlierQueryTest).
     */
    private static boolean sparseLattice(
            float[] x, float[] parent, int n, int moved, float median, float quantError, float[] current) {
        // a parent quantised coarser than the move (a row holding an outlier) cannot show a lattice
        if (moved >= SignSteps.MIN_DENSE * n || !(median > 0) || quantError > SignSteps.RESOLVED * median) {
            return false;
        }
        float tol = (float) (SignSteps.TOLERANCE * median);
        float parentTol = tol + quantError;
        for (int i = 0; i < n; i++) {
            // every compared value of the query, moved or not (0 and a bound are on any step's lattice:
            // a JbDA child of a zero pixel is too), and the moved ones' parent values; a value between 0
            // and half the move is on no lattice of it (moves far above the data, outliers, have none)
            if (offLattice(x[i], median, tol, 0)
                    || (current[i] > 0 && offLattice(parent[i], median, parentTol, quantError))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Records of whole numbers (issue 9, found at 17-63 inputs: flags, one-hot categories and small
     * counts): two such records differ by one unit in each flag and category they do not share and
     * often in a count, so their moves share the magnitude 1 in many coordinates, a dense equal shape
     * the sparse lattice above does not exempt, and a key re-sending its records repeats them; on a
     * 20-column table of them (largest value under 45, so a move of 1 passes the 2% floor) every
     * honest key was flagged within 3-50 rows by {@code prada}, {@code cross_key} or its tenant. True
     * when the median move is 1 (within {@code tol}) and every move that agrees with it ends on a whole
     * number: the step is then the records' own unit. A sign step from a gradient moves by {@code
     * lambda}, or by {@code eps * range_j} clipped at a flag's bounds (0.1 off them); only a thief who
     * snaps his steps to the data's whole numbers, whose steps are then the same flips and counts any
     * two records differ by, is let through here (left to {@code ood}'s spread test, which flags plain and
     * random-size JbDA on that table at 180 rows).
     */
    private static boolean unitRecordMoves(float[] x, int n, float median, float tol, float[] current) {
        if (!(Math.abs(median - 1f) <= tol)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            float d = current[i];
            if (d > 0 && Math.abs(d - median) <= tol && x[i] != Math.rint(x[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * Strokes on a blank background (issue 9, session 14: images whose pixels are mostly at the
     * bottom or the top of their range, as handwritten digits scanned like MNIST's are): two such
     * images differ where a stroke lies in one and not the other, so many of their moves go from the
     * lowest value to the highest or back and the others spread over the whole range, a displacement
     * that passes the equal shape (the flips), the flat one (sizes spread from 0 to the range, as
     * random-size steps') and, for a key re-sending its images, the repeat. On the 8x8 digits
     * upsampled to 28x28 and pushed through a steep sigmoid (strokes, thin edges) every honest key was
     * flagged by {@code prada} or {@code cross_key} within 50 rows ({@code StrokeImagesTest}). True
     * when at least {@value #FLIP_SHARE} of the moves left (those {@code current} holds) are flips, at
     * least {@value #FLIP_REACH} of the values' reach: the larger of the pair's value span (over the
     * compared coordinates) and {@code keyScale} (the largest value the key has sent; 0: the span
     * alone), so that a pair whose compared values are all dark does not make a small step a flip. A
     * sign step moves by {@code lambda}, a tenth or so of the range, and random sizes up to twice that;
     * only a thief who makes an eighth of his moves the whole range (pixels set from one bound to
     * the other) is let through here, and the one {@code StrokeImagesTest} plants (a quarter of his
     * coordinates set to the other bound) is still flagged within 100 rows: from the nearest stored
     * row most of his moves are still steps, and {@code ood} sees the images.
     */
    static boolean fullRangeFlips(float[] x, float[] parent, int n, float keyScale, float[] current) {
        float reach = reach(x, parent, n, keyScale);
        if (!(reach > 0) || !Float.isFinite(reach)) {
            return false;
        }
        float full = (float) (FLIP_REACH * reach);
        int moved = 0;
        int flips = 0;
        for (int i = 0; i < n; i++) {
            float d = current[i];
            if (d > 0) {
                moved++;
                flips += Math.abs(x[i] - parent[i]) >= full ? 1 : 0;
            }
        }
        return moved > 0 && flips >= FLIP_SHARE * moved;
    }

    /**
     * A gain change in a log domain (issue 9, session 16: log-mel spectrograms re-recorded a few dB
     * louder or softer, 19 of 19 customers flagged by the equal shape): every coordinate moved by the
     * same amount in the same direction, except at most an eighth where the query or the parent sits
     * at the pair's lowest or highest value (clipped: moved less, the same way, or not at all), a
     * brightness offset, which teaches a thief one direction (the all-ones vector) and is no gradient
     * step. A sign step moves each coordinate the way its gradient points, both ways; leaving a
     * coordinate unmoved or moving it the other way breaks the rule, so no part of a step hides behind
     * an offset but one-way moves of at most the offset on an eighth of the coordinates, those at a
     * bound (on images with a black background, most pixels are at it, so the rule never holds there).
     * {@code tol} is the equal shape's (a share of the median plus the parent's quantisation).
     */
    private static boolean uniformOffset(float[] x, float[] parent, int n, float median, float tol) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, Math.min(x[i], parent[i]));
            hi = Math.max(hi, Math.max(x[i], parent[i]));
            sum += x[i] - parent[i];
        }
        float c = sum >= 0 ? median : -median;
        int clipped = 0;
        for (int i = 0; i < n; i++) {
            float d = x[i] - parent[i];
            if (Math.abs(d - c) <= tol) {
                continue;
            }
            // clipped at the pair's bound (the query's value, or the parent's where the data's floor
            // hid how far below it the value was): a move of at most c the same way, or none
            boolean atBound = x[i] <= lo + tol || x[i] >= hi - tol || parent[i] <= lo + tol || parent[i] >= hi - tol;
            float along = c > 0 ? d : -d;
            if (!(atBound && along >= -tol && along <= median + tol) || ++clipped > n / CLIPPED_SHARE) {
                return false;
            }
        }
        return true;
    }

    /** {@link #uniformOffset}: at most 1 / this of the coordinates may be clipped. */
    static final int CLIPPED_SHARE = 8;

    /** {@link #naturalSpacing}: a median move of at least this share of the values' reach. */
    static final double SPACING = 0.2;

    /**
     * Two natural records (issue 9, session 16: photographs, 32x32x3 and 28x28 grey, got every
     * honest customer flagged by the flat shape): two distinct photos of one predicted class differ
     * in nearly every pixel by amounts spread from 0 to most of the range, as random-size steps do,
     * but by a median of 0.2-0.55 of the values' reach, where a gradient step moves by {@code
     * lambda}, a tenth or so of it, and random sizes {@code U(0, 2)} by a median of lambda. True when
     * the median move left (after the stuck filter) is at least {@value #SPACING} of the values'
     * reach: the larger of the pair's value span over the compared coordinates and {@code keyScale}
     * (as {@link #fullRangeFlips}). Asked of the flat shape alone: equal-sized steps of any size stay
     * steps.
     */
    private static boolean naturalSpacing(float[] x, float[] parent, int n, float median, float keyScale) {
        float reach = reach(x, parent, n, keyScale);
        return reach > 0 && Float.isFinite(reach) && median >= SPACING * reach;
    }

    /**
     * The values' reach: the larger of the pair's value span over the compared coordinates and {@code
     * keyScale} (the largest value the key has sent; 0: the span alone), so that a pair whose compared
     * values are all dark is judged against what the key's data reach.
     */
    private static float reach(float[] x, float[] parent, int n, float keyScale) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, Math.min(x[i], parent[i]));
            hi = Math.max(hi, Math.max(x[i], parent[i]));
        }
        float span = hi - lo;
        return keyScale > 0 ? Math.max(span, keyScale) : span;
    }

    /** Off the lattice of {@code unit}: not within tol of a non-zero multiple, nor within zeroTol of 0. */
    private static boolean offLattice(float v, float unit, float tol, float zeroTol) {
        long k = Math.round(v / unit);
        return k == 0 ? Math.abs(v) > zeroTol : Math.abs(v - k * unit) > tol;
    }
}
