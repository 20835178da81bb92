package dev.moat.detectors.prada;

import java.util.Arrays;

/**
 * The W test's sorted pool of the states one detector tested last, kept between tests so that the
 * next test updates it instead of merging every class's sorted run again (issue 9: merging a
 * tenant's 10 x 300 distances every 10 queries was a tenth of the engine worker's time at 64
 * inputs; a branch per value, taken at random). Between two tests a state's runs change by the
 * distances added and the oldest ones pushed out, at most one each per query; they are logged here
 * as they happen, and the next test walks the old pool once, dropping the pushed-out values and
 * slotting the new ones in. The result is the same sorted multiset of the same numbers as the
 * merge's, so the same array: the W test sees exactly what it saw before.
 *
 * <p>Held per detector instance (one worker's), for at most {@value #SLOTS} states, the most
 * recently tested of those tested twice within {@value #RECENT} tests (a tenant's state is tested
 * ten times as often as its keys'), weakly; nothing is added to a key's own state, so memory per key
 * does not grow (a kept pool costs 16 bytes a distance, 48 KB for a full tenant's 3,000, at most
 * {@value #SLOTS} of them per worker and detector configuration). Whenever the log cannot vouch for the pool
 * (a class joined the pool, the log overflowed, a value is NaN, a pushed-out value is missing from
 * the pool) the test merges from scratch as before.
 */
final class MergedPools {

    static final int SLOTS = 32;

    /**
     * The kept states, weakly (an evicted key or tenant is not held here), and their identity hashes
     * (compared first: most updates are of states not kept).
     */
    private final java.lang.ref.WeakReference<?>[] states = new java.lang.ref.WeakReference<?>[SLOTS];

    private final int[] hashes = new int[SLOTS];
    private final Entry[] entries = new Entry[SLOTS];
    private final long[] used = new long[SLOTS];
    private long uses;
    private final int logCapacity;

    private float[] addedScratch = new float[0];
    private float[] removedScratch = new float[0];
    private boolean[] inPool = new boolean[0];
    private int[] removedAt = new int[0];
    private int[] insertAt = new int[0];

    /** Hits and rebuilds, for tests. */
    long hits;

    long rebuilds;

    MergedPools(int testEvery) {
        this.logCapacity = testEvery;
    }

    private static final class Entry {
        /** The pool as sorted at the last test, in [0, n), and a second buffer to walk it into. */
        double[] sorted = new double[0];

        double[] spare = new double[0];
        int n;
        /** The classes whose runs made up the pool, in the test's order. */
        int[] classes = new int[0];

        int classCount;
        /** Logged since: class, value added, whether one was pushed out, and which. */
        int[] logClass;

        float[] logAdded;
        float[] logRemoved;
        boolean[] logPushed;
        int logged;
        boolean broken;
    }

    private int slot(PradaState s) {
        int h = System.identityHashCode(s);
        for (int i = 0; i < SLOTS; i++) {
            if (hashes[i] == h && states[i] != null && states[i].get() == s) {
                return i;
            }
        }
        return -1;
    }

    private Entry find(PradaState s) {
        int i = slot(s);
        return i < 0 ? null : entries[i];
    }

    /** Logs that class c of s gained {@code added}, pushing {@code removed} out when {@code pushed}. */
    void note(PradaState s, int c, float added, boolean pushed, float removed) {
        Entry e = find(s);
        if (e == null || e.broken) {
            return;
        }
        if (e.logged == logCapacity || Float.isNaN(added) || (pushed && Float.isNaN(removed))) {
            e.broken = true;
            return;
        }
        int k = e.logged++;
        e.logClass[k] = c;
        e.logAdded[k] = added;
        e.logPushed[k] = pushed;
        e.logRemoved[k] = removed;
    }

