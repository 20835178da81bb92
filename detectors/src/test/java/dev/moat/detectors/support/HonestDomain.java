package dev.moat.detectors.support;

import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A model and its natural data for the honest-workload tests, none of them the fixtures' digits:
 * random-scale tabular features at 13 inputs ({@link Tabular}), one-hot categorical plus integer
 * features at 13, smooth images (a few coloured blobs per class) at 784 (28x28) and 3,072
 * (32x32x3, pixel values 0-255 times a tint per channel), windows of a time series at any width,
 * and bag-of-words counts over a 3,072-word vocabulary. Each model is a softmax over a linear
 * function of the input with a temperature set so that the median natural row's top-2 logit gap is
 * 3 (top-1 about 0.95), the shape of any linear or smooth classifier that is confident far from its
 * data. Everything is seeded.
 */
public abstract class HonestDomain {

    protected final int dims;
    protected final double[] lo;
    protected final double[] hi;
    private double[][] w;
    private double[] b;
    /** {@link #w} by feature, then class ({@link #predict} sums every class in one pass over the features). */
    private double[] wByFeature;

    private double temperature = 1;

    protected HonestDomain(int dims) {
        this.dims = dims;
        this.lo = new double[dims];
        this.hi = new double[dims];
    }

    public final int dims() {
        return dims;
    }

    public final double lo(int j) {
        return lo[j];
    }

    public final double hi(int j) {
        return hi[j];
    }

    /** A fresh natural record. */
    public abstract double[] record(Random r);

    /** A record as the customer's sensor sends it again: a little noise, snapped to the data's form. */
    public double[] noisy(double[] x, Random r) {
        double[] y = x.clone();
        for (int j = 0; j < dims; j++) {
            y[j] = clip(j, y[j] + 0.02 * (hi[j] - lo[j]) * r.nextGaussian());
        }
        return snap(y);
    }

    /** Rounds a row to the data's form (integers, one-hot groups); identity for continuous data. */
    public double[] snap(double[] x) {
        return x;
    }

    /** Image geometry (side, channels) or null for data that are no image. */
    public int[] image() {
        return null;
    }

    public String name() {
        return getClass().getSimpleName().toLowerCase() + "-" + dims;
    }

    public final double clip(int j, double v) {
        return Math.max(lo[j], Math.min(hi[j], v));
    }

    public double[] predict(double[] x) {
        int k = w.length;
        double[] z = new double[k];
        System.arraycopy(b, 0, z, 0, k);
        // every class's sum at once, each still in feature order (the same doubles as one class after
        // another): independent chains of adds instead of one at a time
        double[] byFeature = wByFeature;
        for (int j = 0, o = 0; j < dims; j++, o += k) {
            double xj = x[j];
            for (int c = 0; c < k; c++) {
                z[c] += byFeature[o + c] * xj;
            }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            z[c] = z[c] / temperature;
            max = Math.max(max, z[c]);
        }
        double sum = 0;
        for (int c = 0; c < z.length; c++) {
            z[c] = Math.exp(z[c] - max);
            sum += z[c];
        }
        for (int c = 0; c < z.length; c++) {
            z[c] /= sum;
        }
        return z;
    }

    /**
     * The gradient of log p_c at x (the model is a softmax over a linear function): what an attacker's
     * best surrogate would give him, {@code (w_c - sum_k p_k w_k) / temperature}.
     */
    public double[] gradient(double[] x, int c) {
        double[] p = predict(x);
        double[] g = new double[dims];
        for (int k = 0; k < w.length; k++) {
            double a = ((k == c ? 1 : 0) - p[k]) / temperature;
            for (int j = 0; j < dims; j++) {
                g[j] += a * w[k][j];
            }
        }
        return g;
    }

    /** The softmax temperature (the logits' divisor). */
    public final double temperature() {
        return temperature;
    }

    /** Sets the softmax temperature; {@link Unsure} sweeps it for models that are not confident. */
    protected final void temperature(double t) {
        this.temperature = t;
    }

