package dev.moat.detectors.ood;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Which 16 coordinates the input reference reads ({@link InputReference#chooseCoordinates}, issue 9,
 * session 20): on sparse inputs a uniform draw held coordinates that are zero in nearly every input,
 * and the spread test read nothing (see {@code
 * HonestDataShapesTest.randomRowsOnSparseTfIdfRowsGaveTheSpreadTestNothingToReadBypass}). Each input
 * here carries its coordinate's index plus one where it is not zero, so the coordinate a reference
 * reads can be told from the value it reads.
 */
class SparseCoordinatesTest {

    static final int WIDTH = 1_000;

    /** An input whose first {@code busy} coordinates are set (to their index plus one) with probability 0.6, the rest with {@code rare}. */
    static double[] input(Random r, int busy, double rare) {
        double[] x = new double[WIDTH];
        for (int j = 0; j < WIDTH; j++) {
            if (r.nextDouble() < (j < busy ? 0.6 : rare)) {
                x[j] = j + 1;
            }
        }
        return x;
    }

    static double[] indices() {
        double[] x = new double[WIDTH];
        for (int j = 0; j < WIDTH; j++) {
            x[j] = j + 1;
        }
        return x;
    }

    static InputReference fed(long seed, int busy, double rare, int inputs) {
        InputReference ref = new InputReference(0, true, seed);
        Random r = new UnsharedRandom(seed);
        for (int i = 0; i < inputs; i++) {
            ref.offer(input(r, busy, rare), i % 4);
        }
        return ref;
    }

    @Test
    void sparseInputsAreReadOnTheCoordinatesTheyUse() {
        for (long seed = 1; seed <= 5; seed++) {
            InputReference before = fed(seed, 40, 0.01, InputReference.SURVEY - 1);
            InputReference ref = fed(seed, 40, 0.01, InputReference.SURVEY);
            double[] probe = indices();
            int busyBefore = 0;
            for (int j = 0; j < ref.dims(); j++) {
                busyBefore += before.coordinate(probe, j) <= 40 ? 1 : 0;
                assertThat(ref.coordinate(probe, j))
                        .as("seed %d, coordinate %d", seed, j)
                        .isLessThanOrEqualTo(40);
            }
            // the uniform draw (before the survey ends) reads 40 of 1,000 coordinates' worth of busy ones
            assertThat(busyBefore).as("seed %d", seed).isLessThan(ref.dims() / 2);
            assertThat(before.epoch()).isZero();
            assertThat(ref.epoch()).isEqualTo(1);
        }
    }

    @Test
    void denseInputsAndAFloodOfRandomRowsKeepTheUniformDraw() {
        for (long seed = 1; seed <= 5; seed++) {
            // every coordinate busy: dense inputs, or a thief's random rows flooding the survey at a cold start
            InputReference uniform = fed(seed, 0, 0.01, 1);
            InputReference dense = fed(seed, WIDTH, 0, InputReference.SURVEY + 10);
            double[] probe = indices();
            for (int j = 0; j < dense.dims(); j++) {
                assertThat(dense.coordinate(probe, j)).isEqualTo(uniform.coordinate(probe, j));
            }
            assertThat(dense.epoch()).isZero();
        }
    }

    @Test
    void aDrawThatIsHalfBusyStands() {
        // 500 busy coordinates of 1,000: about half of any uniform draw is busy; the draw stands when at
        // least half of it is, and is drawn again otherwise: either way every busy coordinate drawn stays
        for (long seed = 1; seed <= 20; seed++) {
            InputReference uniform = fed(seed, 0, 0.01, 1);
            InputReference ref = fed(seed, 500, 0, InputReference.SURVEY);
            double[] probe = indices();
            int busyDrawn = 0;
            for (int j = 0; j < ref.dims(); j++) {
                busyDrawn += uniform.coordinate(probe, j) <= 500 ? 1 : 0;
            }
            assertThat(ref.epoch())
                    .as("seed %d, %d busy drawn", seed, busyDrawn)
                    .isEqualTo(2 * busyDrawn >= ref.dims() ? 0 : 1);
        }
    }
}
