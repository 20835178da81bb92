package dev.moat.detectors.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** {@link OrderStatistics#select} against {@link Arrays#sort}, the reference it must equal. */
class OrderStatisticsTest {

    /**
     * Every rank the store reads, and a few more, on every shape of column, for lengths 1 to 3,000: the
     * same float as the sort's, bit for bit (so -0.0 before 0.0, NaN last).
     */
    @Test
    void ranksAreTheSortsOnEveryShape() {
        SplittableRandom rnd = new SplittableRandom(11);
        IntFunction<float[]>[] shapes = shapes(rnd);
        int checked = 0;
        OrderStatistics selector = new OrderStatistics(); // one, as a store keeps it: scratch reused
        for (int n : new int[] {1, 2, 3, 4, 5, 7, 10, 23, 24, 25, 31, 64, 100, 127, 128, 1000, 1024, 3000}) {
            for (int shape = 0; shape < shapes.length; shape++) {
                float[] column = shapes[shape].apply(n);
                int[][] rankSets = {
                    {n / 10, n / 4, n / 2, n - 1 - n / 4, n - 1 - n / 10},
                    {0, n - 1},
                    {n / 2},
                    {rnd.nextInt(n), rnd.nextInt(n), rnd.nextInt(n)},
                    new int[0]
                };
                for (int[] ranks : rankSets) {
                    Arrays.sort(ranks);
                    float[] sorted = column.clone();
                    Arrays.sort(sorted);
                    float[] a = column.clone();
                    float[] out = new float[ranks.length];
                    selector.select(a, n, ranks, out);
                    for (int r = 0; r < ranks.length; r++) {
                        assertThat(Float.floatToIntBits(out[r]))
                                .as(
                                        "shape %d, n %d, rank %d: %s, sort says %s",
                                        shape, n, ranks[r], out[r], sorted[ranks[r]])
                                .isEqualTo(Float.floatToIntBits(sorted[ranks[r]]));
                    }
                    assertThat(a).as("the column is not changed").isEqualTo(column);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(18 * shapes.length * 5);
    }

    @SuppressWarnings("unchecked")
    static IntFunction<float[]>[] shapes(SplittableRandom rnd) {
        return new IntFunction[] {
            n -> fill(n, j -> (float) rnd.nextGaussian()), // noisy values, no ties
            n -> fill(n, j -> rnd.nextInt(4)), // a few values, many ties (integer features)
            n -> fill(n, j -> rnd.nextInt(20) == 0 ? rnd.nextFloat() * 16 : 0), // a background of 0
            n -> fill(n, j -> 3.5f), // one value
            n -> fill(n, j -> j), // ascending
            n -> fill(n, j -> n - j), // descending
            n -> fill(n, j -> Math.min(j, n - j)), // organ pipe
            n -> fill(n, j -> j % 2 == 0 ? j : -j), // interleaved
            n -> fill(n, j -> j % 17), // saw
            n -> fill(n, j -> switch (j % 9) { // the edges of floats, and NaN (sorted last)
                case 0 -> Float.NaN;
                case 1 -> Float.POSITIVE_INFINITY;
                case 2 -> Float.NEGATIVE_INFINITY;
                case 3 -> Float.MAX_VALUE;
                case 4 -> -Float.MIN_VALUE;
                default -> (float) rnd.nextGaussian();
            }),
            n -> fill(n, j -> Float.NaN), // NaN only
            n -> fill(n, j -> j % 3 == 0 ? -0.0f : j % 3 == 1 ? 0.0f : Float.MIN_VALUE), // zeros of both signs
            n -> fill(n, j -> (float) Math.exp(30 * rnd.nextGaussian())), // many binades: buckets again
            n -> fill(n, j -> 1 + Math.ulp(1f) * rnd.nextInt(500)), // one binade, neighbouring floats
            n -> fill(n, OrderStatisticsTest::nested), // every level buckets (LEVELS deep)
        };
    }

    /**
     * Keys nested so that each level's wanted bucket holds more than {@link OrderStatistics#SORT_AT_MOST}
     * values and the next level buckets again: the range's ends (level 0 shifts by 24), one key 2^20
     * above a base aligned to a level-0 bucket (level 1 shifts by 13), one 2^11 above it (level 2 by 4),
     * and the rest the base and the key after it (level 3 by 0, then single values).
     */
    static float nested(int j) {
        int lo = OrderStatistics.key(-Float.MAX_VALUE);
        int base = lo + (150 << 24);
        int key = switch (j) {
            case 0 -> lo;
            case 1 -> OrderStatistics.key(Float.MAX_VALUE);
            case 2 -> base + (1 << 20);
            case 3 -> base + (1 << 11);
            default -> base + j % 2;
        };
        return OrderStatistics.value(key);
    }

    interface Value {
        float at(int j);
    }

    static float[] fill(int n, Value v) {
        float[] a = new float[n];
        for (int j = 0; j < n; j++) {
            a[j] = v.at(j);
        }
        return a;
    }
}
