package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.ParentSearch.NARROW_CANDIDATES;

/**
 * {@link CrossKeyParents}' repeated-move test, for the stores where no shape of one displacement
 * tells a step from noise ({@link #repeats}): every coordinate stored ({@code m == width}) and under
 * {@link SignSteps#FLAT_MIN_MOVED} inputs, or of mixed scales (stored and searched in units of each
 * coordinate's spread, see {@link StoreScales#rescale}; a sample of a wider input's coordinates
 * too, since session 19, unless a quarter of it is flat). Per-feature steps are equal in no units
 * there, and once clipped at the box's edges they move fewer than the flat shape's 48 coordinates.
 * A searched row on such a store keeps its {@value ParentSearch#NARROW_CANDIDATES} nearest candidates
 * (the key's own rows included) and counts as a step when its move from one of them repeats a move of
 * one of the key's last {@value #REPEAT_ROWS} searched rows ({@link #repeatedMove}, {@link
 * #sameMoves}): per-feature JbDA steps move each coordinate by the same amount every time. Sizes drawn
 * afresh per coordinate, or jittered by 10%, repeat nothing (detectors/README: "Narrow inputs"). The
 * key's last rows and their candidates' slots live in its {@link ChildKey}; the moves are recomputed
 * from them into this class's scratch, the one worker's that owns the detector.
 */
final class NarrowMoves {

    /** A key's last searched rows whose candidates' moves a new row's are compared with ({@link #repeats}). */
    static final int REPEAT_ROWS = 4;

    private final float[] x;
    private final float[] parent;
    /** The candidates of the row searched ({@link ParentSearch#candSlots}). */
    private final int[] candSlots;

    /** Pairs of moves compared by {@link #repeatedMove}, since the start. */
    long repeatPairs;

    /** Scratch of {@link #repeatedMove}, for the widest store that has taken it so far. */
    private float[] nowMoves = new float[NARROW_CANDIDATES * (SignSteps.FLAT_MIN_MOVED - 1)];

    private final float[] nowErr = new float[NARROW_CANDIDATES];
    private final double[] nowLen = new double[NARROW_CANDIDATES];
    /** Coordinates that moved (resolved, as {@link #sameMoves} counts them) in each candidate's move. */
    private final int[] nowMoved = new int[NARROW_CANDIDATES];

    private float[] prevMoves = new float[REPEAT_ROWS * NARROW_CANDIDATES * (SignSteps.FLAT_MIN_MOVED - 1)];
    private final float[] prevErr = new float[REPEAT_ROWS * NARROW_CANDIDATES];
    private final int[] prevMoved = new int[REPEAT_ROWS * NARROW_CANDIDATES];
    private float[] nowParents = new float[NARROW_CANDIDATES * (SignSteps.FLAT_MIN_MOVED - 1)];

    NarrowMoves(float[] x, float[] parent, int[] candSlots) {
        this.x = x;
        this.parent = parent;
        this.candSlots = candSlots;
    }

    /**
     * Whether the store's rows take the repeated move ({@link #repeatedMove}): every coordinate
     * stored ({@code m == width}) and narrower than {@link SignSteps#FLAT_MIN_MOVED} (no shape of one
     * displacement tells a step from noise there), or of mixed scales (stored in units of each
     * coordinate's spread: tabular data; a sample of a wider row's coordinates too, see {@link
     * StoreScales#SAMPLED_FLAT_MAX}). Steps {@code eps * range_j * sign(g_j)} on mixed-scale
     * features are not equal in any units, and once a step is clipped at the box's edges it moves
     * fewer than {@link SignSteps#FLAT_MIN_MOVED} coordinates, so on 48-128 such features neither
     * the equal nor the flat shape sees them (issue 9: per-feature JbDA on 48- and 63-feature records
     * flagged in 15 and 25 of 48 survey runs, {@code MidWidthSpreadTest}). Images and other inputs
     * on one scale keep the three-candidate search of other keys' rows.
     */
    static boolean repeats(int m, boolean everyCoordinate, boolean mixed) {
        return (everyCoordinate && m < SignSteps.FLAT_MIN_MOVED) || mixed;
    }

    static boolean repeats(WidthStore st) {
        return repeats(st.m, st.m == st.width, st.inv != null);
    }

