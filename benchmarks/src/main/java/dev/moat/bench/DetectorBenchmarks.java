package dev.moat.bench;

import dev.moat.detectors.Detector;
import dev.moat.detectors.boundary.BoundaryDetector;
import dev.moat.detectors.coverage.CoverageDetector;
import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.detectors.ood.OodDetector;
import dev.moat.detectors.prada.PradaDetector;
import dev.moat.detectors.volume.VolumeDetector;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.traffic.HonestClient;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The detectors' per-query cost and the engine's throughput. Per-detector benchmarks call {@link
 * Detector#update} directly on one key's warmed state (one row = one op); the engine benchmark
 * pushes batches of honest events for 200 keys through one worker with every detector and the
 * tenant pooling on. Run: {@code java -jar benchmarks/target/moat-benchmarks.jar DetectorBenchmarks
 * -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DetectorBenchmarks {

    static final int DIMS = 64;
    static final int CLASSES = 10;
    static final int ROWS = 4096;
    /** Fewer distinct rows for wide inputs: 64 x 3,072 doubles is 1.5 MB, about the 64-dim set's 2 MB (as cold). */
    static final int WIDE_ROWS = 64;

    /** One detector, one key, warmed until its state is at its worst-case size. */
    @State(Scope.Thread)
    public abstract static class OneKey {
        /** Input width: the digits' 64, 28x28 images and 32x32x3 images. */
        @org.openjdk.jmh.annotations.Param({"64", "784", "3072"})
        int dims;

        int rows;
        Detector<Object> detector;
        Object state;
        double[][] inputs;
        double[][] predictions;
        int next;
        long time = 1_000_000;

        abstract Detector.Factory factory();

        /**
         * Whether every input must be new to the detector at every width: {@code ood} and {@code boundary}
         * count an input once while it is in their window (session 18), so the 64 rows cycling at wide
         * inputs, whose per-pass change rarely touches their 32 sampled coordinates, would measure the
         * re-send path only; these get {@value #ROWS} rows at every width (each row again only after
         * 4,096 queries, past their windows: a full ring scanned, the window updated, every query).
         */
        boolean everyQueryNew() {
            return false;
        }

        /** Rows of word counts (12 of the inputs at 1-3, the rest 0) instead of uniform pixels. */
        boolean sparse() {
            return false;
        }

        /** Uniform pixels, predictions cycling over ten one-hot classes: every class's growing set fills up. */
        @SuppressWarnings("unchecked")
        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom r = new SplittableRandom(7);
            rows = dims > DIMS && !everyQueryNew() ? WIDE_ROWS : ROWS;
            inputs = new double[rows][dims];
            predictions = new double[rows][CLASSES];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < dims; j++) {
                    inputs[i][j] = sparse() ? 0 : r.nextDouble(0, 16);
                }
                for (int w = 0; sparse() && w < 12; w++) {
                    inputs[i][r.nextInt(dims)] = 1 + r.nextInt(3);
                }
                predictions[i][i % CLASSES] = 0.9;
                predictions[i][(i + 1) % CLASSES] = 0.1;
            }
            detector = (Detector<Object>) factory().create();
            state = detector.newState();
            // 12,000 warm-up rows: every class has seen 1,200 (its set is full at 1,000) and 300 distances
            for (int k = 0; k < 12_000; k++) {
                update();
            }
        }

        final double update() {
            int i = next;
            next = (i + 1) & (rows - 1);
            double[] x = inputs[i];
            // a tiny per-pass change keeps every query new (the worst case for growing sets)
            x[i % dims] += 1e-3;
            return update(x, predictions[i]);
        }

        final double update(double[] x, double[] prediction) {
            time += 50;
            detector.update(state, x, prediction, time);
            return detector.score(state, time);
        }
    }

    public static class Prada extends OneKey {
        Detector.Factory factory() {
            return PradaDetector.factory(Map.of());
        }
    }

    public static class Volume extends OneKey {
        Detector.Factory factory() {
            return VolumeDetector.factory(Map.of());
        }
    }

    public static class Boundary extends OneKey {
        Detector.Factory factory() {
            return BoundaryDetector.factory(Map.of());
        }

        @Override
        boolean everyQueryNew() {
            return true;
        }
    }

    public static class Ood extends OneKey {
        Detector.Factory factory() {
            return OodDetector.factory(Map.of());
        }

        @Override
        boolean everyQueryNew() {
            return true;
        }
    }

    /**
     * {@code ood} on rows of word counts: its runs' 32 sampled coordinates are all 0 in most of them,
     * so each new row's fingerprint hashes the whole row ({@code Runs#wholeInput}).
     */
    public static class OodSparse extends Ood {
        @Override
        boolean sparse() {
            return true;
        }
    }

    /**
     * {@code ood} with its input gate on ({@code input_near: 2}): four other keys' rows (smooth, unlike
     * the measured key's uniform pixels) fill the worker's input reference first, so every measured
     * query is whitened and scans every row without finding one near (the gate's worst case).
     */
    public static class OodInputGate extends OneKey {
        Detector.Factory factory() {
            return OodDetector.factory(Map.of("input_near", 2.0, "input_seed", 7L));
        }

        @Setup(Level.Trial)
        public void otherKeys() {
            SplittableRandom r = new SplittableRandom(11);
            for (int k = 0; k < 4; k++) {
                Object other = detector.newState();
                for (int q = 0; q < 400; q++) {
                    double[] x = new double[dims];
                    double base = r.nextDouble(0, 16);
                    for (int j = 0; j < dims; j++) {
                        x[j] = base + Math.sin(j * 0.05 + k);
                    }
                    time += 50;
                    detector.update(other, x, predictions[q % rows], time);
                }
            }
        }
    }

    /**
     * {@code ood} with its spread test at work (inputs at most 16 wide: run with {@code -p dims=13}):
     * six other keys' rows (correlated, natural-like) fill the worker's input reference and the peers'
     * spread reports first, so every measured query is projected on the minor axes and scored.
     */
    public static class OodSpread extends OneKey {
        Detector.Factory factory() {
            return OodDetector.factory(Map.of("input_seed", 7L));
        }

        @Setup(Level.Trial)
        public void otherKeys() {
            SplittableRandom r = new SplittableRandom(13);
            Object[] others = new Object[6];
            for (int k = 0; k < others.length; k++) {
                others[k] = detector.newState();
            }
            for (int q = 0; q < 800; q++) {
                for (Object other : others) {
                    double[] x = new double[dims];
                    double a = r.nextDouble(4, 12);
                    double b = r.nextDouble(-2, 2);
                    for (int j = 0; j < dims; j++) {
                        x[j] = a + b * j / dims + r.nextDouble(-0.5, 0.5);
                    }
                    time += 50;
                    detector.update(other, x, predictions[q % rows], time);
                }
            }
        }
    }

    /**
     * The default fixed cells, their widths given (as by a calibration file) so that the one key has
     * cells from its first query (learned online they wait for five trusted keys).
     */
    public static class Coverage extends OneKey {
        Detector.Factory factory() {
            double[] widths = new double[12];
            java.util.Arrays.fill(widths, 2.0);
            return CoverageDetector.factory(
                    Map.of(),
                    new dev.moat.detectors.Calibration(1, 0, null, null, null, null, Double.NaN, Double.NaN, Double.NaN)
                            .withCoverageCells(dims, widths));
        }
    }

    /** Budget: 20 us per query at 64 dims with 1,000 stored vectors in the predicted class (3,000 pooled distances). */
    @Benchmark
    public double prada(Prada k) {
        return k.update();
    }

    /** A PRADA state fed rows cycled from {@code inputs}, each with its prediction; {@link PradaThief} and {@link PradaMonitor}. */
    public abstract static class PradaRows {
        Detector<Object> detector;
        Object state;
        double[][] inputs;
        double[][] predictions;
        int next;
        long time = 1_000_000;

        @SuppressWarnings("unchecked")
        final void start() {
            detector = (Detector<Object>)
                    PradaDetector.factory(Map.of("step_sample_seed", 7L)).create();
            state = detector.newState();
        }

        /** Feeds row {@code i} (as {@code x}) 50 ms after the last and returns the score. */
        final double feed(double[] x, int i) {
            time += 50;
            detector.update(state, x, predictions[i], time);
            return detector.score(state, time);
        }
    }

    /**
     * {@code prada} on a random-size thief's rows at 128 inputs (the width whose sample is the input in
     * order): 64 parents, windows of a vibration (a sine of period 3-33 and noise, 12-bit counts), each
     * followed by 15 children {@code p + eps * U(0, 2) * (+-1)} per coordinate, eps 5 % of the range. Most
     * children reach the flat shape and its exemptions ({@code Smoothness}, {@code NaturalPairs},
     * {@code ShiftedWindows}, whose shifts go up to 64 each way here): the slow path that honest rows
     * barely meet.
     */
    @State(Scope.Thread)
    public static class PradaThief extends PradaRows {
        static final int WIDTH = 128;
        static final int PARENTS = 64;
        static final int CHILDREN = 15;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom r = new SplittableRandom(11);
            int n = PARENTS * (CHILDREN + 1);
            inputs = new double[n][WIDTH];
            predictions = new double[n][CLASSES];
            for (int p = 0; p < PARENTS; p++) {
                double period = 3 + 30 * r.nextDouble();
                double amplitude = 100 + 400 * r.nextDouble();
                double phase = 2 * Math.PI * r.nextDouble();
                double[] parent = inputs[p * (CHILDREN + 1)];
                for (int t = 0; t < WIDTH; t++) {
                    parent[t] = Math.rint(2_000
                            + amplitude * Math.sin(2 * Math.PI * t / period + phase)
                            + 15 * (r.nextDouble() - 0.5));
                }
                for (int c = 0; c <= CHILDREN; c++) {
                    int i = p * (CHILDREN + 1) + c;
                    if (c > 0) {
                        for (int t = 0; t < WIDTH; t++) {
                            double step = 0.05 * 4_095 * r.nextDouble(0, 2) * (r.nextBoolean() ? 1 : -1);
                            inputs[i][t] = Math.max(0, Math.min(4_095, Math.rint(parent[t] + step)));
                        }
                    }
                    predictions[i][p % CLASSES] = 0.9;
                    predictions[i][(p + 1) % CLASSES] = 0.1;
                }
            }
            start();
            for (int k = 0; k < 4 * n; k++) {
                update();
            }
        }

        final double update() {
            int i = next;
            next = (i + 1) % inputs.length;
            double[] x = inputs[i];
            x[i % WIDTH] += 1e-3;
            return feed(x, i);
        }
    }

    /** The thief's rows of {@link PradaThief}: no budget of its own (it is the slow path's cost). */
    @Benchmark
    public double pradaThief(PradaThief k) {
        return k.update();
    }

    /**
     * {@code prada} on an honest vibration monitor at 128 inputs (issue 9, session 22): consecutive
     * windows, hop 1-8, of one machine's 12-bit series in states of 200-2,000 samples (a sine of period
     * 2.7-10.7 and amplitude 60-400 counts over a level, white noise of 4), 4,096 windows cycled. Its
     * window differences pass the flat shape often enough that the exemptions after it, {@code Tones}
     * last, run on a few per cent of the rows: what an honest periodic stream costs.
     */
    @State(Scope.Thread)
    public static class PradaMonitor extends PradaRows {
        static final int WIDTH = 128;
        static final int ROWS = 4_096;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom r = new SplittableRandom(13);
            double[] series = new double[ROWS * 8 + WIDTH];
            int[] stateOf = new int[series.length];
            int t = 0;
            int seg = 0;
            while (t < series.length) {
                int len = 200 + r.nextInt(1_801);
                double level = 800 + 1_500 * r.nextDouble();
                double period = 2.7 + 8 * r.nextDouble();
                double amplitude = 60 + 340 * r.nextDouble();
                double phase = 2 * Math.PI * r.nextDouble();
                for (int k = 0; k < len && t < series.length; k++, t++) {
                    series[t] = Math.rint(level
                            + amplitude * Math.sin(2 * Math.PI * k / period + phase)
                            + 4 * (r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5));
                    stateOf[t] = seg;
                }
                seg++;
            }
            inputs = new double[ROWS][WIDTH];
            predictions = new double[ROWS][CLASSES];
            int at = 0;
            for (int i = 0; i < ROWS; i++) {
                System.arraycopy(series, at, inputs[i], 0, WIDTH);
                int c = stateOf[at] % CLASSES;
                predictions[i][c] = 0.9;
                predictions[i][(c + 1) % CLASSES] = 0.1;
                at += 1 + r.nextInt(8);
            }
            start();
            for (int k = 0; k < ROWS; k++) {
                update();
            }
        }

        final double update() {
            int i = next;
            next = (i + 1) % inputs.length;
            return feed(inputs[i], i);
        }
    }

    /** The monitor's rows of {@link PradaMonitor}: {@code prada}'s budget, 20 us per query. */
    @Benchmark
    public double pradaMonitor(PradaMonitor k) {
        return k.update();
    }

    /** Budget: 5 us per query. */
    @Benchmark
    public double volume(Volume k) {
        return k.update();
    }

    /** Budget: 5 us per query. */
    @Benchmark
    public double boundary(Boundary k) {
        return k.update();
    }

    /** Budget: 5 us per query. */
    @Benchmark
    public double ood(Ood k) {
        return k.update();
    }

    @Benchmark
    public double oodSparse(OodSparse k) {
        return k.update();
    }

    /**
     * {@link #oodSparse} with each row written shortly before it is observed, as {@link
     * #crossKeyParsed}: {@code oodSparse} cycles 4,096 rows of 24 KB at 3,072 inputs (100 MB), so
     * the whole-input hash streams every row from memory, which no freshly parsed row is (the
     * gateway's parser has just written it, and the worker's projections have read it). {@code
     * oodSparse} is the upper bound of the load.
     */
    @Benchmark
    @OperationsPerInvocation(PARSED_BATCH)
    public double oodSparseParsed(OodSparseParsed k) {
        double s = 0;
        for (int b = 0; b < PARSED_BATCH; b++) {
            s += k.updateParsed();
        }
        return s;
    }

    /** {@link OodSparse}, the next {@value #PARSED_BATCH} rows changed and copied into buffers before each batch, untimed. */
    public static class OodSparseParsed extends OodSparse {
        private final double[][] parsed = new double[PARSED_BATCH][];
        private final double[][] parsedPredictions = new double[PARSED_BATCH][];
        private int at;

        @Setup(Level.Invocation)
        public void parse() {
            for (int b = 0; b < PARSED_BATCH; b++) {
                int i = next;
                next = (i + 1) & (rows - 1);
                double[] x = inputs[i];
                x[i % dims] += 1e-3;
                if (parsed[b] == null || parsed[b].length != x.length) {
                    parsed[b] = new double[x.length];
                }
                System.arraycopy(x, 0, parsed[b], 0, x.length);
                parsedPredictions[b] = predictions[i];
            }
            at = 0;
        }

        double updateParsed() {
            int b = at++;
            return update(parsed[b], parsedPredictions[b]);
        }
    }

    /** Budget: 5 us per query (ood's, with its input gate on). */
    /** The spread test's cost at 13 inputs (against {@link #ood} at the same width). */
    @Benchmark
    public double oodSpread(OodSpread k) {
        return k.update();
    }

    @Benchmark
    public double oodInputGate(OodInputGate k) {
        return k.update();
    }

    /** Budget: 5 us per query. */
    @Benchmark
    public double coverage(Coverage k) {
        return k.update();
    }

    /**
     * The cross-key parent search alone: one row against a full store (4,096 rows of 200 honest keys,
     * ten classes), searched or not, then stored. Budget: 5 us per row. {@code rows=old}: the keys
     * have each sent more than {@code search_all_rows} (64) rows and none is hot, so 1 row in {@code
     * sample} (8) is searched: ordinary traffic. {@code rows=hot}: every row searched, as for a young
     * key (a Sybil's fresh keys) or a hot one (a sign step among its last 64 searched rows; an
     * attacker's): the search's own cost, and the cost of every row before the sampling.
     */
    @State(Scope.Thread)
    public static class CrossKey {
        @org.openjdk.jmh.annotations.Param({"64", "3072"})
        int dims;

        /** The store's ring per width ({@code store_size}); the search cost grows with it. */
        @org.openjdk.jmh.annotations.Param({"4096"})
        int storeSize;

        /** {@code old}: old, cold honest keys (1 row in 8 searched); {@code hot}: every row searched. */
        @org.openjdk.jmh.annotations.Param({"old", "hot"})
        String rowsOf;

        dev.moat.detectors.prada.CrossKeyParents store;
        double[][][] rows;
        double[][][] predictions;
        String[] keys;
        int i;

        @Setup(Level.Trial)
        public void setUp() {
            store = new dev.moat.detectors.prada.CrossKeyParents(
                    // a hot key's row is searched in full, as every row is with sample 1
                    dev.moat.detectors.prada.CrossKeyParents.Settings.from(Map.of(
                            "store_size",
                            storeSize,
                            "sample",
                            rowsOf.equals("hot") ? 1 : 8,
                            // the rows searched drawn alike in every run (a secret draw made the
                            // share searched vary by 0.146-0.189 between runs of one jar: the
                            // hot keys it happens to make are searched on every row)
                            "sample_seed",
                            7L)),
                    k -> {});
            DigitsModel model = DigitsModel.get();
            int n = 8_192;
            rows = new double[n][][];
            predictions = new double[n][][];
            keys = new String[n];
            HonestClient[] clients = new HonestClient[200];
            for (int k = 0; k < clients.length; k++) {
                clients[k] = new HonestClient(k);
            }
            java.util.Random noise = new java.util.Random(42);
            for (int r = 0; r < n; r++) {
                double[] x = clients[r % 200].next();
                predictions[r] = new double[][] {model.predict(x)};
                double[] wide = x;
                if (dims < 64) {
                    // narrow tabular rows (-p dims=13): the first pixels on feature scales 0.1 to 1,000 with
                    // noise of their own, so the store works in units of each feature's spread and runs the
                    // repeated-move test on 8 candidates
                    wide = new double[dims];
                    for (int j = 0; j < dims; j++) {
                        double scale = Math.pow(10, -1 + 4.0 * j / Math.max(1, dims - 1));
                        wide[j] = scale * (x[(j * 5) % 64] + 0.5 * noise.nextGaussian());
                    }
                } else if (dims > 64) {
                    // each wide coordinate with noise of its own (sd 0.5, as HonestClient's): a plain
                    // tiling repeats every value of the store's 128-coordinate sample exactly twice,
                    // which makes one honest row in 20 pass the sign-step shapes and keeps most keys hot
                    wide = new double[dims];
                    for (int j = 0; j < dims; j++) {
                        wide[j] = Math.max(0, Math.min(16, x[j % 64] + 0.5 * noise.nextGaussian()));
                    }
                }
                rows[r] = new double[][] {wide};
                keys[r] = "k" + (r % 200);
            }
            // twice over: each key has sent 82 rows, past search_all_rows (64), so its rows are sampled
            for (int pass = 0; pass < 2; pass++) {
                for (int r = 0; r < n; r++) {
                    store.observe(keys[r], rows[r], predictions[r]);
                }
            }
        }

        double update() {
            int r = i++ & (rows.length - 1);
            return store.observe(keys[r], rows[r], predictions[r]);
        }

        /** The share of rows searched (a deterministic measure beside the time). */
        @TearDown(Level.Trial)
        public void report() {
            long all = store.searched() + store.sampledOut();
            System.out.printf(
                    "%ncross_key %s rows, %d inputs: %d of %d rows searched (%.3f), %d sign steps; per search"
                            + " %.1f rows banded, %.1f compared in full, %.2f candidates tested%n",
                    rowsOf,
                    dims,
                    store.searched(),
                    all,
                    (double) store.searched() / all,
                    store.hits(),
                    (double) store.banded() / store.searched(),
                    (double) store.compared() / store.searched(),
                    (double) store.tested() / store.searched());
        }
    }

    /** Budget: 5 us per row (the engine's new work per event, amortised). */
    @Benchmark
    public double crossKey(CrossKey k) {
        return k.update();
    }

    /**
     * {@link CrossKey} with each row written shortly before it is observed, as the gateway's JSON
     * parser writes a request's rows on the way to the engine: {@code crossKey} cycles 8,192 rows of
     * up to 24 KB (200 MB at 3,072 inputs), so every sampled coordinate it loads is a miss to memory,
     * which no freshly parsed row is. Before each batch of {@value #PARSED_BATCH} rows (untimed,
     * {@code Level.Invocation}, its timer amortised over the batch) the next rows are copied into
     * {@value #PARSED_BATCH} buffers, 1.5 MB at 3,072 inputs: more than this core's L2 (1 MB here),
     * so the first of them are read from the shared L3, as a worker on the other core reads rows its
     * parser wrote, and the last from L2. {@code crossKey} is the upper bound of the load.
     */
    @Benchmark
    @OperationsPerInvocation(PARSED_BATCH)
    public double crossKeyParsed(CrossKeyParsed k) {
        double s = 0;
        for (int b = 0; b < PARSED_BATCH; b++) {
            s += k.update();
        }
        return s;
    }

    static final int PARSED_BATCH = 64;

    /** {@link CrossKey}, the next {@value #PARSED_BATCH} rows copied into buffers before each batch, untimed. */
    @State(Scope.Thread)
    public static class CrossKeyParsed extends CrossKey {
        private final double[][][] parsed = new double[PARSED_BATCH][][];
        private int next;

        @Setup(Level.Invocation)
        public void parse() {
            for (int b = 0; b < PARSED_BATCH; b++) {
                double[] row = rows[(i + b) & (rows.length - 1)][0];
                if (parsed[b] == null || parsed[b][0].length != row.length) {
                    parsed[b] = new double[][] {new double[row.length]};
                }
                System.arraycopy(row, 0, parsed[b][0], 0, row.length);
            }
            next = 0;
        }

        @Override
        double update() {
            int r = i++ & (rows.length - 1);
            return store.observe(keys[r], parsed[next++], predictions[r]);
        }
    }

    /** One engine worker, all detectors plus tenant pooling, 200 honest keys in 20 tenants. */
    @State(Scope.Benchmark)
    public static class Engine {
        static final int BATCH = 20_000;
        /** Prime, so the 200 keys (event i is key i % 200's) each send every one of the rows. */
        static final int WARM_ROWS = 13;

        /** Input width: the digits' 64, or 3,072 (each digit tiled 48 times). */
        @org.openjdk.jmh.annotations.Param({"64", "3072"})
        int dims;

        /**
         * Where the worker finds an event's rows. {@code cold}: 2,000 distinct rows at 3,072 inputs
         * (48 MB, more than the 32 MB L3: each row comes from memory; every event its own row at 64
         * inputs), each key sending 10 of them. {@code warm}: 13 distinct rows (312 KB at 3,072 inputs,
         * held in the worker core's 1 MB L2), each key sending all 13. In the gateway the event loop
         * has just parsed the row on the other core: in that core's L2 or the shared L3, between the two.
         */
        @org.openjdk.jmh.annotations.Param({"cold", "warm"})
        String rows;

        /** With the {@code cross_key} search (a full 4,096-row store on the same worker) or without. */
        @org.openjdk.jmh.annotations.Param({"false", "true"})
        boolean crossKey;

        DetectionEngine engine;
        QueryEvent[] events;
        long round;

        @Setup(Level.Trial)
        public void setUp() {
            Map<String, Map<String, Object>> config = new java.util.LinkedHashMap<>(Map.of(
                    "prada",
                    Map.of(),
                    "volume",
                    Map.of(),
                    "boundary",
                    Map.of(),
                    "ood",
                    Map.of(),
                    "coverage",
                    Map.of(),
                    "tenant",
                    Map.of()));
            if (crossKey) {
                config.put("cross_key", Map.of());
            }
            DetectorProfile all = DetectorProfile.fromConfig(config);
            DigitsModel model = DigitsModel.get();
            HonestClient[] clients = new HonestClient[200];
            for (int k = 0; k < clients.length; k++) {
                clients[k] = new HonestClient(k);
            }
            events = new QueryEvent[BATCH];
            int distinct = rows.equals("warm") ? WARM_ROWS : dims > 64 ? 2_000 : BATCH;
            for (int i = 0; i < BATCH; i++) {
                double[][] in;
                double[][] out;
                if (i < distinct) {
                    double[] x = clients[i % 200].next();
                    out = new double[][] {model.predict(x)};
                    double[] wide = x;
                    if (dims > 64) {
                        wide = new double[dims];
                        for (int j = 0; j < dims; j++) {
                            wide[j] = x[j % 64];
                        }
                    }
                    in = new double[][] {wide};
                } else {
                    in = events[i % distinct].inputs();
                    out = events[i % distinct].predictions();
                }
                events[i] = new QueryEvent("k" + (i % 200), "t" + (i % 20), "/m", 1_000_000L + i * 10L, in, out, all);
            }
            EngineSettings one =
                    new EngineSettings(1, 1 << 16, 10_000, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
            engine = new DetectionEngine(
                    one, InstantSource.fixed(java.time.Instant.ofEpochMilli(1_000_000)), EngineListener.NONE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            engine.close();
        }
    }

    /** Budget: 20 us per event (50,000 events/s on one worker); the time includes submitting. */
    @Benchmark
    @OperationsPerInvocation(Engine.BATCH)
    public long engineOneWorker(Engine e) {
        for (QueryEvent ev : e.events) {
            while (!e.engine.submit(ev)) {
                Thread.onSpinWait();
            }
        }
        e.engine.awaitIdle(Duration.ofMinutes(1));
        return e.engine.dropped();
    }
}
