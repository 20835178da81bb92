package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The flat shape's centred twin (issue 9, smooth3; {@code SignSteps.centredFlat}), on 128 compared
 * coordinates of values 40-200 (no clipping), 400 displacements each, through both the keyed path
 * ({@code isStepKeyed}, PRADA's nearest member) and {@code isStepScaled}: a common offset plus noise
 * (an image's background level or exposure, re-sent with sensor noise) is no step; steps a
 * thief who read the rule might send are, except the two pinned as open.
 */
class CentredFlatShapeTest {

    static final int N = 128;
    static final int TRIALS = 400;

    interface Move {
        float at(Random r);
    }

    /** How many of TRIALS displacements {@code x = parent + move} count as steps (fast path, slow path). */
    static int[] steps(long seed, Move move) {
        Random r = new UnsharedRandom(seed);
        SignSteps fast = new SignSteps(N);
        SignSteps slow = new SignSteps(N);
        int[] n = new int[2];
        for (int t = 0; t < TRIALS; t++) {
            float[] parent = new float[N];
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                parent[i] = 40 + 160 * r.nextFloat();
                x[i] = parent[i] + move.at(r);
            }
            n[0] += fast.isStepKeyed(x, parent, N, 0.02f, 255f, 0f, null) ? 1 : 0;
            n[1] += slow.isStepScaled(x, parent, N, 0.02f, 255f, 0f, null) ? 1 : 0;
        }
        return n;
    }

    /**
     * The bug (smooth-784 keys flagged): an offset of 2.2 noise sigmas (11 grey levels, noise 5) has
     * moves of mostly one sign whose magnitudes have a crest factor of about 2.0, under the flat
     * shape's limit (2.05 at 128 moves), and is rough (0.17 about 0): before, most such displacements
     * were steps. Now about the Gaussian noise's pass rate (0.5 %). A larger offset (15, noise 5) was
     * smooth about 0 (0.10) and no step before either; now it is rough about its mean and fails the
     * centred crest.
     */
    @Test
    void offsetPlusNoiseIsNoStep() {
        int[] rough = steps(1, r -> (float) (11 + 5 * r.nextGaussian()));
        int[] smooth = steps(7, r -> (float) (15 + 5 * r.nextGaussian()));
        System.out.printf(
                "offset + noise 5: offset 11 steps %d / %d, offset 15 %d / %d of %d%n",
                rough[0], rough[1], smooth[0], smooth[1], TRIALS);
        assertThat(rough[0]).isEqualTo(rough[1]).isLessThanOrEqualTo(TRIALS / 50);
        assertThat(smooth[0]).isEqualTo(smooth[1]).isLessThanOrEqualTo(TRIALS / 50);
    }

    /**
     * Open (documented in detectors/README.md, found here): a thief adds a common offset over the
     * steps' spread to random-size steps (sizes U(0, 2) * 10, random signs, offset 30). The centred
     * twin takes them (the moves less the offset are the uniform step), but {@code Smoothness}
     * measures roughness about 0, where an offset makes any displacement smooth (0.13 here), so they
     * are no steps, before and after. Measuring it about the mean when the offset dominates took
     * 392 of 400, but flagged an honest series key through the engine (windows at another level of a
     * series with a short seasonal period: a sinusoid's crest about the offset) and was dropped.
     * Asserted as measured, so that a change shows.
     */
    @Test
    void offsetPlusRandomSizeStepsBypass() {
        int[] n = steps(2, r -> 30 + 10 * 2 * r.nextFloat() * (r.nextBoolean() ? 1 : -1));
        System.out.printf("offset 30 + random-size step 10: steps %d / %d of %d%n", n[0], n[1], TRIALS);
        assertThat(n[0]).isEqualTo(n[1]);
        assertThat(n[0]).as("closed? update detectors/README.md").isLessThanOrEqualTo(TRIALS / 50);
    }

    /**
     * A step whose moves share one sign (clipping at a bound leaves only the moves away from it):
     * sizes U(0, 2) * 10 all up; the offset (their mean) exceeds the spread about it, and the moves
     * less it are flat. Still steps.
     */
    @Test
    void oneSignedRandomSizeStepsAreSteps() {
        int[] wide = steps(3, r -> 10 * 2 * r.nextFloat());
        int[] narrow = steps(4, r -> 10 * (0.5f + r.nextFloat()));
        System.out.printf(
                "one-signed random-size steps: U(0,2) %d / %d, U(0.5,1.5) %d / %d of %d%n",
                wide[0], wide[1], narrow[0], narrow[1], TRIALS);
        assertThat(wide[0]).isEqualTo(wide[1]).isGreaterThanOrEqualTo(TRIALS * 9 / 10);
        // U(0.5, 1.5) of one sign is smooth about 0 (roughness 0.08) and no step, before and after: the
        // near-equal sizes on wide sign regions of "Smooth steps on a model with a smooth gradient"
        assertThat(narrow[0]).isEqualTo(narrow[1]);
    }

    /**
     * Open (documented in detectors/README.md): Gaussian-size steps {@code lambda * s_j * |z_j|} on
     * top of a common offset over their spread are an offset plus noise to the flat shape. Without the
     * offset, Gaussian sizes already fail its crest (half-normal magnitudes), so the thief gains
     * nothing the Gaussian sizes did not already give; asserted as measured.
     */
    @Test
    void gaussianSizeStepsOnAnOffsetBypass() {
        int[] off = steps(5, r -> (float) (30 + 10 * Math.abs(r.nextGaussian()) * (r.nextBoolean() ? 1 : -1)));
        int[] none = steps(6, r -> (float) (10 * Math.abs(r.nextGaussian()) * (r.nextBoolean() ? 1 : -1)));
        System.out.printf(
                "gaussian-size steps: on offset 30 %d / %d, no offset %d / %d of %d%n",
                off[0], off[1], none[0], none[1], TRIALS);
        assertThat(off[0]).isLessThanOrEqualTo(TRIALS / 50);
        assertThat(none[0]).isLessThanOrEqualTo(TRIALS / 50);
    }
}
