package dev.moat.detectors.prada;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The branch-free helpers {@link SignSteps#isStepAcross} compares with: a float's order key orders as
 * the float does (-0 as 0), {@code greater} and {@code differs} answer as the int comparisons, and
 * {@code selectBits} on positive floats' bits returns what a sort would put at index k.
 */
class FloatOrderKeysTest {

    private static final float[] SPECIAL = {
        Float.NEGATIVE_INFINITY,
        -Float.MAX_VALUE,
        -1e30f,
        -16f,
        -1f,
        -Float.MIN_NORMAL,
        -Float.MIN_VALUE,
        -0f,
        0f,
        Float.MIN_VALUE,
        Float.MIN_NORMAL,
        0.25f,
        1f,
        16f,
        255f,
        1e30f,
        Float.MAX_VALUE,
        Float.POSITIVE_INFINITY
    };

    @Test
    void keysOrderAsTheFloatsDo() {
        SplittableRandom r = new SplittableRandom(5);
        float[] v = new float[4000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i < SPECIAL.length
                    ? SPECIAL[i]
                    : switch (r.nextInt(3)) {
                        case 0 -> (float) r.nextGaussian() * 16;
                        case 1 -> Float.intBitsToFloat(r.nextInt()); // any bits, NaN skipped below
                        default -> r.nextInt(33) - 16;
                    };
        }
        for (int t = 0; t < 200_000; t++) {
            float a = v[r.nextInt(v.length)];
            float b = v[r.nextInt(v.length)];
            if (Float.isNaN(a) || Float.isNaN(b)) {
                continue;
            }
            int ka = FloatOrder.key(a);
            int kb = FloatOrder.key(b);
            assertEquals(a > b, ka > kb, a + " > " + b);
            assertEquals(a == b, ka == kb, a + " == " + b);
            assertEquals(a > b ? 1 : 0, FloatOrder.greater(ka, kb), a + " > " + b);
            assertEquals(a != b ? 1 : 0, FloatOrder.differs(ka, kb), a + " != " + b);
            // the key of a key is the float's bits back (-0 as 0)
            assertEquals(Float.floatToRawIntBits(a + 0f), FloatOrder.key(ka), a + " round trip");
        }
    }

    @Test
    void greaterAndDiffersAnswerAsIntComparisonsAtTheExtremes() {
        int[] edge = {
            Integer.MIN_VALUE, Integer.MIN_VALUE + 1, -2, -1, 0, 1, 2, Integer.MAX_VALUE - 1, Integer.MAX_VALUE
        };
        for (int a : edge) {
            for (int b : edge) {
                assertEquals(a > b ? 1 : 0, FloatOrder.greater(a, b), a + " > " + b);
                assertEquals(a != b ? 1 : 0, FloatOrder.differs(a, b), a + " != " + b);
            }
        }
    }

    @Test
    void selectBitsEqualsSortedOrderStatisticOfPositiveFloats() {
        SplittableRandom r = new SplittableRandom(13);
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + r.nextInt(300);
            float[] a = new float[n];
            int distinct = 1 + r.nextInt(n + 1);
            for (int i = 0; i < n; i++) {
                a[i] = r.nextInt(10) == 0
                        ? Float.POSITIVE_INFINITY
                        : 1e-3f + r.nextInt(distinct) * (r.nextBoolean() ? 0.25f : 37.5f);
            }
            int k = r.nextInt(n);
            float[] sorted = a.clone();
            Arrays.sort(sorted);
            int[] bits = new int[n];
            for (int i = 0; i < n; i++) {
                bits[i] = Float.floatToRawIntBits(a[i]);
            }
            float got = Float.intBitsToFloat(FloatOrder.selectBits(bits, new int[n], n, k));
            assertEquals(sorted[k], got, "n=" + n + " k=" + k);
            assertEquals(FloatOrder.select(a.clone(), new float[n], n, k), got, "n=" + n + " k=" + k);
        }
    }

    /** The radix steps (64 values and more): values spread over many exponents, clustered ones, ties. */
    @Test
    void selectBitsRadixStepsEqualSortedOrderStatistic() {
        SplittableRandom r = new SplittableRandom(17);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 64 + r.nextInt(trial % 10 == 0 ? 4096 : 300);
            int mode = r.nextInt(4);
            int[] bits = new int[n];
            for (int i = 0; i < n; i++) {
                float v = switch (mode) {
                    case 0 -> (float) Math.exp(r.nextGaussian() * 10);
                    case 1 -> 1 + r.nextInt(1000) * 1e-7f;
                    case 2 ->
                        (float) Math.abs(r.nextGaussian()) + (r.nextInt(5) == 0 ? 20 * (float) r.nextDouble() : 0);
                    default -> r.nextInt(3) + 0.5f;
                };
                bits[i] = Float.floatToRawIntBits(r.nextInt(40) == 0 ? Float.POSITIVE_INFINITY : v);
            }
            int k = r.nextInt(n);
            int[] sorted = bits.clone();
            Arrays.sort(sorted);
            assertEquals(
                    sorted[k], FloatOrder.selectBits(bits, new int[n], n, k), "n=" + n + " k=" + k + " mode=" + mode);
        }
    }
}
