package dev.moat.detectors.prada;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a test: the smoothest roughness ({@link Smoothness#smoothest}) and the crest
 * factor of displacements over a run sample of 128 coordinates: honest series windows (nearest of a
 * key's earlier windows, and of other keys'), and wide JbDA children against their parents. Runs
 * only with {@code -Dmoat.smoothProbe=true}.
 */
class SmoothnessProbe {

    @Test
    void probe() {
        Assumptions.assumeTrue(Boolean.getBoolean("moat.smoothProbe"));
        for (int dims : new int[] {784, 3072}) {
            HonestDomain.Series d = HonestDomain.series(dims, 1);
            SplittableRandom sr = new SplittableRandom(dims);
            int start = sr.nextInt(dims);
            int stride = StepSample.stride(sr, 128, dims, start);
            for (String mode : new String[] {"same-key", "cross-key"}) {
                List<double[]> rows = new ArrayList<>();
                List<Integer> keyOf = new ArrayList<>();
                List<double[]> pairsR = new ArrayList<>();
                QuerySource[] peers = new QuerySource[12];
                for (int k = 0; k < 12; k++) {
                    peers[k] = d.peer(100 + k);
                }
                double[] rs = new double[600];
                double[] cs = new double[600];
                double[] ns = new double[600];
                int m = 0;
                for (int q = 0; q < 1200 && m < 600; q++) {
                    int k = q % 12;
                    double[] x = peers[k].next();
                    float[] xs = new float[128];
                    StepSample.gather(x, xs, 128, dims, start, stride);
                    int best = -1;
                    double bd = Double.MAX_VALUE;
                    for (int i = 0; i < rows.size(); i++) {
                        boolean same = keyOf.get(i) == k;
                        if (same != mode.equals("same-key")) {
                            continue;
                        }
                        double dd = 0;
                        float[] p = toF(rows.get(i));
                        for (int j = 0; j < 128; j++) {
                            dd += (xs[j] - p[j]) * (xs[j] - p[j]);
                        }
                        if (dd < bd) {
                            bd = dd;
                            best = i;
                        }
                    }
                    rows.add(toD(xs));
                    keyOf.add(k);
                    if (best >= 0 && q > 200) {
                        float[] p = toF(rows.get(best));
                        rs[m] = Smoothness.smoothest(xs, p, 128);
                        cs[m] = crest(xs, p);
                        ns[m] = nugget(xs, p);
                        m++;
                    }
                }
                print("series-" + dims + " " + mode, rs, cs, m);
                print("N series-" + dims + " " + mode, ns, cs, m);
            }
        }
        for (int dims : new int[] {784, 3072}) {
            Wide w = new Wide(dims);
            SplittableRandom sr = new SplittableRandom(dims + 1);
            int start = sr.nextInt(dims);
            int stride = StepSample.stride(sr, 128, dims, start);
            for (Wide.Step step : Wide.Step.values()) {
                Wide.Parented src = (Wide.Parented) w.jbda(11, 0.1, step, 1, 0);
                double[] rs = new double[400];
                double[] cs = new double[400];
                double[] ns = new double[400];
                int m = 0;
                for (int q = 0; q < 2000 && m < 400; q++) {
                    double[] x = src.next();
                    src.observe(x, w.predict(x));
                    double[] par = src.lastParent();
                    if (par == null) {
                        continue;
                    }
                    float[] xs = new float[128];
                    float[] ps = new float[128];
                    StepSample.gather(x, xs, 128, dims, start, stride);
                    StepSample.gather(par, ps, 128, dims, start, stride);
                    rs[m] = Smoothness.smoothest(xs, ps, 128);
                    cs[m] = crest(xs, ps);
                    ns[m] = nugget(xs, ps);
                    m++;
                }
                print("jbda-" + dims + " " + step, rs, cs, m);
                print("N jbda-" + dims + " " + step, ns, cs, m);
            }
        }
    }

    @Test
    void sweep() {
        Assumptions.assumeTrue(Boolean.getBoolean("moat.smoothProbe"));
        for (int dims : new int[] {784, 3072}) {
            HonestDomain d = HonestDomain.smooth(dims, 1);
            QuerySource src = dev.moat.detectors.support.HonestProbes.brightnessSweep(d, 18, 25);
            SplittableRandom sr = new SplittableRandom(dims + 2);
            int start = sr.nextInt(dims);
            int stride = StepSample.stride(sr, 128, dims, start);
            SignSteps steps = new SignSteps(128);
            float[] prev = null;
            int steps0 = 0;
            int equal = 0;
            int smooth = 0;
            int n = 0;
            double[] rs = new double[300];
            for (int q = 0; q < 300; q++) {
                double[] x = src.next();
                float[] xs = new float[128];
                StepSample.gather(x, xs, 128, dims, start, stride);
                if (prev != null && q % 25 != 0) {
                    float scale = 0;
                    for (int i = 0; i < 128; i++) {
                        scale = Math.max(scale, Math.abs(xs[i]));
                    }
                    boolean st = steps.isStepAcross(xs, prev, 128, 0.02f, scale, 0f);
                    double r = Smoothness.smoothest(xs, prev, 128);
                    rs[n++] = r;
                    // the equal shape alone: half the moves within 3% of the median
                    float[] mv = new float[128];
                    int m = 0;
                    for (int i = 0; i < 128; i++) {
                        float dd = Math.abs(xs[i] - prev[i]);
                        if (dd > 1e-6f) {
                            mv[m++] = dd;
                        }
                    }
                    Arrays.sort(mv, 0, m);
                    float med = m > 0 ? mv[m / 2] : 0;
                    int agree = 0;
                    for (int i = 0; i < m; i++) {
                        agree += Math.abs(mv[i] - med) <= 0.03 * med ? 1 : 0;
                    }
                    steps0 += st ? 1 : 0;
                    equal += st && agree >= 0.5 * m ? 1 : 0;
                    smooth += r <= Smoothness.ROUGHNESS ? 1 : 0;
                }
                prev = xs;
            }
            double[] r = Arrays.copyOf(rs, n);
            Arrays.sort(r);
            System.out.printf(
                    Locale.ROOT,
                    "smooth-probe sweep-%d pairs %d steps %d (equal shape %d) smooth %d; roughness p5 %.3f p50 %.3f p95 %.3f%n",
                    dims,
                    n,
                    steps0,
                    equal,
                    smooth,
                    r[n / 20],
                    r[n / 2],
                    r[19 * n / 20]);
        }
    }

    static double nugget(float[] x, float[] p) {
        double[] r = new double[7];
        Smoothness.roughness(x, p, 128, 6, r);
        double best = 2;
        for (int h = 1; h <= 3; h++) {
            double v = 2 * r[h] - r[2 * h];
            if (!Double.isNaN(v)) {
                best = Math.min(best, v);
            }
        }
        return best;
    }

    static float[] toF(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    static double[] toD(float[] a) {
        double[] f = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = a[i];
        }
        return f;
    }

    static double crest(float[] x, float[] p) {
        double ss = 0;
        double big = 0;
        int moved = 0;
        for (int i = 0; i < x.length; i++) {
            double dd = Math.abs(x[i] - p[i]);
            if (dd > 1e-6) {
                ss += dd * dd;
                big = Math.max(big, dd);
                moved++;
            }
        }
        return moved == 0 ? 0 : big / Math.sqrt(ss / moved);
    }

    static void print(String what, double[] rs, double[] cs, int m) {
        double[] r = Arrays.copyOf(rs, m);
        Arrays.sort(r);
        double[] rf = new double[m];
        int nf = 0;
        for (int i = 0; i < m; i++) {
            if (cs[i] <= 2.2) {
                rf[nf++] = rs[i];
            }
        }
        Arrays.sort(rf, 0, nf);
        if (nf > 0) {
            System.out.printf(
                    Locale.ROOT,
                    "smooth-probe %-36s crest<=2.2: %d, p5 %.3f p25 %.3f p50 %.3f p75 %.3f p95 %.3f%n",
                    what,
                    nf,
                    rf[nf / 20],
                    rf[nf / 4],
                    rf[nf / 2],
                    rf[3 * nf / 4],
                    rf[19 * nf / 20]);
        }
        int flat = 0;
        int flatSmooth = 0;
        for (int i = 0; i < m; i++) {
            if (cs[i] <= Math.max(SignSteps.MAX_CREST, NoiseLimits.crestLimit(128))) {
                flat++;
                if (rs[i] <= Smoothness.ROUGHNESS) {
                    flatSmooth++;
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "smooth-probe %-34s n %d roughness p5 %.3f p25 %.3f p50 %.3f p75 %.3f p95 %.3f; flat %d, flat and smooth %d%n",
                what,
                m,
                r[m / 20],
                r[m / 4],
                r[m / 2],
                r[3 * m / 4],
                r[19 * m / 20],
                flat,
                flatSmooth);
    }
}
