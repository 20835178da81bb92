package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.WidthStore.serial;

import dev.moat.detectors.internal.BitWindow;

/**
 * What a {@link CrossKeyParents} knows of one child key: its window of searched rows that had a
 * candidate parent (a bit per row, set for a sign step), its largest value, whether it is hot, the
 * last parent's key (for the reason), its last searched rows for the repeated move on narrow stores
 * ({@link NarrowMoves}), and the parents it was credited with: one row of another key credits a key
 * once ({@link #creditedBefore}), so a key's second and later children of one parent (sign steps from
 * one another, {@code prada}'s per-key test) and a camera's frames of one scene near one such row
 * count once.
 */
final class ChildKey {

    /** Parents a key remembers having been credited with a step from ({@link #creditedBefore}). */
    static final int CREDITED = 8;

    final BitWindow steps;
    float scale;
    long rows;
    /** Searched rows left before the key is cold again (set to {@link CrossKeyParents#HOT_ROWS} by a sign step). */
    int hotLeft;

    String lastParent;
    /** The store epoch rec.scale was taken in ({@link WidthStore#epoch}). */
    int epoch;
    /**
     * On the stores that take the repeated move ({@link NarrowMoves#repeats}): the key's last {@value
     * NarrowMoves#REPEAT_ROWS} searched rows (x in the store's units) and the slots of each one's candidates
     * (null until then): their moves are recomputed from these.
     */
    float[] lastX;

    int[] moveSlots;
    int[] moveCounts;
    /** Searched rows whose moves are kept (at most {@value NarrowMoves#REPEAT_ROWS}), and where the next goes. */
    int moveCount;

    int moveNext;
    /** Rows the repeated-move test found steps (for the reason). */
    long repeated;
    /**
     * The ring serials ({@link WidthStore#serial}) of the parents of the key's last {@value #CREDITED}
     * counted steps, in the store {@link #creditedStore} ({@link WidthStore#id}); null until the key's
     * first ({@link #creditedBefore}).
     */
    long[] credited;

    long creditedStore;
    int creditedNext;
    /** Steps left uncounted as from a parent the key was credited with before (for the reason). */
    long sameParents;

    ChildKey(int window) {
        this.steps = new BitWindow(window);
    }

    /**
     * Whether the key was credited before with a step from the row in {@code parentSlot} (one of
     * its last {@value #CREDITED} credited parents): one row of another key credits a key once (issue
     * 9, session 37). Honest keys were credited over and over from one row near their data: a camera
     * filming one scene near a thief's child of the same image sent 107 frames, each counted as a step
     * from that one child (the survey's 50x camera at 3,072 inputs: 163 steps from 4 parents, flagged
     * at 33,709 rows), and a 50x voltage monitor's windows, each another pattern of equal moves around
     * a thief's row, 28 from one (flagged at 28,389); a young night camera's frames were 4 steps from
     * one frame of another camera by its 9th row. A thief's Sybil children have a parent each and are
     * each counted as before; what a key gets uncounted is a second and later child of one parent
     * (another step size, or another sign pattern around it, as SPSA's probes are): those are sign
     * steps from one another, {@code prada}'s per-key test. The key forgets the parent after {@value
     * #CREDITED} other ones, when the parent leaves the ring (a later row in its slot has another
     * serial), or when its steps are found in another store (another width, or the width's store made
     * again after it was dropped).
     */
    static boolean creditedBefore(WidthStore st, ChildKey rec, int parentSlot) {
        long[] credited = rec.credited;
        if (credited == null || rec.creditedStore != st.id) {
            return false;
        }
        long parent = serial(st, parentSlot);
        for (long c : credited) {
            if (c == parent) {
                return true;
            }
        }
        return false;
    }

    /** Remembers that the key was credited with a step from the row in {@code parentSlot}. */
    static void credit(WidthStore st, ChildKey rec, int parentSlot) {
        if (rec.credited == null || rec.creditedStore != st.id) {
            rec.credited = new long[CREDITED];
            java.util.Arrays.fill(rec.credited, -1L);
            rec.creditedStore = st.id;
            rec.creditedNext = 0;
        }
        rec.credited[rec.creditedNext] = serial(st, parentSlot);
        rec.creditedNext = rec.creditedNext + 1 == CREDITED ? 0 : rec.creditedNext + 1;
    }
}
