package dev.moat.detectors.prada;

/**
 * Displacements that are mostly two tones are no sign steps (issue 9, vibration sensors): the flat
 * shape's fourth exemption, after the smooth one ({@link Smoothness}), two records ({@link
 * NaturalPairs}) and shifted windows ({@link ShiftedWindows}). Two windows of a vibrating machine's
 * series differ by the difference of two sines of its period (another phase, another amplitude) plus
 * the sensor's noise, or, from another state, by two sines of two periods. Every sampled coordinate
 * moves, the magnitudes of a sine crowd at its peak (crest 1.4, under the flat shape's Gaussian
 * limit), and a period under about eight samples is too rough for the smooth exemption, so the flat
 * shape took such pairs for random-size steps: on the survey's 128-sample vibration windows
 * ({@code HonestDataShapesTest}, sensor 128) 17 of 19 customers were flagged, by {@code prada} and
 * by {@code cross_key}. Measured there (session 22, a trace of every pair counted as a step): of the
 * honest pairs the flat shape counted, 93-94% have at most {@value #RESIDUAL} of their energy (about
 * their mean) left once two tones are fitted and taken out (median 2%); of the random-size JbDA
 * steps counted on the same windows, none (10th percentile 56%, median 82%).
 *
 * <p>The test, for n compared coordinates in input order ({@link #tonal}; a sample of runs of five
 * neighbours has its own, {@link #tonalRuns}): d = x - parent, less its mean; it must be periodic first (its
 * autocorrelation at some lag of 1 to n/2 at least {@value #PERIODIC}, the gate that keeps the cost
 * off everything else); then twice: the strongest frequency on the grid of the n-point DFT (a
 * Goertzel pass for each of the n/2 frequencies), refined between its neighbours by a ternary search
 * on the same power, fitted by least squares (cosine, sine and a constant) and taken out. The
 * displacement is tonal when what is left holds at most {@value #RESIDUAL} of the energy.
 *
 * <p>What it lets a thief do: steps along two tones at a time (any frequencies) are not counted by the
 * flat shape. Such a step moves the query along four directions of n, where a sign step moves it
 * along all of them; the smooth exemption already lets low tones through (detectors/README.md, "What
 * each detector cannot see"). A sign step on windows whose nearest stored row is a sibling (another
 * child of the same step pattern) is their difference, the windows' tones: not counted either, as it
 * was never the step that was seen.
 *
 * <p>Cost: the periodic gate is at most n^2/2 multiply-adds, stopping at the first periodic lag; two
 * tones cost about n^2 + 40 n more (about 17,000 multiply-adds at 128), paid only by displacements
 * that already passed the flat shape, its centred twin and the other exemptions, and are periodic. On
 * runs, one pass (about 30 multiply-adds a run).
 */
final class Tones {

    /** The share of the displacement's energy two tones may leave for it to be tonal. */
    static final double RESIDUAL = 0.15;
    /** The autocorrelation at some lag that makes a displacement periodic (also the even shape's rule). */
    static final double PERIODIC = SignSteps.PERIODIC;
    /** Tones fitted and taken out. */
    static final int TONES = 2;
    /** Ternary-search rounds refining a tone's frequency between its DFT neighbours. */
    static final int REFINE = 12;
    /** Fewest coordinates to judge. */
    static final int MIN_N = 16;

    private final double[] r;

    Tones(int dims) {
        this.r = new double[dims];
    }

    /** True if x[0..n) - parent[0..n), in input order, is periodic and mostly two tones (class comment). */
    boolean tonal(float[] x, float[] parent, int n) {
        if (n < MIN_N) {
            return false;
        }
        double[] r = this.r;
        double energy = centred(x, parent, null, n);
        if (!(energy > 0) || !periodic(r, n, energy)) {
            return false;
        }
        double left = energy;
        for (int k = 0; k < TONES; k++) {
            left = takeOut(r, n, strongest(r, n));
        }
        return left <= RESIDUAL * energy;
    }

    /**
     * The even shape's periodic rule ({@code SignSteps#periodic}): whether the signed moves of the
     * coordinates that {@code kept} holds a move for (positive; the others count as 0), less their
     * mean, are periodic.
     */
    boolean periodicMoves(float[] x, float[] parent, float[] kept, int n) {
        double energy = centred(x, parent, kept, n);
        return energy > 0 && periodic(r, n, energy);
    }

    /**
     * The signed moves x - parent into {@link #r}, less their mean, and their energy (sum of squares);
     * with {@code kept}, a coordinate it holds no positive move for counts as 0 (the even shape's moves
     * left after far and stuck ones are dropped, taken as the floats' difference, as that shape took
     * them; without, in double).
     */
    private double centred(float[] x, float[] parent, float[] kept, int n) {
        double[] r = this.r;
        double mean = 0;
        for (int i = 0; i < n; i++) {
            double v = kept == null ? (double) x[i] - parent[i] : kept[i] > 0 ? x[i] - parent[i] : 0f;
            r[i] = v;
            mean += v;
        }
        mean /= n;
        double energy = 0;
        for (int i = 0; i < n; i++) {
            double v = r[i] - mean;
            r[i] = v;
            energy += v * v;
        }
        return energy;
    }

