package dev.moat.detectors.coverage;

import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Design evidence for the next step on {@code CoverageColdStartTest.blankFirstRowsPlaceTheCentreBypass}
 * (session 24; not run by the build: a probe). Novelty (the share of a window of 200 rows that
 * opens a new cell; the highest window from the third on, over 1,500 rows) of the digits' honest
 * clients and attackers under two cell definitions on the same 12 Gaussian planes: {@code sign},
 * the detector's (the sign of each plane's projection around the key's own first-32 mean), and
 * {@code fixed-c}, p-stable cells {@code floor((a . x + u) / w)} with {@code w} = c times the
 * median absolute deviation of {@code a . x} over honest rows (a population's spread, not the
 * key's), hashed into 4,096 cells. Run: {@code mvn -B -o -pl detectors test -Dtest=FixedCellsProbe
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class FixedCellsProbe {

    static final int BITS = 12;
    static final int D = 64;

    @Test
    void probe() {
        DigitsModel model = DigitsModel.get();
        SplittableRandom rnd = new SplittableRandom(0xC0FE);
        double[][] planes = new double[BITS][D];
        for (double[] p : planes) {
            for (int i = 0; i < D; i++) {
                p[i] = dev.moat.detectors.stats.RandomProjection.gaussian(rnd);
            }
        }
        // the population's spread of each projection: 12 honest clients' first 432 rows
        double[][] proj = new double[BITS][12 * 432];
        int n = 0;
        for (int k = 0; k < 12; k++) {
            HonestClient c = new HonestClient(9_000 + k);
            for (int i = 0; i < 432; i++) {
                double[] x = c.next();
                for (int b = 0; b < BITS; b++) {
                    proj[b][n] = dot(planes[b], x);
                }
                n++;
            }
        }
        double[] mad = new double[BITS];
        for (int b = 0; b < BITS; b++) {
            double[] v = proj[b].clone();
            Arrays.sort(v);
            double med = v[v.length / 2];
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.abs(proj[b][i] - med);
            }
            Arrays.sort(v);
            mad[b] = v[v.length / 2];
        }
        Map<String, Supplier<QuerySource>> sources = new LinkedHashMap<>();
        for (int k = 0; k < 4; k++) {
            long seed = 500 + k;
            sources.put("honest-" + k, () -> new HonestClient(seed));
        }
        sources.put("scenes", () -> scenes(7));
        sources.put("random", () -> new RandomAttacker(77));
        sources.put("random-blank-first", () -> blankFirst(new RandomAttacker(78)));
        sources.put("random-huge-first", () -> hugeFirst(new RandomAttacker(79)));
        sources.put("random-diluted-1-1", () -> diluted(new RandomAttacker(80), new HonestClient(81)));
        sources.put("jbda", () -> new JbdaAttacker(82));
        sources.put("knockoff", () -> new KnockoffAttacker(83));
        double[] cs = java.util.Arrays.stream(
                        System.getProperty("cs", "0.5,1,2").split(","))
                .mapToDouble(Double::parseDouble)
                .toArray();
        System.out.printf("%-20s %6s", "source", "sign");
        for (double c : cs) {
            System.out.printf(" %9s", "fixed-" + c);
        }
        System.out.println();
        for (Map.Entry<String, Supplier<QuerySource>> e : sources.entrySet()) {
            System.out.printf("%-20s %6.2f", e.getKey(), novelty(e.getValue().get(), model, planes, null, 0));
            for (double c : cs) {
                System.out.printf(" %9.2f", novelty(e.getValue().get(), model, planes, mad, c));
            }
            System.out.println();
        }
    }

    /** Peak window novelty from the third window on over 1,500 rows; {@code mad == null}: the sign cells. */
    static double novelty(QuerySource src, DigitsModel model, double[][] planes, double[] mad, double c) {
        return novelty(src, model::predict, planes, mad, c);
    }

    /** {@link #novelty(QuerySource, DigitsModel, double[][], double[], double)} on any model. */
    static double novelty(
            QuerySource src,
            java.util.function.UnaryOperator<double[]> model,
            double[][] planes,
            double[] mad,
            double c) {
        long[] visited = new long[4096 / 64];
        boolean[] window = new boolean[200];
        double[] centre = new double[BITS];
        double[] offset = new double[BITS];
        Random r = new UnsharedRandom(5);
        for (int b = 0; b < BITS; b++) {
            offset[b] = r.nextDouble();
        }
        int count = 0;
        double peak = 0;
        for (int q = 0; q < 1_500; q++) {
            double[] x = src.next();
            src.observe(x, model.apply(x));
            int cell;
            if (mad == null) {
                if (q < 32) {
                    for (int b = 0; b < BITS; b++) {
                        centre[b] += (dot(planes[b], x) - centre[b]) / (q + 1);
                    }
                    continue;
                }
                cell = 0;
                for (int b = 0; b < BITS; b++) {
                    cell |= dot(planes[b], x) > centre[b] ? 1 << b : 0;
                }
            } else {
                long h = 0x9E3779B97F4A7C15L;
                for (int b = 0; b < BITS; b++) {
                    long k = (long) Math.floor(dot(planes[b], x) / (c * mad[b]) + offset[b]);
                    h = (h ^ k) * 0xBF58476D1CE4E5B9L;
                    h ^= h >>> 31;
                }
                cell = (int) (h & 4095);
            }
            boolean isNew = (visited[cell >>> 6] & (1L << (cell & 63))) == 0;
            visited[cell >>> 6] |= 1L << (cell & 63);
            int slot = q % 200;
            count += (isNew ? 1 : 0) - (window[slot] ? 1 : 0);
            window[slot] = isNew;
            int after = q + 1 - (mad == null ? 32 : 0);
            if (after >= 600 && after % 200 == 0) {
                peak = Math.max(peak, count / 200.0);
            }
        }
        return peak;
    }

    /** {@code BITS} Gaussian planes of width {@code d}, seeded as the detector's are. */
    static double[][] planes(int d) {
        SplittableRandom rnd = new SplittableRandom(0xC0FE);
        double[][] planes = new double[BITS][d];
        for (double[] p : planes) {
            for (int i = 0; i < d; i++) {
                p[i] = dev.moat.detectors.stats.RandomProjection.gaussian(rnd);
            }
        }
        return planes;
    }

    /** Each plane's median absolute deviation of its projection over {@code rows}. */
    static double[] mad(double[][] planes, java.util.List<double[]> rows) {
        double[] mad = new double[BITS];
        double[] v = new double[rows.size()];
        for (int b = 0; b < BITS; b++) {
            for (int i = 0; i < v.length; i++) {
                v[i] = dot(planes[b], rows.get(i));
            }
            double[] sorted = v.clone();
            Arrays.sort(sorted);
            double med = sorted[sorted.length / 2];
            for (int i = 0; i < sorted.length; i++) {
                sorted[i] = Math.abs(v[i] - med);
            }
            Arrays.sort(sorted);
            mad[b] = sorted[sorted.length / 2];
        }
        return mad;
    }

    static double dot(double[] a, double[] x) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += a[i] * x[i];
        }
        return s;
    }

    /** A camera: one digit held for 40-400 frames with fresh pixel noise (sd 0.5), then the next. */
    static QuerySource scenes(long seed) {
        Random r = new UnsharedRandom(seed);
        HonestClient digits = new HonestClient(seed);
        double[][] scene = {digits.next()};
        int[] left = {40 + r.nextInt(361)};
        return QuerySource.of("scenes", () -> {
            if (left[0]-- == 0) {
                scene[0] = digits.next();
                left[0] = 40 + r.nextInt(361);
            }
            double[] x = scene[0].clone();
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.max(0, Math.min(16, x[i] + 0.5 * r.nextGaussian()));
            }
            return x;
        });
    }

    static QuerySource blankFirst(QuerySource inner) {
        int[] sent = {0};
        return QuerySource.of("blank-first", () -> sent[0]++ < 32 ? new double[D] : inner.next());
    }

    static QuerySource hugeFirst(QuerySource inner) {
        int[] sent = {0};
        return QuerySource.of("huge-first", () -> {
            if (sent[0]++ == 0) {
                double[] x = new double[D];
                x[0] = 1e6;
                return x;
            }
            return inner.next();
        });
    }

    static QuerySource diluted(QuerySource attack, QuerySource natural) {
        int[] sent = {0};
        return QuerySource.of("diluted", () -> sent[0]++ % 2 == 0 ? attack.next() : natural.next());
    }
}