    /**
     * The repeated move (inputs narrower than {@link SignSteps#FLAT_MIN_MOVED}, where no shape of one
     * displacement tells a sign step from noise, and mixed-scale ones up to {@code coordinates}: {@link
     * #repeats}): JbDA steps {@code eps * range_j * sign(g_j)} move
     * coordinate j by the same amount from every parent, whatever the features' scales, so two rows
     * of a key that are each a step from a row of another key show the same moves. True (the key of
     * the candidate) when a move of this row from one of its candidates agrees with a move of the
     * key's last searched row from one of its candidates ({@link #sameMoves}), the two candidates
     * being different rows and the two rows of the key farther apart than the move (a key that
     * re-sends one record has the same moves to the same neighbours). This row's moves then become
     * the key's last. Cost per searched row: the moves of this row's and the last rows' candidates
     * (at most {@value ParentSearch#NARROW_CANDIDATES} x ({@value #REPEAT_ROWS} + 1) decodes of m coordinates) and
     * at most {@value ParentSearch#NARROW_CANDIDATES} x {@value ParentSearch#NARROW_CANDIDATES} x {@value #REPEAT_ROWS} pairs,
     * each dropped once three quarters of the moved coordinates can no longer agree ({@link
     * #sameMoves}: about a quarter of the coordinates for a natural pair).
     */
    String repeatedMove(WidthStore st, ChildKey rec, int found, int m) {
        if (rec.lastX == null || rec.lastX.length != REPEAT_ROWS * m) {
            rec.lastX = new float[REPEAT_ROWS * m];
            rec.moveSlots = new int[REPEAT_ROWS * NARROW_CANDIDATES];
            rec.moveCounts = new int[REPEAT_ROWS];
            rec.moveCount = 0;
        }
        if (nowMoves.length < NARROW_CANDIDATES * m) {
            nowMoves = new float[NARROW_CANDIDATES * m];
            nowParents = new float[NARROW_CANDIDATES * m];
            prevMoves = new float[REPEAT_ROWS * NARROW_CANDIDATES * m];
        }
        int stride = ByteRows.stride(m);
        float resolved = (float) SignSteps.RESOLVED;
        // the earlier rows' moves, from their rows and their candidates' slots (the key keeps no
        // moves: 0.4 KB a key at 13 inputs instead of 2 KB); a slot the ring has since reused gives
        // a move to an unrelated row, which agrees no more often than any natural pair
        float[] before = prevMoves;
        for (int r = 0; r < rec.moveCount; r++) {
            for (int b = r * NARROW_CANDIDATES; b < r * NARROW_CANDIDATES + rec.moveCounts[r]; b++) {
                int slot = rec.moveSlots[b];
                ByteRows.decode(st.rows, slot * stride, m, parent);
                float step = st.steps[slot];
                float q = step == 1f ? 0f : step / 2;
                prevErr[b] = q;
                int moved = 0;
                for (int j = 0; j < m; j++) {
                    float d = Math.abs(rec.lastX[r * m + j] - parent[j]);
                    before[b * m + j] = d;
                    moved += d > 0 && q <= resolved * d ? 1 : 0;
                }
                prevMoved[b] = moved;
            }
        }
        float[] now = nowMoves;
        for (int k = 0; k < found; k++) {
            int slot = candSlots[k];
            ByteRows.decode(st.rows, slot * stride, m, parent);
            System.arraycopy(parent, 0, nowParents, k * m, m);
            float step = st.steps[slot];
            float q = step == 1f ? 0f : step / 2;
            nowErr[k] = q;
            double len = 0;
            int moved = 0;
            for (int j = 0; j < m; j++) {
                float d = Math.abs(x[j] - parent[j]);
                now[k * m + j] = d;
                len += (double) d * d;
                moved += d > 0 && q <= resolved * d ? 1 : 0;
            }
            nowLen[k] = len;
            nowMoved[k] = moved;
        }
        String by = null;
        for (int r = 0; r < rec.moveCount && by == null; r++) {
            int n = rec.moveCounts[r];
            double apart = 0;
            for (int j = 0; j < m; j++) {
                double d = x[j] - rec.lastX[r * m + j];
                apart += d * d;
            }
            for (int a = 0; a < found && by == null; a++) {
                double len = nowLen[a];
                if (apart < len) {
                    continue;
                }
                for (int b = r * NARROW_CANDIDATES; b < r * NARROW_CANDIDATES + n && by == null; b++) {
                    repeatPairs++;
                    if (rec.moveSlots[b] != candSlots[a]
                            && sameMoves(
                                    now,
                                    a * m,
                                    nowErr[a],
                                    before,
                                    b * m,
                                    prevErr[b],
                                    x,
                                    rec.lastX,
                                    r * m,
                                    m,
                                    Math.max(nowMoved[a], prevMoved[b]))
                            && parentsApart(st, a, rec.moveSlots[b], m, len)) {
                        by = st.keys[candSlots[a]];
                    }
                }
            }
        }
        // this row and its candidates in the place of the oldest kept
        int r = rec.moveNext;
        System.arraycopy(x, 0, rec.lastX, r * m, m);
        System.arraycopy(candSlots, 0, rec.moveSlots, r * NARROW_CANDIDATES, found);
        rec.moveCounts[r] = found;
        rec.moveNext = r + 1 == REPEAT_ROWS ? 0 : r + 1;
        rec.moveCount = Math.min(rec.moveCount + 1, REPEAT_ROWS);
        return by;
    }

