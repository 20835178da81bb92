package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The flat shape's tone exemption ({@link Tones}): its arithmetic against numpy, and what it takes
 * from the flat shape on 128-sample vibration windows and what it leaves to it.
 */
class TonesTest {

    /** 3 sin(2 pi 0.123 t + 0.4) + 0.5 cos(2 pi 0.31 t) + a small saw-tooth, t = 0..127, less its mean. */
    static double[] signal() {
        int n = 128;
        double[] r = new double[n];
        double mean = 0;
        for (int t = 0; t < n; t++) {
            r[t] = 3 * Math.sin(2 * Math.PI * 0.123 * t + 0.4)
                    + 0.5 * Math.cos(2 * Math.PI * 0.31 * t)
                    + 0.1 * (((t * 7919) % 13) - 6);
            mean += r[t];
        }
        mean /= n;
        for (int t = 0; t < n; t++) {
            r[t] -= mean;
        }
        return r;
    }

    /**
     * Reference values from numpy 2.4.6 (2026-11-30), for r = {@link #signal()}, t = arange(128):
     *
     * <pre>
     * X = stack([cos(2 pi 0.123 t), sin(2 pi 0.123 t), ones(128)], 1)
     * c = numpy.linalg.lstsq(X, r)[0];  ((r - X @ c) ** 2).sum()      # 617.0601016451433 -> 38.77235305735348
     * (cos(2 pi 0.2 t) @ r) ** 2 + (sin(2 pi 0.2 t) @ r) ** 2          # 6.38183265353247
     * the largest of that power over f = 0.5 / 128 .. 0.5 in steps of 1e-6: f = 0.12307725, 37013.01080745263
     * </pre>
     */
    @Test
    void fitPowerAndPeakAgreeWithNumpy() {
        double[] r = signal();
        assertThat(Tones.power(r, 128, 0.2)).isCloseTo(6.38183265353247, within(1e-9));
        double f = Tones.strongest(r, 128);
        assertThat(f).isCloseTo(0.12307725, within(2e-4));
        assertThat(Tones.power(r, 128, f)).isCloseTo(37013.01080745263, within(37013.0 * 1e-4));
        double[] copy = r.clone();
        assertThat(Tones.takeOut(copy, 128, 0.123)).isCloseTo(38.77235305735348, within(1e-8));
    }

    /** A 12-bit vibration window: level, a sine of the period, white noise, rounded to counts. */
    static float[] window(double level, double amp, double period, double phase, double noise, Random r, int n) {
        float[] w = new float[n];
        for (int t = 0; t < n; t++) {
            w[t] = (float)
                    Math.rint(level + amp * Math.sin(phase + 2 * Math.PI * t / period) + noise * r.nextGaussian());
        }
        return w;
    }

    /**
     * Two windows of {@code width} samples of one machine's vibration (period 2.7-10.7, amplitude
     * 60-400 counts, noise 2-8, over a level), at another phase, or with {@code otherState} the second
     * from a state of another level, period and amplitude.
     */
    static float[][] windowPair(Random r, boolean otherState, int width) {
        double level = 800 + 1_500 * r.nextDouble();
        double period = 2.7 + 8 * r.nextDouble();
        double amp = 60 + 340 * r.nextDouble();
        double noise = 2 + 6 * r.nextDouble();
        float[] a = window(level, amp, period, 2 * Math.PI * r.nextDouble(), noise, r, width);
        float[] b = otherState
                ? window(
                        level + 200 * r.nextGaussian(),
                        60 + 340 * r.nextDouble(),
                        2.7 + 8 * r.nextDouble(),
                        2 * Math.PI * r.nextDouble(),
                        noise,
                        r,
                        width)
                : window(level, amp, period, 2 * Math.PI * r.nextDouble(), noise, r, width);
        return new float[][] {a, b};
    }

