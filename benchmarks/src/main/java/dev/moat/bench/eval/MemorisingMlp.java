package dev.moat.bench.eval;

import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import java.util.SplittableRandom;

/**
 * The thief DAWN assumes: a network trained until it fits what it got, i.e. near 100% training
 * accuracy (64-H-10 MLP, ReLU, softmax cross-entropy, Adam, mini-batches of 32, pixels scaled to
 * 0..1). Training stops once the share of stolen rows whose argmax it reproduces reaches
 * {@code target} (checked every epoch) or after {@code maxEpochs}. Fits soft targets (probability
 * rows) or hard labels (one-hot rows) alike. Immutable after training.
 */
final class MemorisingMlp implements Classifier {

    private final int hidden;
    /** Flat layout: W1 (hidden x 64), b1, W2 (10 x hidden), b2. */
    private final double[] params;

    private final int epochs;
    private final double trainAccuracy;

    private MemorisingMlp(int hidden, double[] params, int epochs, double acc) {
        this.hidden = hidden;
        this.params = params;
        this.epochs = epochs;
        this.trainAccuracy = acc;
    }

    int epochs() {
        return epochs;
    }

    /** The share of training rows whose argmax it reproduces. */
    double trainAccuracy() {
        return trainAccuracy;
    }

    /**
     * @param x       stolen inputs (raw pixels 0..16)
     * @param targets what the thief saw for each, as probability rows over the 10 classes
     */
    static MemorisingMlp train(double[][] x, double[][] targets, int hidden, long seed, double target, int maxEpochs) {
        int in = Digits.FEATURES;
        int out = Digits.CLASSES;
        int n = x.length;
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] p = new double[hidden * in + hidden + out * hidden + out];
        int oB1 = hidden * in;
        int oW2 = oB1 + hidden;
        int oB2 = oW2 + out * hidden;
        for (int i = 0; i < oB1; i++) {
            p[i] = gaussian(rnd) * Math.sqrt(2.0 / in);
        }
        for (int i = oW2; i < oB2; i++) {
            p[i] = gaussian(rnd) * Math.sqrt(2.0 / hidden);
        }
        double[][] xs = new double[n][in];
        int[] argmax = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < in; j++) {
                xs[i][j] = x[i][j] / Digits.MAX_PIXEL;
            }
            argmax[i] = Classifier.argmax(targets[i]);
        }
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        double[] g = new double[p.length];
        double lr = 0.005;
        double beta1 = 0.9;
        double beta2 = 0.999;
        long step = 0;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] h = new double[hidden];
        double[] z = new double[out];
        double[] dh = new double[hidden];
        int batch = 32;
        int epoch = 0;
        double acc = 0;
        while (epoch < maxEpochs) {
            epoch++;
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int from = 0; from < n; from += batch) {
                int to = Math.min(n, from + batch);
                java.util.Arrays.fill(g, 0);
                for (int b = from; b < to; b++) {
                    int r = order[b];
                    double[] xi = xs[r];
                    forward(p, hidden, xi, h, z);
                    double[] ti = targets[r];
                    for (int k = 0; k < out; k++) {
                        double dz = z[k] - ti[k];
                        g[oB2 + k] += dz;
                        int row = oW2 + k * hidden;
                        for (int j = 0; j < hidden; j++) {
                            g[row + j] += dz * h[j];
                        }
                    }
                    for (int j = 0; j < hidden; j++) {
                        if (h[j] <= 0) {
                            dh[j] = 0;
                            continue;
                        }
                        double s = 0;
                        for (int k = 0; k < out; k++) {
                            s += p[oW2 + k * hidden + j] * (z[k] - ti[k]);
                        }
                        dh[j] = s;
                        g[oB1 + j] += s;
                        int row = j * in;
                        for (int q = 0; q < in; q++) {
                            g[row + q] += s * xi[q];
                        }
                    }
                }
                step++;
                double scale = 1.0 / (to - from);
                double c1 = 1 - Math.pow(beta1, step);
                double c2 = 1 - Math.pow(beta2, step);
                for (int i = 0; i < p.length; i++) {
                    double gi = g[i] * scale;
                    m[i] = beta1 * m[i] + (1 - beta1) * gi;
                    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                    p[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8);
                }
            }
            int right = 0;
            for (int i = 0; i < n; i++) {
                forward(p, hidden, xs[i], h, z);
                if (Classifier.argmax(z) == argmax[i]) {
                    right++;
                }
            }
            acc = (double) right / n;
            if (acc >= target) {
                break;
            }
        }
        return new MemorisingMlp(hidden, p, epoch, acc);
    }

    /** h = relu(W1 x + b1), z = softmax(W2 h + b2), on scaled inputs. */
    private static void forward(double[] p, int hidden, double[] x, double[] h, double[] z) {
        int in = Digits.FEATURES;
        int out = Digits.CLASSES;
        int oB1 = hidden * in;
        int oW2 = oB1 + hidden;
        int oB2 = oW2 + out * hidden;
        for (int j = 0; j < hidden; j++) {
            double a = p[oB1 + j];
            int row = j * in;
            for (int q = 0; q < in; q++) {
                a += p[row + q] * x[q];
            }
            h[j] = a > 0 ? a : 0;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < out; k++) {
            double a = p[oB2 + k];
            int row = oW2 + k * hidden;
            for (int j = 0; j < hidden; j++) {
                a += p[row + j] * h[j];
            }
            z[k] = a;
            max = Math.max(max, a);
        }
        double sum = 0;
        for (int k = 0; k < out; k++) {
            z[k] = Math.exp(z[k] - max);
            sum += z[k];
        }
        for (int k = 0; k < out; k++) {
            z[k] /= sum;
        }
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1 - rnd.nextDouble();
        double w = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    @Override
    public double[] predict(double[] x) {
        double[] scaled = new double[Digits.FEATURES];
        for (int q = 0; q < scaled.length; q++) {
            scaled[q] = x[q] / Digits.MAX_PIXEL;
        }
        double[] h = new double[hidden];
        double[] z = new double[Digits.CLASSES];
        forward(params, hidden, scaled, h, z);
        return z;
    }

    @Override
    public double[] inputGradient(double[] x, int cls) {
        throw new UnsupportedOperationException("not needed by the claims experiment");
    }
}
