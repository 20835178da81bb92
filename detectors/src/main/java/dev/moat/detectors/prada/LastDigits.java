package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.FloatOrder.select;

/**
 * The data's last digit moving, which is no sign step ({@link #lastDigits}: quantised values whose
 * noise toggles a level or two, on a lattice of the data's own, {@link #latticeUnit}), with its
 * scratch. Asked through {@link SignSteps#lastDigits} by {@link PradaDetector} and {@link
 * CrossKeyParents}, on wide inputs' sampled pairs that passed for a sign step, with the whole input;
 * {@link PradaDetector} also reads the population's lattice with {@link #latticeUnit}. Not
 * thread-safe: one per {@link SignSteps}.
 */
final class LastDigits {

    /** The data's unit is under 1 / this of a value that {@link #BRIGHT_SHARE} of the query's whole input reaches. */
    static final int DATA_UNIT = 64;

    /**
     * Or, on the population's own lattice, the unit is under 1 / this of that value and one unit is the
     * commonest move (session 28: a night camera's frames, whose brightest eighth reaches 16-48 grey
     * levels, moved by their noise).
     */
    static final int DIM_UNIT = 16;

    /** A share of 1 / this of the query's whole input. */
    static final int BRIGHT_SHARE = 8;

    /** Gaps between sorted values within this many ulps are rounding, not a level. */
    static final int ROUNDING_ULPS = 16;

    /** Moves of 1 to this many units are the data's last digit (quantised noise). */
    static final int UNIT_MOVES = 4;

    /** {@link #lastDigits}' own scratch (it calls {@link SignSteps#isStepAcross}, which uses the test's own). */
    private final float[] unitMoves;

    private final float[] unitSpare;

    private final float[] unitRest;

    /** {@link #lastDigits}' moves by their number of units (0: not a last digit). */
    private final int[] unitCounts = new int[UNIT_MOVES + 1];

    LastDigits(int dims) {
        this.unitMoves = new float[dims];
        this.unitSpare = new float[dims];
        this.unitRest = new float[dims];
    }

