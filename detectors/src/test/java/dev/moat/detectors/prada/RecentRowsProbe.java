package dev.moat.detectors.prada;

import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Scratch probe (not a test of record): PRADA alone, step bits per stream, for sizing the recent rows. */
class RecentRowsProbe {

    static int ringRows = Integer.getInteger("ring.rows", PradaSettings.DEFAULT_RECENT_ROWS);

    @Test
    void probe() {
        Map<String, boolean[]> bits = new LinkedHashMap<>();
        Wide w = new Wide(3072);
        Wide w7 = new Wide(784);
        String only = System.getProperty("probe.only", "");
        Map<String, java.util.function.Supplier<QuerySource>> attacks = new LinkedHashMap<>();
        attacks.put("rpf-0.1-1:3", () -> dil(w, w.jbda(60, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 160, 3));
        attacks.put("rpf-0.03-1:1", () -> dil(w, w.jbda(67, 0.03, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 167, 1));
        attacks.put("rpf-0.1-1:7", () -> dil(w, w.jbda(61, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 170, 7));
        attacks.put("rpf-0.1-1:10", () -> dil(w, w.jbda(62, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0), 171, 10));
        attacks.put("gauss-0.1-1:3", () -> dil(w, w.jbda(63, 0.1, Wide.Step.GAUSSIAN_SIZE, 1, 0), 172, 3));
        attacks.put("lognorm-0.1-1:3", () -> dil(w, w.jbda(64, 0.1, Wide.Step.LOGNORMAL_SIZE, 1, 0), 173, 3));
        attacks.put("hnpf-0.1-1:3", () -> dil(w, w.jbda(66, 0.1, Wide.Step.HALF_NORMAL_PER_FEATURE, 1, 0), 175, 3));
        attacks.put("lnpf-0.1-1:3", () -> dil(w, w.jbda(68, 0.1, Wide.Step.LOGNORMAL_PER_FEATURE, 1, 0), 176, 3));
        attacks.put(
                "old-rpf-0.1-lag300-1:3",
                () -> dil(w, w.jbdaOldParents(69, 0.1, Wide.Step.RANDOM_PER_FEATURE, 300), 177, 3));
        attacks.put(
                "old-rpf-0.1-lag1100-plain",
                () -> LineSearch.after(
                        w.honestNoisy(178), 300, w.jbdaOldParents(70, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1100)));
        attacks.put("rs2-0.1-1:3", () -> dil(w, w.jbda(65, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), 174, 3));
        for (var e : attacks.entrySet()) {
            if (only.isEmpty() || e.getKey().contains(only)) {
                QuerySource src = e.getValue().get();
                bits.put(e.getKey(), run(w, src, 2_100));
            }
        }
        if (only.isEmpty() || only.equals("honest")) {
            for (int k = 0; k < 6; k++) {
                bits.put(
                        "honest-3072-" + k, run(w, k % 2 == 0 ? w.honest(1_500 + k) : w.honestNoisy(1_500 + k), 2_000));
                bits.put(
                        "honest-784-" + k,
                        run(w7, k % 2 == 0 ? w7.honest(1_600 + k) : w7.honestNoisy(1_600 + k), 2_000));
            }
            for (int k = 0; k < 3; k++) {
                WideTab t = new WideTab(3072, 90 + k);
                bits.put("tab-3072-" + k, run(t, t.honest(k, 0.1, false), 2_000));
                bits.put("tab-resend-mult-" + k, run(t, t.honest(k, 0.05, true), 2_000));
                bits.put("tab-resend-unif-" + k, run(t, t.uniformResend(k), 2_000));
            }
        }
        if (only.equals("long")) {
            for (int k = 0; k < 4; k++) {
                bits.put(
                        "long-honest-3072-" + k,
                        run(w, k % 2 == 0 ? w.honest(1_700 + k) : w.honestNoisy(1_700 + k), 8_000));
                bits.put(
                        "long-honest-784-" + k,
                        run(w7, k % 2 == 0 ? w7.honest(1_800 + k) : w7.honestNoisy(1_800 + k), 8_000));
            }
            for (int k = 0; k < 2; k++) {
                WideTab t = new WideTab(3072, 95 + k);
                bits.put("long-tab-resend-mult-" + k, run(t, t.honest(k, 0.05, true), 8_000));
                bits.put("long-tab-resend-mult10-" + k, run(t, t.honest(k, 0.10, true), 8_000));
                WideTab t7 = new WideTab(784, 97 + k);
                bits.put("long-tab784-" + k, run(t7, t7.honest(k, 0.1, false), 8_000));
            }
        }
        for (var e : bits.entrySet()) {
            boolean[] b = e.getValue();
            int total = 0;
            int maxWin = 0;
            int win = 0;
            for (int i = 0; i < b.length; i++) {
                total += b[i] ? 1 : 0;
                win += b[i] ? 1 : 0;
                if (i >= 200) {
                    win -= b[i - 200] ? 1 : 0;
                }
                maxWin = Math.max(maxWin, win);
            }
            StringBuilder cus = new StringBuilder();
            for (double[] pr : new double[][] {{0.01, 0.05}, {0.005, 0.04}, {0.01, 0.08}}) {
                double up = Math.log(pr[1] / pr[0]);
                double down = Math.log((1 - pr[1]) / (1 - pr[0]));
                double c = 0;
                double max = 0;
                int at10 = -1;
                for (int i = 0; i < b.length; i++) {
                    c = Math.max(0, c + (b[i] ? up : down));
                    max = Math.max(max, c);
                    if (at10 < 0 && c >= 10) {
                        at10 = i;
                    }
                }
                cus.append(String.format(Locale.ROOT, " cusum(%.3f,%.2f) max %.1f at10 %d;", pr[0], pr[1], max, at10));
            }
            System.out.printf(
                    Locale.ROOT,
                    "PROBE ring=%d %-22s steps %4d maxWin %3d%s%n",
                    ringRows,
                    e.getKey(),
                    total,
                    maxWin,
                    cus);
        }
    }

    /** DetectorBenchmarks.prada's traffic at 3,072 inputs (64 uniform rows cycling, ten classes): searches and rows scanned. */
    @Test
    void benchmarkTraffic() {
        int dims = 3072;
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        double[][] in = new double[64][dims];
        double[][] pr = new double[64][10];
        for (int i = 0; i < 64; i++) {
            for (int j = 0; j < dims; j++) {
                in[i][j] = r.nextDouble(0, 16);
            }
            pr[i][i % 10] = 0.9;
            pr[i][(i + 1) % 10] = 0.1;
        }
        PradaDetector d = new PradaDetector(PradaSettings.from(Map.of("step_recent_rows", ringRows)));
        PradaState s = d.newState();
        int next = 0;
        for (int k = 0; k < 22_000; k++) {
            if (k == 12_000) {
                d.recentRows.recentSearches = 0;
                d.recentRows.recentRowsScanned = 0;
            }
            int i = next;
            next = (i + 1) & 63;
            in[i][i % dims] += 1e-3;
            d.update(s, in[i], pr[i], 1_000_000 + 50L * k);
        }
        System.out.printf(
                Locale.ROOT,
                "PROBE-BENCH ring=%d over 10,000 rows: searches %d, rows scanned %d (%.1f per search)%n",
                ringRows,
                d.recentRows.recentSearches,
                d.recentRows.recentRowsScanned,
                d.recentRows.recentRowsScanned / Math.max(1.0, d.recentRows.recentSearches));
    }

    static QuerySource dil(Wide w, QuerySource attack, long seed, int b) {
        return LineSearch.after(
                w.honestNoisy(seed), 300, LineSearch.interleaved(attack, w.honestNoisy(seed + 1000), 1, b));
    }

    interface Model {
        double[] predict(double[] x);
    }

    static boolean[] run(Wide w, QuerySource src, int rows) {
        return run(w::predict, src, rows);
    }

    static boolean[] run(WideTab t, QuerySource src, int rows) {
        return run(t::predict, src, rows);
    }

    static boolean[] run(Model m, QuerySource src, int rows) {
        PradaDetector d =
                new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L, "step_recent_rows", ringRows)));
        PradaState s = d.newState();
        boolean[] out = new boolean[rows];
        for (int q = 0; q < rows; q++) {
            double[] x = src.next();
            double[] p = m.predict(x);
            d.update(s, x, p, q * 1_000L);
            src.observe(x, p);
            out[q] = d.lastStepForTest();
        }
        System.out.printf(
                Locale.ROOT,
                "PROBE-COST searches %d rows scanned %d (%.1f per search) of %d rows%n",
                d.recentRows.recentSearches,
                d.recentRows.recentRowsScanned,
                d.recentRows.recentRowsScanned / Math.max(1.0, d.recentRows.recentSearches),
                rows);
        return out;
    }