    /**
     * Whether candidate a of this row and the stored row at {@code slot} (a candidate of the key's
     * earlier row) are farther apart than the move ({@code len}, squared): the same move from two
     * copies of one record (the same public record sent by several customers) is what a what-if
     * query or a partial-dependence sweep of one record shows, each row a neighbour's moves plus
     * one changed feature; two JbDA children have different parents.
     */
    private boolean parentsApart(WidthStore st, int a, int slot, int m, double len) {
        ByteRows.decode(st.rows, slot * ByteRows.stride(m), m, parent);
        double d2 = 0;
        for (int j = 0; j < m; j++) {
            double d = nowParents[a * m + j] - parent[j];
            d2 += d * d;
        }
        return d2 >= len;
    }

    /**
     * Whether two move vectors are the same step: at least {@link SignSteps#MIN_MOVED} coordinates
     * moved in both by the same amount (within {@link SignSteps#TOLERANCE} of the larger, plus both
     * quantisation errors) where the two rows themselves ({@code xa}, {@code xb}) differ by more than
     * that, and those are at least three quarters of the coordinates either moved. A
     * coordinate counts as moved where its quantisation error is at most {@link SignSteps#RESOLVED}
     * of the move (a noisy re-send of a neighbour's record moves each coordinate by less than that,
     * so it is no move at all). Natural neighbours' moves agree within 3% in a coordinate a few times
     * in a hundred: eight of thirteen about once in 10^8 pairs.
     */
    static boolean sameMoves(
            float[] a, int ao, float qa, float[] b, int bo, float qb, float[] xa, float[] xb, int xbo, int m) {
        float resolved = (float) SignSteps.RESOLVED;
        int movedA = 0;
        int movedB = 0;
        for (int j = 0; j < m; j++) {
            float ca = a[ao + j];
            float cb = b[bo + j];
            movedA += ca > 0 && qa <= resolved * ca ? 1 : 0;
            movedB += cb > 0 && qb <= resolved * cb ? 1 : 0;
        }
        return sameMoves(a, ao, qa, b, bo, qb, xa, xb, xbo, m, Math.max(movedA, movedB));
    }

    /**
     * {@link #sameMoves(float[], int, float, float[], int, float, float[], float[], int, int)} with
     * the larger of the two moves' resolved moved counts known ({@code moved}): the same answer, but
     * a pair is dropped as soon as the coordinates left cannot bring the agreeing ones to three
     * quarters of {@code moved} (natural pairs after about a quarter of the coordinates, not m - 7:
     * what keeps the test's cost per pair from growing with the width on 48-128 inputs).
     */
    static boolean sameMoves(
            float[] a,
            int ao,
            float qa,
            float[] b,
            int bo,
            float qb,
            float[] xa,
            float[] xb,
            int xbo,
            int m,
            int moved) {
        float resolved = (float) SignSteps.RESOLVED;
        float tolerance = (float) SignSteps.TOLERANCE;
        // agree >= MIN_MOVED and 4 * agree >= 3 * moved
        int need = Math.max(SignSteps.MIN_MOVED, (3 * moved + 3) / 4);
        int agree = 0;
        for (int j = 0; j < m; j++) {
            float ca = a[ao + j];
            float cb = b[bo + j];
            float tol = tolerance * Math.max(ca, cb) + qa + qb;
            // only where the two rows differ: a what-if query or a partial-dependence sweep changes a
            // feature or two of one record, and its moves from one neighbour agree everywhere else
            boolean ok = ca > 0
                    & cb > 0
                    & qa <= resolved * ca
                    & qb <= resolved * cb
                    & Math.abs(ca - cb) <= tol
                    & Math.abs(xa[j] - xb[xbo + j]) > tol;
            agree += ok ? 1 : 0;
            // natural pairs agree in a coordinate a few times in a hundred: most stop after about a
            // quarter of the coordinates (when moved is near m)
            if (agree + (m - 1 - j) < need) {
                return false;
            }
        }
        return agree >= need;
    }
}
