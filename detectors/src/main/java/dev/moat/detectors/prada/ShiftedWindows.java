package dev.moat.detectors.prada;

/**
 * A window moved along its series is no sign step (issue 9, vibration sensors: monitors that send
 * consecutive 128-sample windows of a machine's vibration were flagged, 18 of 19, by the flat shape).
 * The flat shape's third exemption, after {@link Smoothness} and {@link NaturalPairs}: a query that
 * is its parent shifted by h coordinates, to within half the displacement, is the same signal read
 * later, not the parent plus a step.
 *
 * <p>Why it separates them. Two windows of one vibrating machine differ by a sine of the vibration's
 * frequency plus noise: every compared coordinate moves, by amounts spread as random-size steps'
 * are, and their local variations are more than half correlated, so neither the smooth nor the
 * two-records exemption applies. But the query read h samples later is the parent's signal again:
 * {@code x[t] - p[t + h]} is the noise alone. For a step s from its parent, {@code x[t] - p[t + h] =
 * p[t] - p[t + h] + s[t]}: at most half of |s| on most coordinates only if s cancels the parent's own
 * difference along the series, i.e. if the step is (mostly) the parent moved along it, whose answer
 * a customer gets by sending the next window. On flat regions (a digit's background) the residual
 * is |s| whatever the shift.
 *
 * <p>The test: over the pairs of compared coordinates off the extremes' band ({@link
 * NaturalPairs#edges}: clipped values of a saturated walk match at any shift), the median |x[t] - p[t]|
 * is the displacement's size; for each shift h (both ways) whose pairs (t, t + h) lie inside one run
 * of neighbouring coordinates (the whole array when it is the input in order, as for inputs of at
 * most {@code step_coordinates}; else the runs of {@value StepSample#RUN} of {@link StepSample},
 * which leave shifts of 1-2) the mean |x[t] - p[t + h]| over at least {@value #MIN_PAIRS} pairs; at
 * the shift of the smallest mean, a median residual of at most {@value #RESIDUAL} of the size is a
 * shifted window. Shifts up to half the run, so that at least half the window overlaps.
 *
 * <p>Measured (2026-11-29, {@code prada/ShiftedWindowsProbe}, PRADA alone, sample seed 7, 400 rows
 * a key, on the code before): the flat-shape steps of six vibration customers at 128 inputs ({@code
 * HonestDataShapesTest}'s sensor, counts or volts), 346 of 346 at a residual of 0.00-0.41 of the
 * size (median 0.18); plain and random-size JbDA on the same sensors, 91 steps, 0.75-1.24. Over
 * 1,500 rows and 12 customers PRADA then counted 548 steps, was 1,760 (89 since {@link
 * NaturalPairs}' balance of 0.4); the thieves' 36 and 275 were unchanged. Session 15 tried a shift test that asked the pairs to match within the stored row's
 * quantisation and found almost no shifts (206 of 16,422 step pairs): the series' own noise is
 * what the residual must allow. What a thief who read this can do: {@code
 * ShiftedWindowsTest.shiftedParentsPlusSmallStepsBypass}.
 *
 * <p>Cost: only after a flat shape passed and the displacement was rough and no two records: one
 * pass for the bands, one selection for the size, then about n/2 shifts each way over every
 * {@value #COARSE}th pair (3,000 absolute differences at 128 coordinates in order; every pair, 600, on a
 * sample of runs) and one selection at the best shift; no allocation (scratch from {@link SignSteps}).
 */
final class ShiftedWindows {

    /** The largest median residual, as a share of the displacement's median move, that reads as a shifted window. */
    static final double RESIDUAL = 0.5;
    /** At least this many pairs off the band, at the size and at a shift. */
    static final int MIN_PAIRS = 48;
    /** The shift search reads every this-many pair on runs longer than 2 MIN_PAIRS coordinates. */
    static final int COARSE = 4;

    private ShiftedWindows() {}

    /**
     * True if x[0..n) is parent[0..n) shifted along runs of {@code run} neighbouring coordinates (n:
     * the arrays are the input in order), within the residual (see the class comment); {@code a} and
     * {@code b} are scratch of at least n floats.
     */
    static boolean shifted(float[] x, float[] parent, int n, int run, float[] a, float[] b) {
        return residual(x, parent, n, run, a, b) <= RESIDUAL;
    }

    /** The median residual at the best shift over the displacement's median move; NaN when no shift has the pairs. */
    static double residual(float[] x, float[] parent, int n, int run, float[] a, float[] b) {
        // b is free until the selections below
        NaturalPairs.edges(x, parent, n, b);
        float xLow = b[0];
        float xHigh = b[1];
        float pLow = b[2];
        float pHigh = b[3];
        int m = 0;
        for (int t = 0; t < n; t++) {
            if (x[t] > xLow && x[t] < xHigh && parent[t] > pLow && parent[t] < pHigh) {
                a[m++] = Math.abs(x[t] - parent[t]);
            }
        }
        if (m < MIN_PAIRS) {
            return Double.NaN;
        }
        float size = FloatOrder.select(a, b, m, m / 2);
        if (!(size > 0)) {
            return Double.NaN;
        }
        int span = Math.max(1, Math.min(run, n));
        int maxShift = span / 2;
        // the search reads every COARSE-th pair along a long run (the best shift of a shifted window
        // leaves the noise alone, far under any other's residual); the chosen shift is then read whole
        int every = span > 2 * MIN_PAIRS ? COARSE : 1;
        double bestMean = Double.POSITIVE_INFINITY;
        int best = 0;
        for (int h = 1; h <= maxShift; h++) {
            for (int sign = -1; sign <= 1; sign += 2) {
                int shift = sign * h;
                double sum = 0;
                int pairs = 0;
                for (int base = 0; base < n; base += span) {
                    int end = Math.min(n, base + span);
                    for (int t = Math.max(base, base - shift); t < Math.min(end, end - shift); t += every) {
                        float xt = x[t];
                        float pu = parent[t + shift];
                        if (xt > xLow && xt < xHigh && pu > pLow && pu < pHigh) {
                            sum += Math.abs(xt - pu);
                            pairs++;
                        }
                    }
                }
                if (pairs * every >= MIN_PAIRS && sum < bestMean * pairs) {
                    bestMean = sum / pairs;
                    best = shift;
                }
            }
        }
        if (best == 0) {
            return Double.NaN;
        }
        m = 0;
        for (int base = 0; base < n; base += span) {
            int end = Math.min(n, base + span);
            for (int t = Math.max(base, base - best); t < Math.min(end, end - best); t++) {
                float xt = x[t];
                float pu = parent[t + best];
                if (xt > xLow && xt < xHigh && pu > pLow && pu < pHigh) {
                    a[m++] = Math.abs(xt - pu);
                }
            }
        }
        // the coarse count only estimated the pairs: the shift read whole must have them too
        return m < MIN_PAIRS ? Double.NaN : FloatOrder.select(a, b, m, m / 2) / size;
    }
}
