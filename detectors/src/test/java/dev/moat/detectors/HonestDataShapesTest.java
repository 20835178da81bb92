package dev.moat.detectors;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Policies;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Honest customers of data shapes no other test sends (issue 9, session 15: last session's stroke
 * images got every honest customer flagged at 784 inputs): video frames (a slowly changing scene,
 * 8-bit, sensor noise of a few levels, day and night), images normalised as torchvision does,
 * L2-normalised text embeddings clustered by topic, tabular records of one-hot categoricals, counts,
 * money and ratios re-sent with small edits, short windows of 12-bit sensor series with a
 * per-customer offset, log-mel spectrograms, and (session 16) photographs and objects on a black
 * background, raw, normalised, from each customer's own camera or augmented. Each through the whole engine at the defaults ({@code
 * Policies.every(Map.of())}), every customer in a tenant of its own: twelve ordinary, four that
 * mostly send two or three classes, a 10x and a 50x heavy one and a bursty one; then random rows,
 * plain JbDA and random-size JbDA on the same model and data. Seeded; nothing timed.
 */
public class HonestDataShapesTest {

    /** A camera's scenes last this many frames (the survey's -Dscene=MIN,MAX; 40-400 by default). */
    static final int SCENE_MIN =
            Integer.parseInt(System.getProperty("scene", "40,400").split(",")[0]);

    static final int SCENE_MAX =
            Integer.parseInt(System.getProperty("scene", "40,400").split(",")[1]);

    /** A machine's states last this many samples (-Dstate=MIN,MAX; 200-2,000 by default). */
    static final int STATE_MIN =
            Integer.parseInt(System.getProperty("state", "200,2000").split(",")[0]);

    static final int STATE_MAX =
            Integer.parseInt(System.getProperty("state", "200,2000").split(",")[1]);

    /** A sensor's offset is up to this many volts either way (-Dsensoroffset; 0.25 by default). */
    static final double OFFSET = Double.parseDouble(System.getProperty("sensoroffset", "0.25"));

    /** The survey's photo customers send each photo with its mirror and four shifts of 1-2 pixels (-Dtta=true). */
    static final boolean TTA = Boolean.getBoolean("tta");

    /** Each photo customer has a camera of its own (-Dcameras=true): gain, gamma and colour cast. */
    static final boolean CAMERAS = Boolean.getBoolean("cameras");

    /** The share of a spectrogram customer's re-sends recorded again at another volume (-Dregain; a third). */
    static final double REGAIN = Double.parseDouble(System.getProperty("regain", "0.3333"));

    /** Every detector at the defaults; {@code -Doodwiden=X} sets {@code ood}'s {@code max_widening} (a probe's switch). */
    static final DetectorProfile EVERY = DetectorProfile.fromConfig(Policies.every(
            System.getProperty("oodwiden") == null
                    ? Map.of()
                    : Map.of("max_widening", Double.parseDouble(System.getProperty("oodwiden")))));

    /** One data shape: its model, its customers and its attackers, in the shape's input space. */
    public interface Shape {
        String name();

        UnaryOperator<double[]> model();

        /** An ordinary customer. */
        QuerySource customer(long seed);

        /** A customer of mostly ({@code share}) the classes {@code cls}. */
        QuerySource fewClasses(long seed, int[] cls, double share);

        /** Random rows, plain JbDA and random-size JbDA (fresh sources). */
        Map<String, QuerySource> attackers();
    }

    /** The population of the brief, then the attackers from minute 10. */
    static Scenario population(Shape sh) {
        Scenario s = new Scenario(EVERY, sh.model());
        for (int i = 0; i < 12; i++) {
            s.add("honest-" + i, "t" + i, sh.customer(500 + i), 1_500, i * 700L, () -> 2_000);
        }
        int[][] few = {{0, 1}, {1, 7}, {2, 5, 8}, {3, 4, 9}};
        for (int i = 0; i < few.length; i++) {
            s.add(
                    "honest-few-" + i,
                    "u" + i,
                    sh.fewClasses(700 + i, few[i], 0.9),
                    1_500,
                    9_000 + i * 700L,
                    () -> 2_000);
        }
        s.add("honest-heavy10", "heavy10", sh.customer(900), 15_000, 3_000, () -> 200);
        s.add("honest-heavy50", "heavy50", sh.customer(902), 40_000, 4_000, () -> 40);
        Random bursts = new UnsharedRandom(5);
        s.add(
                "honest-bursty",
                "bursty",
                sh.customer(901),
                3_000,
                60_000,
                () -> bursts.nextInt(100) < 1 ? 600_000 : 100);
        sh.attackers().forEach((name, src) -> s.add(name, null, src, 1_000, 600_000, () -> 1_000));
        s.run();
        return s;
    }

