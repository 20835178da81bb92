package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The smooth-displacement rule ({@link Smoothness}) seen from an attacker who has read it: a step
 * whose sign and size are constant over blocks of L consecutive input coordinates (a block-averaged
 * gradient sign, one random size per block) has roughness about 1/L at lag 1 (a jump only at block
 * boundaries), so from L = 7 on it passes as smooth on any model, not only on models whose gradient
 * is smooth. The equal shape does not see it (sizes differ by block) and the repeat shape does not
 * (sizes drawn per query). This pins the bypass; what the attacker pays is his step's resolution: the
 * gradient's sign averaged over L coordinates (detectors/README.md, "What each detector cannot see").
 */
class BlockConstantStepTest {

    /** Whether the flat shape's smoothness rule ({@link Smoothness#smooth}) exempts the step. */
    private static boolean smoothBlockStep(int width, int block, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] parent = new double[width];
        double[] child = new double[width];
        double size = 0;
        double sign = 1;
        for (int j = 0; j < width; j++) {
            parent[j] = 100 + 50 * r.nextDouble();
            if (j % block == 0) {
                size = 0.5 + r.nextDouble(); // U(0.5, 1.5) per block
                sign = r.nextBoolean() ? 1 : -1;
            }
            child[j] = parent[j] + 10 * sign * size;
        }
        int m = 128;
        int start = r.nextInt(width);
        int stride = StepSample.stride(new SplittableRandom(seed + 1), m, width, start);
        float[] xs = new float[m];
        float[] ps = new float[m];
        StepSample.gather(child, xs, m, width, start, stride);
        StepSample.gather(parent, ps, m, width, start, stride);
        return Smoothness.smooth(xs, ps, m, new float[m]);
    }

    @Test
    void stepsConstantOverBlocksOfSevenOrMorePassAsSmoothBypass() {
        for (long seed = 1; seed <= 20; seed++) {
            // blocks of one coordinate: an ordinary random-size step, rough
            assertThat(smoothBlockStep(3_072, 1, seed)).as("seed %d", seed).isFalse();
        }
        int smooth = 0;
        for (long seed = 1; seed <= 20; seed++) {
            if (smoothBlockStep(3_072, 16, seed)) {
                smooth++;
            }
        }
        // the bypass, pinned: blocks of 16 are taken for a smooth signal nearly always
        assertThat(smooth).isGreaterThanOrEqualTo(18);
    }
}
