package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link ShiftedWindows}: a window read h samples later along its series is no step; a step, random
 * or signed, from the same parent is, at any shift (issue 9, vibration sensors).
 */
class ShiftedWindowsTest {

    private static final int N = 128;

    /** A vibration: a sine of the given period and amplitude over a level, with white noise, 12-bit counts. */
    private static double[] series(SplittableRandom r, int length, double period, double amplitude, double noise) {
        double[] s = new double[length];
        double phase = 2 * Math.PI * r.nextDouble();
        for (int t = 0; t < length; t++) {
            double v = 2_000 + amplitude * Math.sin(2 * Math.PI * t / period + phase) + noise * gaussian(r);
            s[t] = Math.max(0, Math.min(4_095, Math.rint(v)));
        }
        return s;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static float[] window(double[] s, int from) {
        float[] w = new float[N];
        for (int t = 0; t < N; t++) {
            w[t] = (float) s[from + t];
        }
        return w;
    }

    private static double residual(float[] x, float[] p, int run) {
        return ShiftedWindows.residual(x, p, N, run, new float[N], new float[N]);
    }

    @Test
    void aWindowReadLaterAlongItsSeriesIsShifted() {
        SplittableRandom r = new SplittableRandom(11);
        int pairs = 0;
        int shifted = 0;
        for (int i = 0; i < 500; i++) {
            double[] s = series(r, 400, 3 + 30 * r.nextDouble(), 100 + 400 * r.nextDouble(), 15);
            int from = r.nextInt(100);
            int hop = 1 + r.nextInt(N / 2);
            float[] x = window(s, from + hop);
            float[] p = window(s, from);
            // a hop near a whole number of periods moves the window by its noise alone: no step to exempt
            if (medianAbsDifference(x, p) < 4 * 15) {
                continue;
            }
            pairs++;
            if (ShiftedWindows.shifted(x, p, N, N, new float[N], new float[N])) {
                shifted++;
            }
        }
        assertThat(pairs).isGreaterThan(400);
        assertThat(shifted).isEqualTo(pairs);
    }

    /**
     * Random-size sign steps ({@code eps * U(0, 2)}, the flat shape's) of 40-440 counts from windows of
     * vibrations of 100-500: at the best of 128 shifts their median residual is 0.52-1.4 of their size
     * (measured 2026-11-29; the honest windows above 0.00-0.41), so at most a few in 1,000 are passed
     * over: the shift that best explains a random step still leaves most of it. Equal-sized steps of a
     * size near the vibration's can be explained by half a period on more than half their coordinates
     * (17 of 500 under the residual), but the equal shape counts them before the flat shape asks.
     */
    @Test
    void stepsFromTheSameParentsAreNotShiftedAtAnyShift() {
        SplittableRandom r = new SplittableRandom(12);
        SignSteps signSteps = new SignSteps(N);
        signSteps.inOrder(true);
        int shifted = 0;
        int equalCounted = 0;
        for (int i = 0; i < 1_000; i++) {
            double[] s = series(r, 400, 3 + 30 * r.nextDouble(), 100 + 400 * r.nextDouble(), 15);
            float[] p = window(s, r.nextInt(200));
            float[] x = p.clone();
            double eps = 40 + 400 * r.nextDouble();
            boolean randomSize = i % 2 == 1;
            for (int t = 0; t < N; t++) {
                double size = randomSize ? 2 * r.nextDouble() : 1;
                x[t] = (float) Math.max(0, Math.min(4_095, Math.rint(p[t] + (r.nextBoolean() ? 1 : -1) * eps * size)));
            }
            if (randomSize) {
                shifted += ShiftedWindows.shifted(x, p, N, N, new float[N], new float[N]) ? 1 : 0;
            } else {
                equalCounted += signSteps.isStep(x, p, N, 20f, 0.5f, null) ? 1 : 0;
            }
        }
        assertThat(shifted).isLessThanOrEqualTo(5);
        assertThat(equalCounted).isEqualTo(500);
    }

    @Test
    void aStepFromAParentOnAFlatBackgroundIsNeverShifted() {
        // a digit's background: a shift moves nothing there, so the residual is the step itself
        SplittableRandom r = new SplittableRandom(13);
        float[] p = new float[N];
        for (int t = 40; t < 70; t++) {
            p[t] = (float) (0.5 + 0.5 * r.nextDouble());
        }
        float[] x = new float[N];
        for (int t = 0; t < N; t++) {
            x[t] = p[t] + (r.nextBoolean() ? 0.1f : -0.1f);
        }
        assertThat(residual(x, p, N)).isGreaterThan(ShiftedWindows.RESIDUAL);
        assertThat(residual(x, p, StepSample.RUN)).isGreaterThan(ShiftedWindows.RESIDUAL);
    }

    @Test
    void onASampleOfRunsOnlyShiftsInsideARunCount() {
        // a shift of 10 along the input is no shift inside runs of 5 neighbours
        SplittableRandom r = new SplittableRandom(14);
        double[] s = series(r, 400, 23, 400, 15);
        float[] p = window(s, 50);
        assertThat(residual(window(s, 60), p, N)).isLessThanOrEqualTo(ShiftedWindows.RESIDUAL);
        assertThat(residual(window(s, 60), p, StepSample.RUN)).isGreaterThan(ShiftedWindows.RESIDUAL);
        assertThat(residual(window(s, 51), p, StepSample.RUN)).isLessThanOrEqualTo(ShiftedWindows.RESIDUAL);
    }

    /**
     * What the exemption lets through, pinned: a thief who knows it sends a parent shifted along its
     * series plus a step of under half the shift's own moves. It is not counted, and what he learns
     * is the label of a natural window plus a perturbation he cannot separate from it (the answer at
     * the shifted window alone would be a small step from a stored member, counted: the last
     * assertion). Fails when the exemption starts to count it.
     */
    @Test
    void shiftedParentsPlusSmallStepsBypass() {
        SplittableRandom r = new SplittableRandom(15);
        int exempt = 0;
        int shiftOnlyStepsCounted = 0;
        for (int i = 0; i < 200; i++) {
            double[] s = series(r, 400, 3 + 30 * r.nextDouble(), 100 + 400 * r.nextDouble(), 15);
            int from = r.nextInt(100);
            int hop = 1 + r.nextInt(N / 2);
            float[] p = window(s, from);
            float[] moved = window(s, from + hop);
            double natural = medianAbsDifference(moved, p);
            float[] x = moved.clone();
            for (int t = 0; t < N; t++) {
                x[t] += (float) ((r.nextBoolean() ? 1 : -1) * 0.1 * natural);
            }
            if (ShiftedWindows.shifted(x, p, N, N, new float[N], new float[N])) {
                exempt++;
            }
            // the same perturbation against the shifted window it hides behind: no shift can explain it
            if (!ShiftedWindows.shifted(x, moved, N, N, new float[N], new float[N])) {
                shiftOnlyStepsCounted++;
            }
        }
        assertThat(exempt).isGreaterThanOrEqualTo(190);
        assertThat(shiftOnlyStepsCounted).isEqualTo(200);
    }

    private static double medianAbsDifference(float[] a, float[] b) {
        double[] d = new double[N];
        for (int t = 0; t < N; t++) {
            d[t] = Math.abs(a[t] - b[t]);
        }
        java.util.Arrays.sort(d);
        return d[N / 2];
    }
}
