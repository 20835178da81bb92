package dev.moat.detectors.support;

import dev.moat.fixtures.Digits;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Query streams: honest clients and the attacks the detectors are calibrated against. */
public final class Traffic {

    private Traffic() {}

    static double[] clip(double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(0, Math.min(Digits.MAX_PIXEL, x[i]));
        }
        return x;
    }

    static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** Honest rows in random order; past one pass, rows repeat with small noise (sigma 0.5). */
    public static List<double[]> honest(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] rows = Digits.get().honest().x();
        List<double[]> out = new ArrayList<>(n);
        int[] order = permutation(rows.length, r);
        for (int i = 0; i < n; i++) {
            double[] x = rows[order[i % rows.length]].clone();
            if (i >= rows.length) {
                for (int j = 0; j < x.length; j++) {
                    x[j] += 0.5 * gaussian(r);
                }
                clip(x);
            }
            out.add(x);
        }
        return out;
    }

    public static List<double[]> uniform(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<double[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double[] x = new double[Digits.FEATURES];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextDouble(0, Digits.MAX_PIXEL);
            }
            out.add(x);
        }
        return out;
    }

    /**
     * JbDA-style (Papernot et al. 2017): 10 seeds per class from the attacker's data, then rounds of
     * x + lambda * sign(direction towards another class's centroid), lambda = 1.6 (0.1 of the range).
     */
    public static List<double[]> jbda(int n, long seed, CentroidModel model) {
        SplittableRandom r = new SplittableRandom(seed);
        Digits.Part a = Digits.get().attacker();
        List<double[]> set = new ArrayList<>();
        int[] perClass = new int[Digits.CLASSES];
        for (int i : permutation(a.size(), r)) {
            if (perClass[a.y()[i]]++ < 10) {
                set.add(a.x()[i].clone());
            }
        }
        List<double[]> out = new ArrayList<>(set);
        while (out.size() < n) {
            List<double[]> next = new ArrayList<>();
            for (double[] x : set) {
                // sign of the gradient of the surrogate's probability of x's label: mu_y - sum_c p_c mu_c
                double[] p = model.predict(x);
                int label = argmax(p);
                double[] y = x.clone();
                for (int j = 0; j < y.length; j++) {
                    double g = model.centroid(label)[j];
                    for (int c = 0; c < p.length; c++) {
                        g -= p[c] * model.centroid(c)[j];
                    }
                    // the attacker retrains its substitute every round: about one sign in ten differs
                    y[j] += 1.6 * ((g >= 0) == (r.nextDouble() >= 0.1) ? 1 : -1);
                }
                next.add(clip(y));
            }
            set.addAll(next);
            out.addAll(next);
        }
        return out.subList(0, n);
    }

    /** Knockoff-like: the attacker's natural rows, shifted by up to one pixel and with noise sigma. */
    public static List<double[]> natural(int n, long seed, double sigma, boolean shift) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] rows = Digits.get().attacker().x();
        List<double[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double[] src = rows[r.nextInt(rows.length)];
            double[] x = shift ? shifted(src, r.nextInt(3) - 1, r.nextInt(3) - 1) : src.clone();
            for (int j = 0; j < x.length && sigma > 0; j++) {
                x[j] += sigma * gaussian(r);
            }
            out.add(clip(x));
        }
        return out;
    }

    static double[] shifted(double[] img, int dx, int dy) {
        double[] out = new double[img.length];
        for (int row = 0; row < 8; row++) {
            for (int col = 0; col < 8; col++) {
                int sr = row - dy;
                int sc = col - dx;
                if (sr >= 0 && sr < 8 && sc >= 0 && sc < 8) {
                    out[row * 8 + col] = img[sr * 8 + sc];
                }
            }
        }
        return out;
    }

    static int argmax(double[] p) {
        int b = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[b]) {
                b = i;
            }
        }
        return b;
    }

    /**
     * Boundary sampling: between two attacker rows of different classes, the attacker bisects with its
     * surrogate (here the stand-in itself) to the point where the label flips, and queries there.
     */
    public static List<double[]> boundary(int n, long seed, CentroidModel model) {
        SplittableRandom r = new SplittableRandom(seed);
        Digits.Part a = Digits.get().attacker();
        List<double[]> out = new ArrayList<>(n);
        while (out.size() < n) {
            double[] u = a.x()[r.nextInt(a.size())];
            double[] v = a.x()[r.nextInt(a.size())];
            int cu = argmax(model.predict(u));
            if (cu == argmax(model.predict(v))) {
                continue;
            }
            double lo = 0;
            double hi = 1;
            for (int step = 0; step < 12; step++) {
                double mid = (lo + hi) / 2;
                if (argmax(model.predict(lerp(u, v, mid))) == cu) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.add(lerp(u, v, lo + (hi - lo) * r.nextDouble()));
        }
        return out;
    }

    static double[] lerp(double[] u, double[] v, double t) {
        double[] x = new double[u.length];
        for (int k = 0; k < x.length; k++) {
            x[k] = (1 - t) * u[k] + t * v[k];
        }
        return x;
    }

    /** Plain interpolations t in [0.35, 0.65] between two attacker rows of different classes. */
    public static List<double[]> interpolations(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Digits.Part a = Digits.get().attacker();
        List<double[]> out = new ArrayList<>(n);
        while (out.size() < n) {
            int i = r.nextInt(a.size());
            int j = r.nextInt(a.size());
            if (a.y()[i] == a.y()[j]) {
                continue;
            }
            double t = r.nextDouble(0.35, 0.65);
            double[] x = new double[Digits.FEATURES];
            for (int k = 0; k < x.length; k++) {
                x[k] = (1 - t) * a.x()[i][k] + t * a.x()[j][k];
            }
            out.add(x);
        }
        return out;
    }

    static int[] permutation(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
