package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link NarrowMoves#sameMoves} drops a pair as soon as the coordinates left cannot bring the
 * agreeing ones to three quarters of the moved ones (issue 9, 2026-11-29: what keeps the repeated
 * move's cost per pair from growing with the width now that it runs on 48-128 inputs). Its answer
 * must be the one of the full count (at least {@link SignSteps#MIN_MOVED} agreeing, and those at
 * least three quarters of the larger moved count): checked on natural-like pairs, on pairs that
 * share a step, on partly clipped steps and on whole-number moves, at 13 to 128 coordinates.
 */
class SameMovesEarlyExitTest {

    /** The rule as it was counted before the early exit: every coordinate, then the moved counts. */
    static boolean reference(
            float[] a, int ao, float qa, float[] b, int bo, float qb, float[] xa, float[] xb, int xbo, int m) {
        float resolved = (float) SignSteps.RESOLVED;
        float tolerance = (float) SignSteps.TOLERANCE;
        int agree = 0;
        int movedA = 0;
        int movedB = 0;
        for (int j = 0; j < m; j++) {
            float ca = a[ao + j];
            float cb = b[bo + j];
            float tol = tolerance * Math.max(ca, cb) + qa + qb;
            boolean ok = ca > 0
                    && cb > 0
                    && qa <= resolved * ca
                    && qb <= resolved * cb
                    && Math.abs(ca - cb) <= tol
                    && Math.abs(xa[j] - xb[xbo + j]) > tol;
            agree += ok ? 1 : 0;
            movedA += ca > 0 && qa <= resolved * ca ? 1 : 0;
            movedB += cb > 0 && qb <= resolved * cb ? 1 : 0;
        }
        return agree >= SignSteps.MIN_MOVED && 4 * agree >= 3 * Math.max(movedA, movedB);
    }

    @Test
    void earlyExitGivesTheFullCountsAnswer() {
        Random r = new UnsharedRandom(9);
        int same = 0;
        int trues = 0;
        for (int t = 0; t < 40_000; t++) {
            int m = new int[] {13, 30, 47, 48, 63, 64, 100, 128}[t % 8];
            float[] a = new float[m];
            float[] b = new float[m];
            float[] xa = new float[m];
            float[] xb = new float[m];
            float qa = r.nextInt(3) == 0 ? 0f : 0.001f * r.nextInt(20);
            float qb = r.nextInt(3) == 0 ? 0f : 0.001f * r.nextInt(20);
            int kind = t % 4;
            // the share of coordinates a clip leaves unmoved, and of those that differ from the step
            double clipped = r.nextDouble() * 0.5;
            double off = kind == 0 ? 1 : r.nextDouble() * 0.5;
            for (int j = 0; j < m; j++) {
                float step = kind == 3 ? r.nextInt(3) : 0.05f + r.nextFloat();
                a[j] = kind == 0 ? Math.abs((float) r.nextGaussian()) : step;
                b[j] = r.nextDouble() < off ? Math.abs((float) r.nextGaussian()) : step * (1 + 0.02f * r.nextFloat());
                if (r.nextDouble() < clipped) {
                    a[j] = 0;
                }
                if (r.nextDouble() < clipped / 2) {
                    b[j] = 0;
                }
                xa[j] = (float) r.nextGaussian() * 3;
                xb[j] = r.nextInt(10) == 0 ? xa[j] : (float) r.nextGaussian() * 3;
            }
            boolean want = reference(a, 0, qa, b, 0, qb, xa, xb, 0, m);
            boolean got = NarrowMoves.sameMoves(a, 0, qa, b, 0, qb, xa, xb, 0, m);
            assertThat(got).as("pair %d, %d coordinates", t, m).isEqualTo(want);
            same++;
            trues += want ? 1 : 0;
        }
        // both answers occur often enough for the check to mean something
        assertThat(trues).isBetween(1_000, same - 1_000);
    }
}
