package dev.moat.detectors.support;

import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * Honest workloads whose shape resembles probing (issue 9): each a customer of an {@link
 * HonestDomain} working on its own natural records. Every source is deterministic for its seed.
 */
public final class HonestProbes {

    private HonestProbes() {}

    /** A source that emits the rows a generator queues, refilling when empty. */
    private static QuerySource queued(String name, java.util.function.Consumer<Deque<double[]>> refill) {
        Deque<double[]> q = new ArrayDeque<>();
        return HonestDomain.source(name, () -> {
            while (q.isEmpty()) {
                refill.accept(q);
            }
            return q.poll().clone();
        });
    }

    /**
     * What-if analysis: a record as it is, then {@code variants} re-scorings of it with one or two
     * features moved to a slider position (one of 11 between the feature's bounds), each variant
     * from the original record.
     */
    public static QuerySource whatIf(HonestDomain d, long seed, int variants) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = d.records(r, 300);
        return queued("what-if", q -> {
            double[] x = mine.get(r.nextInt(mine.size()));
            q.add(x);
            for (int v = 0; v < variants; v++) {
                double[] y = x.clone();
                int moved = 1 + r.nextInt(2);
                for (int k = 0; k < moved; k++) {
                    int j = r.nextInt(d.dims());
                    y[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * r.nextInt(11) / 10.0;
                }
                q.add(d.snap(y));
            }
        });
    }

    /**
     * Partial dependence (dose-response): one feature of the customer's choice swept over a grid of
     * {@code grid} values between its bounds, the rest of a record fixed, record after record.
     */
    public static QuerySource partialDependence(HonestDomain d, long seed, int grid) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = d.records(r, 300);
        int j = r.nextInt(d.dims());
        return queued("partial-dependence", q -> {
            double[] x = mine.get(r.nextInt(mine.size()));
            for (int g = 0; g < grid; g++) {
                double[] y = x.clone();
                y[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * g / (grid - 1.0);
                q.add(d.snap(y));
            }
        });
    }