    /**
     * Share of 2,000 pairs counted as steps by the flat shape (no history), at 128 coordinates in
     * order: two windows of one machine's vibration (period 2.7-10.7, amplitude 60-400 counts, noise
     * 2-8), at another phase and, with {@code otherState}, from a state of another period and
     * amplitude; {@code step}: the query also took a random-size sign step (sizes 0.1 x 4,095 x U(0,
     * 2), signs of a random gradient constant over runs of 1-6 samples).
     */
    static double counted(long seed, boolean otherState, boolean step) {
        Random r = new UnsharedRandom(seed);
        int n = 128;
        SignSteps steps = new SignSteps(n);
        steps.inOrder(true);
        int hits = 0;
        for (int k = 0; k < 2_000; k++) {
            float[][] pair = windowPair(r, otherState, n);
            float[] parent = pair[0];
            float[] x = pair[1];
            if (step) {
                int t = 0;
                while (t < n) {
                    int run = 1 + r.nextInt(6);
                    double sign = r.nextBoolean() ? 1 : -1;
                    for (int j = t; j < Math.min(n, t + run); j++) {
                        x[j] = (float) Math.max(
                                0, Math.min(4_095, Math.rint(x[j] + sign * 409.5 * 2 * r.nextDouble())));
                    }
                    t += run;
                }
            }
            if (steps.isStepScaled(x, parent, n, 0.02f, 4_095f, 0.5f, null)) {
                hits++;
            }
        }
        return hits / 2_000.0;
    }

    /**
     * Two windows of a vibration are no steps (session 22; before the exemption the flat shape took
     * 0.0085 of the pairs of one state, where {@link ShiftedWindows} takes most, and 0.24 of two
     * states; measured with {@code tones.tonal} returning false, 2026-11-30).
     */
    @Test
    void windowsOfAVibrationAreNoFlatSteps() {
        assertThat(counted(1, false, false)).isLessThan(0.01);
        assertThat(counted(2, true, false)).isLessThan(0.01);
    }

    /**
     * A random-size sign step taken from a window and compared with another window of the machine (the
     * stored row nearest the child is another window, not its parent): the windows' tones are taken
     * out with the step's tones, and what is left is the step, still counted: 0.593 of one state's
     * pairs and 0.173 of two states' (whose levels differ as well), the same shares as with the
     * exemption off (measured as above).
     */
    @Test
    void signStepsOnTopOfTheWindowsTonesStayCounted() {
        assertThat(counted(3, false, true)).isGreaterThan(0.5);
        assertThat(counted(4, true, true)).isGreaterThan(0.15);
    }

    /**
     * Share of 2,000 random-size sign steps (sizes {@code 0.1 x 4,095 x U(0, 2)}, random signs, on a
     * mid-grey parent of noise) counted as steps by the flat shape when the thief adds a tone of
     * {@code loud} times the step's RMS at a random frequency and phase to each (and, with {@code
     * two}, a second one as loud).
     */
    static double underTones(long seed, double loud, boolean two) {
        Random r = new UnsharedRandom(seed);
        int n = 128;
        SignSteps steps = new SignSteps(n);
        steps.inOrder(true);
        int hits = 0;
        for (int k = 0; k < 2_000; k++) {
            float[] parent = new float[n];
            float[] x = new float[n];
            double rms = 409.5 * Math.sqrt(4.0 / 3);
            double f1 = 0.08 + 0.4 * r.nextDouble();
            double f2 = 0.08 + 0.4 * r.nextDouble();
            double p1 = 2 * Math.PI * r.nextDouble();
            double p2 = 2 * Math.PI * r.nextDouble();
            for (int t = 0; t < n; t++) {
                parent[t] = (float) Math.rint(2_000 + 30 * r.nextGaussian());
                double tone = loud * rms * Math.sqrt(2) * Math.sin(2 * Math.PI * f1 * t + p1);
                if (two) {
                    tone += loud * rms * Math.sqrt(2) * Math.sin(2 * Math.PI * f2 * t + p2);
                }
                double step = (r.nextBoolean() ? 1 : -1) * 409.5 * 2 * r.nextDouble();
                x[t] = (float) Math.max(0, Math.min(4_095, Math.rint(parent[t] + step + tone)));
            }
            hits += steps.isStepScaled(x, parent, n, 0.02f, 4_095f, 0.5f, null) ? 1 : 0;
        }
        return hits / 2_000.0;
    }