    /**
     * Whether a wide pair that passed for a sign step is the data's last digit moving (issue 9,
     * session 15; PRADA's test and {@code cross_key}'s on sampled wide inputs, with the whole input). Stroke images on a blank background, quantised (8-bit data, or the 1/16 levels of
     * {@code StrokeImagesTest}), can put all of a key's sampled coordinates in the dark, where noise
     * toggles pixels by a level or two both ways: the equal shape, and its floor is a fraction of the
     * pair's own values (so that one outlier query cannot raise it), a fraction of a level there. Two
     * customers at 3,072 inputs were extracting at 50 rows. The pair says nothing of the data's scale;
     * the rest of the query does. True when the query's sampled values lie on a lattice of unit {@code
     * u} (every gap between its sorted distinct values a whole number of units; continuous values have
     * none), {@code u} is under 1/{@value #DATA_UNIT} of a value that 1/{@value #BRIGHT_SHARE} of the
     * query's whole input reaches, at least a quarter of the moves are 1 to {@value #UNIT_MOVES} units,
     * and what is left with those moves undone is no step ({@link SignSteps#isStepAcross}): a thief who
     * adds last-digit noise to half of his coordinates is still counted on the other half. What passes
     * as the data's last digit: steps of at most four units of a lattice the thief's own query lies on,
     * under 1/16 of what an eighth of his input reaches, so steps under 1/16 of his data's range
     * (plain JbDA's {@code eps} is 0.1), unless he plants an eighth of his coordinates over 16 steps out
     * ({@code DataUnitMovesTest}). Runs only on pairs that passed, and most steps end after the first
     * pass over the input (their median move is over 1/16 of the input's largest value).
     *
     * <p>{@code dataLevel} (NaN: none) is how bright the population's inputs typically are (the
     * median, over trusted keys' queries, of the largest sampled value; {@code PradaDetector}): a unit
     * under 1/{@value #DATA_UNIT} of it is the data's last digit in a query of its own that is dark
     * (issue 9, session 22: customers of objects on a black background whose darker photos have few
     * pixels over 64 levels, their background's noise counted as steps).
     *
     * <p>{@code dataUnit} (NaN: none) is the population's own lattice (the median of the units of the
     * sampled values, {@link #latticeUnit}, of the keys that taught it last; {@code PradaDetector}). A dim query (no eighth of it 64
     * units out, but one 16 units out, {@value #DIM_UNIT}, or the population's level that far) on that
     * same lattice passes the scale test where one unit is the commonest move, as in quantised noise,
     * whose moves of two, three and four units are ever fewer (session 28: a night camera's frames,
     * whose brightest eighth reaches 16-48 grey levels, moved by their noise). A sign step of two to
     * four units moves most coordinates by that many and stays a step; a query on a lattice of its own
     * (a thief who coarsens his values so that his steps are few units) is not on the population's;
     * what passes is steps of one unit of the population's lattice, and random sizes of one to four with
     * one the commonest, where the population's or the query's values are that dim.
     *
     * <p>{@code steps} is the caller's test, asked whether what is left with the last-digit moves undone is a
     * step (it has scratch of its own; this test's is {@link #unitMoves} and the arrays beside it).
     */
    boolean lastDigits(
            SignSteps steps,
            double[] in,
            float[] q,
            float[] p,
            int n,
            float quantError,
            float stepFraction,
            float keyScale,
            float dataLevel,
            float dataUnit) {
        float[] moves = unitMoves;
        int moved = 0;
        for (int i = 0; i < n; i++) {
            float d = Math.abs(q[i] - p[i]);
            if (d > quantError) {
                moves[moved++] = d;
            }
        }
        if (moved == 0) {
            return false;
        }
        float median = select(moves, unitSpare, moved, moved / 2);
        // a unit is at least a quarter of the median move: where no value of the input reaches 64 of
        // those, a step, not a last digit (most steps end here, after one pass without branches)
        double largest = dataLevel > 0 ? dataLevel : 0;
        for (double v : in) {
            largest = Math.max(largest, Math.abs(v));
        }
        if (!(median > 0) || (double) DATA_UNIT * median / UNIT_MOVES > largest) {
            return false;
        }
        float unit = latticeUnit(q, n, unitSpare);
        if (unit != unit) {
            return false; // no lattice: continuous values
        }
        boolean oneValue = unit == Float.POSITIVE_INFINITY;
        if (oneValue) {
            unit = median; // one value in every sampled coordinate: the moves' own size
        }
        double bar = (double) DATA_UNIT * unit;
        double dimBar = (double) DIM_UNIT * unit;
        int need = Math.max(1, in.length / BRIGHT_SHARE);
        int count = 0;
        int dimCount = 0;
        for (int j = 0; j < in.length && count < need; j++) {
            double a = Math.abs(in[j]);
            count += a >= bar ? 1 : 0;
            dimCount += a >= dimBar ? 1 : 0;
        }
        boolean bright = count >= need || dataLevel >= bar;
        // a dim query only on the population's own lattice (within rounding; a key's one value says nothing of it)
        boolean populationsLattice = !oneValue && Math.abs(unit - dataUnit) <= dataUnit / 16;
        if (!bright && !(populationsLattice && (dimCount >= need || dataLevel >= dimBar))) {
            return false;
        }
        // the pair without its last-digit moves (each such coordinate as if it had not moved)
        float tolerance = quantError + unit / 8;
        float[] rest = unitRest;
        int digits = 0;
        // the moves by their number of units (index 0: not a last digit), for a dim query's commonest move
        int[] byUnits = unitCounts;
        java.util.Arrays.fill(byUnits, 0);
        for (int i = 0; i < n; i++) {
            float d = Math.abs(q[i] - p[i]);
            float k = Math.round(d / unit);
            boolean digit = d > quantError && k >= 1 && k <= UNIT_MOVES && Math.abs(d - k * unit) <= tolerance;
            rest[i] = digit ? q[i] : p[i];
            digits += digit ? 1 : 0;
            byUnits[digit ? (int) k : 0]++;
        }
        if (!bright) {
            for (int k = 2; k <= UNIT_MOVES; k++) {
                if (byUnits[k] > byUnits[1]) {
                    return false; // a dim query whose commonest move is not one unit: a step, not noise
                }
            }
        }
        // no last digits to speak of, or what moved besides them is a step on its own: a step
        return digits * 4 >= moved && !steps.isStepAcross(q, rest, n, stepFraction, keyScale, quantError);
    }

    /**
     * The unit of the lattice v[0..n) lies on: the smallest gap between its sorted distinct values
     * (gaps within {@value #ROUNDING_ULPS} ulps of the largest magnitude among them are rounding,
     * values a client computed in floating point: 3 x 0.4 - 0.4 - 0.4 - 0.4 in doubles is 1.1e-16, not 0,
     * and with ulps of each value a lattice of 0.4 read as one of 1.1e-16, session 29), every gap a
     * whole number of it to within 1/16; +inf when every value is the same, NaN when the values lie on
     * no lattice (continuous). Sorts a copy in {@code scratch}.
     */
    static float latticeUnit(float[] v, int n, float[] scratch) {
        System.arraycopy(v, 0, scratch, 0, n);
        java.util.Arrays.sort(scratch, 0, n);
        float rounding =
                n == 0 ? 0 : ROUNDING_ULPS * Math.ulp(Math.max(Math.abs(scratch[0]), Math.abs(scratch[n - 1])));
        float unit = Float.POSITIVE_INFINITY;
        for (int i = 1; i < n; i++) {
            float gap = scratch[i] - scratch[i - 1];
            if (gap > rounding && gap < unit) {
                unit = gap;
            }
        }
        if (unit == Float.POSITIVE_INFINITY) {
            return unit;
        }
        for (int i = 1; i < n; i++) {
            float gap = scratch[i] - scratch[i - 1];
            float units = gap / unit;
            if (gap > rounding && Math.abs(units - Math.rint(units)) > 1f / 16) {
                return Float.NaN;
            }
        }
        return unit;
    }
}
