package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.ClassBand.BREC;
import static dev.moat.detectors.prada.ClassBand.record;
import static dev.moat.detectors.prada.WidthStore.serial;

/**
 * {@link CrossKeyParents}' search for a row's candidate parents: the nearest stored rows of the
 * row's predicted class in its width's store ({@link WidthStore}), sent by other keys ({@value
 * #CANDIDATES}; on the stores that take the repeated move, {@value #NARROW_CANDIDATES}, the key's own
 * rows included), into {@link #candSlots} and {@link #candDist}, nearest first; the detector puts them
 * to the sign-step test. The same search over the key's own rows only is the re-send test ({@link
 * #resent}). The query is the detector's {@link LoadedRow}; the search's scratch and cost counters
 * are the one worker's that owns the detector.
 *
 * <p>Cost per searched row: one pass over the class's contiguous band records ({@link ClassBand}), a
 * bound per row from its sketch; a full squared distance for the lowest bounds and then for the rows
 * whose bound is under the third-nearest distance, lowest bound first, abandoned every 16 coordinates
 * once past the third-nearest. No allocation once the class's bounds array has grown to its band.
 */
final class ParentSearch {

    /**
     * Other-key rows tested per searched row, nearest first (the first that is a sign step ends it):
     * a second key that first sends a noisy near-copy of each child puts a decoy nearer than the
     * parent; with one candidate that hid the parent (detectors/README: "A decoy nearer than the parent").
     */
    static final int CANDIDATES = 3;

    /**
     * Candidates kept per searched row on the stores that take the repeated move ({@link NarrowMoves#repeats}:
     * tabular data), for the repeated-move test: a JbDA step of 10% of each feature's range towards
     * another class moves the child towards natural rows, which are then often nearer than its parent
     * (on the 13-input tabular fixture the parent was the nearest other-key row for 11% of children
     * and among the 8 nearest for about 40%, {@code Sybil13Probe}).
     */
    static final int NARROW_CANDIDATES = 8;

    /**
     * Rows whose bound is under the distance to beat are compared in full in batches of {@value
     * #PENDING}, lowest bound first, so the nearest rows set the distance to beat early and most of
     * the rest are ruled out by their bound alone.
     */
    static final int PENDING = 64;

    /**
     * A step's query is a re-send when one of the key's own stored rows is within its rounding, or
     * within sqrt(this) (a thousandth) of the step's length.
     */
    static final float RESEND_SHARE = 1e-6f;

    /** The row searched for (its x and band record). */
    private final LoadedRow row;

    private final float[] x;

    /** The candidates of the row being searched: slots and squared distances, nearest first. */
    final int[] candSlots = new int[NARROW_CANDIDATES];

    final float[] candDist = new float[NARROW_CANDIDATES];

    /** Candidates the current search keeps: {@value #CANDIDATES}, or {@value #NARROW_CANDIDATES} on a narrow store. */
    int want = CANDIDATES;

    /**
     * Whether the search passes over the key's own rows (PRADA's own test sees those); not on a narrow
     * store, whose repeated-move test takes a step from the key's own row as well (a Sybil's child
     * is as often the step of a row the same key sent).
     */
    boolean skipOwn = true;

    /** Whether the search passes over every other key's rows (the re-send test, {@link #resent}). */
    private boolean onlyOwn;

    /** The squared distance a search starts from: rows at it or farther are no candidates. */
    private float searchLimit = Float.POSITIVE_INFINITY;

    /** Rows compared over the sketch, and over every coordinate, since the start (cost accounting). */
    long sketched;

    long compared;
    long banded;

    /** Each row's bound in the last search, in band order. */
    private float[] bounds = new float[0];
    /** Where in {@link #bounds} each of the lowest bounds is, while they are chosen. */
    private final int[] topAt = new int[NARROW_CANDIDATES];

    private final float[] pendingBound = new float[PENDING];
    private final int[] pendingAt = new int[PENDING];
    private int pending;
    private int found;
    private float worst;

