package dev.moat.detectors.prada;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link FloatOrder#select} returns what a sort would put at index k, for every k and shape of input. */
class FloatOrderSelectTest {

    @Test
    void selectEqualsSortedOrderStatisticForRandomInputsWithTies() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + r.nextInt(300);
            float[] a = new float[n];
            int distinct = 1 + r.nextInt(n + 1); // from all equal to all distinct
            for (int i = 0; i < n; i++) {
                a[i] = r.nextInt(distinct) * 0.25f + (r.nextInt(10) == 0 ? Float.POSITIVE_INFINITY : 0);
            }
            check(a, r.nextInt(n));
        }
    }

    @Test
    void selectHandlesSortedReversedAndOrganPipeInputs() {
        for (int n : new int[] {1, 2, 3, 8, 63, 64, 65, 1000, 4096}) {
            float[] up = new float[n];
            float[] down = new float[n];
            float[] pipe = new float[n];
            for (int i = 0; i < n; i++) {
                up[i] = i;
                down[i] = n - i;
                pipe[i] = Math.min(i, n - 1 - i);
            }
            for (int k : new int[] {0, n / 2, n - 1}) {
                check(up, k);
                check(down, k);
                check(pipe, k);
            }
        }
    }

    /**
     * Inputs an attacker could arrange against a median-of-three pivot (the sign-step test runs on
     * the attacker's own queries) still give the right answer: the round limit falls back to a sort.
     */
    @Test
    void selectIsRightOnMedianOfThreeKillerInputs() {
        int n = 4096;
        float[] a = new float[n];
        // Musser's median-of-3 killer sequence
        int half = n / 2;
        for (int i = 0; i < half; i++) {
            a[i] = (i % 2 == 0) ? i + 1 : half + i + (half % 2 == 0 ? 0 : 1);
            a[half + i] = 2 * (i + 1);
        }
        check(a, n / 2);
    }

    private static void check(float[] a, int k) {
        float[] sorted = a.clone();
        Arrays.sort(sorted);
        float[] work = a.clone();
        assertEquals(sorted[k], FloatOrder.select(work, new float[a.length], a.length, k), "n=" + a.length + " k=" + k);
    }
}
