package dev.moat.detectors.prada;

import dev.moat.detectors.internal.Rows;
import java.util.SplittableRandom;

/**
 * The layout of the sign-step test's sample of raw coordinates of a wide input (PRADA's per-key
 * {@code step_coordinates}, {@code cross_key}'s per-width {@code coordinates}): runs of {@value #RUN}
 * consecutive coordinates, the runs at a secret random offset and a secret stride (coprime with the
 * number of blocks of {@value #RUN}) over the input's blocks, so that entries {@code 5k..5k+4} of the
 * sample are neighbours in the input's layout (issue 9, smooth displacements: {@link Smoothness}
 * compares neighbouring moves at lags 1-4, which a sample of scattered coordinates cannot). Distinct
 * coordinates (blocks never overlap). When the sample is the whole input, it is the input in order.
 */
final class StepSample {

    /** Consecutive coordinates per run; also what {@link Smoothness} takes as a run of neighbours. */
    static final int RUN = 5;

    private StepSample() {}

    /** Whether a sample of {@code size} of {@code n} coordinates is the input itself, in order. */
    static boolean whole(int size, int n) {
        return size >= n;
    }

    /** The runs' offset within a block: from the drawn start, small enough for every run to fit. */
    static int offset(int size, int n, int start) {
        int runs = (size + RUN - 1) / RUN;
        int spare = n - runs * RUN; // >= 0 when the sample is not whole and holds at most n / RUN runs
        return spare <= 0 ? 0 : start % Math.min(RUN, spare + 1);
    }

    /** How many blocks of RUN coordinates, from the offset, the input holds. */
    static int blocks(int size, int n, int start) {
        return Math.max(1, (n - offset(size, n, start)) / RUN);
    }

    /** Draws the stride over the blocks (coprime with their count, so the runs are distinct). */
    static int stride(SplittableRandom sampler, int size, int n, int start) {
        return Rows.coprimeStride(sampler, blocks(size, n, start));
    }

    /** Whether runs fit at all (else the sample is {@code size} consecutive coordinates from start, wrapping). */
    private static boolean runsFit(int size, int n) {
        return (size + RUN - 1) / RUN * RUN <= n;
    }

    /** The input coordinate of sample entry i. */
    static int coordinate(int i, int size, int n, int start, int stride) {
        if (whole(size, n)) {
            return i;
        }
        if (!runsFit(size, n)) {
            return (start + i) % n;
        }
        int b = blocks(size, n, start);
        long block = (start / RUN % b + (long) (i / RUN) * stride) % b;
        return offset(size, n, start) + (int) block * RUN + i % RUN;
    }

    /** input's sampled coordinates into out[0..size) as floats (a coordinate past the input reads 0). */
    static void gather(double[] input, float[] out, int size, int n, int start, int stride) {
        if (whole(size, n) || !runsFit(size, n)) {
            for (int i = 0; i < size; i++) {
                int j = whole(size, n) ? i : (start + i) % n;
                out[i] = j < input.length ? (float) input[j] : 0f;
            }
            return;
        }
        int b = blocks(size, n, start);
        int off = offset(size, n, start);
        int block = start / RUN % b;
        int i = 0;
        while (i < size) {
            int base = off + block * RUN;
            int end = Math.min(size, i + RUN);
            if (base + RUN <= input.length) {
                for (int k = base; i < end; i++, k++) {
                    out[i] = (float) input[k];
                }
            } else {
                for (int k = base; i < end; i++, k++) {
                    out[i] = k < input.length ? (float) input[k] : 0f;
                }
            }
            block += stride;
            if (block >= b) {
                block -= b;
            }
        }
    }
}
