package dev.moat.detectors.support;

import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * Narrow tabular inputs (13 features, like the UCI wine data): three classes, each row a class mean
 * plus two shared latent factors (correlated features, as measurements of one sample are) and a
 * little noise, on per-feature scales from 0.1 to 1,000 and clipped to each feature's bounds. The
 * model is a softmax over negative scaled distances to the class means. Honest keys draw rows of a
 * fixed pool (their records) with measurement noise; the attacker is JbDA-style from ten pool rows
 * per class, stepping {@code eps * range_j * u_j * sign(g_j)} towards another class's mean.
 */
public final class Tabular {

    public static final int DIMS = 13;
    public static final int CLASSES = 3;

    private final double[] scale = new double[DIMS];
    private final double[][] means = new double[CLASSES][DIMS];
    private final double[][] loadings = new double[2][DIMS];
    private final double[] lo = new double[DIMS];
    private final double[] hi = new double[DIMS];
    private final List<double[]> pool = new ArrayList<>();
    private final List<Integer> poolLabels = new ArrayList<>();

    /** How the attacker sizes a step. */
    public enum Step {
        /** eps * range_j: per-feature scaled sign steps. */
        PER_FEATURE,
        /** eps * range_j * u_j, u_j uniform in [0, 2). */
        RANDOM_SIZE,
        /** eps * range_j * u_j, u_j uniform in [0.9, 1.1): per-feature steps with 10% noise on each size. */
        JITTERED
    }

    public Tabular(long seed) {
        Random r = new UnsharedRandom(seed);
        for (int j = 0; j < DIMS; j++) {
            scale[j] = Math.pow(10, -1 + 4 * (double) j / (DIMS - 1)); // 0.1 .. 1000
            for (int c = 0; c < CLASSES; c++) {
                means[c][j] = scale[j] * (2 + 1.5 * r.nextGaussian());
            }
            loadings[0][j] = scale[j] * 0.6 * r.nextGaussian();
            loadings[1][j] = scale[j] * 0.4 * r.nextGaussian();
            lo[j] = Double.POSITIVE_INFINITY;
            hi[j] = Double.NEGATIVE_INFINITY;
        }
        for (int i = 0; i < 3_000; i++) {
            int c = i % CLASSES;
            double f1 = r.nextGaussian();
            double f2 = r.nextGaussian();
            double[] x = new double[DIMS];
            for (int j = 0; j < DIMS; j++) {
                x[j] = means[c][j] + f1 * loadings[0][j] + f2 * loadings[1][j] + 0.1 * scale[j] * r.nextGaussian();
                lo[j] = Math.min(lo[j], x[j]);
                hi[j] = Math.max(hi[j], x[j]);
            }
            pool.add(x);
            poolLabels.add(c);
        }
    }

