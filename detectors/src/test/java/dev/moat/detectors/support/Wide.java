package dev.moat.detectors.support;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * Wide synthetic inputs for the detector tests: the 8x8 digits upsampled by bilinear interpolation
 * to 28x28 (784 inputs, one channel) or 32x32x3 (3,072 inputs; the channels are the grey image
 * scaled by 1, 0.7 and 0.4, so features have different ranges). The wide "model" area-averages back
 * to 8x8 and asks the fixtures' {@link DigitsModel}. Attackers are JbDA-style: from ten natural
 * seeds per class (the digits' attacker split), each round steps every point found so far by
 * {@code step_j * sign(g_j)} where g points at another class's mean image, clipped to the bounds.
 */
public final class Wide {

    /** How an attacker sizes a step in coordinate j. */
    public enum Step {
        /** eps * 16 (the pixel range): plain JbDA/FGSM. */
        PLAIN,
        /** eps * range_j, the feature's range in the attacker's data. */
        PER_FEATURE,
        /** eps * 16 * u_j, u_j uniform in [0.5, 1.5) per coordinate and query. */
        RANDOM_SIZE,
        /** eps * 16 * u_j, u_j uniform in [0, 1). */
        RANDOM_SIZE_FROM_ZERO,
        /** eps * 16 * u_j, u_j uniform in [0, 2): the evaluation's {@code jbda-random-step}, often clipped. */
        RANDOM_SIZE_TO_TWO,
        /** eps * range_j * u_j, u_j uniform in [0, 2): random sizes on per-feature scales. */
        RANDOM_PER_FEATURE,
        /** eps * 16 * |z_j|, z_j standard normal: sizes shaped like sensor noise (adaptive). */
        GAUSSIAN_SIZE,
        /** eps * 16 * e_j, e_j exponential with mean 1: heavy-tailed sizes (adaptive). */
        EXPONENTIAL_SIZE,
        /** eps * 16 * min(|c_j|, 5), c_j standard Cauchy (median 1): a few large moves spoil a crest (adaptive). */
        CAUCHY_SIZE,
        /** eps * 16 * min(l_j, 5), l_j lognormal with sigma 1 (median 1): heavy-tailed sizes (adaptive). */
        LOGNORMAL_SIZE,
        /** eps * range_j * |z_j|, z_j standard normal: per-feature scales, sizes shaped like noise (adaptive). */
        HALF_NORMAL_PER_FEATURE,
        /** eps * range_j * min(l_j, 5), l_j lognormal with sigma 1: per-feature scales, heavy tails (adaptive). */
        LOGNORMAL_PER_FEATURE,
        /**
         * Sign and size constant over blocks of 16 consecutive coordinates: the sign of the block's summed
         * direction, eps * 16 * u with u uniform in [0.5, 1.5) per block (adaptive: passes the
         * smooth-displacement rule, see {@code BlockConstantStepTest}).
         */
        BLOCKS_OF_16
    }

    private final int side;
    private final int channels;
    private final double[] tint;
    private final double[][] classMeans = new double[Digits.CLASSES][];
    private final double[] featureRange;
    /**
     * Per output row (the same per column: the image is square), the two source rows of the 8x8
     * digit and the second one's weight, as {@link #up} computed them per pixel before (the same
     * doubles: the tests' rows are the same bits, in a fraction of the time).
     */
    private final int[] from0;

    private final int[] from1;
    private final double[] weight;
    /** Per pixel of a channel, the 8x8 cell {@link #predict} averages it into. */
    private final int[] cellOf;

    private final int[] cellCount = new int[64];
    private final double tintSum;

    /** The attacker split's digits upsampled, per width: every Wide and every JbDA attacker reads them (never written). */
    private static final java.util.Map<Integer, List<double[]>> ATTACKER_ROWS =
            new java.util.concurrent.ConcurrentHashMap<>();

    public Wide(int dims) {
        if (dims == 784) {
            side = 28;
            channels = 1;
            tint = new double[] {1};
        } else if (dims == 3072) {
            side = 32;
            channels = 3;
            tint = new double[] {1, 0.7, 0.4};
        } else {
            throw new IllegalArgumentException("dims: " + dims + " (expected 784 or 3072)");
        }
        from0 = new int[side];
        from1 = new int[side];
        weight = new double[side];
        double scale = 8.0 / side;
        for (int r = 0; r < side; r++) {
            double sr = Math.max(0, Math.min(7, (r + 0.5) * scale - 0.5));
            from0[r] = (int) Math.floor(sr);
            from1[r] = Math.min(7, from0[r] + 1);
            weight[r] = sr - from0[r];
        }
        cellOf = new int[side * side];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                cellOf[r * side + c] = (r * 8 / side) * 8 + c * 8 / side;
                cellCount[cellOf[r * side + c]]++;
            }
        }
        double t = 0;
        for (double v : tint) {
            t += v;
        }
        tintSum = t;
        Digits.Part a = Digits.get().attacker();
        List<double[]> rows = ATTACKER_ROWS.computeIfAbsent(dims, d -> {
            List<double[]> up = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                up.add(up(a.x()[i]));
            }
            return List.copyOf(up);
        });
        int[] counts = new int[Digits.CLASSES];
        double[] lo = null;
        double[] hi = null;
        for (int i = 0; i < a.size(); i++) {
            double[] w = rows.get(i);
            int y = a.y()[i];
            if (classMeans[y] == null) {
                classMeans[y] = new double[w.length];
            }
            counts[y]++;
            for (int j = 0; j < w.length; j++) {
                classMeans[y][j] += (w[j] - classMeans[y][j]) / counts[y];
            }
            if (lo == null) {
                lo = w.clone();
                hi = w.clone();
            }
            for (int j = 0; j < w.length; j++) {
                lo[j] = Math.min(lo[j], w[j]);
                hi[j] = Math.max(hi[j], w[j]);
            }
        }
        featureRange = new double[lo.length];
        for (int j = 0; j < lo.length; j++) {
            featureRange[j] = hi[j] - lo[j];
        }
    }

    public int dims() {
        return side * side * channels;
    }

    /** Bilinear upsampling of an 8x8 image (pixel centres aligned), times each channel's tint. */
    public double[] up(double[] x8) {
        double[] out = new double[dims()];
        for (int r = 0; r < side; r++) {
            int r0 = from0[r];
            int r1 = from1[r];
            double fr = weight[r];
            for (int c = 0; c < side; c++) {
                int c0 = from0[c];
                int c1 = from1[c];
                double fc = weight[c];
                double v = (1 - fr) * ((1 - fc) * x8[r0 * 8 + c0] + fc * x8[r0 * 8 + c1])
                        + fr * ((1 - fc) * x8[r1 * 8 + c0] + fc * x8[r1 * 8 + c1]);
                for (int ch = 0; ch < channels; ch++) {
                    out[(ch * side + r) * side + c] = v * tint[ch];
                }
            }
        }
        return out;
    }

    /** The wide model: area-average back to 8x8 (undoing the tints), then the digits model. */
    public double[] predict(double[] wide) {
        double[] x8 = new double[64];
        int plane = side * side;
        for (int ch = 0; ch < channels; ch++) {
            for (int p = 0; p < plane; p++) {
                x8[cellOf[p]] += wide[ch * plane + p];
            }
        }
        for (int i = 0; i < 64; i++) {
            x8[i] = x8[i] / cellCount[i] / tintSum;
        }
        return DigitsModel.get().predict(x8);
    }

    /** The fixtures' honest client, upsampled (natural digits with sensor noise). */
    public QuerySource honest(long seed) {
        HonestClient c = new HonestClient(seed);
        return new QuerySource() {
            @Override
            public double[] next() {
                return up(c.next());
            }

            @Override
            public String name() {
                return "honest-wide";
            }
        };
    }

    /** Honest wide traffic with sensor noise added after upsampling, per wide pixel (sd 0.5). */
    public QuerySource honestNoisy(long seed) {
        HonestClient c = new HonestClient(seed);
        Random rnd = new UnsharedRandom(seed * 31);
        return new QuerySource() {
            @Override
            public double[] next() {
                double[] w = up(c.next());
                for (int j = 0; j < w.length; j++) {
                    w[j] = Math.max(0, Math.min(16, w[j] + 0.5 * rnd.nextGaussian()));
                }
                return w;
            }

            @Override
            public String name() {
                return "honest-wide-noisy";
            }
        };
    }

    /** Uniform noise in the input box: each wide pixel in [0, 16 x its channel's tint] (Tramer's equation solving). */
    public QuerySource random(long seed) {
        Random rnd = new UnsharedRandom(seed);
        int plane = side * side;
        return new QuerySource() {
            @Override
            public double[] next() {
                double[] w = new double[dims()];
                for (int j = 0; j < w.length; j++) {
                    w[j] = 16 * tint[j / plane] * rnd.nextDouble();
                }
                return w;
            }

            @Override
            public String name() {
                return "random-wide";
            }
        };
    }

    /** The attacker's natural digits, upsampled (its own rows, for line searches). */
    public List<double[]> attackerRows() {
        Digits.Part a = Digits.get().attacker();
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            out.add(up(a.x()[i]));
        }
        return out;
    }

    /**
     * A JbDA-style attacker on the wide inputs.
     *
     * @param eps          the step as a share of the range (0.1 as in the paper)
     * @param step         how coordinates are sized
     * @param fraction     the share of coordinates moved per step (1: all; an attacker who read the code
     *                     may move fewer)
     * @param naturalEvery 0, or n: every n-th query is a natural sample instead (mixing in natural data)
     */
    public QuerySource jbda(long seed, double eps, Step step, double fraction, int naturalEvery) {
        return new Jbda(seed, eps, step, fraction, naturalEvery, 0);
    }

    /**
     * As above, with every value the bounds cut moved off the bound by a random amount up to {@code
     * jitter} (an attacker who read that clipping is read off tied end values: the clipped moves are
     * then short and do not tie).
     */
    public QuerySource jbda(long seed, double eps, Step step, double fraction, int naturalEvery, double jitter) {
        return new Jbda(seed, eps, step, fraction, naturalEvery, jitter);
    }

    /**
     * As {@link #jbda(long, double, Step, double, int)}, stepping only from its own points sent at least
     * {@code parentLag} of its points ago (an attacker who read that PRADA keeps a ring of a key's
     * recent rows: parents older than the ring); while none is that old it sends natural rows (with
     * sensor noise) instead.
     */
    public QuerySource jbdaOldParents(long seed, double eps, Step step, int parentLag) {
        Jbda j = new Jbda(seed, eps, step, 1, 0, 0);
        j.parentLag = parentLag;
        return j;
    }

    /**
     * src with, in every query, {@code share} of the coordinates (fresh ones each time) set to +-value:
     * outliers that move, to raise the sign-step test's floor. The source sees its clean query back.
     */
    public static QuerySource movingOutliers(QuerySource src, long seed, double share, double value) {
        Random r = new UnsharedRandom(seed);
        return new QuerySource() {
            private double[] clean;

            @Override
            public double[] next() {
                clean = src.next();
                double[] x = clean.clone();
                int k = (int) Math.ceil(share * x.length);
                for (int i = 0; i < k; i++) {
                    x[r.nextInt(x.length)] = (r.nextBoolean() ? value : -value) * (1 + r.nextDouble());
                }
                return x;
            }

            @Override
            public void observe(double[] x, double[] answer) {
                src.observe(clean, answer);
            }

            @Override
            public String name() {
                return src.name() + "-moving-outliers";
            }
        };
    }

    /** A source that knows which earlier row its last row was stepped from (null for seeds and natural rows). */
    public interface Parented extends QuerySource {
        double[] lastParent();
    }

    private final class Jbda implements Parented {
        private double[] lastParent;
        private final java.util.IdentityHashMap<double[], double[]> parents = new java.util.IdentityHashMap<>();

        @Override
        public double[] lastParent() {
            return lastParent;
        }

        private final Random rnd;
        private final double eps;
        private final Step step;
        private final double fraction;
        private final int naturalEvery;
        private final double jitter;
        private final Deque<double[]> pending = new ArrayDeque<>();
        private final List<double[]> points = new ArrayList<>();
        private final List<double[]> naturals = new ArrayList<>();
        private final List<Integer> labels = new ArrayList<>();
        private int round;
        private long sent;
        /** Parents only among points[0, n - parentLag). */
        int parentLag;

        Jbda(long seed, double eps, Step step, double fraction, int naturalEvery, double jitter) {
            this.rnd = new UnsharedRandom(seed);
            this.jitter = jitter;
            this.eps = eps;
            this.step = step;
            this.fraction = fraction;
            this.naturalEvery = naturalEvery;
            Digits.Part a = Digits.get().attacker();
            int[] per = new int[Digits.CLASSES];
            int start = rnd.nextInt(a.size());
            List<double[]> rows = ATTACKER_ROWS.get(dims());
            for (int k = 0; k < a.size(); k++) {
                int i = (start + k) % a.size();
                double[] w = rows.get(i);
                naturals.add(w);
                if (per[a.y()[i]]++ < 10) {
                    pending.add(w);
                }
            }
        }

        @Override
        public double[] next() {
            sent++;
            if (naturalEvery > 0 && sent % naturalEvery == 0) {
                double[] w = naturals.get(rnd.nextInt(naturals.size())).clone();
                for (int j = 0; j < w.length; j++) {
                    w[j] = Math.max(0, Math.min(16, w[j] + 0.5 * rnd.nextGaussian()));
                }
                lastParent = null;
                return w;
            }
            if (pending.isEmpty()) {
                augment();
            }
            if (pending.isEmpty()) {
                // no parent old enough yet: a natural row
                double[] w = naturals.get(rnd.nextInt(naturals.size())).clone();
                for (int j = 0; j < w.length; j++) {
                    w[j] = Math.max(0, Math.min(16, w[j] + 0.5 * rnd.nextGaussian()));
                }
                lastParent = null;
                return w;
            }
            double[] y = pending.poll();
            lastParent = parents.remove(y);
            return y.clone();
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

        private void augment() {
            round++;
            double sign = (round / 3) % 2 == 0 ? 1 : -1;
            int n = points.size() - parentLag;
            if (parentLag > 0 && n <= 0) {
                return;
            }
            List<Integer> chosen = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                chosen.add(i);
            }
            java.util.Collections.shuffle(chosen, rnd);
            for (int k = 0; k < Math.min(400, n); k++) {
                int i = chosen.get(k);
                double[] x = points.get(i);
                double[] target = classMeans[(labels.get(i) + 1 + rnd.nextInt(9)) % 10];
                double[] y = x.clone();
                double blockSign = 0;
                double blockSize = 0;
                for (int j = 0; j < y.length; j++) {
                    if (step == Step.BLOCKS_OF_16 && j % 16 == 0) {
                        double sum = 0;
                        for (int b = j; b < Math.min(y.length, j + 16); b++) {
                            sum += target[b] - x[b];
                        }
                        blockSign = Math.signum(sum) * sign;
                        blockSize = eps * 16 * (0.5 + rnd.nextDouble());
                    }
                    if (fraction < 1 && rnd.nextDouble() >= fraction) {
                        continue;
                    }
                    double g = step == Step.BLOCKS_OF_16 ? blockSign : Math.signum(target[j] - x[j]) * sign;
                    double size = switch (step) {
                        case PLAIN -> eps * 16;
                        case PER_FEATURE -> eps * featureRange[j];
                        case RANDOM_SIZE -> eps * 16 * (0.5 + rnd.nextDouble());
                        case RANDOM_SIZE_FROM_ZERO -> eps * 16 * rnd.nextDouble();
                        case RANDOM_SIZE_TO_TWO -> eps * 16 * 2 * rnd.nextDouble();
                        case RANDOM_PER_FEATURE -> eps * featureRange[j] * 2 * rnd.nextDouble();
                        case GAUSSIAN_SIZE -> eps * 16 * Math.abs(rnd.nextGaussian());
                        case EXPONENTIAL_SIZE -> -eps * 16 * Math.log(1 - rnd.nextDouble());
                        case CAUCHY_SIZE ->
                            eps * 16 * Math.min(5, Math.abs(Math.tan(Math.PI * (rnd.nextDouble() - 0.5))));
                        case LOGNORMAL_SIZE -> eps * 16 * Math.min(5, Math.exp(rnd.nextGaussian()));
                        case HALF_NORMAL_PER_FEATURE -> eps * featureRange[j] * Math.abs(rnd.nextGaussian());
                        case LOGNORMAL_PER_FEATURE -> eps * featureRange[j] * Math.min(5, Math.exp(rnd.nextGaussian()));
                        case BLOCKS_OF_16 -> blockSize;
                    };
                    double to = x[j] + size * g;
                    y[j] = Math.max(0, Math.min(16, to));
                    if (jitter > 0 && to < 0) {
                        y[j] = jitter * rnd.nextDouble();
                    } else if (jitter > 0 && to > 16) {
                        y[j] = 16 - jitter * rnd.nextDouble();
                    }
                }
                parents.put(y, x);
                pending.add(y);
            }
            if (pending.isEmpty() && parentLag == 0) {
                pending.add(naturals.get(rnd.nextInt(naturals.size())));
            }
        }

        @Override
        public String name() {
            return "jbda-wide-" + step;
        }
    }
}