    /** Whether the centred d[0..n) of the given energy correlates with itself by PERIODIC at a lag of 1 to n/2. */
    static boolean periodic(double[] d, int n, double energy) {
        for (int lag = 1; lag <= n / 2; lag++) {
            double c = 0;
            for (int i = 0, end = n - lag; i < end; i++) {
                c += d[i] * d[i + lag];
            }
            if (Math.abs(c) * n >= PERIODIC * energy * (n - lag)) {
                return true;
            }
        }
        return false;
    }

    /** The frequency (cycles a coordinate, in (0, 1/2]) of r's strongest tone: the DFT grid's best, refined. */
    static double strongest(double[] r, int n) {
        int best = 1;
        double bestPower = -1;
        for (int j = 1; j <= n / 2; j++) {
            double p = power(r, n, (double) j / n);
            if (p > bestPower) {
                bestPower = p;
                best = j;
            }
        }
        double lo = (best - 1.0) / n;
        double hi = Math.min(0.5, (best + 1.0) / n);
        lo = Math.max(lo, 0.5 / n);
        for (int i = 0; i < REFINE; i++) {
            double a = lo + (hi - lo) / 3;
            double b = hi - (hi - lo) / 3;
            if (power(r, n, a) < power(r, n, b)) {
                lo = a;
            } else {
                hi = b;
            }
        }
        return (lo + hi) / 2;
    }