    /** Per flagged honest key: the row, each detector at 0.5 or more at the first flag, and its reason. */
    static String flags(Scenario s) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(s.suspiciousAt).forEach((key, row) -> {
            if (!key.startsWith("honest")) {
                return;
            }
            sb.append(String.format(Locale.ROOT, "  %-16s flagged at %d:", key, row));
            new TreeMap<>(s.firstFlag.get(key).scores()).forEach((d, sc) -> {
                if (sc.score() >= 0.3) {
                    sb.append(String.format(Locale.ROOT, "%n      %-9s %.2f %s", d, sc.score(), sc.reason()));
                }
            });
            sb.append('\n');
        });
        return sb.toString();
    }

    static void print(Shape sh, Scenario s) {
        long honest =
                s.maxRisk.keySet().stream().filter(k -> k.startsWith("honest")).count();
        long flagged = s.suspiciousAt.keySet().stream()
                .filter(k -> k.startsWith("honest"))
                .count();
        Map<String, Long> attacks = new TreeMap<>(s.extractingAt);
        attacks.keySet().removeIf(k -> k.startsWith("honest"));
        Map<String, Long> suspicious = new TreeMap<>(s.suspiciousAt);
        suspicious.keySet().removeIf(k -> k.startsWith("honest"));
        System.out.printf(
                Locale.ROOT,
                "shape %-22s honest flagged %d of %d; attackers suspicious at %s, extracting at %s%n%s",
                sh.name(),
                flagged,
                honest,
                suspicious,
                attacks,
                flags(s));
        // the attackers' last verdict (how each detector saw them at the end)
        new TreeMap<>(s.last).forEach((key, v) -> {
            if (!key.startsWith("honest")) {
                Verdict first = s.firstFlag.get(key);
                System.out.printf(
                        Locale.ROOT,
                        "  %-16s first flag: %s%n  %-16s last:%n",
                        key,
                        first == null ? "none" : firing(s, key),
                        key);
                new TreeMap<>(v.scores()).forEach((d, sc) -> {
                    if (d.equals("ood") || d.equals("boundary") || d.equals("coverage") || sc.score() >= 0.3) {
                        System.out.printf(Locale.ROOT, "      %-9s %.2f %s%n", d, sc.score(), sc.reason());
                    }
                });
            }
        });
    }

    // ---- sources ----------------------------------------------------------------------------

    static QuerySource source(String name, java.util.function.Supplier<double[]> next) {
        return dev.moat.detectors.support.HonestDomain.source(name, next);
    }

    /** {@code src}'s rows through {@code f}; the source sees its own row back with the answer. */
    static QuerySource mapped(QuerySource src, UnaryOperator<double[]> f) {
        return new QuerySource() {
            private double[] clean;

            @Override
            public double[] next() {
                clean = src.next();
                return f.apply(clean.clone());
            }

            @Override
            public void observe(double[] x, double[] answer) {
                src.observe(clean, answer);
            }

            @Override
            public String name() {
                return src.name();
            }
        };
    }

    /** The fixtures' honest digits (any, or mostly {@code cls}), upsampled. */
    static HonestClient digits(long seed, int[] cls, double share) {
        return new HonestClient(
                seed,
                HonestClient.DEFAULT_MEAN_INTER_ARRIVAL,
                HonestClient.DEFAULT_NOISE_SD,
                "c",
                Digits.get(),
                cls,
                share);
    }

    // ---- 1. video frames --------------------------------------------------------------------

    /**
     * A camera's frames on the wide digits model: a scene (one of the customer's digits, upsampled)
     * held for 40-400 frames while it drifts by up to a pixel and its gain by a few per cent, then a
     * cut to the next; every frame 8-bit (16 k / 255) with Gaussian sensor noise of {@code noise}
     * levels. A night camera sees the scene at a gain of 0.12-0.2 over a background of 3-6 levels;
     * a day camera at 0.8-1 over 10-20 levels.
     */
    static final class Video implements Shape {
        final int dims;
        final Wide wide;
        final int side;
        /** 0: every camera by day; 1: every camera by night; 2: even-seeded cameras by day, odd by night. */
        final int night;

        /** A scene lasts sceneMin-sceneMax frames. */
        final int sceneMin;

        final int sceneMax;

        Video(int dims, int night) {
            this(dims, night, SCENE_MIN, SCENE_MAX);
        }

        Video(int dims, int night, int sceneMin, int sceneMax) {
            this.sceneMin = sceneMin;
            this.sceneMax = sceneMax;
            this.dims = dims;
            this.wide = new Wide(dims);
            this.side = dims == 784 ? 28 : 32;
            this.night = night;
        }

        @Override
        public String name() {
            return "video-" + dims + (night == 0 ? "-day" : night == 1 ? "-night" : "-mixed");
        }

        @Override
        public UnaryOperator<double[]> model() {
            return wide::predict;
        }

        QuerySource camera(long seed, HonestClient scenes) {
            Random r = new UnsharedRandom(seed * 7 + 3);
            boolean dark = night == 1 || (night == 2 && seed % 2 == 1);
            double noise = 1 + 2 * r.nextDouble();
            return new QuerySource() {
                double[] scene;
                int left;
                int length;
                double dx;
                double dy;
                double g0;
                double g1;
                double bg;

                @Override
                public double[] next() {
                    if (left == 0) {
                        scene = wide.up(scenes.next());
                        length = sceneMin + r.nextInt(sceneMax - sceneMin + 1);
                        left = length;
                        dx = r.nextDouble() * 2 - 1;
                        dy = r.nextDouble() * 2 - 1;
                        g0 = dark ? 0.12 + 0.08 * r.nextDouble() : 0.8 + 0.2 * r.nextDouble();
                        g1 = g0 * (0.95 + 0.1 * r.nextDouble());
                        bg = dark ? 3 + 3 * r.nextDouble() : 10 + 10 * r.nextDouble();
                    }
                    double t = 1 - (double) left / length;
                    left--;
                    double[] x = shift(scene, side, t * dx, t * dy);
                    double gain = g0 + (g1 - g0) * t;
                    for (int j = 0; j < x.length; j++) {
                        double level = bg + gain * x[j] / 16 * 255 + noise * r.nextGaussian();
                        x[j] = Math.max(0, Math.min(255, Math.rint(level))) * 16 / 255;
                    }
                    return x;
                }

                @Override
                public String name() {
                    return "camera";
                }
            };
        }

        @Override
        public QuerySource customer(long seed) {
            return camera(seed, digits(seed, new int[0], 0));
        }

        @Override
        public QuerySource fewClasses(long seed, int[] cls, double share) {
            return camera(seed, digits(seed, cls, share));
        }

        @Override
        public Map<String, QuerySource> attackers() {
            return digitAttackers(dims, x -> x);
        }
    }

    /** A side x side image (channels stacked) moved by (dx, dy) pixels, bilinear, the edge held. */
    static double[] shift(double[] x, int side, double dx, double dy) {
        double[] y = new double[x.length];
        int plane = side * side;
        // each row's and each column's source pixels and weights, once (the same doubles as per pixel)
        int[] r0s = new int[side];
        int[] r1s = new int[side];
        double[] frs = new double[side];
        int[] q0s = new int[side];
        int[] q1s = new int[side];
        double[] fqs = new double[side];
        for (int i = 0; i < side; i++) {
            double sr = Math.max(0, Math.min(side - 1, i - dy));
            double sq = Math.max(0, Math.min(side - 1, i - dx));
            r0s[i] = (int) Math.floor(sr);
            q0s[i] = (int) Math.floor(sq);
            r1s[i] = Math.min(side - 1, r0s[i] + 1);
            q1s[i] = Math.min(side - 1, q0s[i] + 1);
            frs[i] = sr - r0s[i];
            fqs[i] = sq - q0s[i];
        }
        for (int c = 0; c < x.length / plane; c++) {
            for (int r = 0; r < side; r++) {
                int r0 = r0s[r];
                int r1 = r1s[r];
                double fr = frs[r];
                for (int q = 0; q < side; q++) {
                    int q0 = q0s[q];
                    int q1 = q1s[q];
                    double fq = fqs[q];
                    int o = c * plane;
                    y[o + r * side + q] = (1 - fr) * ((1 - fq) * x[o + r0 * side + q0] + fq * x[o + r0 * side + q1])
                            + fr * ((1 - fq) * x[o + r1 * side + q0] + fq * x[o + r1 * side + q1]);
                }
            }
        }
        return y;
    }

    /**
     * Random rows, plain and random-size JbDA on the wide digits, sent through {@code f}; with {@code
     * -Dsurveylinesearch=true} also Tramer's line search between 300 of the attacker's own natural
     * digits (to a margin of 0.05), for probing what {@code boundary}'s widening leaves among
     * customers who differ (session 36).
     */
    static Map<String, QuerySource> digitAttackers(int dims, UnaryOperator<double[]> f) {
        var w = OneClassCustomerIsNotOutOfDistributionTest.world(dims);
        Wide wide = new Wide(dims);
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("random", mapped(w.random().apply(7L), f));
        a.put("jbda", mapped(wide.jbda(2, 0.1, Wide.Step.PLAIN, 1, 0), f));
        a.put("jbda-random-size", mapped(wide.jbda(4, 0.1, Wide.Step.RANDOM_SIZE, 1, 0), f));
        if (Boolean.getBoolean("surveylinesearch")) {
            QuerySource natural = w.honest().apply(9L);
            List<double[]> own = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                own.add(natural.next());
            }
            a.put("line-search", mapped(new dev.moat.detectors.support.LineSearch(own, 10L, 0.05), f));
        }
        return a;
    }

    // ---- 2. torchvision-normalised images ---------------------------------------------------

    /**
     * Images as a torchvision pipeline feeds them: 8-bit (k / 255), then {@code (v - mean_c) /
     * std_c} per channel (ImageNet's at 3,072 inputs, MNIST's 0.1307 / 0.3081 at 784): negative
     * values and a lattice of step {@code 1 / (255 std_c)} offset by {@code -mean_c / std_c}. The
     * model undoes it and asks the wide digits model. The customers' rows come from {@code base}
     * (natural digits with sensor noise, or a camera's frames).
     */
    static final class Normalised implements Shape {
        final int dims;
        final Shape base;
        final double[] mean;
        final double[] std;
        final int plane;
        final Wide wide;

        Normalised(int dims, Shape base) {
            this.dims = dims;
            this.base = base;
            this.wide = new Wide(dims);
            if (dims == 784) {
                mean = new double[] {0.1307};
                std = new double[] {0.3081};
                plane = 784;
            } else {
                mean = new double[] {0.485, 0.456, 0.406};
                std = new double[] {0.229, 0.224, 0.225};
                plane = 1024;
            }
        }

        double[] normalise(double[] x) {
            double[] y = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                int c = j / plane;
                double v = Math.max(0, Math.min(255, Math.rint(x[j] / 16 * 255))) / 255;
                y[j] = (float) ((v - mean[c]) / std[c]);
            }
            return y;
        }

        double[] raw(double[] y) {
            double[] x = new double[y.length];
            for (int j = 0; j < y.length; j++) {
                int c = j / plane;
                x[j] = (y[j] * std[c] + mean[c]) * 16;
            }
            return x;
        }

        @Override
        public String name() {
            return "normalised-" + base.name();
        }

        @Override
        public UnaryOperator<double[]> model() {
            return y -> wide.predict(raw(y));
        }

        @Override
        public QuerySource customer(long seed) {
            return mapped(base.customer(seed), this::normalise);
        }

        @Override
        public QuerySource fewClasses(long seed, int[] cls, double share) {
            return mapped(base.fewClasses(seed, cls, share), this::normalise);
        }

        @Override
        public Map<String, QuerySource> attackers() {
            return digitAttackers(dims, this::normalise);
        }
    }

    /** The fixtures' natural digits with their sensor noise, upsampled (the base of {@link Normalised}). */
    static final class NaturalDigits implements Shape {
        final Wide wide;
        final int dims;

        NaturalDigits(int dims) {
            this.dims = dims;
            this.wide = new Wide(dims);
        }

        @Override
        public String name() {
            return "digits-" + dims;
        }

        @Override
        public UnaryOperator<double[]> model() {
            return wide::predict;
        }

        @Override
        public QuerySource customer(long seed) {
            return mapped(digits(seed, new int[0], 0), wide::up);
        }

        @Override
        public QuerySource fewClasses(long seed, int[] cls, double share) {
            return mapped(digits(seed, cls, share), wide::up);
        }

        @Override
        public Map<String, QuerySource> attackers() {
            return digitAttackers(dims, x -> x);
        }
    }

    // ---- 3-5: records on their own models (Unsure's customers and attackers) ----------------

    /** A shape on an {@link Unsure} model: its peers, its mostly-some-classes customers, its attackers. */
    static Shape of(Unsure u) {
        return new Shape() {
            @Override
            public String name() {
                return u.name();
            }

            @Override
            public UnaryOperator<double[]> model() {
                return u::predict;
            }

            @Override
            public QuerySource customer(long seed) {
                return u.peer(seed);
            }

            @Override
            public QuerySource fewClasses(long seed, int[] cls, double share) {
                int[] in =
                        Arrays.stream(cls).map(c -> c % u.classes()).distinct().toArray();
                return u.mostly(seed, in, share);
            }

            @Override
            public Map<String, QuerySource> attackers() {
                Map<String, QuerySource> a = new LinkedHashMap<>();
                a.put("random", u.random(7));
                a.put("jbda", u.jbda(2, 0.1, Unsure.Step.PLAIN));
                a.put("jbda-random-size", u.jbda(4, 0.1, Unsure.Step.RANDOM_SIZE));
                return a;
            }
        };
    }

    /**
     * Sentence embeddings: {@code dims} wide, L2-normalised, float32; ten topics, each a unit centroid
     * plus three subtopics, every vector sharing a common direction (embeddings are anisotropic: any
     * two have a cosine of 0.2-0.4); the model is a softmax over squared distances to the topics'
     * means (nearest class mean). A re-sent text is the same vector; a customer's own texts are 300,
     * and a third of its sends are a paraphrase (a new vector near one of them).
     */
    static final class Embeddings extends Unsure {
        private static final int TOPICS = 10;
        private final double[] common;
        private final double[][] centre = new double[TOPICS][];
        private final double[][][] sub = new double[TOPICS][3][];
        private final long seed;

        Embeddings(int dims, long seed) {
            super(dims, TOPICS, "embeddings-" + dims);
            this.seed = seed;
            Random r = new UnsharedRandom(seed);
            common = unit(gaussian(r, dims));
            for (int c = 0; c < TOPICS; c++) {
                centre[c] = unit(gaussian(r, dims));
                for (int k = 0; k < 3; k++) {
                    sub[c][k] = unit(gaussian(r, dims));
                }
            }
            boundsFromData(new UnsharedRandom(seed + 1), 1_000);
            fitNearestMean(r, 300);
        }

        static double[] gaussian(Random r, int n) {
            double[] v = new double[n];
            for (int j = 0; j < n; j++) {
                v[j] = r.nextGaussian();
            }
            return v;
        }

        static double[] unit(double[] v) {
            double s = 0;
            for (double a : v) {
                s += a * a;
            }
            double n = Math.sqrt(s);
            double[] u = new double[v.length];
            for (int j = 0; j < v.length; j++) {
                u[j] = (float) (v[j] / n);
            }
            return u;
        }

        @Override
        public double[] record(Random r, int c) {
            double[] s = sub[c][r.nextInt(3)];
            double[] x = new double[dims];
            double noise = 1.1 / Math.sqrt(dims);
            for (int j = 0; j < dims; j++) {
                x[j] = 0.5 * common[j] + 0.7 * centre[c][j] + 0.4 * s[j] + noise * r.nextGaussian();
            }
            return unit(x);
        }

        @Override
        public double[] noisy(double[] x, Random r) {
            if (r.nextInt(3) > 0) {
                return x.clone();
            }
            double[] y = x.clone();
            double noise = 0.4 / Math.sqrt(dims);
            for (int j = 0; j < dims; j++) {
                y[j] += noise * r.nextGaussian();
            }
            return unit(y);
        }

        @Override
        protected Unsure sibling(long s) {
            return new Embeddings(dims, seed * 7_919 + s);
        }
    }

    /**
     * Tabular records as a bank's or a shop's table: columns cycle through one-hot categoricals (3-6
     * levels), counts (Poisson, means 0.5-20), money (log-normal, scales 10 to 100,000, to the cent),
     * ratios (0-1, two decimals) and flags; every column driven by two latent factors and a class
     * shift (four classes). The model is nearest class mean under the columns' spreads. A customer's
     * own 300 records are re-sent as they were or with a small edit: a payment on one money column
     * (a few per cent), a count one up, a ratio moved by 0.01.
     */
    static final class Ledger extends Unsure {
        private static final int ONEHOT = 0;
        private static final int COUNT = 1;
        private static final int MONEY = 2;
        private static final int RATIO = 3;
        private static final int FLAG = 4;
        private final int[] kind;
        /** For a one-hot column, the first column of its group and the group's size. */
        private final int[] group;

        private final int[] levels;
        private final double[] scale;
        private final double[][] shift;
        private final double[][] load;
        private final long seed;

        Ledger(int dims, long seed) {
            super(dims, 4, "ledger-" + dims);
            this.seed = seed;
            Random r = new UnsharedRandom(seed);
            kind = new int[dims];
            group = new int[dims];
            levels = new int[dims];
            scale = new double[dims];
            shift = new double[4][dims];
            load = new double[2][dims];
            int j = 0;
            int t = 0;
            while (j < dims) {
                int k = t++ % 5;
                if (k == ONEHOT) {
                    int n = Math.min(dims - j, 3 + r.nextInt(4));
                    for (int i = 0; i < n; i++) {
                        kind[j + i] = ONEHOT;
                        group[j + i] = j;
                        levels[j + i] = n;
                    }
                    drawLatent(r, j);
                    j += n;
                } else {
                    kind[j] = k;
                    scale[j] = switch (k) {
                        case COUNT -> 0.5 + 19.5 * r.nextDouble();
                        case MONEY -> Math.pow(10, 1 + 4 * r.nextDouble());
                        default -> 1;
                    };
                    drawLatent(r, j);
                    j++;
                }
            }
            for (int i = 0; i < dims; i++) {
                lo[i] = 0;
                hi[i] = switch (kind[i]) {
                    case COUNT -> Math.ceil(scale[i] * 4 + 5);
                    case MONEY -> scale[i] * 20;
                    default -> 1;
                };
            }
            fitNearestMean(r, 500);
        }

        private void drawLatent(Random r, int j) {
            for (int c = 0; c < 4; c++) {
                shift[c][j] = 0.8 * r.nextGaussian();
            }
            load[0][j] = 0.6 * r.nextGaussian();
            load[1][j] = 0.6 * r.nextGaussian();
        }

        @Override
        public double[] record(Random r, int c) {
            double f1 = r.nextGaussian();
            double f2 = r.nextGaussian();
            double[] x = new double[dims];
            for (int j = 0; j < dims; j++) {
                double z = shift[c][j] + f1 * load[0][j] + f2 * load[1][j] + 0.7 * r.nextGaussian();
                switch (kind[j]) {
                    case ONEHOT -> {
                        if (group[j] == j) {
                            int n = levels[j];
                            double u = 1 / (1 + Math.exp(-z));
                            int level = Math.min(n - 1, (int) (u * n + 0.5 * r.nextGaussian() + 0.5));
                            x[j + Math.max(0, level)] = 1;
                        }
                    }
                    case COUNT -> x[j] = clip(j, poisson(r, scale[j] * Math.exp(0.5 * z)));
                    case MONEY -> x[j] = clip(j, Math.rint(scale[j] * Math.exp(0.8 * z) * 100) / 100);
                    case RATIO -> x[j] = Math.rint(100 / (1 + Math.exp(-z))) / 100;
                    default -> x[j] = z > 0.3 ? 1 : 0;
                }
            }
            return x;
        }

        static double poisson(Random r, double mean) {
            double l = Math.exp(-Math.min(mean, 500));
            int k = 0;
            double p = 1;
            do {
                k++;
                p *= r.nextDouble();
            } while (p > l);
            return k - 1;
        }

        /** A small edit: a payment on a money column, a count one up, or a ratio moved by 0.01; else as it was. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            if (r.nextBoolean()) {
                return y;
            }
            int j = r.nextInt(dims);
            switch (kind[j]) {
                case MONEY -> y[j] = clip(j, Math.rint(y[j] * (1 + 0.05 * r.nextGaussian()) * 100) / 100);
                case COUNT -> y[j] = clip(j, y[j] + 1);
                case RATIO -> y[j] = clip(j, Math.rint(y[j] * 100 + (r.nextBoolean() ? 1 : -1)) / 100);
                default -> {}
            }
            return y;
        }

        @Override
        protected Unsure sibling(long s) {
            return new Ledger(dims, seed * 7_919 + s);
        }
    }

    /**
     * Short windows of a machine's sensor, as an edge monitor sends them: a 12-bit ADC over 0-3.3 V
     * (in volts, or in raw counts 0-4,095), each machine's sensor with its own offset (up to
     * 0.25 V either way) and gain (0.9-1.1); three states (idle, running, fault) that set the level,
     * the vibration's amplitude and frequency; AR(1) noise of 1-2 LSB. A customer's windows are
     * consecutive (hop of 1-8 samples) along its own series, with a state change every 200-2,000
     * samples.
     */
    static final class Sensor extends Unsure {
        private static final double[][] STATE = {{0.4, 0.02, 0.01}, {1.2, 0.15, 0.05}, {1.9, 0.35, 0.13}};
        private final boolean counts;
        private final long seed;

        Sensor(int dims, boolean counts, long seed) {
            super(dims, 3, "sensor-" + (counts ? "counts-" : "volts-") + dims);
            this.counts = counts;
            this.seed = seed;
            for (int j = 0; j < dims; j++) {
                lo[j] = 0;
                hi[j] = counts ? 4095 : 3.3;
            }
            fitNearestMean(new UnsharedRandom(seed), 500);
        }

        double adc(double volts) {
            double k = Math.max(0, Math.min(4095, Math.rint(volts / 3.3 * 4095)));
            return counts ? k : k * 3.3 / 4095;
        }

        /** {@code n} samples of state {@code c} from phase {@code phase}, offset and gain as given. */
        double[] samples(Random r, int c, int n, double offset, double gain) {
            double[] s = new double[n];
            double period = 8 + 24 * r.nextDouble() / (1 + c);
            double ph = 2 * Math.PI * r.nextDouble();
            double e = 0;
            for (int t = 0; t < n; t++) {
                e = 0.7 * e + 1.2 * 3.3 / 4095 * r.nextGaussian();
                double v = STATE[c][0]
                        + STATE[c][1] * Math.sin(2 * Math.PI * t / period + ph)
                        + STATE[c][2] * r.nextGaussian() * 0.3
                        + e;
                s[t] = adc(offset + gain * v);
            }
            return s;
        }

        @Override
        public double[] record(Random r, int c) {
            return samples(r, c, dims, 0.25 * (2 * r.nextDouble() - 1), 0.9 + 0.2 * r.nextDouble());
        }

        /** A machine's monitor: consecutive windows of its own series, hop 1-8, its own offset and gain. */
        @Override
        public QuerySource peer(long s) {
            return monitor(s, null, 0);
        }

        @Override
        public QuerySource mostly(long s, int[] cls, double share) {
            return monitor(s, cls, share);
        }

        QuerySource monitor(long s, int[] cls, double share) {
            Random r = new UnsharedRandom(s);
            double offset = OFFSET * (2 * r.nextDouble() - 1);
            double gain = 0.9 + 0.2 * r.nextDouble();
            int hop = 1 + r.nextInt(8);
            List<Double> series = new ArrayList<>();
            return source("monitor", () -> {
                while (series.size() < dims + hop + 1) {
                    int c = cls != null && r.nextDouble() < share ? cls[r.nextInt(cls.length)] : r.nextInt(classes);
                    for (double v : samples(r, c, STATE_MIN + r.nextInt(STATE_MAX - STATE_MIN + 1), offset, gain)) {
                        series.add(v);
                    }
                }
                double[] x = new double[dims];
                for (int j = 0; j < dims; j++) {
                    x[j] = series.get(j);
                }
                series.subList(0, hop).clear();
                return x;
            });
        }

        @Override
        protected Unsure sibling(long s) {
            return new Sensor(dims, counts, seed * 7_919 + s);
        }
    }

    /**
     * TF-IDF vectors of short texts, as a scikit-learn text classifier takes them ({@code
     * TfidfVectorizer(sublinear_tf=True)}): a vocabulary of {@code dims} words with a Zipf background,
     * eight topics each favouring 40 words, documents of 8-400 words (log-normal lengths: messages to
     * articles); each value is {@code (1 + log tf) * idf} with the idf from 2,000 documents, the row
     * L2-normalised, float32. Rows are sparse (a 30-word message has about 25 non-zero values) and
     * their values depend on the document's length. The model is nearest class mean. A re-sent text is
     * the same vector; a third of the re-sends are edited (a few words swapped, the row recomputed).
     */
    static final class TfIdf extends Unsure {
        private static final int TOPICS = 8;
        private final double[][] cumulative = new double[TOPICS][];
        private final double[] idf;
        private final long seed;

        TfIdf(int dims, long seed) {
            super(dims, TOPICS, "tfidf-" + dims);
            this.seed = seed;
            Random r = new UnsharedRandom(seed);
            int[] perm = HonestDomain.permutation(dims, r);
            for (int c = 0; c < TOPICS; c++) {
                double[] p = new double[dims];
                for (int j = 0; j < dims; j++) {
                    p[perm[j]] = 0.6 / (j + 5);
                }
                for (int k = 0; k < 40; k++) {
                    p[r.nextInt(dims)] += 0.4 / 40 * (0.5 + r.nextDouble());
                }
                cumulative[c] = HonestDomain.cumulative(p);
            }
            idf = new double[dims];
            int docs = 2_000;
            int[] df = new int[dims];
            Random d = new UnsharedRandom(seed + 1);
            for (int i = 0; i < docs; i++) {
                int[] tf = counts(d, d.nextInt(TOPICS), length(d));
                for (int j = 0; j < dims; j++) {
                    df[j] += tf[j] > 0 ? 1 : 0;
                }
            }
            for (int j = 0; j < dims; j++) {
                idf[j] = Math.log((1.0 + docs) / (1.0 + df[j])) + 1;
            }
            Arrays.fill(lo, 0);
            Arrays.fill(hi, 1);
            fitNearestMean(r, 300);
        }

        static int length(Random r) {
            return (int) Math.min(400, 8 + Math.exp(3.5 + 0.9 * r.nextGaussian()));
        }

        private int[] counts(Random r, int c, int words) {
            int[] tf = new int[dims];
            for (int i = 0; i < words; i++) {
                tf[HonestDomain.drawIndex(cumulative[c], r)]++;
            }
            return tf;
        }

        private double[] vector(int[] tf) {
            double[] x = new double[dims];
            double s = 0;
            for (int j = 0; j < dims; j++) {
                if (tf[j] > 0) {
                    x[j] = (1 + Math.log(tf[j])) * idf[j];
                    s += x[j] * x[j];
                }
            }
            double n = Math.sqrt(s);
            for (int j = 0; j < dims; j++) {
                x[j] = n == 0 ? 0 : (float) (x[j] / n);
            }
            return x;
        }

        @Override
        public double[] record(Random r, int c) {
            return vector(counts(r, c, length(r)));
        }

        /** Re-sent as it was; a third of the time a few words of it swapped for others (the row recomputed). */
        @Override
        public double[] noisy(double[] x, Random r) {
            if (r.nextInt(3) > 0) {
                return x.clone();
            }
            // the words back from the row: tf from the value's share of the largest (close enough for an edit)
            int[] tf = new int[dims];
            int n = 0;
            for (int j = 0; j < dims; j++) {
                if (x[j] > 0) {
                    tf[j] = 1;
                    n++;
                }
            }
            int[] add = counts(r, r.nextInt(TOPICS), 1 + r.nextInt(3));
            for (int j = 0; j < dims; j++) {
                tf[j] += add[j];
            }
            for (int k = 0, drop = Math.min(n - 1, 1 + r.nextInt(3)); k < drop; k++) {
                int j = r.nextInt(dims);
                tf[j] = 0;
            }
            return vector(tf);
        }

        @Override
        protected Unsure sibling(long s) {
            return new TfIdf(dims, seed * 7_919 + s);
        }
    }

    /**
     * Molecular fingerprints, as a property or activity model takes them (RDKit Morgan bits): {@code
     * dims} bits, each molecule a set of substructures hashed to bits; substructures follow a Zipf
     * law (a few common ones, carbon chains and rings, set in most molecules; most bits set in under
     * 5%), each of six activity classes favouring 30 substructures of its own; 20-60 substructures
     * a molecule. Values are 0 or 1. The model is nearest class mean. A customer screens its own 300
     * molecules, re-sent as they were (the same molecule hashes to the same bits) or, a third of the
     * time, a close analogue (2-4 substructures swapped).
     */
    static final class Fingerprints extends Unsure {
        private static final int CLASSES = 6;
        private final double[][] cumulative = new double[CLASSES][];
        private final long seed;

        Fingerprints(int dims, long seed) {
            super(dims, CLASSES, "fingerprints-" + dims);
            this.seed = seed;
            Random r = new UnsharedRandom(seed);
            int[] perm = HonestDomain.permutation(dims, r);
            for (int c = 0; c < CLASSES; c++) {
                double[] p = new double[dims];
                for (int j = 0; j < dims; j++) {
                    p[perm[j]] = 1.0 / Math.pow(j + 3, 1.1);
                }
                double base = Arrays.stream(p).sum();
                for (int k = 0; k < 30; k++) {
                    p[r.nextInt(dims)] += base * 0.5 / 30 * (0.5 + r.nextDouble());
                }
                cumulative[c] = HonestDomain.cumulative(p);
            }
            Arrays.fill(lo, 0);
            Arrays.fill(hi, 1);
            fitNearestMean(r, 300);
        }

        private void set(double[] x, Random r, int c, int n) {
            for (int i = 0; i < n; i++) {
                x[HonestDomain.drawIndex(cumulative[c], r)] = 1;
            }
        }

        @Override
        public double[] record(Random r, int c) {
            double[] x = new double[dims];
            set(x, r, c, 20 + r.nextInt(41));
            return x;
        }

        /** Re-sent as it was; a third of the time an analogue: 2-4 of its bits cleared, as many set. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            if (r.nextInt(3) > 0) {
                return y;
            }
            int swaps = 2 + r.nextInt(3);
            for (int k = 0; k < swaps; k++) {
                int j = r.nextInt(dims);
                y[j] = 0;
            }
            set(y, r, r.nextInt(CLASSES), swaps);
            return y;
        }

        @Override
        protected Unsure sibling(long s) {
            return new Fingerprints(dims, seed * 7_919 + s);
        }
    }

    /**
     * Log-mel spectrograms of short sound clips, as an audio classifier takes them: {@code bands} mel
     * bands by 32 frames (band-major), in dB relative to full scale, floored at -80 dB (silence is
     * exactly -80), to 0.01 dB. Five sound classes, each a harmonic stack (a base band and a spacing)
     * with its own envelope over the frames, over background noise of -75 to -50 dB per clip; the
     * model is nearest class mean. A customer's own 300 clips are re-sent as they were, or (a share
     * of the re-sends, a third in the survey) recorded again at another volume: every value above the
     * floor moved by the same 1-6 dB.
     */
    static final class Spectrogram extends Unsure {
        private static final int FRAMES = 32;
        private final int bands;
        private final double[] base = new double[5];
        private final double[] spacing = new double[5];
        private final double[] attack = new double[5];
        private final long seed;
        private final double regain;

        Spectrogram(int bands, long seed) {
            this(bands, seed, REGAIN);
        }

        /** {@code regain}: the share of re-sends recorded again at another volume. */
        Spectrogram(int bands, long seed, double regain) {
            super(bands * FRAMES, 5, "spectrogram-" + bands * FRAMES);
            this.regain = regain;
            this.bands = bands;
            this.seed = seed;
            Random r = new UnsharedRandom(seed);
            for (int c = 0; c < 5; c++) {
                base[c] = 2 + r.nextInt(bands / 3);
                spacing[c] = 3 + r.nextInt(bands / 6);
                attack[c] = 0.05 + 0.4 * r.nextDouble();
            }
            Arrays.fill(lo, -80);
            Arrays.fill(hi, 0);
            fitNearestMean(r, 300);
        }

        @Override
        public double[] record(Random r, int c) {
            double[] x = new double[dims];
            double noise = -75 + 25 * r.nextDouble();
            double loud = -30 + 25 * r.nextDouble();
            double b0 = base[c] + r.nextGaussian();
            double sp = spacing[c] * (0.9 + 0.2 * r.nextDouble());
            int start = r.nextInt(8);
            for (int f = 0; f < FRAMES; f++) {
                double t = f - start;
                double env = t < 0 ? 0 : Math.exp(-t * attack[c]) * (1 - Math.exp(-3 * (t + 1)));
                for (int b = 0; b < bands; b++) {
                    double p = Math.pow(10, (noise + 3 * r.nextGaussian()) / 10);
                    for (int h = 0; h < 6; h++) {
                        double d = (b - (b0 + h * sp)) / 1.2;
                        p += env * Math.pow(10, (loud - 4 * h) / 10) * Math.exp(-d * d / 2);
                    }
                    double db = 10 * Math.log10(p);
                    x[b * FRAMES + f] = Math.max(-80, Math.rint(db * 100) / 100);
                }
            }
            return x;
        }

        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            if (r.nextDouble() >= regain) {
                return y;
            }
            double gain = (r.nextBoolean() ? 1 : -1) * (1 + 5 * r.nextDouble());
            for (int j = 0; j < dims; j++) {
                if (y[j] > -80) {
                    y[j] = Math.max(-80, Math.min(0, Math.rint((y[j] + gain) * 100) / 100));
                }
            }
            return y;
        }

        @Override
        protected Unsure sibling(long s) {
            return new Spectrogram(bands, seed * 7_919 + s, regain);
        }
    }

    /**
     * Photographs, as a CIFAR-10 or Fashion-MNIST customer sends them: 32x32x3 (channel-major, as
     * {@code Unsure.images}) or 28x28 grey, 8-bit. Each image is a "dead leaves" scene (60-140
     * occluding discs of power-law radii, 1-16 px, natural colours: a luminance and a small chroma),
     * one object of its class (an ellipse of the class's aspect, orientation and palette, 7-14 px,
     * lit from one side, with its own texture), a 1/f texture over everything (octaves of bilinear
     * value noise with amplitude in proportion to scale) and a camera's exposure (gain 0.6-1.3,
     * offset, gamma 0.8-1.25), then rounded and clipped to 0-255: the statistics of natural images
     * (edges, occlusion, a power spectrum near 1/f^2) that blob or stroke images do not have. The
     * model is nearest class mean, calibrated to a median top-1 of 0.95. A customer's own 1,000
     * photos are re-sent exactly (the same file decodes to the same pixels) or, a fifth of the time,
     * re-encoded (every pixel moved by a JPEG-like error of about one level).
     */
    static final class Photos extends Unsure {
        private final int side;
        private final int channels;
        private final long seed;
        /** Per class: aspect, orientation, luminance, chroma a, chroma b, texture amplitude. */
        private final double[][] kind = new double[10][];

        /** Objects on a black background (Fashion-MNIST's look): no scene, the object centred and larger. */
        private final boolean studio;

        /** Each customer sends each photo with its mirror and four shifts of 1-2 pixels (test-time augmentation). */
        private final boolean tta;

        Photos(int dims, long seed) {
            this(dims, seed, false, TTA);
        }

        Photos(int dims, long seed, boolean studio, boolean tta) {
            super(dims, 10, (studio ? "objects-" : "photos-") + dims + (tta ? "-tta" : ""));
            this.studio = studio;
            this.tta = tta;
            this.channels = dims == 3_072 ? 3 : 1;
            this.side = (int) Math.round(Math.sqrt(dims / channels));
            if (side * side * channels != dims) {
                throw new IllegalArgumentException("photos are 28x28 grey (784) or 32x32x3 (3,072), not " + dims);
            }
            this.seed = seed;
            Random r = new UnsharedRandom(seed);
            for (int c = 0; c < 10; c++) {
                kind[c] = new double[] {
                    0.35 + 0.65 * r.nextDouble(),
                    Math.PI * r.nextDouble(),
                    0.15 + 0.7 * r.nextDouble(),
                    0.25 * (2 * r.nextDouble() - 1),
                    0.25 * (2 * r.nextDouble() - 1),
                    0.02 + 0.1 * r.nextDouble()
                };
            }
            Arrays.fill(hi, 255);
            fitNearestMean(r, 80);
            calibrate(0.95, r);
        }

        /** RGB of a luminance and two chroma values (a YCbCr-like mix), each in about 0-1. */
        private static double[] rgb(double lum, double a, double b) {
            return new double[] {lum + 1.4 * b, lum - 0.34 * a - 0.71 * b, lum + 1.77 * a};
        }

        /** Octaves of bilinear value noise, amplitude in proportion to scale (a 1/f texture), about unit spread. */
        private double[] texture(Random r) {
            double[] t = new double[side * side];
            double total = 0;
            for (int cell = 2; cell <= side; cell *= 2) {
                int g = side / cell + 2;
                double[] grid = new double[g * g];
                for (int i = 0; i < grid.length; i++) {
                    grid[i] = r.nextGaussian();
                }
                double amp = cell;
                total += amp * amp;
                // each row's and column's grid cell and weight, once per octave (the same doubles as per pixel)
                int[] at = new int[side];
                double[] frac = new double[side];
                for (int i = 0; i < side; i++) {
                    double gi = (double) i / cell;
                    at[i] = (int) gi;
                    frac[i] = gi - at[i];
                }
                for (int y = 0; y < side; y++) {
                    int y0 = at[y];
                    double fy = frac[y];
                    for (int x = 0; x < side; x++) {
                        int x0 = at[x];
                        double fx = frac[x];
                        double v = grid[y0 * g + x0] * (1 - fx) * (1 - fy)
                                + grid[y0 * g + x0 + 1] * fx * (1 - fy)
                                + grid[(y0 + 1) * g + x0] * (1 - fx) * fy
                                + grid[(y0 + 1) * g + x0 + 1] * fx * fy;
                        t[y * side + x] += amp * v;
                    }
                }
            }
            double norm = Math.sqrt(total) * 0.6;
            for (int i = 0; i < t.length; i++) {
                t[i] /= norm;
            }
            return t;
        }

        @Override
        public double[] record(Random r, int c) {
            double[][] img = new double[3][side * side];
            int leaves = studio ? 0 : 60 + r.nextInt(81);
            double sceneLum = 0.2 + 0.6 * r.nextDouble();
            for (int k = 0; k < leaves; k++) {
                double rad = 1 / Math.sqrt(1 / 1.0 - r.nextDouble() * (1 / 1.0 - 1 / 256.0)); // p(r) ~ r^-3 on 1-16
                double cx = side * r.nextDouble();
                double cy = side * r.nextDouble();
                double[] col = rgb(
                        Math.max(0, Math.min(1, sceneLum + 0.25 * r.nextGaussian())),
                        0.08 * r.nextGaussian(),
                        0.08 * r.nextGaussian());
                paint(img, cx, cy, rad, rad, 0, col, null, 0);
            }
            double[] kc = kind[c];
            double size = (studio ? 10 + 4 * r.nextDouble() : 7 + 7 * r.nextDouble()) * side / 32.0;
            double[] col = rgb(
                    Math.max(0.05, Math.min(0.95, kc[2] + 0.12 * r.nextGaussian())),
                    kc[3] + 0.05 * r.nextGaussian(),
                    kc[4] + 0.05 * r.nextGaussian());
            paint(
                    img,
                    side / 2.0 + (studio ? 1 : side / 6.0) * r.nextGaussian(),
                    side / 2.0 + (studio ? 1 : side / 6.0) * r.nextGaussian(),
                    size,
                    size * kc[0],
                    kc[1] + 0.3 * r.nextGaussian(),
                    col,
                    texture(r),
                    kc[5] * 3);
            double[] grain = texture(r);
            double gain = 0.6 + 0.7 * r.nextDouble();
            double offset = studio ? 0 : 0.05 * r.nextGaussian();
            double gamma = Math.exp(0.22 * (2 * r.nextDouble() - 1));
            double[] x = new double[dims];
            for (int ch = 0; ch < channels; ch++) {
                for (int i = 0; i < side * side; i++) {
                    double v = channels == 1 ? (img[0][i] + img[1][i] + img[2][i]) / 3 : img[ch][i];
                    v += studio && v <= 0 ? 0 : 0.04 * grain[i];
                    v = Math.max(0, gain * v + offset);
                    v = Math.pow(Math.min(1, v), gamma);
                    x[ch * side * side + i] = Math.rint(255 * v);
                }
            }
            return x;
        }

        /** An ellipse (radii a, b, angle), lit from the left, with an optional texture, over what is there. */
        private void paint(
                double[][] img,
                double cx,
                double cy,
                double a,
                double b,
                double angle,
                double[] col,
                double[] tex,
                double texAmp) {
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            int y0 = (int) Math.max(0, Math.floor(cy - Math.max(a, b)));
            int y1 = (int) Math.min(side - 1, Math.ceil(cy + Math.max(a, b)));
            int x0 = (int) Math.max(0, Math.floor(cx - Math.max(a, b)));
            int x1 = (int) Math.min(side - 1, Math.ceil(cx + Math.max(a, b)));
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    double dx = x + 0.5 - cx;
                    double dy = y + 0.5 - cy;
                    double u = (dx * cos + dy * sin) / a;
                    double w = (-dx * sin + dy * cos) / b;
                    if (u * u + w * w > 1) {
                        continue;
                    }
                    double light = 1 + 0.25 * u;
                    double t = tex == null ? 0 : texAmp * tex[y * side + x];
                    for (int ch = 0; ch < 3; ch++) {
                        img[ch][y * side + x] = col[ch] * light + t;
                    }
                }
            }
        }

        /** Re-sent exactly, or (a fifth of the time) re-encoded: every pixel moved by about one level. */
        @Override
        public double[] noisy(double[] x, Random r) {
            double[] y = x.clone();
            if (r.nextInt(5) > 0) {
                return y;
            }
            for (int j = 0; j < dims; j++) {
                y[j] = clip(j, Math.rint(y[j] + 1.2 * r.nextGaussian()));
            }
            return y;
        }

        /** A customer's own 1,000 photos, any class or mostly {@code cls}. */
        private QuerySource album(long s, int[] cls, double share) {
            Random r = new UnsharedRandom(s);
            // a camera of the customer's own (-Dcameras=true): its gain, gamma and colour cast on every photo
            double gain = CAMERAS ? 0.7 + 0.5 * r.nextDouble() : 1;
            double gamma = CAMERAS ? Math.exp(0.3 * (2 * r.nextDouble() - 1)) : 1;
            double[] cast = new double[channels];
            for (int ch = 0; ch < channels; ch++) {
                cast[ch] = CAMERAS ? 1 + 0.12 * (2 * r.nextDouble() - 1) : 1;
            }
            List<double[]> mine = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                double[] x = cls != null && r.nextDouble() < share ? record(r, cls[r.nextInt(cls.length)]) : record(r);
                if (CAMERAS) {
                    int plane = side * side;
                    for (int j = 0; j < dims; j++) {
                        double v = Math.pow(x[j] / 255, gamma) * gain * cast[j / plane];
                        x[j] = Math.rint(255 * Math.max(0, Math.min(1, v)));
                    }
                }
                mine.add(x);
            }
            if (tta) {
                // test-time augmentation: each photo, then its mirror and shifts of 1-2 pixels (edges repeated)
                int[] left = {0};
                double[][] photo = {null};
                return source("album-tta", () -> {
                    if (left[0] == 0) {
                        photo[0] = mine.get(r.nextInt(mine.size()));
                        left[0] = 5;
                        return photo[0].clone();
                    }
                    left[0]--;
                    boolean mirror = left[0] == 4;
                    int dx = mirror ? 0 : (r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(2));
                    int dy = mirror ? 0 : (r.nextBoolean() ? 1 : -1) * r.nextInt(2);
                    double[] y = new double[dims];
                    for (int ch = 0; ch < channels; ch++) {
                        for (int yy = 0; yy < side; yy++) {
                            for (int xx = 0; xx < side; xx++) {
                                int sx = mirror ? side - 1 - xx : Math.max(0, Math.min(side - 1, xx + dx));
                                int sy = Math.max(0, Math.min(side - 1, yy + dy));
                                y[(ch * side + yy) * side + xx] = photo[0][(ch * side + sy) * side + sx];
                            }
                        }
                    }
                    return y;
                });
            }
            return source("album", () -> noisy(mine.get(r.nextInt(mine.size())), r));
        }

        @Override
        public QuerySource peer(long s) {
            return album(s, null, 0);
        }

        @Override
        public QuerySource mostly(long s, int[] cls, double share) {
            return album(s, cls, share);
        }

        @Override
        protected Unsure sibling(long s) {
            return new Photos(dims, seed * 7_919 + s, studio, tta);
        }
    }

    /**
     * {@link Photos} as a torchvision pipeline sends them: {@code (v / 255 - mean) / std} per channel
     * (ImageNet's at 3,072, MNIST's at 784); the model undoes it, the attackers' rows are normalised
     * as the customers' are.
     */
    static Shape normalisedPhotos(int dims) {
        Photos ph = new Photos(dims, 3);
        Shape base = of(ph);
        double[] mean = dims == 784 ? new double[] {0.1307} : new double[] {0.485, 0.456, 0.406};
        double[] std = dims == 784 ? new double[] {0.3081} : new double[] {0.229, 0.224, 0.225};
        int plane = dims == 784 ? 784 : 1024;
        UnaryOperator<double[]> to = x -> {
            double[] y = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                y[j] = (float) ((x[j] / 255 - mean[j / plane]) / std[j / plane]);
            }
            return y;
        };
        UnaryOperator<double[]> from = y -> {
            double[] x = new double[y.length];
            for (int j = 0; j < y.length; j++) {
                x[j] = (y[j] * std[j / plane] + mean[j / plane]) * 255;
            }
            return x;
        };
        return new Shape() {
            @Override
            public String name() {
                return "normalised-" + base.name();
            }

            @Override
            public UnaryOperator<double[]> model() {
                return y -> ph.predict(from.apply(y));
            }

            @Override
            public QuerySource customer(long seed) {
                return mapped(base.customer(seed), to);
            }

            @Override
            public QuerySource fewClasses(long seed, int[] cls, double share) {
                return mapped(base.fewClasses(seed, cls, share), to);
            }

            @Override
            public Map<String, QuerySource> attackers() {
                Map<String, QuerySource> a = new LinkedHashMap<>();
                base.attackers().forEach((k, v) -> a.put(k, mapped(v, to)));
                return a;
            }
        };
    }

    /** A shape by its survey name ({@code video:784:1}, {@code sensor-counts:128}, ...). */
    public static Shape shape(String name) {
        String[] p = name.split(":");
        return switch (p[0]) {
            case "video" -> new Video(Integer.parseInt(p[1]), Integer.parseInt(p[2]));
            case "normalised-digits" ->
                new Normalised(Integer.parseInt(p[1]), new NaturalDigits(Integer.parseInt(p[1])));
            case "normalised-video" ->
                new Normalised(Integer.parseInt(p[1]), new Video(Integer.parseInt(p[1]), Integer.parseInt(p[2])));
            case "embeddings" -> of(new Embeddings(Integer.parseInt(p[1]), 3));
            case "ledger" -> of(new Ledger(Integer.parseInt(p[1]), 3));
            case "sensor-volts" -> of(new Sensor(Integer.parseInt(p[1]), false, 3));
            case "sensor-counts" -> of(new Sensor(Integer.parseInt(p[1]), true, 3));
            case "spectrogram" -> of(new Spectrogram(Integer.parseInt(p[1]), 3));
            case "tfidf" -> of(new TfIdf(Integer.parseInt(p[1]), 3));
            case "fingerprints" -> of(new Fingerprints(Integer.parseInt(p[1]), 3));
            case "photos" -> of(new Photos(Integer.parseInt(p[1]), 3));
            case "normalised-photos" -> normalisedPhotos(Integer.parseInt(p[1]));
            case "objects" -> of(new Photos(Integer.parseInt(p[1]), 3, true, TTA));
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * The survey: every shape's population through the engine; prints each flagged honest key with
     * the row and the detectors' reasons, and when the attackers were flagged. Asserts nothing; behind
     * {@code -Dhonestshapes=true} (one shape: {@code -Dshapes=video:784:1}).
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "video:784:0",
                "video:784:1",
                "video:784:2",
                "video:3072:0",
                "video:3072:1",
                "video:3072:2",
                "normalised-digits:784",
                "normalised-digits:3072",
                "normalised-video:784:2",
                "normalised-video:3072:2",
                "embeddings:384",
                "embeddings:768",
                "ledger:13",
                "ledger:30",
                "ledger:100",
                "sensor-volts:32",
                "sensor-volts:128",
                "sensor-counts:32",
                "sensor-counts:128",
                "sensor-counts:1024",
                "spectrogram:40",
                "spectrogram:64",
                "tfidf:1000",
                "tfidf:3072",
                "fingerprints:1024",
                "fingerprints:2048",
                "photos:784",
                "photos:3072",
                "normalised-photos:784",
                "normalised-photos:3072",
                "objects:784",
                "objects:3072"
            })
    @EnabledIfSystemProperty(named = "honestshapes", matches = "true")
    void survey(String name) {
        String only = System.getProperty("shapes");
        if (only != null && !Arrays.asList(only.split(",")).contains(name)) {
            return;
        }
        Shape sh = shape(name);
        print(sh, population(sh));
    }

    /** How many honest keys were first flagged with {@code prada} or {@code cross_key} at 0.5 or more. */
    /** {@code base} with other attackers (the customers and the model as they are). */
    static Shape withAttackers(Shape base, java.util.function.Supplier<Map<String, QuerySource>> attackers) {
        return new Shape() {
            @Override
            public String name() {
                return base.name();
            }

            @Override
            public UnaryOperator<double[]> model() {
                return base.model();
            }

            @Override
            public QuerySource customer(long seed) {
                return base.customer(seed);
            }

            @Override
            public QuerySource fewClasses(long seed, int[] cls, double share) {
                return base.fewClasses(seed, cls, share);
            }

            @Override
            public Map<String, QuerySource> attackers() {
                return attackers.get();
            }
        };
    }

    static long flaggedBySteps(Scenario s) {
        return flaggedHonest(s).stream()
                .filter(k -> !java.util.Collections.disjoint(firing(s, k), List.of("prada", "cross_key")))
                .count();
    }

    /** The detectors at 0.5 or more in the verdict that first flagged {@code key}. */
    static java.util.Set<String> firing(Scenario s, String key) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        s.firstFlag.get(key).scores().forEach((d, sc) -> {
            if (sc.score() >= 0.5) {
                out.add(d);
            }
        });
        return out;
    }

    static List<String> flaggedHonest(Scenario s) {
        return s.suspiciousAt.keySet().stream()
                .filter(k -> k.startsWith("honest"))
                .sorted()
                .toList();
    }

    /**
     * Regression (session 16, branch streams): cameras that send every frame of a scene they hold for
     * 40-400 frames (8-bit, sensor noise of 1-3 levels, by day) were flagged by {@code ood} (D+
     * 0.48-0.83 of the last 500 top-1 confidences against the peers') or {@code boundary} (22% of the
     * last 200 margins under 0.2 against 0%): 12 of 19 customers at 784 inputs, within 200-10,234
     * rows, because both read a window of answers as independent draws and a camera's window held two
     * or three scenes. Now a query that is a near-copy of its run's first query (within half of that
     * query's contrast, or of its distance from the population's mean input if smaller, on 32
     * secretly sampled coordinates) with a near answer (same top-1, margin within 0.05, u within 0.3)
     * is not put in their windows ({@code internal.Runs}): no day camera is flagged by either (none at
     * all in the measured runs). Fails on the code before (12 of 19). The attackers are flagged as
     * before (JbDA 106-129 rows), and the control (a new scene every frame) flags no one.
     */
    @org.junit.jupiter.api.Test
    void camerasHoldingAScenePastTheAnswerWindowsStayOk() {
        Scenario held = population(new Video(784, 0, 40, 400));
        for (String key : flaggedHonest(held)) {
            org.assertj.core.api.Assertions.assertThat(firing(held, key))
                    .as(flags(held))
                    .doesNotContain("ood", "boundary");
        }
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(held))
                .as(flags(held))
                .hasSizeLessThanOrEqualTo(1);
        org.assertj.core.api.Assertions.assertThat(held.extractingAt.get("jbda"))
                .as(flags(held))
                .isNotNull()
                .isLessThanOrEqualTo(200L);
        Scenario fresh = population(new Video(784, 0, 1, 1));
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(fresh))
                .as(flags(fresh))
                .isEmpty();
    }

    /**
     * Regression (session 34): random rows among customers who stream. A camera's frames of one scene
     * join a run and count once ({@code internal.Runs}), so no camera of 1,500 frames reached the 128
     * judged inputs and 32 distinct situations that a report to {@code ood}'s spread peers needs; with
     * no peers' threshold the spread test judged no one, and every key over 1.5x (day cameras, 4-7.5x
     * against a reference of night ones) was kept out of the input reference and the peers for good.
     * Random rows at 3,072 inputs (spread 160-240x) were flagged by {@code coverage} at 601 rows
     * among day cameras and never in 1,000 rows among day and night ones. Now inputs wider than
     * {@code spread_max_width} are judged past four times the wide floor (32x) until the peers have a
     * threshold, and keys under the floor (8x) report ({@code InputSpread.COLD_WIDE_FACTOR}): random is extracting at
     * 150 rows in the survey (here, without its 50x key and JbDA keys, within 300), and no honest camera
     * is flagged by the spread test. Fails on the code before (random never flagged; run 2026-12-01
     * 14:48 UTC with the old {@code OodDetector}).
     */
    @org.junit.jupiter.api.Test
    void randomRowsAmongStreamingCustomersWhoTeachNoSpreadPeersBypass() {
        // the survey's population without its 50x key and its JbDA keys (a third of the events)
        Video video = new Video(3072, 2);
        Scenario s = new Scenario(EVERY, video.model());
        for (int i = 0; i < 12; i++) {
            s.add("honest-" + i, "t" + i, video.customer(500 + i), 1_500, i * 700L, () -> 2_000);
        }
        s.add("honest-heavy10", "heavy10", video.customer(900), 15_000, 3_000, () -> 200);
        s.add("random", null, video.attackers().get("random"), 1_000, 600_000, () -> 1_000);
        s.run();
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("random"))
                .as(flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(300L);
        for (String key : s.last.keySet()) {
            if (key.startsWith("honest")) {
                Verdict first = s.firstFlag.get(key);
                for (Verdict v : first == null ? List.of(s.last.get(key)) : List.of(first, s.last.get(key))) {
                    org.assertj.core.api.Assertions.assertThat(
                                    v.scores().get("ood").reason())
                            .as("%s%n%s", key, flags(s))
                            .doesNotContain("spread like no peer");
                }
            }
        }
    }

    /**
     * Pinned (fails when it closes; session 34), the wide-input form of {@code
     * InputSpreadTest.spreadingKeysThatAreMostOfTheKeysAtAColdStartBypass}: the cold wide threshold
     * (four times the floor, before the spread peers form) judges against the input reference, and six
     * keys that send uniform random rows from the first second among three ordinary digits customers at
     * 3,072 inputs are most of the trusted keys that build it: it is theirs, and they sit at 0.4-1.6x
     * of it (measured with a throwaway probe), under the floor and the cold threshold alike; nothing
     * flags them in 1,500 rows. The same on the code before the cold threshold. A calibration's
     * reference and peers are what would see them.
     */
    @org.junit.jupiter.api.Test
    void randomSybilsOwningTheWideInputReferenceFromAColdStartBypass() {
        NaturalDigits digits = new NaturalDigits(3072);
        Scenario s = new Scenario(EVERY, digits.model());
        for (int i = 0; i < 3; i++) {
            s.add("honest-" + i, "t" + i, digits.customer(500 + i), 1_500, i * 700L, () -> 2_000);
        }
        var world = OneClassCustomerIsNotOutOfDistributionTest.world(3072);
        for (int i = 0; i < 6; i++) {
            s.add("random-" + i, null, world.random().apply(7L + i), 1_500, i * 300L, () -> 1_000);
        }
        s.run();
        for (int i = 0; i < 6; i++) {
            org.assertj.core.api.Assertions.assertThat(s.maxScores.getOrDefault("random-" + i, Map.of()))
                    .as(s.report())
                    .noneSatisfy((detector, score) ->
                            org.assertj.core.api.Assertions.assertThat(score).isGreaterThanOrEqualTo(0.5));
        }
    }

    /**
     * Pinned, an honest false positive left (fails when it closes; session 16, branch streams): night
     * cameras (the scene at a gain of 0.12-0.2 over 3-6 levels) whose scenes the model is unsure of
     * are still flagged by {@code boundary} (8 of 19 at 784 inputs, was 14; 3-5 with a rule that
     * measured the distance against the anchor's own contrast only, which let unrelated records
     * sorted by answer pass for near-copies; the others flagged are {@code prada}'s, pinned below). Their noise flips such a scene's top-1 class from frame to
     * frame, so its frames start new runs (a run keeps its top-1 class: a bisection's last steps
     * alternate sides, and letting a run cross the boundary would hide them), while their confident
     * scenes fold: the window over-counts the hesitant scenes. Measured ({@code internal.RunsProbe},
     * {@code -Drunsprobe=video:784:1}): 28-65% of a night camera's frames counted, hesitant share
     * 0.31-0.72 of all frames, 0.14-0.69 of those counted. Since session 36 {@code boundary}'s
     * thresholds widen with how much its trusted keys' shares differ (x1.2 here): 1 of 19 by {@code
     * boundary} in the survey (5 in session 35), the 10x camera at 86% hesitant answers.
     */
    @org.junit.jupiter.api.Test
    void nightCamerasWhoseUnsureScenesFlipTheirTopClassAreFlaggedByBoundary() {
        Scenario s = population(new Video(784, 1, 40, 400));
        long byBoundary = flaggedHonest(s).stream()
                .filter(k -> firing(s, k).contains("boundary"))
                .count();
        org.assertj.core.api.Assertions.assertThat(byBoundary).as(flags(s)).isPositive();
    }

    /**
     * Regression (session 37; was a pin since 2026-11-29, session 15): night cameras (the scene at a
     * gain of 0.12-0.2 over 3-6 levels, 8-bit, noise of 1-3 levels) whose customers send mostly two or
     * three digits were flagged by {@code prada}'s sign-step window at 50 rows (7-30 of 50 queries
     * taken for steps) at 3,072 inputs, one by {@code cross_key} at 9 rows. {@code prada} takes none
     * of these pairs for steps since session 28 ({@code SignSteps.lastDigits}: on a dim query whose
     * eighth reaches 16 units, on the population's own lattice, moves of 1-4 units with one unit the
     * commonest, as the frames' noise moves, are the data's last digit; {@code
     * DataUnitMovesTest.quantisedNoiseInADimImageIsTheDataLastDigit}). The young few-digit key's 4
     * {@code cross_key} steps in 9 rows, traced in session 37, were its frames of one scene, each
     * taken for a step of 1-6 grey levels (the flat shape) from one frame of another camera: one row
     * of another key now credits a key once ({@code CrossKeyParents#creditedBefore}).
     */
    @org.junit.jupiter.api.Test
    void nightCamerasOfAFewDigitsAreNoSignSteps() {
        Scenario s = population(new Video(3072, 1, 40, 400));
        long bySteps = flaggedBySteps(s);
        org.assertj.core.api.Assertions.assertThat(bySteps).as(flags(s)).isZero();
    }

    /**
     * Regression (session 22; was the pin {@code vibrationSensorWindowsLookLikeRandomSizeSteps}, 2026-11-29,
     * session 15): monitors that send consecutive 128-sample windows (hop 1-8) of a machine's 12-bit
     * vibration sensor (raw counts; in volts the same) were flagged by {@code prada} and {@code
     * cross_key}, 18 of 19 within 12-1,293 rows, later 11 of 19 after {@link
     * dev.moat.detectors.prada.ShiftedWindows} (session 17). The flat shape took the difference of
     * two windows for random-size steps: a sine (two, from two segments of a state) plus noise, every
     * coordinate moved, crest under the Gaussian limit, too fast for the smooth exemption. Traced in
     * session 22 (every pair counted as a step, written out): 99% of the honest pairs counted were
     * periodic and two fitted tones left a median 2% of their energy (93-94% under 15%), the
     * random-size JbDA steps on the same windows none (median 82% left). Now a periodic displacement
     * that two tones explain to within 15% is no step ({@link dev.moat.detectors.prada.Tones}): no
     * customer is flagged by either detector (the ones left were {@code ood}'s confidence test's, 11
     * of 19, until session 30: {@link #vibrationMonitorsCountTheirOverlappingWindowsOnce}), random-size
     * JbDA is extracting at 33-38 rows as before.
     */
    @org.junit.jupiter.api.Test
    void vibrationSensorWindowsAreNoSignSteps() {
        Scenario s = vibrationMonitors();
        long bySteps = flaggedBySteps(s);
        org.assertj.core.api.Assertions.assertThat(bySteps).as(flags(s)).isZero();
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("jbda-random-size"))
                .as(flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(100L);
    }

    /**
     * Regression (session 22): the same monitors with 1,024-sample windows, wider than PRADA's sample of
     * 128 coordinates, which is then runs of five neighbours at a secret stride (no series to search a
     * frequency over). Before, 14 of 19 were flagged, 13 of them by {@code cross_key} (10) and {@code
     * prada} (3); two windows read on the runs obey the linear recurrence of two tones ({@link
     * dev.moat.detectors.prada.Tones#tonalRuns}): 5 of 19 flagged since, at most 2 by those detectors
     * (PRADA's lifetime evidence 11.7-12.2 of 14: windows spanning two states), the others by {@code
     * ood}, {@code boundary} and {@code coverage} (session 30: 6, none by {@code ood}, three by {@code
     * coverage} at a score of 0.50; session 31: 3, none by {@code coverage}, {@link
     * #longVibrationWindowsOpenNoCellsThatCount}). Random-size JbDA is extracting at 33 rows as before;
     * plain JbDA is the level walk pinned below (suspicious at 144 by {@code cross_key}, no longer
     * extracting).
     */
    @org.junit.jupiter.api.Test
    void wideVibrationSensorWindowsAreNoSignSteps() {
        Scenario s = wideMonitors();
        org.assertj.core.api.Assertions.assertThat(flaggedBySteps(s))
                .as(flags(s))
                .isLessThanOrEqualTo(4);
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("jbda-random-size"))
                .as(flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(100L);
    }

    /**
     * Pinned, a miss (fails when it closes; session 22): plain JbDA on those windows. The model is
     * nearest class mean and its classes' mean windows are flat levels (a vibration of random phase
     * averages out), so every gradient sign is the same and a plain step moves every sample by the
     * same amount: a change of level, which the equal shape leaves to the data ({@code
     * DataMoves.uniformOffset}: an exposure or a sensor's offset). Before the tone exemption it was
     * flagged at 56-114 rows, but only through the pairs that flagged the customers: its child's
     * nearest stored row is a sibling (another window stepped by the same level), and their difference
     * is the two windows' tones. Not flagged in 1,000 rows now; the random-size steps on the same
     * windows are (above). What it teaches: the model's answer along one direction, the level.
     */
    @org.junit.jupiter.api.Test
    void plainJbdaOnVibrationWindowsIsALevelWalkBypass() {
        Scenario s = vibrationMonitors();
        org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.get("jbda"))
                .as(flags(s))
                .isNull();
    }

    /**
     * Regression (session 30): the same monitors were flagged by {@code ood}'s confidence test, 11 of 19
     * (D+ 0.48-0.99 against the peers', past the widest thresholds, 0.36-0.6): a monitor's window of
     * 500 answers held 500 overlapping windows of one or two of its machine's state segments, read as
     * 500 independent draws; a machine whose offset puts a state near the model's boundary is unsure for
     * hundreds of windows in a row. Their answers come in runs (15-229 answer runs in 1,500 windows,
     * measured), but a vibration's next window is no near-copy of the last (the sine's phase moved), so
     * {@code internal.Runs} counted every one. A window that is the key's last one read later along the
     * series now joins the run ({@code internal.SeriesWindows}): at most 2 of 19 flagged, none by {@code ood}
     * (measured: 1, {@code coverage}). The price, asserted here: {@code ood}'s confidence reference forms
     * later on such a population (its keys report once their windows hold 50 runs), and random rows are
     * flagged by the roughness and spread tests at 340 rows (were 70, by the confidence test).
     * Since session 31 none by {@code coverage} either (the one it flagged, the bursty monitor, at
     * 75% of its last 200 windows opening a cell: a window read along the series counts no cell,
     * {@code internal.SeriesWindows}).
     */
    @org.junit.jupiter.api.Test
    void vibrationMonitorsCountTheirOverlappingWindowsOnce() {
        Scenario s = vibrationMonitors();
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(s))
                .as(flags(s))
                .hasSizeLessThanOrEqualTo(2);
        assertNoHonestKeyFlaggedByAndRandomRowsExtracting(s, "ood", "coverage");
    }

    /** No honest key of {@code s} first flagged by any of {@code detectors}, and its random rows extracting within 500. */
    private static void assertNoHonestKeyFlaggedByAndRandomRowsExtracting(Scenario s, String... detectors) {
        for (String key : flaggedHonest(s)) {
            org.assertj.core.api.Assertions.assertThat(firing(s, key))
                    .as(flags(s))
                    .doesNotContain(detectors);
        }
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("random"))
                .as(flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(500L);
    }

    /**
     * The attacker's view of the shifted windows (session 30): a thief who read {@code internal.SeriesWindows}
     * sends a random series as sliding windows (a random walk over the ADC's range, steps of 40
     * counts, hop 2) among the vibration monitors. His windows are exact shifts of each other, as an
     * honest monitor's are, and their answers stay near while the walk's level does, so they join
     * {@code ood}'s runs: its confidence test counts 51 of his answers at 375 rows, its reference still
     * forming. {@code boundary}'s runs do not take shifts, and it flags him as on the code before:
     * suspicious at 375 rows (25% hesitant answers against 2%), extracting at 429. With shifts in
     * {@code boundary}'s runs too he was suspicious at 445 and never extracting in 1,000 rows, which
     * is why they are not.
     */
    @org.junit.jupiter.api.Test
    void aRandomSeriesSentAsSlidingWindowsIsFlagged() {
        Random r = new UnsharedRandom(77);
        double[] v = {2_048};
        Scenario s = withSlidingWindows("walk-windows", 2, () -> {
            v[0] = Math.max(0, Math.min(4_095, v[0] + 40 * r.nextGaussian()));
            return Math.rint(v[0]);
        });
        org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.get("walk-windows"))
                .as("walk %s %s%n%s", s.suspiciousAt, s.extractingAt, flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(500L);
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("walk-windows"))
                .as("walk %s %s%n%s", s.suspiciousAt, s.extractingAt, flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(500L);
    }

    /**
     * The sensor-counts:128 population with one more attacker, {@code name}, who sends the series
     * {@code next} as overlapping windows of 128 samples, each the last read {@code hop} samples
     * later; prints when he was flagged.
     */
    private static Scenario withSlidingWindows(String name, int hop, java.util.function.DoubleSupplier next) {
        Shape base = shape("sensor-counts:128");
        Shape withSeries = withAttackers(base, () -> {
            Map<String, QuerySource> m = new LinkedHashMap<>(base.attackers());
            m.put(name, dev.moat.detectors.support.HonestDomain.slidingWindows(name, 128, hop, next));
            return m;
        });
        Scenario s = population(withSeries);
        System.out.printf(
                "%s suspicious at %s, extracting at %s: %s%n",
                name, s.suspiciousAt.get(name), s.extractingAt.get(name), s.firstFlag.get(name));
        return s;
    }

    /**
     * Regression (session 31): monitors of 1,024-sample windows were flagged by {@code coverage}, 3 of
     * 19 in the survey, each at a score of 0.50 (75% of its last 200 windows opened a new cell, against
     * peers' 16-38%): a window read a few samples later is a new point of the input space, and a
     * machine passing from one state to the next opens a cell with most of its windows. A window
     * that is the key's last one read 1-16 samples later now opens no cell that counts ({@code
     * internal.SeriesWindows}, as {@code ood}'s runs take it): none by {@code coverage}. Random rows
     * among them are flagged as before.
     */
    @org.junit.jupiter.api.Test
    void longVibrationWindowsOpenNoCellsThatCount() {
        assertNoHonestKeyFlaggedByAndRandomRowsExtracting(wideMonitors(), "coverage");
    }

    /**
     * The attacker's view of {@code coverage}'s series rule (session 31): a thief who sends random
     * values as a series, in sliding windows read 8 samples later, among the vibration monitors.
     * {@code coverage} no longer judges his windows ({@code
     * CoverageSeriesTest.randomValuesSentAsSlidingWindowsAreNoCoverageNoveltyBypass}); his windows
     * are white noise, and {@code ood}'s roughness and spread tests, which judge every input, flag him
     * within 500 rows.
     */
    @org.junit.jupiter.api.Test
    void randomValuesSentAsSlidingWindowsAreFlaggedWithoutCoverage() {
        Random r = new UnsharedRandom(78);
        Scenario s = withSlidingWindows("noise-windows", 8, () -> Math.rint(4_095 * r.nextDouble()));
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("noise-windows"))
                .as("noise %s %s%n%s", s.suspiciousAt, s.extractingAt, flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(500L);
    }

    private static Scenario vibrationMonitors;

    /** The sensor-counts:128 population, run once for the three tests above. */
    private static synchronized Scenario vibrationMonitors() {
        if (vibrationMonitors == null) {
            vibrationMonitors = population(shape("sensor-counts:128")).release();
        }
        return vibrationMonitors;
    }

    private static Scenario wideMonitors;

    /**
     * The sensor-counts:1024 population, run once for {@link #wideVibrationSensorWindowsAreNoSignSteps}
     * and {@link #longVibrationWindowsOpenNoCellsThatCount} (each asserts on its own detectors).
     */
    private static synchronized Scenario wideMonitors() {
        if (wideMonitors == null) {
            wideMonitors = population(shape("sensor-counts:1024")).release();
        }
        return wideMonitors;
    }

    private static Scenario shortMonitors;

    /**
     * The sensor-counts:32 population with, besides the survey's attackers, four thieves who read that
     * noise-like rows are the roughness test's ({@link #smoothSyntheticWindowsAreFlaggedBySpread},
     * {@link #randomWindowsDilutedAmongNaturalOnesBypass}): run once for the tests below.
     */
    private static synchronized Scenario shortMonitors() {
        if (shortMonitors == null) {
            Sensor sensor = new Sensor(32, true, 3);
            Shape base = shape("sensor-counts:32");
            Random r = new UnsharedRandom(91);
            shortMonitors = population(withAttackers(base, () -> {
                Map<String, QuerySource> m = new LinkedHashMap<>(base.attackers());
                m.put("smooth-tones", dev.moat.detectors.support.HonestDomain.source("smooth-tones", () -> {
                    double level = 3.3 * r.nextDouble();
                    double[] x = new double[32];
                    for (int k = 0; k < 3; k++) {
                        double period = 4 + 60 * r.nextDouble();
                        double ph = 2 * Math.PI * r.nextDouble();
                        double a = 0.4 * r.nextDouble();
                        for (int t = 0; t < 32; t++) {
                            x[t] += a * Math.sin(2 * Math.PI * t / period + ph);
                        }
                    }
                    for (int t = 0; t < 32; t++) {
                        x[t] = sensor.adc(level + x[t]);
                    }
                    return x;
                }));
                m.put("walks", dev.moat.detectors.support.HonestDomain.source("walks", () -> {
                    double v = 3.3 * r.nextDouble();
                    double[] x = new double[32];
                    for (int t = 0; t < 32; t++) {
                        v = Math.max(0, Math.min(3.3, v + 0.05 * r.nextGaussian()));
                        x[t] = sensor.adc(v);
                    }
                    return x;
                }));
                for (int every : new int[] {4, 8}) {
                    long[] n = {0};
                    m.put("random-1-in-" + every, dev.moat.detectors.support.HonestDomain.source("diluted", () -> {
                        if (n[0]++ % every == 0) {
                            double[] x = new double[32];
                            for (int t = 0; t < 32; t++) {
                                x[t] = Math.rint(4_095 * r.nextDouble());
                            }
                            return x;
                        }
                        return sensor.record(r, r.nextInt(3));
                    }));
                }
                return m;
            }));
            System.out.printf(
                    "short monitors: suspicious at %s%n%s%n", shortMonitors.suspiciousAt, flags(shortMonitors));
        }
        return shortMonitors;
    }

    /**
     * Regression (session 32): on 32-sample windows the monitors were flagged by {@code ood}'s spread
     * test, 7 of 19 in the survey and 7 in this population (2-13x the trusted keys' spread along the
     * directions their windows barely vary on, past the peers' early thresholds of 1.5-4.4x): a machine
     * with its own offset, gain and tones differs from the others along those directions, as wide
     * series and images do (why inputs wider than {@code spread_max_width} are judged only past {@code
     * spread_wide_floor}). A key whose own inputs are smooth (its mean log roughness under the roughness
     * test's smooth line) is now judged past the wide floor too (8x): 1 is flagged by the spread test
     * here (the 10x monitor, at 9.3x), 1 of 19 in each 32-sample shape of the survey (the same monitor,
     * at 13.6x; 3 of 19 flagged, the other 2 by the confidence test). Random rows and random-size JbDA,
     * as rough as noise, are flagged at 130 as before.
     */
    @org.junit.jupiter.api.Test
    void shortVibrationWindowsSpreadPastThePeersOnlyAsWideInputsDo() {
        Scenario s = shortMonitors();
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(s).stream()
                        .filter(k ->
                                s.firstFlag.get(k).scores().get("ood").reason().contains(SPREAD)))
                .as(flags(s))
                .hasSizeLessThanOrEqualTo(2);
        for (String thief : new String[] {"random", "jbda-random-size"}) {
            org.assertj.core.api.Assertions.assertThat(s.extractingAt.get(thief))
                    .as("%s %s%n%s", thief, s.extractingAt, flags(s))
                    .isNotNull()
                    .isLessThanOrEqualTo(200L);
        }
    }

    private static final String SPREAD = "inputs spread like no peer's";

    /**
     * The attacker's view of that floor (session 32): thieves who send smooth synthetic windows, which
     * the roughness test cannot see. {@code walks}: each row a fresh random walk from a random level
     * (steps of sd 0.05 V, as sampled); {@code smooth-tones}: a random level plus three tones of random
     * period (4-64 samples), phase and amplitude (up to 0.4 V). Both are flagged by the spread test
     * within 500 rows, as on the code before: the walks at 300 rows, 12.8x the trusted keys' spread
     * along the directions the machines' windows barely vary on (past the floor, 8x), the tones at 290,
     * 49x (past the peers' 31x). The walks' 12.8x is under the honest 10x monitor's 13.6x in the
     * survey: the spread test alone does not tell them apart.
     */
    @org.junit.jupiter.api.Test
    void smoothSyntheticWindowsAreFlaggedBySpread() {
        Scenario s = shortMonitors();
        for (String thief : new String[] {"walks", "smooth-tones"}) {
            org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.get(thief))
                    .as("%s %s%n%s", thief, s.suspiciousAt, flags(s))
                    .isNotNull()
                    .isLessThanOrEqualTo(500L);
            org.assertj.core.api.Assertions.assertThat(
                            s.firstFlag.get(thief).scores().get("ood").reason())
                    .contains(SPREAD);
        }
    }

    /**
     * Pinned, a miss (fails when it closes; session 32): uniform random windows diluted among natural
     * ones (a window of a random state), one in 4 or one in 8. Both tests read a mean over the key's
     * inputs, the roughness test of its windows' log roughness (a quarter of noise moves it about a
     * quarter of the way to noise, under its two-thirds), the spread test of their log spread ratios
     * (against a peers' threshold that the monitors themselves raise to 8-30x here): neither is flagged
     * in 1,000 rows, on the code before the floor either ({@code prada}'s distances test reaches 0.27).
     */
    @org.junit.jupiter.api.Test
    void randomWindowsDilutedAmongNaturalOnesBypass() {
        Scenario s = shortMonitors();
        for (String thief : new String[] {"random-1-in-4", "random-1-in-8"}) {
            org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.get(thief))
                    .as("%s %s%n%s", thief, s.suspiciousAt, flags(s))
                    .isNull();
        }
    }

    /**
     * Pinned, a miss (fails when it closes; 2026-11-29, session 15): on 32-sample windows of the
     * same sensors (3 states, nearest-mean model), plain JbDA ({@code Unsure.jbda}, eps 0.1 of the
     * range) is not flagged before 300 rows: in some runs never in 1,000, in others at 330-390 (the
     * engine's two workers order the honest keys' flags, which move the peers' reference); random rows
     * are at 70-100, JbDA on every other shape of the survey at 33-140. Under 48 moved coordinates
     * {@code prada} has no flat shape, the steps' answers are as confident as the customers', and a
     * plain step on a flat-level model's windows is a change of level (smooth). The random-size
     * steps were pinned here too (never, or 330-390; since session 25's fixed cells, {@code coverage}
     * at 602); since session 26 {@code ood}'s roughness test flags them at 130 rows (their sizes make
     * neighbouring samples differ like noise, the windows' do not): asserted, fails on the code before.
     */
    @org.junit.jupiter.api.Test
    void jbdaOnShortSensorWindowsBypass() {
        Scenario s = population(shape("sensor-counts:32"));
        org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.getOrDefault("jbda", Long.MAX_VALUE))
                .as("jbda %s%n%s", s.suspiciousAt, flags(s))
                .isGreaterThan(300L);
        org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.getOrDefault("jbda-random-size", Long.MAX_VALUE))
                .as("jbda-random-size %s%n%s", s.suspiciousAt, flags(s))
                .isLessThanOrEqualTo(300L);
    }

    /**
     * Pinned, an honest false positive mostly closed (2026-11-29, session 15; session 20): log-mel
     * spectrograms of sound clips (40 bands by 32 frames, dB floored at -80, each clip over its own
     * background noise of -75 to -50 dB), every clip re-sent exactly as it was: 12 of 19 customers
     * flagged by {@code prada} (its lifetime evidence, 5-10 of the last 200 queries taken for steps)
     * or {@code cross_key} (another customer's clip as parent) at 28-2,088 rows; 12 of 19 at 2,048
     * inputs; with a third of the re-sends recorded again 1-6 dB louder or softer, 19 of 19. Traced
     * ({@code -Dhonestshapesteps=spectrogram:40 -Dregain=0}): two clips of one class differ in their
     * noise-only bins by the difference of their noise floors plus noise of about 4 dB, all 128
     * sampled coordinates moved, crest 1.8-2.06 against the limit 2.05: an offset plus random sizes,
     * which passes the flat shape (see "Random-size steps on a common offset"); a clip re-recorded
     * louder moves every bin above the floor by one value. Since session 16 a re-sent clip counts
     * no step again ({@code RecentRows#resent}): 3-4 of 19 at either width, by {@code cross_key}
     * (another customer's clip as parent, within 28-79 rows, and the 50x heavy key late), which had no
     * such test. Since session 20 it has ({@code ParentSearch#resent}): 0 or 1 of 19 at 1,280
     * inputs from run to run ({@code cross_key}, 4 steps in a young key's first 34 searched rows; 3 on
     * the code before, in two runs), 2 at 2,048 ({@code cross_key} at 36 rows, {@code boundary} on a
     * few-classes customer at 926); with a third of the re-sends re-recorded (the survey's default) 3
     * of 19 and 1 (were 4 and 3). Pinned as a bound since the pin's "at least one" became a coin flip
     * (the CI run of 43751f3 drew none): at most 2 taken for steps, which the code before exceeds.
     */
    @org.junit.jupiter.api.Test
    void spectrogramsOfClipsOverTheirOwnNoiseFloorsLookLikeSteps() {
        Scenario s = population(of(new Spectrogram(40, 3, 0)));
        long bySteps = flaggedBySteps(s);
        org.assertj.core.api.Assertions.assertThat(bySteps).as(flags(s)).isLessThanOrEqualTo(2);
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("jbda"))
                .as(flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(200L);
    }

    /**
     * Was a bypass (found and closed 2026-11-30, session 20, with {@link TfIdf}): on sparse inputs the
     * spread test read nothing. Its reference samples 16 of the input's coordinates; on TF-IDF rows of
     * a 1,000-word vocabulary a uniform draw held words that nearly every text lacks, so the sampled
     * values were zeros (no scale to read) or rare, the honest keys' spread sat at 2.7-4.9x the
     * population's (over the cold threshold, so none reported and the peers never had a threshold),
     * and uniform random rows were flagged only by {@code coverage} at 500 rows (random-size JbDA by
     * {@code prada} at 408). The reference now holds its first 48 trusted inputs in full and swaps
     * each drawn coordinate on which fewer than a quarter of them differ from the most common value
     * for one on which more do ({@code InputReference#chooseCoordinates}): random rows EXTRACTING at
     * 180 rows by the spread test, at 1,000 and 3,072 words, and no customer flagged.
     */
    @org.junit.jupiter.api.Test
    void randomRowsOnSparseTfIdfRowsGaveTheSpreadTestNothingToReadBypass() {
        Scenario s = population(of(new TfIdf(1000, 3)));
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(s))
                .as(flags(s))
                .isEmpty();
        org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.get("random"))
                .as(flags(s))
                .isNotNull()
                .isLessThanOrEqualTo(300L);
        org.assertj.core.api.Assertions.assertThat(
                        s.firstFlag.get("random").scores().get("ood"))
                .as(flags(s))
                .isNotNull()
                .satisfies(o -> org.assertj.core.api.Assertions.assertThat(o.reason())
                        .contains("inputs spread like no peer's"));
    }

    private static final Map<String, Scenario> PHOTOGRAPHERS = new java.util.HashMap<>();

    /**
     * The photos population of {@code name} ("photos:784" or "photos:3072") with the shape's three
     * attackers and the five of {@link #largeRandomSizeStepsOnPhotographsBypass} (its random-size
     * thief of eps 0.1 is the shape's {@code jbda-random-size}), run once for both tests: each run is
     * 85,000 events, half a minute or more in CI.
     */
    private static synchronized Scenario photographers(String name) {
        return PHOTOGRAPHERS.computeIfAbsent(name, n -> {
            Photos ph = new Photos(Integer.parseInt(n.split(":")[1]), 3);
            Shape base = of(ph);
            Shape sh = withAttackers(base, () -> {
                Map<String, QuerySource> a = base.attackers();
                a.put("jbda-random-size-0.2", ph.jbda(5, 0.2, Unsure.Step.RANDOM_SIZE));
                a.put("jbda-random-size-0.3", ph.jbda(6, 0.3, Unsure.Step.RANDOM_SIZE));
                a.put("jbda-0.3", ph.jbda(7, 0.3, Unsure.Step.PLAIN));
                a.put("jbda-dark-seeds", darkSeedJbda(ph, 8, 0.15));
                return a;
            });
            Scenario s = population(sh);
            print(sh, s);
            return s.release();
        });
    }

    /**
     * Was a false positive on every customer (found 2026-11-29, session 16, with this shape): photos
     * ({@link Photos}: dead-leaves scenes with an object of the class, a 1/f texture and a camera's
     * exposure, 8-bit) had 19 of 19 customers flagged at 784 and at 3,072 inputs within 14-290 rows,
     * by {@code prada} (5-12 of 50-200 queries taken for sign steps) and {@code cross_key}: two
     * distinct photos of one predicted class differ in nearly every sampled pixel by amounts spread
     * from 0 to most of the range, the flat shape of random-size steps (crest 1.7-2.05, roughness
     * 0.2-0.47). Their median move is 0.15-0.55 of the range, where a gradient step moves by {@code
     * lambda} (a tenth or so); {@code DataMoves#naturalSpacing} takes a flat displacement whose median
     * move is a fifth of the values' reach or more for two natural records. Random rows, plain and
     * random-size JbDA (eps 0.1) are flagged as before.
     */
    @ParameterizedTest
    @ValueSource(strings = {"photos:784", "photos:3072"})
    void photographsAreNoSignSteps(String name) {
        Scenario s = photographers(name);
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(s))
                .as(flags(s))
                .isEmpty();
        for (String attack : new String[] {"random", "jbda", "jbda-random-size"}) {
            org.assertj.core.api.Assertions.assertThat(s.extractingAt.get(attack))
                    .as("%s %s%n%s", attack, s.extractingAt, flags(s))
                    .isNotNull()
                    .isLessThanOrEqualTo(200L);
        }
    }

    /**
     * The thief who read {@code DataMoves#naturalSpacing} and keeps his queries in a small box so
     * that ordinary steps are a fifth of his own reach: JbDA with random sizes U(0, 2) of a tenth of
     * the range (25.5 levels) from seeds darkened to {@code dark} of their values (ten a class), each
     * round a step from every point so far (400 at random once there are more) toward another class,
     * clipped to 0-255; he never sends a bright pixel, so the key's largest value stays small.
     */
    static QuerySource darkSeedJbda(Photos ph, long seed, double dark) {
        Random r = new UnsharedRandom(seed);
        java.util.ArrayDeque<double[]> pending = new java.util.ArrayDeque<>();
        for (int c = 0; c < 10; c++) {
            for (int k = 0; k < 10; k++) {
                double[] x = ph.record(r, c);
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.rint(x[j] * dark);
                }
                pending.add(x);
            }
        }
        List<double[]> points = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        return new QuerySource() {
            @Override
            public double[] next() {
                if (pending.isEmpty()) {
                    int n = points.size();
                    for (int k = 0; k < Math.min(400, n); k++) {
                        int i = n <= 400 ? k : r.nextInt(n);
                        double[] x = points.get(i);
                        double[] g = ph.gradient(x, (labels.get(i) + 1 + r.nextInt(9)) % 10);
                        double[] y = new double[x.length];
                        for (int j = 0; j < x.length; j++) {
                            y[j] = Math.max(0, Math.min(255, x[j] + 25.5 * 2 * r.nextDouble() * Math.signum(g[j])));
                        }
                        pending.add(y);
                    }
                }
                return pending.poll().clone();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                points.add(x);
                labels.add(dev.moat.detectors.support.LineSearch.argmax(answer));
            }

            @Override
            public String name() {
                return "jbda-dark-seeds";
            }
        };
    }

    /**
     * Pinned, the price of {@code DataMoves#naturalSpacing} (session 16; fails when it closes):
     * random-size JbDA ({@code Unsure.jbda}, sizes {@code eps * range_j * U(0, 2)}) among the photo
     * customers, through every detector. At eps 0.3 the median move is 0.3 of the range, as far as
     * two photos of a class differ, so the flat shape no longer takes it, and on this model (nearest
     * class mean, as confident off the data as on it) nothing else sees it: never flagged in 1,000
     * rows at 784 or 3,072 inputs. At eps 0.2 about half its pairs are still steps (171 / 186 rows),
     * eps 0.1 is flagged as before (115 / 142), and equal-sized steps of eps 0.3 are steps whatever
     * their size (412 / 410: clipping leaves fewer of them equal). The thief who keeps his queries in
     * a small box so that ordinary steps are a fifth of his own reach ({@link #darkSeedJbda}: seeds
     * at 0.15 of their brightness, steps of a tenth of the range) is EXTRACTING at 339 rows (plain
     * random-size JbDA: 115-142): his walk widens his reach within a few rounds. Measured 2026-11-29.
     * Since session 26 {@code ood}'s roughness test flags the eps-0.3 steps at 3,072 inputs at 790
     * rows, for a while (the photos' median roughness, -1.03 in log, is just under the -1 at which the
     * test judges a width; at 784 inputs, -0.98, it does not): the pin now asserts "not before 500".
     */
    @ParameterizedTest
    @ValueSource(strings = {"photos:784", "photos:3072"})
    void largeRandomSizeStepsOnPhotographsBypass(String name) {
        Scenario s = photographers(name);
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(s))
                .as(flags(s))
                .isEmpty();
        // not before 500 rows (at 3,072 inputs ood's roughness test flags it at 790 since session 26)
        org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.getOrDefault("jbda-random-size-0.3", Long.MAX_VALUE))
                .as(flags(s))
                .isGreaterThan(500L);
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("jbda-random-size"))
                .isNotNull()
                .isLessThanOrEqualTo(200L);
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("jbda-random-size-0.2"))
                .isNotNull()
                .isLessThanOrEqualTo(300L);
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("jbda-0.3"))
                .isNotNull()
                .isLessThanOrEqualTo(500L);
        // the small-box thief: his walk widens his own reach within a few rounds (339 rows, 2026-11-29)
        org.assertj.core.api.Assertions.assertThat(s.extractingAt.get("jbda-dark-seeds"))
                .isNotNull()
                .isLessThanOrEqualTo(500L);
    }

    /**
     * Customers of objects on a black background ({@code objects}, Fashion-MNIST's look) who send each
     * photo with its mirror and four shifts of 1-2 pixels (test-time augmentation on their side) are
     * no repeated steps (issue 9, session 17; was the pin {@code
     * testTimeAugmentationOfObjectsOnABlackBackgroundLooksLikeRepeatedSteps}: 13 of 19 flagged by
     * {@code prada} within 50-854 rows at 784 inputs). Traced then: the repeat shape, on 20-29 moved
     * sampled pixels, most of them ending at 0: the object's edge pixels go to the background in one
     * shift after another, so each coordinate repeated its move. The repeat shape now leaves out moves
     * that end on the pair's value bounds ({@code RepeatedMoves#repeats}; {@code prada/BoundRepeatsTest}):
     * PRADA's steps on 12 such customers over 1,000 rows 210 -> 15 at 784 and 145 -> 6 at 3,072, the
     * thieves' unchanged ({@code -Dtest=ShiftedWindowsProbe -Dshiftshape=objects:784,objects:3072
     * -Dtta=true -Dkeys=12 -Dattackers=true -Drows=1000}). Through the engine 1 of 19 at either width
     * (2026-11-29): the 50x customer, by {@code cross_key} at about 20,000 rows, from the JbDA key's
     * queries (as on the vibration windows, {@link #vibrationSensorWindowsLookLikeRandomSizeSteps});
     * the thieves flagged at 112-133 rows.
     */
    @org.junit.jupiter.api.Test
    void testTimeAugmentationOfObjectsOnABlackBackgroundIsNoRepeatedSteps() {
        for (int width : new int[] {784, 3072}) {
            Scenario s = population(of(new Photos(width, 3, true, true)));
            org.assertj.core.api.Assertions.assertThat(flaggedHonest(s))
                    .as("%d%n%s", width, flags(s))
                    .noneMatch(k -> firing(s, k).contains("prada") || s.suspiciousAt.get(k) < 10_000);
            for (String attack : new String[] {"jbda", "jbda-random-size"}) {
                org.assertj.core.api.Assertions.assertThat(s.suspiciousAt.get(attack))
                        .as("%s at %d%n%s", attack, width, flags(s))
                        .isNotNull()
                        .isLessThanOrEqualTo(300L);
            }
        }
    }

    /**
     * Regression (session 22): customers of objects on a black background (Fashion-MNIST's look, 784
     * inputs, no augmentation). One of 19 was flagged by {@code prada} at 1,498 rows (sign-step evidence
     * 10.9 of 14, score 0.56): traced, its counted pairs had an all-black sampled parent and a query
     * whose background carried 1-4 levels of rectified noise, and {@code SignSteps.lastDigits} could
     * not call that the data's last digit because the query's photo was dark (0-97 of 784 pixels over
     * 64 levels, where it asks for an eighth). PRADA now keeps how bright trusted keys' queries
     * typically are (a running median of their largest sampled value) and a unit under 1/64 of that is
     * the data's last digit in a dark query too: no customer flagged, the thieves as before (JbDA 122 /
     * 131 rows, random-size JbDA 142 / 192).
     */
    @org.junit.jupiter.api.Test
    void darkPhotosOfObjectsAmongBrightOnesAreNoSignSteps() {
        Scenario s = population(shape("objects:784"));
        org.assertj.core.api.Assertions.assertThat(flaggedHonest(s))
                .as(flags(s))
                .isEmpty();
        for (String attack : new String[] {"jbda", "jbda-random-size"}) {
            org.assertj.core.api.Assertions.assertThat(s.extractingAt.get(attack))
                    .as("%s%n%s", attack, flags(s))
                    .isNotNull()
                    .isLessThanOrEqualTo(300L);
        }
    }
}
