package dev.moat.detectors.prada;

/**
 * The limits {@link SignSteps}' flat and even shapes judge a displacement by, each the level Gaussian
 * noise of that many moves (an honest client re-sending a record with fresh sensor noise) reaches
 * with small probability: the flat shape's crest limit ({@link #crestLimit}) and the even shape's
 * count ({@link #evenCount}). Tables computed once, when the class loads; read by {@link SignSteps}
 * on every flat or even judgement.
 */
final class NoiseLimits {

    private NoiseLimits() {}

    /** Gaussian noise with n moved coordinates passes the flat shape's crest limit with this probability. */
    static final double FLAT_NOISE_PASS = 0.005;

    /** The crest limit never exceeds this (uniform sizes from 0 have crest factor sqrt(3) = 1.73). */
    static final double MAX_CREST_CAP = 2.2;

    /** CREST_LIMIT[n]: the largest of n half-normal magnitudes is below this many sigmas with probability FLAT_NOISE_PASS. */
    private static final float[] CREST_LIMIT = crestLimits(4096);

    /**
     * Gaussian noise with n moved coordinates passes the even shape's count with at most this
     * probability, as the flat shape's crest ({@value #FLAT_NOISE_PASS}).
     */
    static final double EVEN_NOISE_PASS = 0.005;

    /**
     * EVEN_COUNT[n]: the fewest of n moves at or over half the largest that n Gaussian magnitudes
     * reach with probability at most {@value #EVEN_NOISE_PASS} ({@link #evenCounts}).
     */
    private static final int[] EVEN_COUNT = evenCounts(SignSteps.FLAT_MIN_MOVED - 1);

    /**
     * The even shape's count for n moves ({@link SignSteps#even}); n from {@value
     * SignSteps#EVEN_MIN_MOVED} to {@value SignSteps#FLAT_MIN_MOVED} - 1 (0 below).
     */
    static int evenCount(int n) {
        return EVEN_COUNT[n];
    }

    /**
     * For each n, the least c with P(C >= c) <= {@value #EVEN_NOISE_PASS}, where C is how many of n
     * independent standard half-normal magnitudes are at least half their largest M: given M = m the
     * other n - 1 are half-normal below m, each at least m / 2 with probability p(m) = (F(m) - F(m /
     * 2)) / F(m) (F the half-normal CDF), so P(C >= c) = integral of n f(m) F(m)^(n-1) P(Binomial(n
     * - 1, p(m)) >= c - 1) dm, taken by the midpoint rule over m in (0, 10) in steps of 1/100.
     * Checked against scipy in {@code SignStepsEvenTest}.
     */
    static int[] evenCounts(int max) {
        int[] out = new int[max + 1];
        int steps = 1_000;
        double h = 10.0 / steps;
        double[] weight = new double[steps];
        double[] p = new double[steps];
        double[] cdf = new double[steps];
        for (int k = 0; k < steps; k++) {
            double m = (k + 0.5) * h;
            double f = 2 * Math.exp(-0.5 * m * m) / Math.sqrt(2 * Math.PI);
            double big = 2 * dev.moat.detectors.stats.Normal.cdf(m) - 1;
            double halfway = 2 * dev.moat.detectors.stats.Normal.cdf(m / 2) - 1;
            cdf[k] = big;
            weight[k] = f * h;
            p[k] = big > 0 ? (big - halfway) / big : 0;
        }
        double[] tail = new double[max + 2];
        double[] pmf = new double[max + 1];
        for (int n = SignSteps.EVEN_MIN_MOVED; n <= max; n++) {
            java.util.Arrays.fill(tail, 0);
            for (int k = 0; k < steps; k++) {
                double density = n * weight[k] * Math.pow(cdf[k], n - 1);
                if (density == 0) {
                    continue;
                }
                // Binomial(n - 1, p) pmf, then its upper tails: tail[c] += density * P(B >= c - 1)
                double q = p[k];
                java.util.Arrays.fill(pmf, 0);
                pmf[0] = 1;
                for (int t = 1; t < n; t++) {
                    for (int j = t; j > 0; j--) {
                        pmf[j] = pmf[j] * (1 - q) + pmf[j - 1] * q;
                    }
                    pmf[0] *= 1 - q;
                }
                double acc = 0;
                for (int j = n - 1; j >= 0; j--) {
                    acc += pmf[j];
                    tail[j + 1] += density * acc;
                }
            }
            int c = n + 1;
            while (c > 1 && tail[c - 1] <= EVEN_NOISE_PASS) {
                c--;
            }
            out[n] = c;
        }
        return out;
    }

    /**
     * The flat shape's crest limit for n unclipped moved coordinates: the level the largest of n
     * Gaussian magnitudes stays below with probability {@value #FLAT_NOISE_PASS} (1.62 at 48, 1.75 at
     * 64, 1.93 at 96, 2.05 at 128), at most {@value #MAX_CREST_CAP}.
     */
    static double crestLimit(int n) {
        return CREST_LIMIT[Math.min(n, CREST_LIMIT.length - 1)];
    }

    private static float[] crestLimits(int max) {
        float[] out = new float[max + 1];
        for (int n = 1; n <= max; n++) {
            // P(|Z| < c)^n = p  =>  c = quantile((1 + p^(1/n)) / 2)
            double perCoordinate = Math.pow(FLAT_NOISE_PASS, 1.0 / n);
            double c = dev.moat.detectors.stats.Normal.quantile((1 + perCoordinate) / 2);
            out[n] = (float) Math.min(MAX_CREST_CAP, Math.max(1.0, c));
        }
        return out;
    }
}
