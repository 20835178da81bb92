package dev.moat.detectors.support;

import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * Models that are not confident (issue 9: honest keys never flagged on models unlike ours): every
 * other {@link HonestDomain} sets its temperature for a median top-2 logit gap of 3 (top-1 about
 * 0.95); these set it for a median top-1 of the caller's choosing ({@link #calibrate}), so tests can
 * sweep it, and their classes overlap (nearest-mean accuracy 70-90%), so many natural answers sit
 * near 0.5 (binary) or 1/k. Three of them: {@link #clinical} (13 mixed-type features, 2 classes, like
 * UCI heart disease), {@link #wine} (13 features on their own scales, 3 classes, only 178 distinct
 * records, like UCI wine) and {@link #images} (32x32x3, 10 classes, like CIFAR-10). Each also gives
 * its honest customers (ordinary, mostly a few classes, harder cases) and the attackers on it
 * (random, JbDA, line search, Knockoff-like natural data from a shifted distribution). Seeded.
 */
public abstract class Unsure extends HonestDomain {

    protected final int classes;
    private final String name;

    protected Unsure(int dims, int classes, String name) {
        super(dims);
        this.classes = classes;
        this.name = name;
    }

    public final int classes() {
        return classes;
    }

    /** A natural record of class {@code c}. */
    public abstract double[] record(Random r, int c);

    @Override
    public double[] record(Random r) {
        return record(r, r.nextInt(classes));
    }

    /** The same kind of data from another population (seed): the Knockoff attacker's data. */
    protected abstract Unsure sibling(long seed);

    @Override
    public String name() {
        return name;
    }

    /**
     * Sets the temperature so that the median top-1 of 1,000 natural answers is {@code medianTop1}
     * (bisection on the temperature; the model stays as it is).
     */
    protected final void calibrate(double medianTop1, Random r) {
        List<double[]> rows = records(r, 1_000);
        double lo = 1e-6;
        double hi = 1e6;
        for (int i = 0; i < 80; i++) {
            double t = Math.sqrt(lo * hi);
            temperature(t);
            double[] top = new double[rows.size()];
            for (int k = 0; k < top.length; k++) {
                top[k] = max(predict(rows.get(k)));
            }
            Arrays.sort(top);
            if (top[top.length / 2] > medianTop1) {
                lo = t;
            } else {
                hi = t;
            }
        }
        temperature(Math.sqrt(lo * hi));
    }

    /** Median top-1, share of answers with top-1 minus top-2 under 0.2, and accuracy on {@code n} fresh records. */
    public double[] stats(long seed, int n) {
        Random r = new UnsharedRandom(seed);
        double[] top = new double[n];
        int low = 0;
        int right = 0;
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(classes);
            double[] p = predict(record(r, c));
            top[i] = max(p);
            low += margin(p) < 0.2 ? 1 : 0;
            right += argmax(p) == c ? 1 : 0;
        }
        Arrays.sort(top);
        return new double[] {top[n / 2], (double) low / n, (double) right / n};
    }

    static double max(double[] p) {
        double m = p[0];
        for (double v : p) {
            m = Math.max(m, v);
        }
        return m;
    }

    static int argmax(double[] p) {
        return LineSearch.argmax(p);
    }

    static double margin(double[] p) {
        return LineSearch.topTwoMargin(p);
    }

    // ---- honest customers -------------------------------------------------------------------

    /**
     * A customer whose records are mostly of the classes {@code cls}: its own 300 records, each of
     * one of them with probability {@code share} and of any class otherwise, re-sent with noise.
     */
    public QuerySource mostly(long seed, int[] cls, double share) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            mine.add(r.nextDouble() < share ? record(r, cls[r.nextInt(cls.length)]) : record(r));
        }
        return source("mostly-" + Arrays.toString(cls), () -> noisy(mine.get(r.nextInt(mine.size())), r));
    }

    /**
     * A customer whose cases are harder than the others' (a referral clinic): its own 300 records,
     * drawn so that the share of them whose answer has a top-2 margin under 0.2 is {@code factor}
     * times the natural share (records with a low margin kept, the others kept with the probability
     * that gives that share), re-sent with noise.
     */
    public QuerySource harder(long seed, double factor) {
        Random r = new UnsharedRandom(seed);
        double s = stats(seed + 1, 2_000)[1];
        double want = Math.min(0.95, factor * s);
        double keep = s * (1 - want) / (want * (1 - s));
        List<double[]> mine = new ArrayList<>();
        while (mine.size() < 300) {
            double[] x = record(r);
            if (margin(predict(x)) < 0.2 || r.nextDouble() < keep) {
                mine.add(x);
            }
        }
        return source("harder-" + factor, () -> noisy(mine.get(r.nextInt(mine.size())), r));
    }

    /**
     * A record of class {@code c} from a shifted population: the latent factors' means moved by
     * {@code delta} (the first) and {@code -delta / 2} (the second) standard deviations; only models
     * with latent factors ({@link #cells}, {@link #mixedRecords}).
     */
    protected double[] shiftedRecord(Random r, int c, double delta) {
        throw new UnsupportedOperationException(name);
    }

    /**
     * A customer from another population of the same kind (another region's patients): its own 300
     * records with the latent factors' means moved by {@code delta} ({@link #shiftedRecord}), re-sent
     * with noise.
     */
    public QuerySource shifted(long seed, double delta) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            mine.add(shiftedRecord(r, r.nextInt(classes), delta));
        }
        return source("shifted-" + delta, () -> noisy(mine.get(r.nextInt(mine.size())), r));
    }

    /**
     * A customer whose instruments round some features coarser than everyone's: a fixed {@code share}
     * of the features (drawn by the seed) rounded to {@code steps} levels over their range, on its own
     * 300 records re-sent with noise.
     */
    public QuerySource coarser(long seed, double share, int steps) {
        Random r = new UnsharedRandom(seed);
        boolean[] coarse = new boolean[dims];
        for (int j = 0; j < dims; j++) {
            coarse[j] = r.nextDouble() < share;
        }
        List<double[]> mine = records(r, 300);
        return source("coarser-" + share + "-" + steps, () -> {
            double[] x = noisy(mine.get(r.nextInt(mine.size())), r);
            for (int j = 0; j < dims; j++) {
                if (coarse[j]) {
                    double q = (hi[j] - lo[j]) / steps;
                    x[j] = clip(j, lo[j] + Math.rint((x[j] - lo[j]) / q) * q);
                }
            }
            return x;
        });
    }

    /** Share of the answers to {@code src}'s next {@code n} rows with a top-2 margin under 0.2. */
    public double lowMarginShare(QuerySource src, int n) {
        int low = 0;
        for (int i = 0; i < n; i++) {
            low += margin(predict(src.next())) < 0.2 ? 1 : 0;
        }
        return (double) low / n;
    }

    // ---- attackers --------------------------------------------------------------------------

    /** Uniformly random rows in the feature box (Tramer's equation solving; the box is in the docs). */
    public QuerySource random(long seed) {
        Random r = new UnsharedRandom(seed);
        return source("random-" + name, () -> {
            double[] x = new double[dims];
            for (int j = 0; j < dims; j++) {
                x[j] = lo[j] + (hi[j] - lo[j]) * r.nextDouble();
            }
            return x;
        });
    }

    /** How a JbDA attacker sizes its steps. */
    public enum Step {
        /** eps times the median feature range, one size for every feature (FGSM as on images). */
        PLAIN,
        /** eps * range_j. */
        PER_FEATURE,
        /** eps * range_j * u_j, u_j uniform in [0, 2) per coordinate and query. */
        RANDOM_SIZE,
        /** eps * range_j * u, u uniform in [0.5, 1.5) drawn once per query (one size for the row's features). */
        PER_FEATURE_ROW_SIZE,
        /** eps * range_j * u_j, u_j uniform in [0.9, 1.1) per coordinate and query (10% jitter). */
        PER_FEATURE_JITTER,
        /**
         * eps * range_j, a coordinate whose step would leave the box stepped the other way: every
         * coordinate moves (no clipping), for the flat shape's count of moved coordinates.
         */
        PER_FEATURE_UNCLIPPED,
        /** eps * range_j on 48 coordinates drawn afresh per query (the others unmoved), clipped. */
        PER_FEATURE_48,
        /**
         * eps * range_j from seed records rounded to levels eps * range_j apart from the low end of
         * each feature's range (1 / eps of them, a whole number): every value the thief sends sits on
         * one lattice per feature, as a customer's who rounds its measurements to levels ({@link
         * #coarser}) does; a thief who read {@code RepeatedMoves#repeats}' level moves.
         */
        PER_FEATURE_ON_LEVELS
    }

    /**
     * JbDA (Papernot et al.): ten natural records per class, then rounds of steps from every point
     * so far (400 at random once there are more) along the sign of the gradient of log p of another
     * class (the attacker's surrogate is the model itself: its best case), the sign reversed every
     * third round; clipped to the box.
     */
    public QuerySource jbda(long seed, double eps, Step step) {
        Random r = new UnsharedRandom(seed);
        double[] range = new double[dims];
        for (int j = 0; j < dims; j++) {
            range[j] = hi[j] - lo[j];
        }
        double[] sorted = range.clone();
        Arrays.sort(sorted);
        double median = sorted[dims / 2];
        Deque<double[]> pending = new ArrayDeque<>();
        for (int c = 0; c < classes; c++) {
            for (int k = 0; k < 10; k++) {
                double[] seedRow = record(r, c);
                if (step == Step.PER_FEATURE_ON_LEVELS) {
                    for (int j = 0; j < dims; j++) {
                        double q = eps * range[j];
                        seedRow[j] = clip(j, lo[j] + Math.rint((seedRow[j] - lo[j]) / q) * q);
                    }
                }
                pending.add(seedRow);
            }
        }
        List<double[]> points = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
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
                        int target = (labels.get(i) + 1 + r.nextInt(classes - 1)) % classes;
                        double[] g = gradient(x, target);
                        double[] y = new double[dims];
                        // drawn only for the steps that use it (the other steps' draws stay as they were)
                        double rowSize = step == Step.PER_FEATURE_ROW_SIZE ? 0.5 + r.nextDouble() : 1;
                        boolean[] moves = new boolean[dims];
                        if (step == Step.PER_FEATURE_48) {
                            for (int left = Math.min(48, dims), j = 0; j < dims; j++) {
                                moves[j] = r.nextInt(dims - j) < left;
                                left -= moves[j] ? 1 : 0;
                            }
                        }
                        for (int j = 0; j < dims; j++) {
                            double size = switch (step) {
                                case PLAIN -> eps * median;
                                case PER_FEATURE, PER_FEATURE_UNCLIPPED, PER_FEATURE_ON_LEVELS -> eps * range[j];
                                case RANDOM_SIZE -> eps * range[j] * 2 * r.nextDouble();
                                case PER_FEATURE_ROW_SIZE -> eps * range[j] * rowSize;
                                case PER_FEATURE_JITTER -> eps * range[j] * (0.9 + 0.2 * r.nextDouble());
                                case PER_FEATURE_48 -> moves[j] ? eps * range[j] : 0;
                            };
                            double to = x[j] + sign * size * Math.signum(g[j]);
                            if (step == Step.PER_FEATURE_UNCLIPPED && (to < lo[j] || to > hi[j])) {
                                to = x[j] - sign * size * Math.signum(g[j]);
                            }
                            y[j] = clip(j, to);
                        }
                        pending.add(y);
                    }
                }
                return pending.poll().clone();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                points.add(x);
                labels.add(argmax(answer));
            }

            @Override
            public String name() {
                return "jbda-" + step + "-" + name;
            }
        };
    }

    /** Tramer's line search between the attacker's own 300 natural records, to margin 0.05. */
    public QuerySource lineSearch(long seed) {
        return lineSearch(seed, 0.05);
    }

    /** A line search that stops at an answer with a top-1 minus top-2 margin under {@code margin}. */
    public QuerySource lineSearch(long seed, double margin) {
        return new LineSearch(records(new UnsharedRandom(seed), 300), seed, margin);
    }

    /**
     * Knockoff-like: natural data of the same kind from another population ({@link #sibling}),
     * fresh rows, clipped to this model's box and rounded to its data's form.
     */
    public QuerySource knockoff(long seed) {
        Unsure other = sibling(seed);
        Random r = new UnsharedRandom(seed);
        return source("knockoff-" + name, () -> {
            double[] x = other.record(r);
            for (int j = 0; j < dims; j++) {
                x[j] = clip(j, x[j]);
            }
            return snap(x);
        });
    }

    /** Nearest class mean under per-feature standard deviations estimated from {@code n} records per class. */
    protected final void fitNearestMean(Random r, int n) {
        double[][] means = new double[classes][dims];
        double[] var = new double[dims];
        List<double[]> all = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < n; i++) {
                double[] x = record(r, c);
                all.add(x);
                labels.add(c);
                for (int j = 0; j < dims; j++) {
                    means[c][j] += x[j] / n;
                }
            }
        }
        for (int i = 0; i < all.size(); i++) {
            double[] x = all.get(i);
            double[] m = means[labels.get(i)];
            for (int j = 0; j < dims; j++) {
                var[j] += (x[j] - m[j]) * (x[j] - m[j]) / all.size();
            }
        }
        double[] scale = new double[dims];
        for (int j = 0; j < dims; j++) {
            scale[j] = Math.sqrt(Math.max(var[j], 1e-12 * (hi[j] - lo[j]) * (hi[j] - lo[j]) + 1e-12));
        }
        nearestMean(means, scale, r);
    }

    // ---- the three models -------------------------------------------------------------------

    /**
     * 13 mixed-type features of a binary clinical model (like UCI heart disease): age (29-77),
     * sex (0/1), chest-pain type (0-3), resting blood pressure (94-200), cholesterol (126-564),
     * fasting sugar (0/1), ECG (0-2), maximum heart rate (71-202), angina (0/1), ST depression
     * (0-6.2 in steps of 0.1), slope (0-2), vessels (0-3), thal (0-2). Each feature a latent
     * normal shifted by the class (the shifts' norm sets a nearest-mean accuracy near 85%), cut into
     * its form; the model is nearest class mean under the features' standard deviations, with a
     * temperature for a median top-1 of {@code medianTop1} (0.7 / 0.75 / 0.8: 22% / 17% / 13% of
     * answers with a margin under 0.2; accuracy 86%).
     */
    public static Unsure clinical(long seed, double medianTop1) {
        return new Clinical(seed, medianTop1);
    }

    static final class Clinical extends Unsure {
        // lo, hi, decimals (-1: binary)
        private static final double[][] FORM = {
            {29, 77, 0},
            {0, 1, -1},
            {0, 3, 0},
            {94, 200, 0},
            {126, 564, 0},
            {0, 1, -1},
            {0, 2, 0},
            {71, 202, 0},
            {0, 1, -1},
            {0, 6.2, 1},
            {0, 2, 0},
            {0, 3, 0},
            {0, 2, 0}
        };
        private final double[] shift = new double[13];
        private final double[] threshold = new double[13];
        private final long seed;
        private final double medianTop1;

        Clinical(long seed, double medianTop1) {
            super(13, 2, "clinical-13");
            this.seed = seed;
            this.medianTop1 = medianTop1;
            Random r = new UnsharedRandom(seed);
            double norm = 0;
            for (int j = 0; j < 13; j++) {
                shift[j] = (r.nextBoolean() ? 1 : -1) * (0.2 + 0.8 * r.nextDouble());
                norm += shift[j] * shift[j];
                threshold[j] = 0.5 * r.nextGaussian();
                lo[j] = FORM[j][0];
                hi[j] = FORM[j][1];
            }
            for (int j = 0; j < 13; j++) {
                shift[j] *= 2.4 / Math.sqrt(norm);
            }
            fitNearestMean(r, 1_000);
            calibrate(medianTop1, r);
        }

        @Override
        public double[] record(Random r, int c) {
            double[] x = new double[13];
            for (int j = 0; j < 13; j++) {
                double z = r.nextGaussian() + (c == 1 ? shift[j] : 0);
                if (FORM[j][2] < 0) {
                    x[j] = z > threshold[j] ? 1 : 0;
                } else {
                    double v = lo[j] + (hi[j] - lo[j]) * (0.4 + z / 6);
                    x[j] = clip(j, v);
                }
            }
            return snap(x);
        }

        /** Re-measured: an integer moves by one now and then, ST depression by 0.1; binaries stay. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            for (int j = 0; j < 13; j++) {
                if (FORM[j][2] >= 0 && r.nextDouble() < 0.15) {
                    y[j] = clip(j, y[j] + (r.nextBoolean() ? 1 : -1) * Math.pow(10, -FORM[j][2]));
                }
            }
            return snap(y);
        }

        @Override
        public double[] snap(double[] x) {
            double[] y = x.clone();
            for (int j = 0; j < 13; j++) {
                double q = FORM[j][2] < 0 ? 1 : Math.pow(10, FORM[j][2]);
                y[j] = clip(j, Math.rint(y[j] * q) / q);
            }
            return y;
        }

        @Override
        protected Unsure sibling(long s) {
            return new Clinical(seed * 7_919 + s, medianTop1);
        }
    }

    /**
     * 13 features of a 3-class model on their own scales (like UCI wine: alcohol 11-15, malic acid,
     * ..., magnesium 70-162, ..., proline 278-1,680, each with its decimals), and only {@code n}
     * distinct records (178: 59, 71 and 48 of the classes; two shared latent factors, so features
     * correlate): every honest customer re-sends rows of the same few, with a little noise (a
     * feature re-measured by one unit of its last decimal now and then). Nearest-mean model under the
     * features' standard deviations with a temperature for a median top-1 of {@code medianTop1}.
     */
    public static Unsure wine(long seed, double medianTop1) {
        return new Wine(seed, medianTop1, 178);
    }

    static final class Wine extends Unsure {
        private static final double[][] FORM = {
            {11, 15, 2},
            {0.7, 5.8, 2},
            {1.4, 3.2, 2},
            {10, 30, 1},
            {70, 162, 0},
            {1, 3.9, 2},
            {0.3, 5.1, 2},
            {0.1, 0.7, 2},
            {0.4, 3.6, 2},
            {1.3, 13, 2},
            {0.5, 1.7, 3},
            {1.3, 4, 2},
            {278, 1680, 0}
        };
        private final long seed;
        private final double medianTop1;
        private final double[][] centre = new double[3][13];
        private final double[][] load = new double[2][13];
        private final List<List<double[]>> byClass = new ArrayList<>();
        private final List<double[]> all = new ArrayList<>();

        Wine(long seed, double medianTop1, int n) {
            super(13, 3, "wine-13");
            this.seed = seed;
            this.medianTop1 = medianTop1;
            Random r = new UnsharedRandom(seed);
            for (int j = 0; j < 13; j++) {
                lo[j] = FORM[j][0];
                hi[j] = FORM[j][1];
                for (int c = 0; c < 3; c++) {
                    centre[c][j] = 0.5 * r.nextGaussian();
                }
                load[0][j] = 0.5 * r.nextGaussian();
                load[1][j] = 0.3 * r.nextGaussian();
            }
            int[] per = {n * 59 / 178, n * 71 / 178, n - n * 59 / 178 - n * 71 / 178};
            for (int c = 0; c < 3; c++) {
                List<double[]> mine = new ArrayList<>();
                for (int i = 0; i < per[c]; i++) {
                    double[] x = draw(r, c);
                    mine.add(x);
                    all.add(x);
                }
                byClass.add(mine);
            }
            fitNearestMean(r, 300);
            calibrate(medianTop1, r);
        }

        private double[] draw(Random r, int c) {
            double f1 = r.nextGaussian();
            double f2 = r.nextGaussian();
            double[] x = new double[13];
            for (int j = 0; j < 13; j++) {
                double z = centre[c][j] + f1 * load[0][j] + f2 * load[1][j] + 0.8 * r.nextGaussian();
                x[j] = clip(j, lo[j] + (hi[j] - lo[j]) * (0.5 + z / 6));
            }
            return snap(x);
        }

        /** One of the {@code n} records of class c. */
        @Override
        public double[] record(Random r, int c) {
            List<double[]> mine = byClass.get(c);
            return mine.get(r.nextInt(mine.size())).clone();
        }

        /** One of the {@code n} records (the classes in their shares). */
        @Override
        public double[] record(Random r) {
            return all.get(r.nextInt(all.size())).clone();
        }

        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            for (int j = 0; j < 13; j++) {
                if (r.nextDouble() < 0.1) {
                    y[j] = clip(j, y[j] + (r.nextBoolean() ? 1 : -1) * Math.pow(10, -FORM[j][2]));
                }
            }
            return snap(y);
        }

        @Override
        public double[] snap(double[] x) {
            double[] y = x.clone();
            for (int j = 0; j < 13; j++) {
                double q = Math.pow(10, FORM[j][2]);
                y[j] = clip(j, Math.rint(y[j] * q) / q);
            }
            return y;
        }

        /** Another vineyard's wines: 5,000 records of a model with other centres. */
        @Override
        protected Unsure sibling(long s) {
            return new Wine(seed * 7_919 + s, medianTop1, 5_000);
        }
    }

    /**
     * What {@link #cells} and {@link #mixedRecords} share: two classes whose records are drawn from
     * {@link LatentRecords#latent} (a class shift and three factors per column), decimals per column, and the
     * nearest-mean model calibrated to a median top-1 once the columns are drawn ({@link #finish}).
     */
    abstract static class LatentRecords extends Unsure {
        protected final long seed;
        protected final double medianTop1;
        protected final double[] shift;
        protected final double[][] load;
        protected final double[] decimals;

        LatentRecords(long seed, double medianTop1, int dims, String name) {
            super(dims, 2, name);
            this.seed = seed;
            this.medianTop1 = medianTop1;
            shift = new double[dims];
            load = new double[3][dims];
            decimals = new double[dims];
        }

        /** Column j's class shift (before {@link #finish} scales it) and its three loads; returns the shift squared. */
        protected final double drawLatent(Random r, int j) {
            shift[j] = (r.nextBoolean() ? 1 : -1) * (0.2 + 0.8 * r.nextDouble());
            load[0][j] = 0.5 + 0.4 * r.nextDouble();
            load[1][j] = 0.5 * r.nextGaussian();
            load[2][j] = 0.3 * r.nextGaussian();
            return shift[j] * shift[j];
        }

        /** Scales the class shift to length 2.4 ({@code norm}: the sum of {@link #drawLatent}'s), fits and calibrates the model. */
        protected final void finish(Random r, double norm) {
            for (int j = 0; j < dims; j++) {
                shift[j] *= 2.4 / Math.sqrt(norm);
            }
            fitNearestMean(r, 1_000);
            calibrate(medianTop1, r);
        }

        /**
         * The latent values of a record of class {@code c} (0 or 1): the class's shift, three shared
         * factors ({@code load}; the first two moved by {@code delta} for another population) and noise
         * of sd 0.6 per column.
         */
        protected final double[] latent(Random r, int c, double delta) {
            double f1 = r.nextGaussian() + delta;
            double f2 = r.nextGaussian() - delta / 2;
            double f3 = r.nextGaussian();
            double[] z = new double[dims];
            for (int j = 0; j < dims; j++) {
                z[j] = (c == 1 ? shift[j] : 0)
                        + f1 * load[0][j]
                        + f2 * load[1][j]
                        + f3 * load[2][j]
                        + 0.6 * r.nextGaussian();
            }
            return z;
        }

        @Override
        public double[] record(Random r, int c) {
            return shiftedRecord(r, c, 0);
        }
    }

    /**
     * {@code dims} continuous measurements of a binary model (like UCI breast cancer, 30 features:
     * ten measurements of a cell nucleus, each as a mean, a standard error and a worst value), each
     * on its own scale (ranges 0.01 to 2,500, their decimals set by the scale) and strongly correlated
     * through three shared latent factors (size, shape, texture) and a class shift; the model is
     * nearest class mean under the features' standard deviations (linear, so confident far from its
     * data) with a temperature for a median top-1 of {@code medianTop1}. Any width: for the widths
     * between the spread test's 16 and the wide models.
     */
    public static Unsure cells(long seed, double medianTop1, int dims) {
        return new Cells(seed, medianTop1, dims, 5.4);
    }

    /**
     * {@link #cells} whose feature ranges span {@code decades} orders of magnitude (5.4 in {@link
     * #cells}): under about 1.2 the largest feature's spread is under 16 times the median one, so
     * {@code cross_key} keeps such a store in raw units (not of mixed scales).
     */
    public static Unsure cells(long seed, double medianTop1, int dims, double decades) {
        return new Cells(seed, medianTop1, dims, decades);
    }

    static final class Cells extends LatentRecords {
        private final double decades;

        Cells(long seed, double medianTop1, int dims, double decades) {
            super(seed, medianTop1, dims, decades == 5.4 ? "cells-" + dims : "cells-" + dims + "-" + decades);
            this.decades = decades;
            Random r = new UnsharedRandom(seed);
            double norm = 0;
            for (int j = 0; j < dims; j++) {
                double range = Math.pow(10, -2 + decades * r.nextDouble());
                lo[j] = range * 0.2 * r.nextDouble();
                hi[j] = lo[j] + range;
                decimals[j] = Math.max(0, Math.min(4, Math.ceil(2 - Math.log10(range))));
                norm += drawLatent(r, j);
            }
            finish(r, norm);
        }

        @Override
        protected double[] shiftedRecord(Random r, int c, double delta) {
            double[] z = latent(r, c, delta);
            double[] x = new double[dims];
            for (int j = 0; j < dims; j++) {
                x[j] = clip(j, lo[j] + (hi[j] - lo[j]) * (0.35 + z[j] / 7));
            }
            return snap(x);
        }

        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            for (int j = 0; j < dims; j++) {
                if (r.nextDouble() < 0.1) {
                    y[j] = clip(j, y[j] + (r.nextBoolean() ? 1 : -1) * Math.pow(10, -decimals[j]));
                }
            }
            return snap(y);
        }

        @Override
        public double[] snap(double[] x) {
            double[] y = x.clone();
            for (int j = 0; j < dims; j++) {
                double q = Math.pow(10, decimals[j]);
                y[j] = clip(j, Math.rint(y[j] * q) / q);
            }
            return y;
        }

        @Override
        protected Unsure sibling(long s) {
            return new Cells(seed * 7_919 + s, medianTop1, dims, decades);
        }
    }

    /**
     * Records of {@code dims} (20-60) mixed-type columns, as a claims or churn table: about a fifth
     * binary flags, a fifth counts (0 to 5-40), two or three categoricals one-hot encoded (3-6 levels
     * each), the rest continuous measurements on scales from 0.01 to 2,500 with their decimals; every
     * column driven by three latent factors and a class shift (two classes), so columns correlate.
     * The model is nearest class mean with a temperature for a median top-1 of {@code medianTop1}.
     */
    public static Unsure mixedRecords(long seed, double medianTop1, int dims) {
        return new MixedRecords(seed, medianTop1, dims);
    }

    static final class MixedRecords extends LatentRecords {
        private static final int BIN = 0;
        private static final int COUNT = 1;
        private static final int ONEHOT = 2;
        private static final int CONT = 3;
        private final int[] type;
        private final int[] blockStart;
        private final int[] blockLen;
        private final double[] threshold;

        MixedRecords(long seed, double medianTop1, int dims) {
            super(seed, medianTop1, dims, "mixed-" + dims);
            Random r = new UnsharedRandom(seed);
            type = new int[dims];
            blockStart = new int[dims];
            blockLen = new int[dims];
            threshold = new double[dims];
            int j = 0;
            int blocks = dims >= 40 ? 3 : 2;
            for (int b = 0; b < blocks; b++) {
                int k = 3 + r.nextInt(4);
                for (int i = 0; i < k; i++) {
                    type[j + i] = ONEHOT;
                    blockStart[j + i] = j;
                    blockLen[j + i] = k;
                }
                j += k;
            }
            int bins = dims / 5;
            int counts = dims / 5;
            for (int i = 0; i < bins; i++) {
                type[j++] = BIN;
            }
            for (int i = 0; i < counts; i++) {
                type[j++] = COUNT;
            }
            while (j < dims) {
                type[j++] = CONT;
            }
            double norm = 0;
            for (j = 0; j < dims; j++) {
                norm += drawLatent(r, j);
                threshold[j] = 0.8 * r.nextGaussian();
                switch (type[j]) {
                    case BIN, ONEHOT -> hi[j] = 1;
                    case COUNT -> hi[j] = 5 + r.nextInt(36);
                    default -> {
                        double range = Math.pow(10, -2 + 5.4 * r.nextDouble());
                        lo[j] = range * 0.2 * r.nextDouble();
                        hi[j] = lo[j] + range;
                        decimals[j] = Math.max(0, Math.min(4, Math.ceil(2 - Math.log10(range))));
                    }
                }
            }
            finish(r, norm);
        }

        @Override
        protected double[] shiftedRecord(Random r, int c, double delta) {
            double[] z = latent(r, c, delta);
            double[] x = new double[dims];
            for (int j = 0; j < dims; j++) {
                switch (type[j]) {
                    case BIN -> x[j] = z[j] > threshold[j] ? 1 : 0;
                    case COUNT -> x[j] = clip(j, Math.rint(hi[j] * 0.25 * Math.exp(0.5 * z[j])));
                    case ONEHOT -> {
                        if (blockStart[j] == j) {
                            int best = j;
                            for (int i = j; i < j + blockLen[j]; i++) {
                                if (z[i] + threshold[i] > z[best] + threshold[best]) {
                                    best = i;
                                }
                            }
                            x[best] = 1;
                        }
                    }
                    default -> x[j] = clip(j, lo[j] + (hi[j] - lo[j]) * (0.35 + z[j] / 7));
                }
            }
            return snap(x);
        }

        /** Re-measured: a continuous column moves by one unit of its last decimal now and then, a count by one. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            for (int j = 0; j < dims; j++) {
                if ((type[j] == CONT || type[j] == COUNT) && r.nextDouble() < 0.1) {
                    double unit = type[j] == COUNT ? 1 : Math.pow(10, -decimals[j]);
                    y[j] = clip(j, y[j] + (r.nextBoolean() ? 1 : -1) * unit);
                }
            }
            return snap(y);
        }

        /** Binary columns to 0/1, counts to integers, each one-hot block to its largest column, decimals. */
        @Override
        public double[] snap(double[] x) {
            double[] y = x.clone();
            for (int j = 0; j < dims; j++) {
                switch (type[j]) {
                    case BIN -> y[j] = y[j] >= 0.5 ? 1 : 0;
                    case COUNT -> y[j] = clip(j, Math.rint(y[j]));
                    case ONEHOT -> {
                        if (blockStart[j] == j) {
                            int best = j;
                            for (int i = j; i < j + blockLen[j]; i++) {
                                if (x[i] > x[best]) {
                                    best = i;
                                }
                            }
                            for (int i = j; i < j + blockLen[j]; i++) {
                                y[i] = i == best ? 1 : 0;
                            }
                        }
                    }
                    default -> {
                        double q = Math.pow(10, decimals[j]);
                        y[j] = clip(j, Math.rint(y[j] * q) / q);
                    }
                }
            }
            return y;
        }

        @Override
        protected Unsure sibling(long s) {
            return new MixedRecords(seed * 7_919 + s, medianTop1, dims);
        }
    }

    /**
     * 32x32x3 images (pixel values 0-255) of 10 classes, like CIFAR-10: each class two coloured
     * blobs at its own places, drawn with much variation (positions +-5 pixels, sizes and colours
     * +-40%), two distractor blobs of random colour and place, a random background gradient and
     * pixel noise, so nearest-mean accuracy is 70-90%; the model is nearest class mean (a linear
     * model) with a temperature for a median top-1 of {@code medianTop1} (0.7: top-1 widely spread).
     */
    public static Unsure images(long seed, double medianTop1) {
        return new Images(seed, medianTop1);
    }

    static final class Images extends Unsure {
        private static final int SIDE = 32;
        private final long seed;
        private final double medianTop1;
        private final double[][][] blobs = new double[10][2][]; // cx, cy, sigma, r, g, b

        Images(long seed, double medianTop1) {
            super(3_072, 10, "images-3072");
            this.seed = seed;
            this.medianTop1 = medianTop1;
            Random r = new UnsharedRandom(seed);
            for (int c = 0; c < 10; c++) {
                for (int k = 0; k < 2; k++) {
                    blobs[c][k] = new double[] {
                        6 + 20 * r.nextDouble(),
                        6 + 20 * r.nextDouble(),
                        3 + 4 * r.nextDouble(),
                        r.nextDouble(),
                        r.nextDouble(),
                        r.nextDouble()
                    };
                }
            }
            Arrays.fill(hi, 255);
            fitNearestMean(r, 60);
            calibrate(medianTop1, r);
        }

        @Override
        public double[] record(Random r, int c) {
            double[][] bl = new double[4][];
            for (int k = 0; k < 2; k++) {
                double[] b = blobs[c][k];
                bl[k] = new double[] {
                    b[0] + 3 * r.nextGaussian(),
                    b[1] + 3 * r.nextGaussian(),
                    b[2] * (0.6 + 0.8 * r.nextDouble()),
                    b[3] * (0.6 + 0.8 * r.nextDouble()),
                    b[4] * (0.6 + 0.8 * r.nextDouble()),
                    b[5] * (0.6 + 0.8 * r.nextDouble())
                };
            }
            for (int k = 2; k < 4; k++) {
                bl[k] = new double[] {
                    32 * r.nextDouble(),
                    32 * r.nextDouble(),
                    2 + 5 * r.nextDouble(),
                    0.5 * r.nextDouble(),
                    0.5 * r.nextDouble(),
                    0.5 * r.nextDouble()
                };
            }
            double[] bg = {0.4 * r.nextDouble(), 0.4 * r.nextDouble(), 0.4 * r.nextDouble()};
            double tilt = 0.3 * (r.nextDouble() - 0.5);
            double[] x = new double[3_072];
            for (int y = 0; y < SIDE; y++) {
                for (int xx = 0; xx < SIDE; xx++) {
                    double[] w = new double[4];
                    for (int k = 0; k < 4; k++) {
                        double dx = xx - bl[k][0];
                        double dy = y - bl[k][1];
                        w[k] = Math.exp(-(dx * dx + dy * dy) / (2 * bl[k][2] * bl[k][2]));
                    }
                    for (int ch = 0; ch < 3; ch++) {
                        double v = bg[ch] + tilt * (y - 16) / 16;
                        for (int k = 0; k < 4; k++) {
                            v += w[k] * bl[k][3 + ch];
                        }
                        v += 0.03 * r.nextGaussian();
                        x[(ch * SIDE + y) * SIDE + xx] = Math.rint(255 * Math.max(0, Math.min(1, v)));
                    }
                }
            }
            return x;
        }

        /** Re-captured: each pixel moves by about 1% of its range, rounded. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            for (int j = 0; j < dims; j++) {
                y[j] = clip(j, Math.rint(y[j] + 2.5 * r.nextGaussian()));
            }
            return y;
        }

        @Override
        public int[] image() {
            return new int[] {SIDE, 3};
        }

        @Override
        protected Unsure sibling(long s) {
            return new Images(seed * 7_919 + s, medianTop1);
        }
    }
}