    /**
     * Partial dependence on a global feature of an image: each record scaled by brightness factors
     * 0.5 to 1.5 over {@code grid} values (clipped), a sweep along the line through the origin.
     */
    public static QuerySource brightnessSweep(HonestDomain d, long seed, int grid) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = d.records(r, 300);
        return queued("brightness-sweep", q -> {
            double[] x = mine.get(r.nextInt(mine.size()));
            for (int g = 0; g < grid; g++) {
                double f = 0.5 + g / (grid - 1.0);
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    y[i] = d.clip(i, x[i] * f);
                }
                q.add(y);
            }
        });
    }

    /** Sliding windows over one long series of the customer's: each query the previous shifted by one step. */
    public static QuerySource slidingWindows(HonestDomain.Series d, long seed) {
        Random r = new UnsharedRandom(seed);
        double[] s = d.series(r, 50_000 + d.dims());
        int[] t = {0};
        return HonestDomain.source("sliding-windows", () -> {
            double[] w = Arrays.copyOfRange(s, t[0], t[0] + d.dims());
            t[0]++;
            return w;
        });
    }

    /**
     * Test-time augmentation: each record, then {@code k - 1} variants of it: small noise (1% of the
     * range), a one-pixel shift (images), a brightness change of up to 10%, or both noise and
     * brightness; on data that are no image, noise and brightness only.
     */
    public static QuerySource augmentation(HonestDomain d, long seed, int k) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = d.records(r, 300);
        int[] img = d.image();
        return queued("test-time-augmentation", q -> {
            double[] x = mine.get(r.nextInt(mine.size()));
            q.add(x);
            for (int v = 1; v < k; v++) {
                int kind = (v - 1) % (img == null ? 3 : 4);
                double[] y;
                if (kind == 0) {
                    y = noise(d, x, 0.01, r);
                } else if (kind == 1) {
                    y = brightness(d, x, 0.9 + 0.2 * r.nextDouble());
                } else if (kind == 2) {
                    y = noise(d, brightness(d, x, 0.9 + 0.2 * r.nextDouble()), 0.01, r);
                } else {
                    y = shift(x, img[0], img[1], r.nextBoolean() ? 1 : -1, r.nextBoolean());
                }
                q.add(d.snap(y));
            }
        });
    }

    private static double[] noise(HonestDomain d, double[] x, double sd, Random r) {
        double[] y = x.clone();
        for (int j = 0; j < y.length; j++) {
            y[j] = d.clip(j, y[j] + sd * (d.hi(j) - d.lo(j)) * r.nextGaussian());
        }
        return y;
    }

    private static double[] brightness(HonestDomain d, double[] x, double f) {
        double[] y = x.clone();
        for (int j = 0; j < y.length; j++) {
            y[j] = d.clip(j, d.lo(j) + (y[j] - d.lo(j)) * f);
        }
        return y;
    }

    /** Shifts an image (channel-major, side x side per channel) by one pixel, repeating the edge. */
    static double[] shift(double[] x, int side, int channels, int by, boolean horizontal) {
        double[] y = new double[x.length];
        for (int ch = 0; ch < channels; ch++) {
            for (int row = 0; row < side; row++) {
                for (int col = 0; col < side; col++) {
                    int sr = horizontal ? row : Math.max(0, Math.min(side - 1, row - by));
                    int sc = horizontal ? Math.max(0, Math.min(side - 1, col - by)) : col;
                    y[(ch * side + row) * side + col] = x[(ch * side + sr) * side + sc];
                }
            }
        }
        return y;
    }

    /** The same {@code n} records re-sent in the same order every day (a nightly re-scoring job). */
    public static List<double[]> dailyRescoring(HonestDomain d, long seed, int n, int days) {
        List<double[]> mine = d.records(new UnsharedRandom(seed), n);
        List<double[]> out = new ArrayList<>();
        for (int day = 0; day < days; day++) {
            for (double[] x : mine) {
                out.add(x.clone());
            }
        }
        return out;
    }

    /** A batch of {@code n} records where each is sent two or three times, in shuffled order. */
    public static List<double[]> duplicatesInABatch(HonestDomain d, long seed, int n) {
        Random r = new UnsharedRandom(seed);
        List<double[]> out = new ArrayList<>();
        for (double[] x : d.records(r, n / 2)) {
            int copies = 2 + r.nextInt(2);
            for (int c = 0; c < copies; c++) {
                out.add(x.clone());
            }
        }
        Collections.shuffle(out, r);
        return out.subList(0, Math.min(n, out.size()));
    }

    /**
     * A customer whose data sit at the feature bounds: records stretched three times about the
     * middle of each feature's range and clipped (saturated pixels, clipped sensors), with noise.
     */
    public static QuerySource saturated(HonestDomain d, long seed) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = d.records(r, 300);
        return HonestDomain.source("saturated", () -> {
            double[] x = d.noisy(mine.get(r.nextInt(mine.size())), r);
            for (int j = 0; j < x.length; j++) {
                double mid = (d.lo(j) + d.hi(j)) / 2;
                x[j] = d.clip(j, mid + 3 * (x[j] - mid));
            }
            return d.snap(x);
        });
    }

    /** Fresh natural records every query, none re-sent (a text classifier's customer: every document new). */
    public static QuerySource fresh(HonestDomain d, long seed) {
        Random r = new UnsharedRandom(seed);
        return HonestDomain.source("fresh", () -> d.record(r));
    }

    /** Short documents (5-25 words) from a bag-of-words domain: almost every count zero. */
    public static QuerySource shortDocuments(HonestDomain d, long seed) {
        Random r = new UnsharedRandom(seed);
        HonestDomain.Sparse s = (HonestDomain.Sparse) d;
        return HonestDomain.source("short-documents", () -> s.doc(r, 5 + r.nextInt(21)));
    }
}
