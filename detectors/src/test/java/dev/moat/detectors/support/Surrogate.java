package dev.moat.detectors.support;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What a thief's queries are worth for a surrogate (no detector involved): fits, on the rows and
 * the model's answers to them, Tramer's equation solving (least squares on the log-odds against
 * class 0, from the full probabilities), a label-only softmax regression and a label-only 1-nearest
 * neighbour (a non-parametric learner, whose agreement off the data measures how much of the box
 * the rows cover), and reports each one's agreement with the model's top-1 on uniform rows in the
 * feature box and on natural records. Seeded; features scaled to the box.
 */
public final class Surrogate {

    private Surrogate() {}

    /** Agreements: {eq box, eq natural, softmax box, softmax natural, 1-NN box, 1-NN natural}. */
    public static double[] agreement(Unsure d, List<double[]> rows, long seed) {
        int m = d.dims();
        int k = d.classes();
        Random r = new UnsharedRandom(seed);
        List<double[]> box = new ArrayList<>();
        List<double[]> natural = d.records(r, 2_000);
        for (int i = 0; i < 2_000; i++) {
            double[] x = new double[m];
            for (int j = 0; j < m; j++) {
                x[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * r.nextDouble();
            }
            box.add(x);
        }
        double[][] xs = new double[rows.size()][];
        double[][] ps = new double[rows.size()][];
        int[] ys = new int[rows.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = scaled(d, rows.get(i));
            ps[i] = d.predict(rows.get(i));
            ys[i] = LineSearch.argmax(ps[i]);
        }
        double[][] eq = equationSolving(xs, ps, m, k);
        double[][] soft = softmax(xs, ys, m, k);
        return new double[] {
            agree(d, box, x -> argmaxLinear(eq, x)),
            agree(d, natural, x -> argmaxLinear(eq, x)),
            agree(d, box, x -> argmaxLinear(soft, x)),
            agree(d, natural, x -> argmaxLinear(soft, x)),
            agree(d, box, x -> nearest(xs, ys, x)),
            agree(d, natural, x -> nearest(xs, ys, x))
        };
    }

    public static String describe(double[] a) {
        return String.format(
                java.util.Locale.ROOT,
                "equation solving box %.3f natural %.3f | softmax (labels) box %.3f natural %.3f |"
                        + " 1-NN (labels) box %.3f natural %.3f",
                a[0],
                a[1],
                a[2],
                a[3],
                a[4],
                a[5]);
    }

    private static double[] scaled(Unsure d, double[] x) {
        double[] y = new double[x.length + 1];
        for (int j = 0; j < x.length; j++) {
            y[j] = (x[j] - d.lo(j)) / (d.hi(j) - d.lo(j));
        }
        y[x.length] = 1;
        return y;
    }

    private static double agree(Unsure d, List<double[]> test, java.util.function.ToIntFunction<double[]> f) {
        int same = 0;
        for (double[] x : test) {
            same += f.applyAsInt(scaled(d, x)) == LineSearch.argmax(d.predict(x)) ? 1 : 0;
        }
        return (double) same / test.size();
    }

    private static int argmaxLinear(double[][] w, double[] x) {
        int best = 0;
        double top = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < w.length; c++) {
            double s = 0;
            for (int j = 0; j < x.length; j++) {
                s += w[c][j] * x[j];
            }
            if (s > top) {
                top = s;
                best = c;
            }
        }
        return best;
    }

    /** Least squares of log(p_c / p_0) on the rows (class 0's weights 0), ridge 1e-9. */
    private static double[][] equationSolving(double[][] xs, double[][] ps, int m, int k) {
        int n = m + 1;
        double[][] w = new double[k][n];
        for (int c = 1; c < k; c++) {
            double[][] a = new double[n][n + 1];
            for (int i = 0; i < xs.length; i++) {
                double t = Math.log(Math.max(1e-300, ps[i][c])) - Math.log(Math.max(1e-300, ps[i][0]));
                for (int u = 0; u < n; u++) {
                    for (int v = 0; v < n; v++) {
                        a[u][v] += xs[i][u] * xs[i][v];
                    }
                    a[u][n] += xs[i][u] * t;
                }
            }
            for (int u = 0; u < n; u++) {
                a[u][u] += 1e-9;
            }
            w[c] = solve(a, n);
        }
        return w;
    }

    private static double[] solve(double[][] a, int n) {
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(a[row][col]) > Math.abs(a[piv][col])) {
                    piv = row;
                }
            }
            double[] tmp = a[col];
            a[col] = a[piv];
            a[piv] = tmp;
            for (int row = 0; row < n; row++) {
                if (row != col && a[col][col] != 0) {
                    double f = a[row][col] / a[col][col];
                    for (int c = col; c <= n; c++) {
                        a[row][c] -= f * a[col][c];
                    }
                }
            }
        }
        double[] x = new double[n];
        for (int u = 0; u < n; u++) {
            x[u] = a[u][u] == 0 ? 0 : a[u][n] / a[u][u];
        }
        return x;
    }

    /** Softmax regression on the labels, full-batch gradient descent (400 steps, rate 2, ridge 1e-4). */
    private static double[][] softmax(double[][] xs, int[] ys, int m, int k) {
        int n = m + 1;
        double[][] w = new double[k][n];
        double[][] g = new double[k][n];
        double[] z = new double[k];
        for (int step = 0; step < 400; step++) {
            for (double[] gc : g) {
                java.util.Arrays.fill(gc, 0);
            }
            for (int i = 0; i < xs.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < k; c++) {
                    double s = 0;
                    for (int j = 0; j < n; j++) {
                        s += w[c][j] * xs[i][j];
                    }
                    z[c] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    z[c] = Math.exp(z[c] - max);
                    sum += z[c];
                }
                for (int c = 0; c < k; c++) {
                    double e = z[c] / sum - (ys[i] == c ? 1 : 0);
                    for (int j = 0; j < n; j++) {
                        g[c][j] += e * xs[i][j];
                    }
                }
            }
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < n; j++) {
                    w[c][j] -= 2 * (g[c][j] / xs.length + 1e-4 * w[c][j]);
                }
            }
        }
        return w;
    }

    private static int nearest(double[][] xs, int[] ys, double[] x) {
        int best = 0;
        double top = Double.POSITIVE_INFINITY;
        for (int i = 0; i < xs.length; i++) {
            double s = 0;
            for (int j = 0; j < x.length - 1; j++) {
                double dd = xs[i][j] - x[j];
                s += dd * dd;
            }
            if (s < top) {
                top = s;
                best = i;
            }
        }
        return ys[best];
    }
}