    /**
     * The sorted pool of s's runs {@code classes[0..count)} (n values in all), from the kept pool
     * and the log, or null when it cannot be had that way (then the caller merges, and passes the
     * result to {@link #keep}).
     */
    double[] update(PradaState s, int[] classes, int count, int n) {
        int at = slot(s);
        if (at < 0) {
            return null;
        }
        Entry e = entries[at];
        used[at] = ++uses;
        if (e.broken || e.classCount != count || !Arrays.equals(e.classes, 0, count, classes, 0, count)) {
            return forget(e);
        }
        int maxClass = 0;
        for (int i = 0; i < count; i++) {
            maxClass = Math.max(maxClass, classes[i]);
        }
        if (inPool.length <= maxClass) {
            inPool = new boolean[Math.max(maxClass + 1, inPool.length * 2)];
        }
        for (int i = 0; i < count; i++) {
            inPool[classes[i]] = true;
        }
        if (addedScratch.length < e.logged) {
            addedScratch = new float[logCapacity];
            removedScratch = new float[logCapacity];
        }
        int a = 0;
        int r = 0;
        for (int k = 0; k < e.logged; k++) {
            int c = e.logClass[k];
            if (c < inPool.length && inPool[c]) {
                addedScratch[a++] = e.logAdded[k];
                if (e.logPushed[k]) {
                    removedScratch[r++] = e.logRemoved[k];
                }
            }
        }
        for (int i = 0; i < count; i++) {
            inPool[classes[i]] = false;
        }
        if (e.n + a - r != n) {
            return forget(e);
        }
        Arrays.sort(addedScratch, 0, a);
        Arrays.sort(removedScratch, 0, r);
        // room for every value walked, should the log not vouch for the pool (then o ends past n)
        if (e.spare.length < e.n + a) {
            e.spare = new double[Math.max(e.n + a, e.spare.length + (e.spare.length >> 1))];
        }
        double[] from = e.sorted;
        double[] to = e.spare;
        int old = e.n;
        // where each pushed-out value sits (equal ones at successive slots) and where each new one goes
        if (removedAt.length < r || insertAt.length < a) {
            removedAt = new int[logCapacity];
            insertAt = new int[logCapacity];
        }
        for (int j = 0; j < r; j++) {
            double v = removedScratch[j];
            int i = j > 0 && removedScratch[j - 1] == v ? removedAt[j - 1] + 1 : lowerBound(from, old, v);
            if (i >= old || from[i] != v) {
                // a pushed-out value the pool did not hold: the log does not vouch for it
                return forget(e);
            }
            removedAt[j] = i;
        }
        for (int j = 0; j < a; j++) {
            insertAt[j] = lowerBound(from, old, addedScratch[j]);
        }
        // the pool copied in blocks between those places
        int o = 0;
        int p = 0;
        int ri = 0;
        int ai = 0;
        while (true) {
            int next = Math.min(ri < r ? removedAt[ri] : old, ai < a ? insertAt[ai] : old);
            System.arraycopy(from, p, to, o, next - p);
            o += next - p;
            p = next;
            if (ai < a && insertAt[ai] <= p) {
                to[o++] = addedScratch[ai++];
            } else if (ri < r) {
                p++;
                ri++;
            } else {
                break;
            }
        }
        if (o != n) {
            return forget(e);
        }
        e.spare = from;
        e.sorted = to;
        e.n = n;
        e.logged = 0;
        hits++;
        return to;
    }

    /** The first index in sorted[0..n) whose value is not below v (n if none). */
    private static int lowerBound(double[] sorted, int n, double v) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private double[] forget(Entry e) {
        e.broken = true;
        return null;
    }

    /**
     * Identity hashes of the states merged from scratch lately: a state is kept only at its second
     * merge within the last {@value #RECENT} (one tested that often, such as a tenant's); keys tested
     * in turn among many more pay no copy.
     */
    static final int RECENT = 64;

    private final int[] recentMerges = new int[RECENT];
    private int recentNext;

    /** Keeps the freshly merged pool of s if s is tested often (the most recently tested states are kept). */
    void keep(PradaState s, int[] classes, int count, double[] sorted, int n) {
        rebuilds++;
        if (slot(s) < 0) {
            int h = System.identityHashCode(s);
            boolean again = false;
            for (int i = 0; i < RECENT && !again; i++) {
                again = recentMerges[i] == h;
            }
            if (!again) {
                recentMerges[recentNext] = h;
                recentNext = (recentNext + 1) % RECENT;
                return;
            }
        }
        int slot = slot(s);
        if (slot < 0) {
            int victim = 0;
            for (int i = 0; i < SLOTS; i++) {
                if (states[i] == null || states[i].get() == null) {
                    // a free slot, or one whose state is gone
                    victim = i;
                    break;
                }
                if (used[i] < used[victim]) {
                    victim = i;
                }
            }
            slot = victim;
            states[slot] = new java.lang.ref.WeakReference<>(s);
            hashes[slot] = System.identityHashCode(s);
            if (entries[slot] == null) {
                entries[slot] = new Entry();
            }
        }
        used[slot] = ++uses;
        Entry e = entries[slot];
        if (e.sorted.length < n) {
            e.sorted = new double[n];
        }
        System.arraycopy(sorted, 0, e.sorted, 0, n);
        e.n = n;
        if (e.classes.length < count) {
            e.classes = new int[count];
        }
        System.arraycopy(classes, 0, e.classes, 0, count);
        e.classCount = count;
        if (e.logClass == null) {
            e.logClass = new int[logCapacity];
            e.logAdded = new float[logCapacity];
            e.logRemoved = new float[logCapacity];
            e.logPushed = new boolean[logCapacity];
        }
        e.logged = 0;
        e.broken = false;
    }
}