    ParentSearch(LoadedRow row) {
        this.row = row;
        this.x = row.x;
    }

    /**
     * The nearest {@value #CANDIDATES} stored rows of class c sent by other keys, not identical to
     * the query (the same public image sent by two customers is no step), into {@link #candSlots},
     * nearest first (among rows at one distance, the newer first); returns how many. Every row of
     * the class is bounded by its sketch in one pass; the {@code want} lowest bounds are compared in
     * full first, which sets the distance to beat, and then only the rows whose bound is under it
     * (compared lowest bound first, abandoned every 16 coordinates once past the last candidate).
     */
    int candidates(WidthStore st, int c, int keyHash) {
        if (c >= st.bands.length || st.bands[c] == null || st.bands[c].n == 0) {
            return 0;
        }
        ClassBand band = st.bands[c];
        int n = band.n;
        if (bounds.length < n) {
            bounds = new float[band.slots.length];
        }
        float[] qr = row.xRec;
        record(x, st.m, qr);
        float[][] cols = band.cols;
        int[] hashes = band.hashes;
        int[] slots = band.slots;
        float[] bs = bounds;
        // every row's bound, one record float at a time over the rows (loops C2 vectorises), a little
        // under the float one, so rounding never rules out a true candidate
        float q = qr[0];
        float[] col = cols[0];
        for (int i = 0; i < n; i++) {
            float d = q - col[i];
            bs[i] = d * d;
        }
        for (int j = 1; j < BREC; j++) {
            q = qr[j];
            col = cols[j];
            for (int i = 0; i < n; i++) {
                float d = q - col[i];
                bs[i] += d * d;
            }
        }
        for (int i = 0; i < n; i++) {
            bs[i] *= 0.999f;
        }
        banded += n;
        sketched += n;
        // the want lowest bounds of the rows the search may take (not the key's own, or only them; a
        // look at the key only for a row whose bound is low enough, a few a search), the newer row first
        // among equal ones (identical rows have equal bounds, and the newest of them is the one a key's
        // reason names): compared in full first, they set the distance to beat, which then rules out
        // most of the rest by their bound alone
        boolean own = !skipOwn;
        boolean others = !onlyOwn;
        found = 0;
        worst = searchLimit;
        pending = 0;
        int w = want;
        int[] top = topAt;
        // the bound a row must be under (or equal to, and newer) to be among the lowest; +inf while
        // fewer than want are (a NaN bound is never among them, and is compared below)
        float cut = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float b = bs[i];
            if (b <= cut) {
                int slot = slots[i];
                boolean take = hashes[i] == keyHash ? own : others;
                if (take && (pending < w || lower(st, b, slot, cut, pendingAt[w - 1]))) {
                    int p = pending < w ? pending++ : w - 1;
                    while (p > 0 && lower(st, b, slot, pendingBound[p - 1], pendingAt[p - 1])) {
                        pendingBound[p] = pendingBound[p - 1];
                        pendingAt[p] = pendingAt[p - 1];
                        top[p] = top[p - 1];
                        p--;
                    }
                    pendingBound[p] = b;
                    pendingAt[p] = slot;
                    top[p] = i;
                    cut = pending < w ? Float.POSITIVE_INFINITY : pendingBound[w - 1];
                }
            }
        }
        int first = pending;
        compare(st);
        // the rest whose bound is not ruled out (kept unless bound >= worst: a NaN bound is kept, and
        // every bound while worst is NaN) and which the search may take, not compared above
        for (int i = 0; i < n; i++) {
            float b = bs[i];
            if (!(b >= worst) && (hashes[i] == keyHash ? own : others) && !among(top, first, i)) {
                pendingBound[pending] = b;
                pendingAt[pending++] = slots[i];
                if (pending == PENDING) {
                    compare(st);
                }
            }
        }
        compare(st);
        return found;
    }

    /** Whether a row (its bound and slot) comes before another in the search's order: lower bound, then newer. */
    private static boolean lower(WidthStore st, float b, int slot, float otherB, int otherSlot) {
        return b < otherB || (b == otherB && serial(st, slot) > serial(st, otherSlot));
    }

    private static boolean among(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * Compares the pending rows in full, lowest bound first, into the candidates; empties the batch.
     * No sort: the lowest bound is taken out one at a time, and each new distance to beat drops the
     * rows it rules out, so the batch shrinks fast.
     */
    private void compare(WidthStore st) {
        int m = st.m;
        int stride = ByteRows.stride(m);
        float[] pb = pendingBound;
        int[] pa = pendingAt;
        int n = pending;
        while (n > 0) {
            // the first lowest bound, kept in a register: a new lowest is rare in a scan (a branch that
            // is taken a few times per scan costs less than re-loading pb[low] on every step)
            int low = 0;
            float lowest = pb[0];
            for (int i = 1; i < n; i++) {
                float b = pb[i];
                if (b < lowest || (b == lowest && serial(st, pa[i]) > serial(st, pa[low]))) {
                    lowest = b;
                    low = i;
                }
            }
            if (lowest >= worst) {
                break;
            }
            int slot = pa[low];
            n--;
            pb[low] = pb[n];
            pa[low] = pa[n];
            compared++;
            float d = ByteRows.distanceSquared(x, st.rows, slot * stride, m, st.offsets[slot], st.steps[slot], worst);
            if (d >= worst) {
                continue;
            }
            // insert into the candidates, nearest first
            int k = found < want ? found++ : want - 1;
            while (k > 0 && candDist[k - 1] > d) {
                candDist[k] = candDist[k - 1];
                candSlots[k] = candSlots[k - 1];
                k--;
            }
            candDist[k] = d;
            candSlots[k] = slot;
            if (found == want) {
                worst = candDist[want - 1];
                int kept = 0;
                for (int i = 0; i < n; i++) {
                    if (pb[i] < worst) {
                        pb[kept] = pb[i];
                        pa[kept++] = pa[i];
                    }
                }
                n = kept;
            }
        }
        pending = 0;
    }

    /**
     * Re-sent queries are no new steps (issue 9, session 20; PRADA's own test has had the same since
     * session 16): customers who re-send their own clips exactly, whose first send passed for a step
     * from another customer's clip, met the same parent on each re-send and were counted again (spectrograms,
     * {@code HonestDataShapesTest.spectrogramsOfClipsOverTheirOwnNoiseFloorsLookLikeSteps}). True when
     * one of the key's own stored rows of the class holds the query within the rounding the store
     * gives it (each coordinate within half its row's step), or within a thousandth of the step's
     * length ({@code hitDist}, squared): the key sent it before, and the step was counted then. Not
     * PRADA's eighth of the step: a ball that wide around each counted child would let a thief probe
     * it freely (finite differences for a gradient, each probe still a step from the other key's
     * parent), and the customers who re-send send the same bytes. Searches the class's band for the
     * key's own rows only, from a distance to beat of the tolerance, so most rows are ruled out by
     * their bound. Leaves the candidates overwritten (the test runs after them).
     */
    boolean resent(WidthStore st, int c, int keyHash, String keyId, float hitDist) {
        // the query as the store would hold it: each coordinate within half its row's step
        float step = ByteRows.step(row.xLo, row.xHi, row.xWhole);
        float rounding = step == 1f ? 0f : step / 2;
        float limit = Math.max(hitDist * RESEND_SHARE, st.m * rounding * rounding * 1.01f);
        boolean wasSkip = skipOwn;
        int wasWant = want;
        skipOwn = false;
        onlyOwn = true;
        want = 1;
        searchLimit = limit;
        try {
            int found = candidates(st, c, keyHash);
            return found > 0 && st.keys[candSlots[0]].equals(keyId);
        } finally {
            skipOwn = wasSkip;
            onlyOwn = false;
            want = wasWant;
            searchLimit = Float.POSITIVE_INFINITY;
        }
    }
}
