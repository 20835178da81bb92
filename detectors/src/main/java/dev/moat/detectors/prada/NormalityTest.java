package dev.moat.detectors.prada;

import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.stats.ShapiroWilk;

/**
 * PRADA's normality test, asked by {@link PradaDetector} every {@code test_every} (10) queries of a
 * key: the D_c of classes holding at least 10 distances are pooled, values beyond 3 standard
 * deviations dropped, and if more than {@code min_distances} (100) remain, the Shapiro-Wilk W is
 * computed; W &lt; {@code delta} (0.90) is an alarm. It sets the state's {@code lastW}, {@code lastN}
 * and uncapped W score ({@code wUncapped}: 0 while W &gt;= delta, then linear to 1 at W = delta -
 * {@code ramp}); the detector caps it at {@code w_max_score}. The pooled test merges per-class runs
 * kept sorted as they arrive ({@link SortedRing}) instead of sorting the pool, and the 3-sigma trim
 * of a sorted pool is a contiguous range; the pools of the states tested most often are kept
 * between tests ({@link MergedPools}, which the detector tells of every distance added). A pool of
 * more than {@link ShapiroWilk#MAX_N} values is tested on an evenly spaced subsample.
 */
final class NormalityTest {

    private final PradaSettings settings;
    private final ShapiroWilk shapiroWilk = new ShapiroWilk();
    private double[] pool = new double[0];
    private double[] merged = new double[0];
    private int[] runStarts = new int[0];
    /** The classes whose runs make up the W test's pool, in order. */
    private int[] poolClasses = new int[0];
    /** The pools of the states tested most often, kept between tests (the detector's: see {@link MergedPools}). */
    private final MergedPools pools;
    /** False: every test merges from scratch (for tests comparing the two). */
    boolean keepPools = true;

    NormalityTest(PradaSettings settings, MergedPools pools) {
        this.settings = settings;
        this.pools = pools;
    }

    /** Tests the key's pooled distances: sets its lastW, lastN and wUncapped, or leaves them while too few. */
    void test(PradaState s) {
        int total = 0;
        int runs = 0;
        for (int k = 0; k < s.activeCount; k++) {
            int count = s.active(k).count();
            if (count >= 10) {
                total += count;
                runs++;
            }
        }
        if (total <= settings.minDistances()) {
            return;
        }
        if (pool.length < total) {
            pool = new double[total];
            merged = new double[total];
        }
        if (runStarts.length < runs + 1) {
            runStarts = new int[runs + 1];
            poolClasses = new int[runs + 1];
        }
        int r = 0;
        for (int k = 0; k < s.activeCount; k++) {
            if (s.active(k).count() >= 10) {
                poolClasses[r++] = s.active[k];
            }
        }
        // the pool kept since the last test and brought up to date, or null: merged from scratch below
        double[] sorted = keepPools ? pools.update(s, poolClasses, runs, total) : null;
        int n = 0;
        r = 0;
        double sum = 0;
        double sumSq = 0;
        for (int k = 0; k < s.activeCount; k++) {
            SortedRing ring = s.active(k);
            int count = ring.count();
            if (count >= 10) {
                runStarts[r++] = n;
                float[] values = ring.sortedValues();
                if (sorted == null) {
                    for (int i = ring.sortedFrom(), end = i + count; i < end; i++) {
                        double d = values[i];
                        pool[n++] = d;
                        sum += d;
                        sumSq += d * d;
                    }
                } else {
                    // the same sums in the same order, without the copy
                    for (int i = ring.sortedFrom(), end = i + count; i < end; i++) {
                        double d = values[i];
                        sum += d;
                        sumSq += d * d;
                    }
                    n += count;
                }
            }
        }
        runStarts[r] = n;
        if (sorted == null) {
            sorted = mergeRuns(runs, n);
            if (keepPools && sum == sum) {
                // no NaN among them (a NaN would sort apart from the merge's order)
                pools.keep(s, poolClasses, runs, sorted, n);
            }
        }
        double mean = sum / n;
        double sd = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
        int lo = 0;
        int hi = n;
        while (lo < hi && sorted[lo] < mean - 3 * sd) {
            lo++;
        }
        while (hi > lo && sorted[hi - 1] > mean + 3 * sd) {
            hi--;
        }
        int kept = hi - lo;
        if (kept <= settings.minDistances()) {
            return;
        }
        if (kept > ShapiroWilk.MAX_N) {
            // an evenly spaced subsample of the sorted pool is still sorted and keeps its shape
            double[] other = sorted == pool ? merged : pool;
            for (int i = 0; i < ShapiroWilk.MAX_N; i++) {
                other[i] = sorted[lo + (int) ((long) i * kept / ShapiroWilk.MAX_N)];
            }
            sorted = other;
            lo = 0;
            kept = ShapiroWilk.MAX_N;
        }
        // identical distances (one query repeated verbatim) carry no sign of synthetic exploration
        double w = sorted[lo + kept - 1] > sorted[lo] ? shapiroWilk.statisticOfSorted(sorted, lo, kept) : 1.0;
        s.lastW = w;
        s.lastN = kept;
        s.wUncapped = Rows.clamp01((settings.delta() - w) / settings.ramp());
    }

    /** Bottom-up merge of the sorted runs pool[runStarts[i]..runStarts[i+1]); returns the array holding the result. */
    private double[] mergeRuns(int runs, int n) {
        double[] from = pool;
        double[] to = merged;
        int[] starts = runStarts;
        while (runs > 1) {
            int out = 0;
            for (int k = 0; k < runs; k += 2) {
                int a = starts[k];
                int aEnd = starts[k + 1];
                int bEnd = k + 2 <= runs ? starts[Math.min(k + 2, runs)] : aEnd;
                int b = aEnd;
                starts[out++] = a;
                int o = a;
                while (a < aEnd && b < bEnd) {
                    to[o++] = from[a] <= from[b] ? from[a++] : from[b++];
                }
                while (a < aEnd) {
                    to[o++] = from[a++];
                }
                while (b < bEnd) {
                    to[o++] = from[b++];
                }
            }
            starts[out] = n;
            runs = out;
            double[] t = from;
            from = to;
            to = t;
        }
        return from;
    }
}
