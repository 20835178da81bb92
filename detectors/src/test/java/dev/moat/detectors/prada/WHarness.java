package dev.moat.detectors.prada;

import dev.moat.detectors.stats.ShapiroWilk;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.traffic.BoundaryAttacker;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Diagnostic: W trajectories of streams through the real detector (run with -Dwharness=true). */
@EnabledIfSystemProperty(named = "wharness", matches = "true")
class WHarness {

    static double[] dec(double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.round(x[i] * 1000) / 1000.0;
        }
        return x;
    }

    static QuerySource honest(Digits d, long seed, int[] classes, double share) {
        HonestClient c = new HonestClient(seed, Duration.ofSeconds(2), 0.5, "h", d, classes, share);
        return new QuerySource() {
            public double[] next() {
                return dec(c.next());
            }

            public String name() {
                return "honest";
            }
        };
    }

    static QuerySource wideHonest(Wide w, long seed, int[] classes, double share) {
        HonestClient c = new HonestClient(seed, Duration.ofSeconds(2), 0.5, "h", Digits.get(), classes, share);
        return new QuerySource() {
            public double[] next() {
                return dec(w.up(c.next()));
            }

            public String name() {
                return "honest";
            }
        };
    }

    final ShapiroWilk sw = new ShapiroWilk();

    /** Variant W from the state: mode 0 pooled raw, 1 per-class z, 2 per-class median/MAD, 3 min per-class W */
    double variant(PradaState s, int mode) {
        double[] pool = new double[20000];
        int n = 0;
        double minW = 1;
        for (int k = 0; k < s.activeCount; k++) {
            SortedRing r = s.active(k);
            int c = r.count();
            if (c < 10) continue;
            float[] v = r.sortedValues();
            int f = r.sortedFrom();
            double sum = 0, sq = 0;
            for (int i = f; i < f + c; i++) {
                sum += v[i];
                sq += (double) v[i] * v[i];
            }
            double mean = sum / c, sd = Math.sqrt(Math.max(1e-12, sq / c - mean * mean));
            double med = v[f + c / 2];
            double[] dev = new double[c];
            for (int i = 0; i < c; i++) dev[i] = Math.abs(v[f + i] - med);
            Arrays.sort(dev);
            double mad = Math.max(1e-9, dev[c / 2] * 1.4826);
            if (mode == 3 && c > 30) {
                double[] one = new double[c];
                for (int i = 0; i < c; i++) one[i] = v[f + i];
                if (one[c - 1] > one[0]) minW = Math.min(minW, sw.statisticOfSorted(one, 0, c));
            }
            for (int i = f; i < f + c; i++) {
                double x = v[i];
                pool[n++] = mode == 0 ? x : mode == 1 ? (x - mean) / sd : (x - med) / mad;
            }
        }
        if (mode == 3) return minW;
        if (n <= 100) return Double.NaN;
        double[] p = Arrays.copyOf(pool, n);
        Arrays.sort(p);
        double sum = 0, sq = 0;
        for (double x : p) {
            sum += x;
            sq += x * x;
        }
        double mean = sum / n, sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
        int lo = 0, hi = n;
        while (lo < hi && p[lo] < mean - 3 * sd) lo++;
        while (hi > lo && p[hi - 1] > mean + 3 * sd) hi--;
        int kept = hi - lo;
        if (kept <= 100) return Double.NaN;
        if (kept > ShapiroWilk.MAX_N) return Double.NaN;
        return p[hi - 1] > p[lo] ? sw.statisticOfSorted(p, lo, kept) : 1;
    }

    void run(String name, QuerySource src, UnaryOperator<double[]> model, int n) {
        PradaDetector d = new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L)));
        PradaState s = d.newState();
        double[] minW = {9, 9, 9, 9};
        int[] firstBelow = {-1, -1, -1, -1};
        int firstStep = -1;
        StringBuilder traj = new StringBuilder();
        for (int q = 1; q <= n; q++) {
            double[] x = src.next();
            double[] p = model.apply(x);
            src.observe(x, p);
            d.update(s, x, p, q * 1000L);
            if (firstStep < 0 && d.stepScore(s) >= 0.5) firstStep = q;
            if (q % 10 == 0) {
                for (int m = 0; m < 4; m++) {
                    double w = m == 0 ? (Double.isNaN(s.lastW) ? Double.NaN : s.lastW) : variant(s, m);
                    if (!Double.isNaN(w)) {
                        minW[m] = Math.min(minW[m], w);
                        if (firstBelow[m] < 0 && w < 0.8) firstBelow[m] = q;
                    }
                }
            }
            if (q == 200 || q == 500 || q == 1000 || q == 3000 || q == 10000 || q == n) {
                traj.append(String.format(
                        " %d:%.3f/%.3f/%.3f/%.3f", q, s.lastW, variant(s, 1), variant(s, 2), variant(s, 3)));
            }
        }
        System.out.printf(
                "WH %-28s minW pooled=%.3f z=%.3f mad=%.3f perclass=%.3f | first<0.8 at %d/%d/%d/%d | step>=.5 at %d |%s%n",
                name,
                minW[0],
                minW[1],
                minW[2],
                minW[3],
                firstBelow[0],
                firstBelow[1],
                firstBelow[2],
                firstBelow[3],
                firstStep,
                traj);
    }

    @Test
    void digits() {
        Digits d = Digits.get();
        UnaryOperator<double[]> m = SampleModel.DIGITS.model()::predict;
        int n = Integer.getInteger("wh.n", 30000);
        for (long seed : new long[] {1, 2}) {
            run("d64 honest s" + seed, honest(d, seed, new int[0], 0), m, n);
            run("d64 skew01 s" + seed, honest(d, seed, new int[] {0, 1}, 0.9), m, 3000);
            run("d64 skew479 s" + seed, honest(d, seed, new int[] {4, 7, 9}, 0.9), m, 3000);
            run("d64 skew0 s" + seed, honest(d, seed, new int[] {0}, 0.95), m, 3000);
            run("d64 jbda s" + seed, new JbdaAttacker(seed), m, 3000);
            run("d64 jbda-rand s" + seed, new JbdaAttacker(seed, d, 1.6, 400, JbdaAttacker.Steps.RANDOM), m, 3000);
            run("d64 random s" + seed, new RandomAttacker(seed), m, 3000);
            run("d64 boundary s" + seed, new BoundaryAttacker(seed), m, 3000);
            run("d64 knockoff s" + seed, new KnockoffAttacker(seed), m, 3000);
        }
    }

    @Test
    void digits32() {
        Digits d = Digits.upsampled(32);
        UnaryOperator<double[]> m = SampleModel.DIGITS32.model()::predict;
        int n = Integer.getInteger("wh.n32", 10000);
        long seed = 1;
        run("d32 honest", honest(d, seed, new int[0], 0), m, n);
        run("d32 skew01", honest(d, seed, new int[] {0, 1}, 0.9), m, 3000);
        run("d32 skew479", honest(d, seed, new int[] {4, 7, 9}, 0.9), m, 3000);
        run("d32 jbda", new JbdaAttacker(seed, d, 1.6, 400, JbdaAttacker.Steps.UNIFORM), m, 3000);
        run("d32 jbda-scaled", new JbdaAttacker(seed, d, 1.6, 400, JbdaAttacker.Steps.RANGE_SCALED), m, 3000);
        run("d32 jbda-rand", new JbdaAttacker(seed, d, 1.6, 400, JbdaAttacker.Steps.RANDOM), m, 3000);
        run("d32 random", new RandomAttacker(seed, 1024), m, 3000);
        run("d32 boundary", new BoundaryAttacker(seed, d), m, 3000);
        run("d32 knockoff", new KnockoffAttacker(seed, d), m, 3000);
    }

    @Test
    void wide3072() {
        Wide w = new Wide(3072);
        int n = Integer.getInteger("wh.nw", 5000);
        run("w3072 honest", wideHonest(w, 1, new int[0], 0), w::predict, n);
        run("w3072 honestNoisy", w.honestNoisy(1), w::predict, 3000);
        run("w3072 skew01", wideHonest(w, 1, new int[] {0, 1}, 0.9), w::predict, 3000);
        run("w3072 jbda", w.jbda(1, 0.1, Wide.Step.PLAIN, 1, 0), w::predict, 3000);
        run("w3072 jbda-rand", w.jbda(1, 0.1, Wide.Step.RANDOM_SIZE_FROM_ZERO, 1, 0), w::predict, 3000);
        run("w3072 jbda-mixed", w.jbda(1, 0.1, Wide.Step.PLAIN, 1, 2), w::predict, 3000);
    }
}
