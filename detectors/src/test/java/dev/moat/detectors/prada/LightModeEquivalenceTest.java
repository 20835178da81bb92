package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Light mode (a key's first 64 queries: one row array and a 5-byte log per query, replayed into the
 * per-class states when the key goes heavy) must be invisible: after every query of every stream,
 * the score (to the bit) and the reason equal those of the same detector with every key heavy from
 * its first query. Streams: widths 13, 64, 784 and 3,072; natural rows with re-sends, sign steps
 * and clipped random-size steps, uniform random rows, 300 classes (past light mode's 128), one
 * class (G_c fills under a small max_set_size), rows on whole numbers, widths that change mid-key
 * (wide to narrow and shorter rows), hour-long gaps; four configurations (defaults; tiny sets and a
 * test after every query; a small projection and step window; min_distances 3, so light mode ends
 * after 3 queries). Several keys per stream, interleaved, so detectors' scratch buffers are shared.
 */
class LightModeEquivalenceTest {

    enum Kind {
        NATURAL,
        SIGN_STEPS,
        RANDOM_STEPS,
        RANDOM,
        MANY_CLASSES,
        ONE_CLASS,
        WHOLE_NUMBERS,
        MIXED_WIDTHS
    }

    static final int[] WIDTHS = {13, 64, 784, 3072};
    static final int QUERIES = 140;
    static final int KEYS = 2;

    static final List<Map<String, Object>> CONFIGS = List.of(
            Map.of("step_sample_seed", 7L),
            Map.of(
                    "step_sample_seed",
                    8L,
                    "max_set_size",
                    2,
                    "min_distances",
                    30,
                    "test_every",
                    1,
                    "max_distances",
                    10),
            Map.of(
                    "step_sample_seed",
                    9L,
                    "projection_dims",
                    16,
                    "step_coordinates",
                    24,
                    "step_window",
                    20,
                    "step_min_queries",
                    5,
                    "w_max_score",
                    1.0),
            Map.of("step_sample_seed", 10L, "min_distances", 3, "test_every", 3, "max_set_size", 5, "delta", 0.99));

    /** One query: the input, its predicted class (of {@code classes}), and the time it arrives. */
    record Query(double[] x, double[] prediction, long time) {}

    static double[] prediction(int c, int classes) {
        double[] p = new double[classes];
        java.util.Arrays.fill(p, 0.1 / classes);
        p[c] = 0.9;
        return p;
    }

    static List<Query> stream(Kind kind, int width, long seed) {
        Random r = new UnsharedRandom(seed);
        int classes = kind == Kind.MANY_CLASSES ? 300 : kind == Kind.ONE_CLASS ? 1 : 10;
        double[][] base = new double[Math.min(classes, 40)][width];
        for (double[] b : base) {
            for (int j = 0; j < width; j++) {
                b[j] = r.nextInt(3) == 0 ? 0 : 16 * r.nextDouble();
            }
        }
        List<Query> out = new ArrayList<>();
        List<double[]> sent = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        long t = 1_000;
        for (int q = 0; q < QUERIES; q++) {
            t += q % 50 == 49 ? 3_600_000 : 200 + r.nextInt(2_000);
            int c = r.nextInt(classes);
            double[] x;
            boolean stepping = (kind == Kind.SIGN_STEPS || kind == Kind.RANDOM_STEPS) && q >= 10;
            if (kind == Kind.RANDOM) {
                x = new double[width];
                for (int j = 0; j < width; j++) {
                    x[j] = 16 * r.nextDouble();
                }
            } else if (stepping) {
                int i = r.nextInt(sent.size());
                double[] from = sent.get(i);
                c = r.nextInt(5) == 0 ? r.nextInt(classes) : labels.get(i);
                x = new double[from.length];
                for (int j = 0; j < from.length; j++) {
                    double size = kind == Kind.SIGN_STEPS ? 1.6 : 3.2 * r.nextDouble();
                    x[j] = Math.max(0, Math.min(16, from[j] + (r.nextBoolean() ? size : -size)));
                }
            } else if (q > 3 && r.nextInt(5) == 0) {
                // a re-send, verbatim (distance 0) or with fresh noise
                int i = r.nextInt(sent.size());
                x = sent.get(i).clone();
                c = labels.get(i);
                if (r.nextBoolean()) {
                    for (int j = 0; j < x.length; j++) {
                        x[j] = Math.max(0, x[j] + 0.3 * r.nextGaussian());
                    }
                }
            } else {
                double[] b = base[c % base.length];
                x = new double[width];
                for (int j = 0; j < width; j++) {
                    x[j] = Math.max(0, Math.min(16, b[j] + 2 * r.nextGaussian()));
                }
            }
            if (kind == Kind.WHOLE_NUMBERS) {
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.round(x[j] * 255 / 16);
                }
            }
            if (kind == Kind.MIXED_WIDTHS && q > 20 && r.nextInt(4) == 0) {
                // a narrow row from a wide key, a wide row from a narrow one, or a shorter row
                int other = width > 64 ? 13 : r.nextBoolean() ? 100 : Math.max(1, width - 5);
                x = java.util.Arrays.copyOf(x, other);
            }
            sent.add(x);
            labels.add(c);
            out.add(new Query(x, prediction(c, classes), t));
        }
        return out;
    }

    /** Once the light key has gone heavy, its per-class states equal the heavy key's, field by field. */
    static void sameState(PradaState a, PradaState b, PradaSettings settings, String where) {
        assertThat(a.classes.length).as("classes, %s", where).isEqualTo(b.classes.length);
        assertThat(a.activeCount).as("active classes, %s", where).isEqualTo(b.activeCount);
        assertThat(java.util.Arrays.copyOf(a.active, a.activeCount))
                .as("active order, %s", where)
                .isEqualTo(java.util.Arrays.copyOf(b.active, b.activeCount));
        assertThat(a.inputScale).as("input scale, %s", where).isEqualTo(b.inputScale);
        assertThat(a.prevSteps).as("previous steps, %s", where).isEqualTo(b.prevSteps);
        int stride = ByteRows.stride(a.dims);
        int rawStride = a.sampleSize == 0 ? 0 : ByteRows.stride(a.sampleSize);
        for (int c = 0; c < a.classes.length; c++) {
            Object x = a.classes[c];
            Object y = b.classes[c];
            String at = where + " class " + c;
            int members;
            if (x == null || y == null) {
                assertThat(x).as("class held, %s", at).isEqualTo(y);
                continue;
            } else if (x instanceof byte[] row) {
                assertThat(y).as("bare row, %s", at).isInstanceOf(byte[].class);
                assertThat(java.util.Arrays.copyOf(row, stride))
                        .as("row, %s", at)
                        .isEqualTo(java.util.Arrays.copyOf((byte[]) y, stride));
                members = 1;
            } else {
                PradaState.ClassState u = (PradaState.ClassState) x;
                assertThat(y).as("class state, %s", at).isInstanceOf(PradaState.ClassState.class);
                PradaState.ClassState v = (PradaState.ClassState) y;
                assertThat(u.size).as("size, %s", at).isEqualTo(v.size);
                assertThat(u.memberCount).as("member count, %s", at).isEqualTo(v.memberCount);
                assertThat(Double.doubleToRawLongBits(u.threshold))
                        .as("T_c, %s", at)
                        .isEqualTo(Double.doubleToRawLongBits(v.threshold));
                assertThat(Double.doubleToRawLongBits(u.memberSum))
                        .as("member sum, %s", at)
                        .isEqualTo(Double.doubleToRawLongBits(v.memberSum));
                assertThat(Double.doubleToRawLongBits(u.memberSumSq))
                        .as("member sum of squares, %s", at)
                        .isEqualTo(Double.doubleToRawLongBits(v.memberSumSq));
                assertThat(u.count()).as("distances, %s", at).isEqualTo(v.count());
                assertThat(java.util.Arrays.copyOfRange(u.sortedValues(), u.sortedFrom(), u.sortedFrom() + u.count()))
                        .as("D_c, %s", at)
                        .isEqualTo(java.util.Arrays.copyOfRange(
                                v.sortedValues(), v.sortedFrom(), v.sortedFrom() + v.count()));
                members = Math.min(u.size, settings.maxSetSize());
                assertThat(java.util.Arrays.copyOf(u.rows, members * stride))
                        .as("G_c rows, %s", at)
                        .isEqualTo(java.util.Arrays.copyOf(v.rows, members * stride));
            }
            if (rawStride > 0) {
                byte[] ra = a.rawRows(c);
                byte[] rb = b.rawRows(c);
                assertThat(ra == null ? null : java.util.Arrays.copyOf(ra, members * rawStride))
                        .as("raw sample rows, %s", at)
                        .isEqualTo(rb == null ? null : java.util.Arrays.copyOf(rb, members * rawStride));
            }
        }
    }

    @Test
    void lightModeScoresAndReasonsEqualHeavyModes() {
        int runs = 0;
        long compared = 0;
        long lightQueries = 0;
        long stepsWhileLight = 0;
        long tested = 0;
        for (int ci = 0; ci < CONFIGS.size(); ci++) {
            PradaSettings settings = PradaSettings.from(CONFIGS.get(ci));
            for (int width : WIDTHS) {
                for (Kind kind : Kind.values()) {
                    // fresh detectors per stream: their secret-sample draws stay in step
                    PradaDetector light = new PradaDetector(settings, true);
                    PradaDetector heavy = new PradaDetector(settings, false);
                    List<List<Query>> keys = new ArrayList<>();
                    PradaState[] ls = new PradaState[KEYS];
                    PradaState[] hs = new PradaState[KEYS];
                    boolean[] lightBefore = new boolean[KEYS];
                    for (int k = 0; k < KEYS; k++) {
                        keys.add(stream(kind, width, 1_000L * ci + 31L * width + 7L * kind.ordinal() + k));
                        ls[k] = light.newState();
                        hs[k] = heavy.newState();
                    }
                    for (int q = 0; q < QUERIES; q++) {
                        for (int k = 0; k < KEYS; k++) {
                            Query x = keys.get(k).get(q);
                            light.update(ls[k], x.x(), x.prediction(), x.time());
                            heavy.update(hs[k], x.x(), x.prediction(), x.time());
                            if (ls[k].classes.length == 0) {
                                lightQueries++;
                                if (ls[k].stepWindow() != null
                                        && ls[k].stepWindow().count() > 0) {
                                    stepsWhileLight++;
                                }
                            }
                            if (!Double.isNaN(ls[k].lastW)) {
                                tested++;
                            }
                            assertThat(hs[k].classes.length == 0 && hs[k].queries > 0)
                                    .as("forced heavy key stayed light")
                                    .isFalse();
                            String where =
                                    String.format("config %d width %d %s key %d query %d", ci, width, kind, k, q + 1);
                            assertThat(Double.doubleToRawLongBits(light.score(ls[k], x.time())))
                                    .as(
                                            "score, %s: light %s, heavy %s",
                                            where, light.score(ls[k], x.time()), heavy.score(hs[k], x.time()))
                                    .isEqualTo(Double.doubleToRawLongBits(heavy.score(hs[k], x.time())));
                            assertThat(light.reason(ls[k], x.time()))
                                    .as("reason, %s", where)
                                    .isEqualTo(heavy.reason(hs[k], x.time()));
                            boolean wasLight = lightBefore[k];
                            lightBefore[k] = ls[k].classes.length == 0;
                            if (!lightBefore[k] && (wasLight || q % 7 == 0)) {
                                // when the key has just gone heavy, then now and then
                                sameState(ls[k], hs[k], settings, where);
                            }
                            compared++;
                        }
                    }
                    runs++;
                }
            }
        }
        System.out.printf(
                "light vs heavy: %d streams of %d keys, %d queries compared, %d answered in light mode (%d with sign"
                        + " steps in the window), %d after a W test%n",
                runs, KEYS, compared, lightQueries, stepsWhileLight, tested);
        // the comparison means something only if light mode was used, found steps, and was left for W tests
        assertThat(lightQueries).isGreaterThan(compared / 10);
        assertThat(stepsWhileLight).isGreaterThan(lightQueries / 20);
        assertThat(tested).isGreaterThan(compared / 10);
    }
}