    /**
     * What a thief who has read this does (session 22): hide each random-size step under tones loud
     * enough that two fitted tones explain 85% of the displacement. Measured (2026-11-30): with no
     * tone every step counted; under one tone of 1, 2 and 3 times the step's RMS 0.353, 0.250 and 0;
     * under two, each as loud as the step, 0.060. The same shares with the exemption off
     * ({@code tones.tonal} returning false): the tones already spoil the flat shape's crest (a step
     * plus a sine is no flat displacement), as any loud decoy added to the step does
     * ({@code SignStepsEvenTest.randomSizeStepsWithNoiseOnTheOtherCoordinatesBypass}); the exemption
     * gives him nothing he did not have. The query then moves mostly along the tones, whose answers
     * he must tell from the step's. Pinned: fails when loud tones no longer hide the steps.
     */
    @Test
    void signStepsUnderALoudToneBypass() {
        double none = underTones(21, 0, false);
        double[] one = {underTones(22, 1, false), underTones(23, 2, false), underTones(24, 3, false)};
        double[] two = {underTones(25, 1, true), underTones(26, 2, true), underTones(27, 3, true)};
        System.out.printf(
                java.util.Locale.ROOT,
                "steps under tones: none %.3f; one tone x1/x2/x3 %.3f %.3f %.3f; two %.3f %.3f %.3f%n",
                none,
                one[0],
                one[1],
                one[2],
                two[0],
                two[1],
                two[2]);
        assertThat(none).isGreaterThan(0.5);
        assertThat(one[2]).isLessThan(0.05);
        assertThat(two[0]).isLessThan(0.1);
    }

    /**
     * Share of 2,000 pairs counted as steps by the flat shape when the 128 compared coordinates are a
     * sample of runs of five neighbours of a 1,024-sample window ({@link StepSample}, stride 7 over the
     * blocks): two windows of a vibration as {@link #counted} draws them, or a random-size sign step
     * ({@code signs}: each coordinate's own; else one sign for the whole step, a level moved by random
     * sizes) taken from the first window.
     */
    static double countedOnRuns(long seed, boolean otherState, int step) {
        Random r = new UnsharedRandom(seed);
        int n = 128;
        int width = 1_024;
        SignSteps steps = new SignSteps(n);
        steps.inOrder(false);
        int hits = 0;
        for (int k = 0; k < 2_000; k++) {
            float[][] pair = windowPair(r, otherState, width);
            float[] a = pair[0];
            float[] b = pair[1];
            float[] parent = new float[n];
            float[] x = new float[n];
            double sign = r.nextBoolean() ? 1 : -1;
            for (int i = 0; i < n; i++) {
                int c = StepSample.coordinate(i, n, width, 3, 7);
                parent[i] = a[c];
                if (step == 0) {
                    x[i] = b[c];
                } else {
                    double s = step == 1 ? (r.nextBoolean() ? 1 : -1) : sign;
                    x[i] = (float) Math.max(0, Math.min(4_095, Math.rint(a[c] + s * 409.5 * 2 * r.nextDouble())));
                }
            }
            hits += steps.isStepScaled(x, parent, n, 0.02f, 4_095f, 0.5f, null) ? 1 : 0;
        }
        return hits / 2_000.0;
    }

    /**
     * Session 22, windows wider than the sample (the survey's 1,024-sample vibration monitors, 14 of
     * 19 flagged by {@code cross_key} and {@code prada} before): two windows of a vibration read on
     * runs of five are no steps (0.0035 of one state's pairs and 0.0005 of two states', against 0.1015
     * and 0.249 with the exemption off, measured as in {@link #windowsOfAVibrationAreNoFlatSteps});
     * random-size sign steps from a window are counted as with it off (1.0 with their own signs, 0.8455
     * with one sign for the whole step).
     */
    @Test
    void vibrationWindowsSampledInRunsAreNoFlatStepsAndRandomSizeStepsStillAre() {
        double oneState = countedOnRuns(31, false, 0);
        double twoStates = countedOnRuns(32, true, 0);
        double ownSigns = countedOnRuns(33, false, 1);
        double oneSign = countedOnRuns(34, false, 2);
        assertThat(oneState).isLessThan(0.01);
        assertThat(twoStates).isLessThan(0.01);
        assertThat(ownSigns).isGreaterThan(0.95);
        assertThat(oneSign).isGreaterThan(0.8);
    }

    /**
     * A displacement constant inside each run (a plain step whose signs change only between runs, or a
     * level) fits any recurrence with a tone at c = 1: the cosine bound keeps it out of the exemption.
     */
    @Test
    void movesConstantInsideRunsAreNoTones() {
        Random r = new UnsharedRandom(35);
        float[] parent = new float[128];
        float[] x = new float[128];
        for (int i = 0; i < 128; i++) {
            parent[i] = (float) (2_000 + 300 * r.nextGaussian());
        }
        for (int run = 0; run < 128; run += 5) {
            float s = r.nextBoolean() ? 409.5f : -409.5f;
            for (int j = run; j < Math.min(128, run + 5); j++) {
                x[j] = parent[j] + s;
            }
        }
        assertThat(new Tones(128).tonalRuns(x, parent, 128)).isFalse();
    }
}