    /** Softmax over -||(x - mean_c) / scale||^2 / 13. */
    public double[] predict(double[] x) {
        double[] logits = new double[CLASSES];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < CLASSES; c++) {
            double d = 0;
            for (int j = 0; j < DIMS; j++) {
                double t = (x[j] - means[c][j]) / scale[j];
                d += t * t;
            }
            logits[c] = -d / 2;
            max = Math.max(max, logits[c]);
        }
        double sum = 0;
        for (int c = 0; c < CLASSES; c++) {
            logits[c] = Math.exp(logits[c] - max);
            sum += logits[c];
        }
        for (int c = 0; c < CLASSES; c++) {
            logits[c] /= sum;
        }
        return logits;
    }

    /** Feature {@code j}'s lower bound (the pool's minimum; every source clips to it). */
    public double lo(int j) {
        return lo[j];
    }

    /** Feature {@code j}'s upper bound. */
    public double hi(int j) {
        return hi[j];
    }

    /** Class {@code c}'s mean in feature {@code j} (for probes that replay the JbDA with its parents known). */
    public double mean(int c, int j) {
        return means[c][j];
    }

    /** Feature {@code j}'s scale (0.1 .. 1,000). */
    public double scale(int j) {
        return scale[j];
    }

    /** A copy of one pool row drawn with {@code r} (a natural record). */
    public double[] record(Random r) {
        return pool.get(r.nextInt(pool.size())).clone();
    }

    private double clip(int j, double v) {
        return Math.max(lo[j], Math.min(hi[j], v));
    }

    /** An honest key: its own 300 records of the pool, each sent with 2% measurement noise. */
    public QuerySource honest(long seed) {
        Random r = new UnsharedRandom(seed);
        int first = r.nextInt(pool.size() - 300);
        return new QuerySource() {
            @Override
            public double[] next() {
                double[] x = pool.get(first + r.nextInt(300)).clone();
                for (int j = 0; j < DIMS; j++) {
                    x[j] = clip(j, x[j] + 0.02 * scale[j] * r.nextGaussian());
                }
                return x;
            }

            @Override
            public String name() {
                return "honest-tabular";
            }
        };
    }

    /**
     * An honest key whose records are mostly of one class: its own 300 records of the pool, sending
     * one of class {@code cls} with probability {@code share} and any of them otherwise (2% noise).
     */
    public QuerySource honest(long seed, int cls, double share) {
        Random r = new UnsharedRandom(seed);
        int first = r.nextInt(pool.size() - 300);
        List<Integer> mine = new ArrayList<>();
        for (int i = first; i < first + 300; i++) {
            if (poolLabels.get(i) == cls) {
                mine.add(i);
            }
        }
        return new QuerySource() {
            @Override
            public double[] next() {
                int i = r.nextDouble() < share ? mine.get(r.nextInt(mine.size())) : first + r.nextInt(300);
                double[] x = pool.get(i).clone();
                for (int j = 0; j < DIMS; j++) {
                    x[j] = clip(j, x[j] + 0.02 * scale[j] * r.nextGaussian());
                }
                return x;
            }

            @Override
            public String name() {
                return "honest-tabular-class-" + cls;
            }
        };
    }

    /** {@code n} rows of the pool from a random start (an attacker's own records, for line searches). */
    public List<double[]> attackerRows(long seed, int n) {
        Random r = new UnsharedRandom(seed);
        List<double[]> out = new ArrayList<>();
        int first = r.nextInt(pool.size() - n);
        for (int i = first; i < first + n; i++) {
            out.add(pool.get(i).clone());
        }
        return out;
    }

    /** Uniformly random rows within each feature's bounds (a random-query attacker who knows the ranges). */
    public QuerySource random(long seed) {
        Random r = new UnsharedRandom(seed);
        return new QuerySource() {
            @Override
            public double[] next() {
                double[] x = new double[DIMS];
                for (int j = 0; j < DIMS; j++) {
                    x[j] = lo[j] + (hi[j] - lo[j]) * r.nextDouble();
                }
                return x;
            }

            @Override
            public String name() {
                return "random-tabular";
            }
        };
    }

    /** A JbDA-style attacker (see the class comment). */
    public QuerySource jbda(long seed, double eps, Step step) {
        Random r = new UnsharedRandom(seed);
        Deque<double[]> pending = new ArrayDeque<>();
        List<double[]> points = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int[] per = new int[CLASSES];
        for (int i = r.nextInt(pool.size()), k = 0; k < pool.size(); k++, i = (i + 1) % pool.size()) {
            if (per[poolLabels.get(i)]++ < 10) {
                pending.add(pool.get(i));
            }
        }
        return new QuerySource() {
            int round;

            @Override
            public double[] next() {
                if (pending.isEmpty()) {
                    round++;
                    double sign = (round / 3) % 2 == 0 ? 1 : -1;
                    int n = points.size();
                    for (int k = 0; k < Math.min(400, n); k++) {
                        int i = n <= 400 ? k : r.nextInt(n);
                        double[] x = points.get(i);
                        double[] target = means[(labels.get(i) + 1 + r.nextInt(CLASSES - 1)) % CLASSES];
                        double[] y = new double[DIMS];
                        for (int j = 0; j < DIMS; j++) {
                            double size = eps
                                    * (hi[j] - lo[j])
                                    * (step == Step.RANDOM_SIZE
                                            ? 2 * r.nextDouble()
                                            : step == Step.JITTERED ? 0.9 + 0.2 * r.nextDouble() : 1);
                            y[j] = clip(j, x[j] + sign * size * Math.signum(target[j] - x[j]));
                        }
                        pending.add(y);
                    }
                }
                return pending.poll().clone();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                points.add(x);
                int best = 0;
                for (int i = 1; i < answer.length; i++) {
                    if (answer[i] > answer[best]) {
                        best = i;
                    }
                }
                labels.add(best);
            }

            @Override
            public String name() {
                return "jbda-tabular-" + step;
            }
        };
    }
}
