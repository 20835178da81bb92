package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.Policies;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Images of strokes on a blank background, as handwritten digits scanned like MNIST's are: most
 * pixels exactly 0 or the maximum, thin edges between (issue 9, session 14). Made from the 8x8
 * digits upsampled to 28x28 (or 32x32x3, channels tinted 1, 0.7, 0.4), each image moved by up to 2
 * pixels each way and pushed through a sigmoid of steepness {@code k} around the middle grey, in
 * steps of 1/16. Every detector at the defaults, each customer in a tenant of its own; the model
 * is the wide digits model. Seeded; nothing timed.
 */
class StrokeImagesTest {

    /** x (0..16) through a sigmoid of steepness k around 8, to 1/16. */
    static double[] strokes(double[] x, double k) {
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = Math.rint(16 / (1 + Math.exp(-k * (x[j] - 8))) * 16) / 16;
        }
        return y;
    }

    /** A side x side image (channels stacked) moved by (dx, dy) pixels, the edge filled with 0. */
    static double[] shift(double[] x, int side, int dx, int dy) {
        double[] y = new double[x.length];
        int plane = side * side;
        for (int c = 0; c < x.length / plane; c++) {
            for (int r = 0; r < side; r++) {
                for (int q = 0; q < side; q++) {
                    int r0 = r - dy;
                    int q0 = q - dx;
                    if (r0 >= 0 && r0 < side && q0 >= 0 && q0 < side) {
                        y[c * plane + r * side + q] = x[c * plane + r0 * side + q0];
                    }
                }
            }
        }
        return y;
    }

    static QuerySource map(QuerySource src, UnaryOperator<double[]> f) {
        return new QuerySource() {
            @Override
            public double[] next() {
                return f.apply(src.next());
            }

            @Override
            public void observe(double[] x, double[] answer) {
                src.observe(x, answer);
            }

            @Override
            public String name() {
                return src.name();
            }
        };
    }

    /**
     * JbDA whose steps also set a share of the coordinates to a bound (0 where the image is bright,
     * 16 where dark): the thief who read {@code DataMoves#fullRangeFlips} and plants flips.
     */
    static QuerySource plantedFlips(QuerySource jbda, double share, long seed) {
        Random r = new UnsharedRandom(seed);
        return map(jbda, x -> {
            for (int j = 0; j < x.length; j++) {
                if (r.nextDouble() < share) {
                    x[j] = x[j] < 8 ? 16 : 0;
                }
            }
            return x;
        });
    }

    /** Twelve ordinary customers, four of mostly one digit, a 10x heavy one and a bursty one, on stroke images; then the attackers. */
    static Scenario population(int dims, double k) {
        var w = OneClassCustomerIsNotOutOfDistributionTest.world(dims);
        Wide wide = new Wide(dims);
        int side = dims == 784 ? 28 : 32;
        Random jitter = new UnsharedRandom(11);
        UnaryOperator<double[]> f = x -> strokes(shift(x, side, jitter.nextInt(5) - 2, jitter.nextInt(5) - 2), k);
        Scenario s = new Scenario(DetectorProfile.fromConfig(Policies.every(Map.of())), w.model());
        for (int i = 0; i < 12; i++) {
            s.add("honest-" + i, "t" + i, map(w.honest().apply(500 + i), f), 1_500, i * 700L, () -> 2_000);
        }
        int[] cls = {0, 1, 7, 8};
        for (int i = 0; i < cls.length; i++) {
            s.add(
                    "honest-one-" + cls[i],
                    "u" + i,
                    map(w.oneClass().of(700 + i, cls[i], 0.9), f),
                    1_500,
                    9_000 + i * 700L,
                    () -> 2_000);
        }
        s.add("honest-heavy10", "heavy", map(w.honest().apply(900), f), 15_000, 3_000, () -> 200);
        Random bursts = new UnsharedRandom(5);
        s.add(
                "honest-bursty",
                "bursty",
                map(w.honest().apply(901), f),
                3_000,
                60_000,
                () -> bursts.nextInt(100) < 1 ? 600_000 : 100);
        long start = 600_000;
        s.add("random", null, w.random().apply(7L), 1_000, start, () -> 1_000);
        s.add("jbda", null, wide.jbda(2, 0.1, Wide.Step.PLAIN, 1, 0), 1_000, start, () -> 1_000);
        s.add("jbda-random-size", null, wide.jbda(4, 0.1, Wide.Step.RANDOM_SIZE, 1, 0), 1_000, start, () -> 1_000);
        s.add(
                "jbda-planted-flips",
                null,
                plantedFlips(wide.jbda(6, 0.1, Wide.Step.PLAIN, 1, 0), 0.25, 6),
                2_000,
                start,
                () -> 1_000);
        s.run();
        System.out.printf(
                "strokes %d k=%s: suspicious at %s; extracting at %s%n",
                dims, k, new TreeMap<>(s.suspiciousAt), new TreeMap<>(s.extractingAt));
        return s;
    }

    /**
     * Was a false positive of {@code prada} and {@code cross_key} on every honest key (found
     * 2026-11-29, session 14): two stroke images differ where a stroke lies in one and not the other,
     * many of their moves from 0 to the maximum or back and the rest spread over the whole range, which
     * passed the equal, flat and repeat shapes as sign steps; at 784 inputs every customer (ordinary,
     * one-digit, heavy, bursty) was flagged within 6-56 rows, at 3,072 two of them. Now a displacement
     * an eighth of whose moves are flips of at least 0.9 of the values' reach is no sign step ({@code
     * DataMoves#fullRangeFlips}); random rows and plain and random-size JbDA on the smooth digits are
     * flagged as before (116-132 rows, random 1-100), and so is the thief who read that rule and sets
     * a quarter of his coordinates to the other bound (11-100 rows: his moves are still mostly steps
     * from the nearest stored row, and {@code ood} sees the images; a tenth or 15%: 113-120 rows,
     * measured 2026-11-29). Soft strokes at 3,072 inputs (steepness 0.8) flagged two customers at 50
     * rows, extracting at once, until {@code SignSteps#lastDigits} (session 15): their sampled
     * pixels all dark, noise toggling them by a level. Soft strokes at 784 inputs flagged one customer
     * of eighteen at 491 rows (flat-shaped pairs whose moves spread from a level to 0.9 of the range,
     * the lifetime CUSUM adding them up) until {@code DataMoves#naturalSpacing} (session 16: a flat
     * displacement whose median move is a fifth of the values' reach or more is two natural records).
     */
    @ParameterizedTest
    @CsvSource({"784, 0.8", "784, 1.5", "784, 3", "3072, 0.8", "3072, 1.5", "3072, 3"})
    void strokeImagesAreNoSignSteps(int dims, double k) {
        Scenario s = population(dims, k);
        assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(key -> key.startsWith("honest"));
        for (String attack : new String[] {"random", "jbda", "jbda-random-size", "jbda-planted-flips"}) {
            assertThat(s.extractingAt.get(attack))
                    .as("%s\n%s", attack, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(500L);
        }
    }
}