    /** Sets the linear model and its temperature (median top-2 gap of 500 natural rows becomes 3). */
    protected final void model(double[][] weights, double[] bias, Random r) {
        this.w = weights;
        this.b = bias;
        this.wByFeature = new double[dims * weights.length];
        for (int c = 0; c < weights.length; c++) {
            for (int j = 0; j < dims; j++) {
                wByFeature[j * weights.length + c] = weights[c][j];
            }
        }
        this.temperature = 1;
        double[] gaps = new double[500];
        for (int i = 0; i < gaps.length; i++) {
            double[] x = record(r);
            double best = Double.NEGATIVE_INFINITY;
            double second = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < w.length; c++) {
                double s = b[c];
                for (int j = 0; j < dims; j++) {
                    s += w[c][j] * x[j];
                }
                if (s > best) {
                    second = best;
                    best = s;
                } else if (s > second) {
                    second = s;
                }
            }
            gaps[i] = best - second;
        }
        Arrays.sort(gaps);
        this.temperature = Math.max(1e-9, gaps[gaps.length / 2] / 3);
    }

    /** Nearest class mean under a per-feature scale, written as a linear model. */
    protected final void nearestMean(double[][] means, double[] scale, Random r) {
        double[][] weights = new double[means.length][dims];
        double[] bias = new double[means.length];
        for (int c = 0; c < means.length; c++) {
            for (int j = 0; j < dims; j++) {
                double s2 = scale[j] * scale[j];
                weights[c][j] = means[c][j] / s2;
                bias[c] -= means[c][j] * means[c][j] / s2 / 2;
            }
        }
        model(weights, bias, r);
    }

    /** Sets lo and hi to the extremes of {@code n} natural records. */
    protected final void boundsFromData(Random r, int n) {
        Arrays.fill(lo, Double.POSITIVE_INFINITY);
        Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            double[] x = record(r);
            for (int j = 0; j < dims; j++) {
                lo[j] = Math.min(lo[j], x[j]);
                hi[j] = Math.max(hi[j], x[j]);
            }
        }
        for (int j = 0; j < dims; j++) {
            if (hi[j] <= lo[j]) {
                hi[j] = lo[j] + 1;
            }
        }
    }

    /** An ordinary honest key: its own 300 records, each re-sent with {@link #noisy} noise. */
    public QuerySource peer(long seed) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = records(r, 300);
        return source("peer-" + name(), () -> noisy(mine.get(r.nextInt(mine.size())), r));
    }

    /** {@code n} natural records drawn with {@code r}. */
    public List<double[]> records(Random r, int n) {
        List<double[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(record(r));
        }
        return out;
    }

    public static QuerySource source(String name, java.util.function.Supplier<double[]> next) {
        return QuerySource.of(name, next);
    }

    /**
     * The series {@code values} sent as overlapping windows of {@code width}, each the last read
     * {@code hop} values later (a machine's monitor, hop 1-8; or a thief who writes his series so).
     */
    public static QuerySource slidingWindows(
            String name, int width, int hop, java.util.function.DoubleSupplier values) {
        java.util.List<Double> series = new java.util.ArrayList<>();
        return source(name, () -> {
            while (series.size() < width + hop) {
                series.add(values.getAsDouble());
            }
            double[] x = new double[width];
            for (int j = 0; j < width; j++) {
                x[j] = series.get(j);
            }
            series.subList(0, hop).clear();
            return x;
        });
    }

    /** The 13-feature {@link Tabular} data and model (per-feature scales 0.1-1,000; its own softmax). */
    public static HonestDomain tabular(long seed) {
        Tabular t = new Tabular(seed);
        return new HonestDomain(Tabular.DIMS) {
            {
                for (int j = 0; j < dims; j++) {
                    lo[j] = t.lo(j);
                    hi[j] = t.hi(j);
                }
            }

            @Override
            public double[] record(Random r) {
                return t.record(r);
            }

            @Override
            public double[] predict(double[] x) {
                return t.predict(x);
            }

            @Override
            public QuerySource peer(long s) {
                return t.honest(s);
            }

            @Override
            public String name() {
                return "tabular-13";
            }
        };
    }

    /**
     * 13 inputs: a 4-level and a 3-level category one-hot (7 features), then six integers on their
     * own scales (age 18-90, accounts 0-20, income in thousands 0-500, tenure in months 0-240,
     * calls 0-50, a score 300-850); 3 classes that shift the category mix and the integers' means.
     */
    public static HonestDomain mixed(long seed) {
        return new Mixed(seed);
    }

    static final class Mixed extends HonestDomain {
        private static final double[][] RANGE = {{18, 90}, {0, 20}, {0, 500}, {0, 240}, {0, 50}, {300, 850}};
        private final double[][] levelsA = new double[3][4];
        private final double[][] levelsB = new double[3][3];
        private final double[][] mean = new double[3][6];

        Mixed(long seed) {
            super(13);
            Random r = new UnsharedRandom(seed);
            for (int c = 0; c < 3; c++) {
                fill(levelsA[c], r);
                fill(levelsB[c], r);
                for (int k = 0; k < 6; k++) {
                    mean[c][k] = RANGE[k][0] + (RANGE[k][1] - RANGE[k][0]) * (0.2 + 0.6 * r.nextDouble());
                }
            }
            for (int j = 0; j < 7; j++) {
                hi[j] = 1;
            }
            for (int k = 0; k < 6; k++) {
                lo[7 + k] = RANGE[k][0];
                hi[7 + k] = RANGE[k][1];
            }
            double[][] means = new double[3][13];
            double[] scale = new double[13];
            for (int c = 0; c < 3; c++) {
                System.arraycopy(levelsA[c], 0, means[c], 0, 4);
                System.arraycopy(levelsB[c], 0, means[c], 4, 3);
                System.arraycopy(mean[c], 0, means[c], 7, 6);
            }
            for (int j = 0; j < 13; j++) {
                scale[j] = j < 7 ? 0.5 : (hi[j] - lo[j]) / 6;
            }
            nearestMean(means, scale, r);
        }

        private static void fill(double[] p, Random r) {
            double sum = 0;
            for (int i = 0; i < p.length; i++) {
                p[i] = 0.2 + r.nextDouble();
                sum += p[i];
            }
            for (int i = 0; i < p.length; i++) {
                p[i] /= sum;
            }
        }

        private static int draw(double[] p, Random r) {
            double u = r.nextDouble();
            for (int i = 0; i < p.length - 1; i++) {
                if ((u -= p[i]) < 0) {
                    return i;
                }
            }
            return p.length - 1;
        }

        @Override
        public double[] record(Random r) {
            int c = r.nextInt(3);
            double[] x = new double[13];
            x[draw(levelsA[c], r)] = 1;
            x[4 + draw(levelsB[c], r)] = 1;
            for (int k = 0; k < 6; k++) {
                double sd = (RANGE[k][1] - RANGE[k][0]) / 8;
                x[7 + k] = Math.rint(clip(7 + k, mean[c][k] + sd * r.nextGaussian()));
            }
            return x;
        }

        /** Re-sent records change a little: an integer moves by one now and then, categories stay. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            for (int j = 7; j < 13; j++) {
                if (r.nextDouble() < 0.2) {
                    y[j] = clip(j, y[j] + (r.nextBoolean() ? 1 : -1));
                }
            }
            return y;
        }

        /** One-hot groups keep their largest entry; integers round. */
        @Override
        public double[] snap(double[] x) {
            double[] y = x.clone();
            oneHot(y, 0, 4);
            oneHot(y, 4, 3);
            for (int j = 7; j < 13; j++) {
                y[j] = Math.rint(clip(j, y[j]));
            }
            return y;
        }

        private static void oneHot(double[] y, int from, int n) {
            int best = from;
            for (int j = from; j < from + n; j++) {
                if (y[j] > y[best]) {
                    best = j;
                }
            }
            for (int j = from; j < from + n; j++) {
                y[j] = j == best ? 1 : 0;
            }
        }

        @Override
        public String name() {
            return "onehot-int-13";
        }
    }

    /** Smooth images: 784 (28x28 grey) or 3,072 (32x32x3), 10 classes of three coloured blobs each. */
    public static HonestDomain smooth(int dims, long seed) {
        return new Smooth(dims, seed);
    }

    static final class Smooth extends HonestDomain {
        private static final int CLASSES = 10;
        private final int side;
        private final int channels;
        private final double[] tint;
        private final double[][][] blobs = new double[CLASSES][3][]; // cx, cy, sigma, amp, colour per channel

        Smooth(int dims, long seed) {
            super(dims);
            if (dims == 784) {
                side = 28;
                channels = 1;
                tint = new double[] {1};
            } else if (dims == 3072) {
                side = 32;
                channels = 3;
                tint = new double[] {1, 0.8, 0.6};
            } else {
                throw new IllegalArgumentException("dims " + dims);
            }
            Random r = new UnsharedRandom(seed);
            for (int c = 0; c < CLASSES; c++) {
                for (int k = 0; k < 3; k++) {
                    double[] bl = new double[4 + channels];
                    bl[0] = 4 + (side - 8) * r.nextDouble();
                    bl[1] = 4 + (side - 8) * r.nextDouble();
                    bl[2] = side * (0.06 + 0.12 * r.nextDouble());
                    bl[3] = 0.5 + 0.5 * r.nextDouble();
                    for (int ch = 0; ch < channels; ch++) {
                        bl[4 + ch] = 0.3 + 0.7 * r.nextDouble();
                    }
                    blobs[c][k] = bl;
                }
            }
            for (int j = 0; j < dims; j++) {
                hi[j] = 255 * tint[j / (side * side)];
            }
            double[][] means = new double[CLASSES][dims];
            for (int c = 0; c < CLASSES; c++) {
                for (int i = 0; i < 40; i++) {
                    double[] x = draw(c, r);
                    for (int j = 0; j < dims; j++) {
                        means[c][j] += x[j] / 40;
                    }
                }
            }
            double[] scale = new double[dims];
            Arrays.fill(scale, 1);
            nearestMean(means, scale, r);
        }

        private double[] draw(int c, Random r) {
            double[] x = new double[dims];
            double bright = 0.85 + 0.3 * r.nextDouble();
            double bg = 0.1 * r.nextDouble();
            double[][] bl = new double[3][];
            for (int k = 0; k < 3; k++) {
                double[] b0 = blobs[c][k];
                bl[k] = new double[] {
                    b0[0] + 1.5 * r.nextGaussian(),
                    b0[1] + 1.5 * r.nextGaussian(),
                    b0[2] * (0.85 + 0.3 * r.nextDouble()),
                    b0[3] * (0.7 + 0.6 * r.nextDouble())
                };
            }
            for (int ch = 0; ch < channels; ch++) {
                for (int y = 0; y < side; y++) {
                    for (int xx = 0; xx < side; xx++) {
                        double v = bg;
                        for (int k = 0; k < 3; k++) {
                            double dx = xx - bl[k][0];
                            double dy = y - bl[k][1];
                            v += bl[k][3]
                                    * blobs[c][k][4 + ch]
                                    * Math.exp(-(dx * dx + dy * dy) / (2 * bl[k][2] * bl[k][2]));
                        }
                        v = bright * v + 0.02 * r.nextGaussian();
                        int j = (ch * side + y) * side + xx;
                        x[j] = Math.max(0, Math.min(1, v)) * 255 * tint[ch];
                    }
                }
            }
            return x;
        }

        @Override
        public double[] record(Random r) {
            return draw(r.nextInt(CLASSES), r);
        }

        /** Sensor noise: 1% of the range per pixel. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            for (int j = 0; j < dims; j++) {
                y[j] = clip(j, y[j] + 0.01 * hi[j] * r.nextGaussian());
            }
            return y;
        }

        @Override
        public int[] image() {
            return new int[] {side, channels};
        }

        @Override
        public String name() {
            return "smooth-" + dims;
        }
    }

    /**
     * Windows of {@code dims} consecutive values of a sensor's time series (a level near 50, two
     * seasonal waves of random period and phase, AR(1) noise); a random smooth linear model over
     * the window (3 classes, each weight vector a sum of two cosines across the window).
     */
    public static Series series(int dims, long seed) {
        return new Series(dims, seed);
    }

    public static final class Series extends HonestDomain {
        Series(int dims, long seed) {
            super(dims);
            Random r = new UnsharedRandom(seed);
            boundsFromData(new UnsharedRandom(seed + 1), 400);
            double[][] weights = new double[3][dims];
            double[] bias = new double[3];
            for (int c = 0; c < 3; c++) {
                double f1 = 0.5 + 3 * r.nextDouble();
                double f2 = 0.5 + 3 * r.nextDouble();
                double p1 = 2 * Math.PI * r.nextDouble();
                double p2 = 2 * Math.PI * r.nextDouble();
                for (int j = 0; j < dims; j++) {
                    double t = (double) j / dims;
                    weights[c][j] =
                            (Math.cos(2 * Math.PI * f1 * t + p1) + 0.5 * Math.cos(2 * Math.PI * f2 * t + p2)) / dims;
                }
            }
            model(weights, bias, r);
        }

        /** A series of {@code n} values. */
        public double[] series(Random r, int n) {
            double level = 50 + 10 * r.nextGaussian();
            double a1 = 5 + 10 * r.nextDouble();
            double p1 = 20 + 200 * r.nextDouble();
            double a2 = 2 + 5 * r.nextDouble();
            double p2 = 5 + 30 * r.nextDouble();
            double ph1 = 2 * Math.PI * r.nextDouble();
            double ph2 = 2 * Math.PI * r.nextDouble();
            double e = 0;
            double[] s = new double[n];
            for (int t = 0; t < n; t++) {
                e = 0.8 * e + 1.5 * r.nextGaussian();
                s[t] = level
                        + a1 * Math.sin(2 * Math.PI * t / p1 + ph1)
                        + a2 * Math.sin(2 * Math.PI * t / p2 + ph2)
                        + e;
            }
            return s;
        }

        @Override
        public double[] record(Random r) {
            double[] s = series(r, dims + 200);
            int at = r.nextInt(200);
            return Arrays.copyOfRange(s, at, at + dims);
        }

        /** An ordinary key of this model: windows at random places of its own series (no overlap order). */
        @Override
        public QuerySource peer(long seed) {
            Random r = new UnsharedRandom(seed);
            double[] s = series(r, 20_000 + dims);
            return source("peer-" + name(), () -> {
                int at = r.nextInt(20_000);
                return Arrays.copyOfRange(s, at, at + dims);
            });
        }

        @Override
        public String name() {
            return "series-" + dims;
        }
    }

    /**
     * Bag-of-words counts over a vocabulary of {@code dims} words (Zipf-like background, 10 topics
     * each favouring 60 words), documents of 20-400 words; a multinomial naive Bayes model (linear
     * in the counts).
     */
    public static HonestDomain sparse(int dims, long seed) {
        return new Sparse(dims, seed);
    }

    /** 0 .. n - 1 in an order shuffled by {@code r} (Fisher-Yates). */
    public static int[] permutation(int n, Random r) {
        int[] perm = new int[n];
        for (int j = 0; j < n; j++) {
            perm[j] = j;
        }
        for (int j = n - 1; j > 0; j--) {
            int k = r.nextInt(j + 1);
            int t = perm[j];
            perm[j] = perm[k];
            perm[k] = t;
        }
        return perm;
    }

    /** The cumulative distribution of the weights {@code p} (normalised to sum 1). */
    public static double[] cumulative(double[] p) {
        double sum = 0;
        for (double v : p) {
            sum += v;
        }
        double[] cum = new double[p.length];
        double acc = 0;
        for (int j = 0; j < p.length; j++) {
            acc += p[j] / sum;
            cum[j] = acc;
        }
        return cum;
    }

    /** An index drawn from the cumulative distribution {@code cum}. */
    public static int drawIndex(double[] cum, Random r) {
        int j = Arrays.binarySearch(cum, r.nextDouble());
        return Math.min(cum.length - 1, j < 0 ? -j - 1 : j);
    }

    static final class Sparse extends HonestDomain {
        private static final int TOPICS = 10;
        private final double[][] cumulative = new double[TOPICS][];

        Sparse(int dims, long seed) {
            super(dims);
            Random r = new UnsharedRandom(seed);
            int[] perm = permutation(dims, r);
            double[][] weights = new double[TOPICS][dims];
            for (int c = 0; c < TOPICS; c++) {
                double[] p = new double[dims];
                for (int j = 0; j < dims; j++) {
                    p[perm[j]] = 0.7 / (j + 10);
                }
                for (int k = 0; k < 60; k++) {
                    p[r.nextInt(dims)] += 0.3 / 60 * (0.5 + r.nextDouble()) * 1.0;
                }
                double sum = 0;
                for (double v : p) {
                    sum += v;
                }
                cumulative[c] = new double[dims];
                double acc = 0;
                for (int j = 0; j < dims; j++) {
                    acc += p[j] / sum;
                    cumulative[c][j] = acc;
                    weights[c][j] = Math.log(p[j] / sum);
                }
            }
            boundsFromData(new UnsharedRandom(seed + 1), 500);
            for (int j = 0; j < dims; j++) {
                lo[j] = 0;
            }
            model(weights, new double[TOPICS], r);
        }

        /** A document of {@code words} words. */
        public double[] doc(Random r, int words) {
            double[] cum = cumulative[r.nextInt(TOPICS)];
            double[] x = new double[dims];
            for (int i = 0; i < words; i++) {
                x[drawIndex(cum, r)]++;
            }
            return x;
        }

        @Override
        public double[] record(Random r) {
            return doc(r, (int) Math.min(400, 20 + Math.exp(4 + 0.6 * r.nextGaussian())));
        }

        /** Re-sent documents are the same counts. */
        @Override
        public double[] noisy(double[] x, Random r) {
            return x.clone();
        }

        @Override
        public double[] snap(double[] x) {
            double[] y = x.clone();
            for (int j = 0; j < dims; j++) {
                y[j] = Math.max(0, Math.rint(y[j]));
            }
            return y;
        }

        @Override
        public String name() {
            return "bow-" + dims;
        }
    }
}
