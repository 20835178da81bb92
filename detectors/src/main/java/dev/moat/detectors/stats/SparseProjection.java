package dev.moat.detectors.stats;

import java.util.SplittableRandom;

/**
 * A seeded very sparse random projection from d to k dimensions (P. Li, T. Hastie, K. Church,
 * "Very Sparse Random Projections", KDD 2006): each entry is {@code +-sqrt(s/k)} with probability
 * {@code 1/(2s)} each and 0 otherwise, with {@code s = sqrt(d)}. Distances are preserved like a
 * Gaussian projection's (Johnson-Lindenstrauss) for inputs whose energy is not concentrated in a few
 * coordinates, at about {@code k * sqrt(d)} additions instead of {@code k * d} multiply-adds: 3,500
 * instead of 196,000 for 3,072 inputs into 64. Immutable and thread-safe.
 */
public final class SparseProjection {

    private final int inDims;
    private final int outDims;
    /** Row j's non-zero input indices are index[start[j]..start[j+1]), ascending, with signs sign[...]. */
    private final int[] start;

    private final int[] index;
    /** +1 or -1 per entry of {@link #index}: multiplying by it is exact, and unlike a branch on a random sign bit it is never mispredicted. */
    private final double[] sign;

    private final double scale;

    public SparseProjection(int inDims, int outDims, long seed) {
        if (inDims < 1 || outDims < 1) {
            throw new IllegalArgumentException("dims: " + inDims + " -> " + outDims + " (expected: positive)");
        }
        this.inDims = inDims;
        this.outDims = outDims;
        double s = Math.max(1, Math.sqrt(inDims));
        this.scale = Math.sqrt(s / outDims);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] idx = new int[Math.max(16, (int) (outDims * inDims / s * 1.5) + 16)];
        this.start = new int[outDims + 1];
        int n = 0;
        for (int j = 0; j < outDims; j++) {
            start[j] = n;
            int before = n;
            for (int i = 0; i < inDims; i++) {
                double u = rnd.nextDouble();
                if (u < 1 / s) {
                    if (n == idx.length) {
                        idx = java.util.Arrays.copyOf(idx, idx.length * 2);
                    }
                    idx[n++] = u < 0.5 / s ? i : i | Integer.MIN_VALUE;
                }
            }
            if (n == before) {
                // an empty row would project everything to 0: give it one coordinate
                if (n == idx.length) {
                    idx = java.util.Arrays.copyOf(idx, idx.length * 2);
                }
                idx[n++] = rnd.nextInt(inDims);
            }
        }
        start[outDims] = n;
        this.index = new int[n];
        this.sign = new double[n];
        for (int p = 0; p < n; p++) {
            index[p] = idx[p] & Integer.MAX_VALUE;
            sign[p] = idx[p] < 0 ? -1 : 1;
        }
    }

    public int inDims() {
        return inDims;
    }

    public int outDims() {
        return outDims;
    }

    /** out[0..k) = R x; x shorter than d is zero-padded. */
    public void project(double[] x, double[] out) {
        int len = x.length;
        for (int j = 0; j < outDims; j++) {
            double sum = 0;
            // bit for bit the sum of x[i] or -x[i] in the same order (x * -1 is exact), without a
            // branch on the random sign (JMH at 3,072 inputs: engine 27.0 -> 24-25.5 us per event)
            for (int p = start[j], end = start[j + 1]; p < end; p++) {
                int i = index[p];
                if (i < len) {
                    sum += x[i] * sign[p];
                }
            }
            out[j] = sum * scale;
        }
    }
}
