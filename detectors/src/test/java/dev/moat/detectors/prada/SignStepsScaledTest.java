package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SignSteps#isFlatScaled}, the flat shape over moves divided by the key's largest value per
 * coordinate (issue 9): random per-feature step sizes on coordinates whose ranges differ pass it and
 * fail the raw shapes; Gaussian noise of one size on those coordinates, and half-normal per-feature
 * sizes (an attacker who read it: noise-shaped magnitudes), do not pass.
 */
class SignStepsScaledTest {

    static final int N = 128;

    /** Per-coordinate ranges over three channels and positions (0.4 .. 16, as the wide digits' tints and edges). */
    static float[] ranges(Random r) {
        float[] range = new float[N];
        for (int i = 0; i < N; i++) {
            range[i] = (float) ((i % 3 == 0 ? 16 : i % 3 == 1 ? 11.2 : 6.4) * (0.1 + 0.9 * r.nextDouble()));
        }
        return range;
    }

    static float[] parent(Random r, float[] range) {
        float[] p = new float[N];
        for (int i = 0; i < N; i++) {
            p[i] = (float) (range[i] * (0.2 + 0.6 * r.nextDouble()));
        }
        return p;
    }

    @Test
    void randomPerFeatureSizesPassScaledOnly() {
        int scaledPass = 0;
        int rawPass = 0;
        for (int t = 0; t < 200; t++) {
            Random r = new UnsharedRandom(t);
            float[] range = ranges(r);
            float[] p = parent(r, range);
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                x[i] = (float) (p[i] + (r.nextBoolean() ? 1 : -1) * 0.1 * range[i] * 2 * r.nextDouble());
            }
            SignSteps s = new SignSteps(N);
            scaledPass += s.isFlatScaled(x, p, N, range, 0.02f, 0) ? 1 : 0;
            rawPass += s.isStepScaled(x, p, N, 0.02f, 16, 0, null) ? 1 : 0;
        }
        assertThat(scaledPass).isGreaterThan(190);
        assertThat(rawPass).isLessThan(20);
    }

    @Test
    void noiseOfOneSizeAndHalfNormalPerFeatureSizesFail() {
        int noise = 0;
        int halfNormal = 0;
        for (int t = 0; t < 200; t++) {
            Random r = new UnsharedRandom(1_000 + t);
            float[] range = ranges(r);
            float[] p = parent(r, range);
            float[] x = new float[N];
            float[] y = new float[N];
            for (int i = 0; i < N; i++) {
                x[i] = (float) (p[i] + 0.5 * r.nextGaussian());
                y[i] = (float) (p[i] + (r.nextBoolean() ? 1 : -1) * 0.1 * range[i] * Math.abs(r.nextGaussian()));
            }
            SignSteps s = new SignSteps(N);
            noise += s.isFlatScaled(x, p, N, range, 0.02f, 0) ? 1 : 0;
            halfNormal += s.isFlatScaled(y, p, N, range, 0.02f, 0) ? 1 : 0;
        }
        assertThat(noise).isLessThan(4);
        // an open hole: sizes shaped like noise are let through as noise (NarrowAndWideAdaptiveAttackersTest's bypass)
        assertThat(halfNormal).isLessThan(4);
    }
}