    /** |sum r_t e^(-2 pi i f t)|^2 by Goertzel's recurrence. */
    static double power(double[] r, int n, double f) {
        double coeff = 2 * Math.cos(2 * Math.PI * f);
        double s1 = 0;
        double s2 = 0;
        for (int t = 0; t < n; t++) {
            double s = r[t] + coeff * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        return s1 * s1 + s2 * s2 - coeff * s1 * s2;
    }

    /**
     * Fits {@code a cos(2 pi f t) + b sin(2 pi f t) + c} to r[0..n) by least squares, subtracts it
     * and returns the energy left. The cosines and sines come from a rotation (double precision over at
     * most a few thousand steps); the 3x3 normal equations are solved by Cramer's rule, and a singular
     * system (f at 0 or 1/2, where the sine vanishes) fits the cosine and constant alone.
     */
    static double takeOut(double[] r, int n, double f) {
        double cw = Math.cos(2 * Math.PI * f);
        double sw = Math.sin(2 * Math.PI * f);
        double cc = 0, ss = 0, cs = 0, c1 = 0, s1 = 0, rc = 0, rs = 0, r1 = 0;
        double c = 1;
        double s = 0;
        for (int t = 0; t < n; t++) {
            double v = r[t];
            cc += c * c;
            ss += s * s;
            cs += c * s;
            c1 += c;
            s1 += s;
            rc += v * c;
            rs += v * s;
            r1 += v;
            double next = c * cw - s * sw;
            s = s * cw + c * sw;
            c = next;
        }
        // | cc cs c1 | |a|   |rc|
        // | cs ss s1 | |b| = |rs|
        // | c1 s1 n  | |k|   |r1|
        double det = cc * (ss * n - s1 * s1) - cs * (cs * n - s1 * c1) + c1 * (cs * s1 - ss * c1);
        double a;
        double b;
        double k;
        if (ss > 1e-6 * n && det != 0) {
            a = (rc * (ss * n - s1 * s1) - cs * (rs * n - s1 * r1) + c1 * (rs * s1 - ss * r1)) / det;
            b = (cc * (rs * n - r1 * s1) - rc * (cs * n - s1 * c1) + c1 * (cs * r1 - rs * c1)) / det;
            k = (cc * (ss * r1 - s1 * rs) - cs * (cs * r1 - c1 * rs) + rc * (cs * s1 - ss * c1)) / det;
        } else {
            double d2 = cc * n - c1 * c1;
            a = d2 > 0 ? (rc * n - c1 * r1) / d2 : 0;
            b = 0;
            k = (r1 - a * c1) / n;
        }
        double left = 0;
        c = 1;
        s = 0;
        for (int t = 0; t < n; t++) {
            double v = r[t] - a * c - b * s - k;
            r[t] = v;
            left += v * v;
            double next = c * cw - s * sw;
            s = s * cw + c * sw;
            c = next;
        }
        return left;
    }

    /**
     * The exemption on a sample of runs of five ({@link StepSample#RUN}) neighbouring coordinates ({@link
     * StepSample}: windows wider than the sample, whose runs lie at a secret stride, so no frequency
     * can be searched over the whole vector). A sum of two tones of any phases and amplitudes obeys,
     * at every point, the symmetric linear recurrence {@code d[t-2] + d[t+2] = a (d[t-1] + d[t+1]) +
     * b d[t]} with {@code a = 2(c1 + c2)}, {@code b = -(2 + 4 c1 c2)}, {@code c = cos(2 pi f)} for each
     * tone (Prony's linear prediction), one equation per run; one tone obeys {@code d[t-1] + d[t+1] =
     * 2 c d[t]}, three equations per run. Either is fitted by least squares with a constant (an offset
     * between the windows), and the displacement is tonal when what is left of its left side holds at
     * most {@value #RESIDUAL} of that side's energy and every fitted tone is neither near 0 (a move
     * constant or smooth inside the runs fits any recurrence with a root at c = 1: smooth displacements
     * and a plain step whose signs do not change inside a run are not tones) nor near the Nyquist
     * frequency: {@code c} within [{@value #C_LOW}, {@value #C_HIGH}], periods of about 2.1 to 16
     * samples (longer ones are the smooth exemption's). Costs one pass over the runs, about 30
     * multiply-adds a run, no search.
     */
    boolean tonalRuns(float[] x, float[] parent, int n) {
        int run = StepSample.RUN; // the recurrences below read five neighbours: d[t-2] .. d[t+2]
        int runs = n / run;
        if (runs < MIN_RUNS) {
            return false;
        }
        // one tone: d[j-1] + d[j+1] = a d[j] + k over j = 1..3 of every run
        double syy = 0, sy = 0, sxx = 0, sx = 0, sxy = 0;
        int m = 0;
        for (int r = 0; r < runs; r++) {
            int b = r * run;
            for (int j = 1; j <= 3; j++) {
                double y = ((double) x[b + j - 1] - parent[b + j - 1]) + ((double) x[b + j + 1] - parent[b + j + 1]);
                double v = (double) x[b + j] - parent[b + j];
                syy += y * y;
                sy += y;
                sxx += v * v;
                sx += v;
                sxy += v * y;
                m++;
            }
        }
        double sst = syy - sy * sy / m;
        double vx = sxx - sx * sx / m;
        if (!(sst > 0)) {
            return false;
        }
        if (vx > 0) {
            double a = (sxy - sx * sy / m) / vx;
            double sse = sst - a * (sxy - sx * sy / m);
            if (sse <= RESIDUAL * sst && a / 2 >= C_LOW && a / 2 <= C_HIGH) {
                return true;
            }
        }
        // two tones: d[0] + d[4] = a (d[1] + d[3]) + b d[2] + k, once a run
        double s11 = 0, s12 = 0, s22 = 0, s1 = 0, s2 = 0, sy1 = 0, sy2 = 0;
        syy = 0;
        sy = 0;
        for (int r = 0; r < runs; r++) {
            int b = r * run;
            double y = ((double) x[b] - parent[b]) + ((double) x[b + 4] - parent[b + 4]);
            double z1 = ((double) x[b + 1] - parent[b + 1]) + ((double) x[b + 3] - parent[b + 3]);
            double z2 = (double) x[b + 2] - parent[b + 2];
            syy += y * y;
            sy += y;
            s11 += z1 * z1;
            s12 += z1 * z2;
            s22 += z2 * z2;
            s1 += z1;
            s2 += z2;
            sy1 += y * z1;
            sy2 += y * z2;
        }
        // centred sums (the constant taken out)
        double c11 = s11 - s1 * s1 / runs;
        double c12 = s12 - s1 * s2 / runs;
        double c22 = s22 - s2 * s2 / runs;
        double cy1 = sy1 - sy * s1 / runs;
        double cy2 = sy2 - sy * s2 / runs;
        double cyy = syy - sy * sy / runs;
        double det = c11 * c22 - c12 * c12;
        if (!(cyy > 0) || !(det > 1e-12 * c11 * c22)) {
            return false;
        }
        double a = (cy1 * c22 - cy2 * c12) / det;
        double b = (cy2 * c11 - cy1 * c12) / det;
        double sse = cyy - a * cy1 - b * cy2;
        if (!(sse <= RESIDUAL * cyy)) {
            return false;
        }
        // the tones' cosines: the roots of c^2 - (a / 2) c + (-b - 2) / 4
        double half = a / 4;
        double disc = half * half - (-b - 2) / 4;
        if (disc < 0) {
            return false;
        }
        double root = Math.sqrt(disc);
        double lo = half - root;
        double hi = half + root;
        return lo >= C_LOW && hi <= C_HIGH;
    }

    /** Fewest runs to fit (three unknowns a run equation apiece). */
    static final int MIN_RUNS = 12;

    /** The lowest tone cosine accepted (a period of about 2.1 samples). */
    static final double C_LOW = -0.95;

    /** The highest tone cosine accepted (a period of about 16 samples: longer ones are smooth). */
    static final double C_HIGH = 0.92;
}