    /** Wide tabular-like honest data: features on scales 0.1..1,000, ten clusters, two factors. */
    static final class WideTab {
        final int dims;
        final double[] scale;
        final double[][] means = new double[10][];

        WideTab(int dims, long seed) {
            this.dims = dims;
            Random r = new UnsharedRandom(seed);
            scale = new double[dims];
            for (int j = 0; j < dims; j++) {
                scale[j] = Math.pow(10, -1 + 4 * r.nextDouble());
            }
            for (int c = 0; c < 10; c++) {
                means[c] = new double[dims];
                for (int j = 0; j < dims; j++) {
                    means[c][j] = scale[j] * (2 + 1.5 * r.nextGaussian());
                }
            }
        }

        double[] predict(double[] x) {
            double[] p = new double[10];
            int best = 0;
            double bestD = Double.MAX_VALUE;
            for (int c = 0; c < 10; c++) {
                double dd = 0;
                for (int j = 0; j < dims; j += 7) {
                    double v = (x[j] - means[c][j]) / scale[j];
                    dd += v * v;
                }
                if (dd < bestD) {
                    bestD = dd;
                    best = c;
                }
            }
            p[best] = 0.8;
            p[(best + 1) % 10] = 0.2;
            return p;
        }

        /** Fresh items (noise sd share * scale) or, with resend, re-sends of 100 items with multiplicative noise. */
        QuerySource honest(long seed, double share, boolean resend) {
            Random r = new UnsharedRandom(seed);
            List<double[]> items = new ArrayList<>();
            return new QuerySource() {
                @Override
                public double[] next() {
                    if (resend && items.size() >= 100) {
                        double[] base = items.get(r.nextInt(items.size()));
                        double[] x = base.clone();
                        for (int j = 0; j < dims; j++) {
                            x[j] = base[j] * (1 + share * r.nextGaussian());
                        }
                        return x;
                    }
                    int c = r.nextInt(10);
                    double f1 = r.nextGaussian();
                    double[] x = new double[dims];
                    for (int j = 0; j < dims; j++) {
                        x[j] = means[c][j] + scale[j] * (0.5 * f1 + share * 10 * 0.1 * r.nextGaussian());
                    }
                    items.add(x);
                    return x;
                }

                @Override
                public String name() {
                    return "wide-tab";
                }
            };
        }

        /** Re-sends of 100 items with uniform noise of 2% of each feature's scale (dithering). */
        QuerySource uniformResend(long seed) {
            Random r = new UnsharedRandom(seed);
            QuerySource fresh = honest(seed + 7, 0.1, false);
            List<double[]> items = new ArrayList<>();
            return new QuerySource() {
                @Override
                public double[] next() {
                    if (items.size() < 100) {
                        double[] x = fresh.next();
                        items.add(x);
                        return x;
                    }
                    double[] base = items.get(r.nextInt(items.size()));
                    double[] x = base.clone();
                    for (int j = 0; j < dims; j++) {
                        x[j] = base[j] + 0.02 * scale[j] * (2 * r.nextDouble() - 1);
                    }
                    return x;
                }

                @Override
                public String name() {
                    return "wide-tab-uniform";
                }
            };
        }
    }
}
