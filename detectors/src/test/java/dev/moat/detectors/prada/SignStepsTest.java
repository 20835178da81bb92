package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The flat shape on a wide key's 128 sampled coordinates: steps of random size per coordinate,
 * clipped at the bounds, count; Gaussian re-send noise does not; noise-shaped sizes (the documented
 * bypass) do not either.
 */
class SignStepsTest {

    static final int N = 128;

    /** Share of 500 displacements counted as steps: parent in 0..16 with a fifth of it at 0, moves clipped. */
    static double share(long seed, DoubleSupplier move) {
        return share(seed, move, 0f, 16f);
    }

    /** As above, with the bounds the caller knows (infinite: none; pushed out: after an outlier query). */
    static double share(long seed, DoubleSupplier move, float lo, float hi) {
        Random r = new UnsharedRandom(seed);
        SignSteps steps = new SignSteps(N);
        int hits = 0;
        for (int t = 0; t < 500; t++) {
            float[] parent = new float[N];
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                parent[i] = r.nextInt(5) == 0 ? 0f : (float) (16 * r.nextDouble());
                x[i] = (float) Math.max(0, Math.min(16, parent[i] + move.getAsDouble()));
            }
            if (steps.isStep(x, parent, N, 0.32f, 0f, null, lo, hi)) {
                hits++;
            }
        }
        return hits / 500.0;
    }

    @Test
    void clippedRandomSizeStepsAreFlat() {
        Random r = new UnsharedRandom(1);
        // the evaluation's jbda-random-step: 1.6 * U(0, 2) * sign(g)
        double s = share(11, () -> (r.nextBoolean() ? 1 : -1) * 1.6 * 2 * r.nextDouble());
        assertThat(s).isGreaterThan(0.8);
        // the same without knowing the bounds, or with bounds an outlier query pushed out: the moves
        // that ended on the same value (0 or 16) are taken as clipped all the same (before, with
        // bounds learnt from the key's extremes, one outlier query left clipped moves in the crest)
        Random r2 = new UnsharedRandom(1);
        assertThat(share(11, () -> (r2.nextBoolean() ? 1 : -1) * 1.6 * 2 * r2.nextDouble(), -16f, 32f))
                .isGreaterThan(0.8);
        Random r3 = new UnsharedRandom(1);
        assertThat(share(
                        11,
                        () -> (r3.nextBoolean() ? 1 : -1) * 1.6 * 2 * r3.nextDouble(),
                        Float.NEGATIVE_INFINITY,
                        Float.POSITIVE_INFINITY))
                .isGreaterThan(0.8);
    }

    /**
     * The floor on the step is step_min_fraction of the key's largest value, or of the largest value
     * in the coordinates that moved if that is smaller: a key that once sent Float.MAX_VALUE still
     * has its sign steps counted (before, the floor was 0.02 of it and nothing counted again).
     */
    @Test
    void anOutlierKeyScaleDoesNotRaiseTheFloor() {
        Random r = new UnsharedRandom(5);
        SignSteps steps = new SignSteps(N);
        float[] parent = new float[N];
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            parent[i] = 2 + 12 * r.nextFloat();
            x[i] = parent[i] + (r.nextBoolean() ? 1.6f : -1.6f);
        }
        assertThat(steps.isStepScaled(x, parent, N, 0.02f, 16f, 0f, null)).isTrue();
        assertThat(steps.isStepScaled(x, parent, N, 0.02f, Float.MAX_VALUE, 0f, null))
                .isTrue();
        // outliers that move in a few coordinates (4 of 128) do not set the scale either
        float[] y = x.clone();
        for (int i = 0; i < 4; i++) {
            y[i * 31] = i % 2 == 0 ? 1e6f : -1e6f;
        }
        assertThat(steps.isStepScaled(y, parent, N, 0.02f, Float.MAX_VALUE, 0f, null))
                .isTrue();
        // 13 features: the scale is twice the largest value compared
        float[] p13 = java.util.Arrays.copyOf(parent, 13);
        float[] x13 = new float[13];
        for (int i = 0; i < 13; i++) {
            x13[i] = p13[i] + (i % 2 == 0 ? 1.6f : -1.6f);
        }
        assertThat(new SignSteps(13).isStepScaled(x13, p13, 13, 0.02f, Float.MAX_VALUE, 0f, null))
                .isTrue();
        // and the floor still holds: moves of 1/255 of the values' range are no step
        for (int i = 0; i < N; i++) {
            x[i] = parent[i] + (r.nextBoolean() ? 16f / 255 : -16f / 255);
        }
        assertThat(steps.isStepScaled(x, parent, N, 0.02f, Float.MAX_VALUE, 0f, null))
                .isFalse();
    }

    @Test
    void gaussianResendNoiseIsNotAStep() {
        Random r = new UnsharedRandom(2);
        assertThat(share(12, () -> 0.5 * r.nextGaussian())).isLessThan(0.02);
        Random r2 = new UnsharedRandom(3);
        assertThat(share(13, () -> 2.0 * r2.nextGaussian())).isLessThan(0.02);
        // clipped at 0 and 16 with no bounds known: the ties at 0 and 16 are found, noise stays noise
        Random r3 = new UnsharedRandom(2);
        assertThat(share(12, () -> 0.5 * r3.nextGaussian(), Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY))
                .isLessThan(0.02);
        Random r4 = new UnsharedRandom(3);
        assertThat(share(13, () -> 2.0 * r4.nextGaussian(), Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY))
                .isLessThan(0.02);
    }

    @Test
    void noiseShapedSizesPassTheStepTest() {
        // the bypass the README names: half-normal sizes with the gradient's sign look like noise
        Random r = new UnsharedRandom(4);
        assertThat(share(14, () -> (r.nextBoolean() ? 1 : -1) * 1.6 * Math.abs(r.nextGaussian())))
                .isLessThan(0.02);
    }

    @Test
    void crestLimitGrowsWithTheNumberOfMoves() {
        assertThat(NoiseLimits.crestLimit(48)).isBetween(1.6, 1.65);
        assertThat(NoiseLimits.crestLimit(128)).isBetween(2.0, 2.1);
        assertThat(NoiseLimits.crestLimit(4096))
                .isEqualTo(NoiseLimits.MAX_CREST_CAP, org.assertj.core.data.Offset.offset(1e-6));
    }
    /**
     * Pinned price of {@code unitRecordMoves} (fails when it closes): a dense sign step of exactly one
     * unit from a record of whole numbers, to whole numbers (a thief who snaps his JbDA steps to the
     * data's integers: flags, categories, small counts, 0-16 pixels), is what two such records differ
     * by and is no step to the equal or repeat shape; the same step from a parent off the whole
     * numbers, or of another size, still is. Left to {@code ood}'s spread test on narrow records
     * (MidWidthSpreadTest: plain and random-size JbDA at 180 rows on the 20-column table).
     */
    @Test
    void signStepsOfOneUnitBetweenWholeNumbersBypass() {
        Random r = new UnsharedRandom(11);
        for (int round = 0; round < 100; round++) {
            float[] whole = new float[20];
            float[] child = new float[20];
            float[] off = new float[20];
            float[] offChild = new float[20];
            float[] bigger = new float[20];
            for (int i = 0; i < 20; i++) {
                float sign = r.nextBoolean() ? 1f : -1f;
                whole[i] = 2 + r.nextInt(30);
                child[i] = whole[i] + sign;
                off[i] = whole[i] + 0.25f;
                offChild[i] = off[i] + sign;
                bigger[i] = whole[i] + 2 * sign;
            }
            assertThat(new SignSteps(20).isStep(child, whole, 20, 0.01f, 0f, null))
                    .as("round %d", round)
                    .isFalse();
            assertThat(new SignSteps(20).isStep(offChild, off, 20, 0.01f, 0f, null))
                    .as("round %d", round)
                    .isTrue();
            assertThat(new SignSteps(20).isStep(bigger, whole, 20, 0.01f, 0f, null))
                    .as("round %d", round)
                    .isTrue();
        }
    }

    /**
     * Pinned, the price of {@code RepeatedMoves#repeats}' unit moves (session 14: customers rounding their
     * features on mixed-type records): a key's per-feature steps on 20 coordinates, 8 of them counts
     * stepped by exactly one unit between whole numbers (range 10, a tenth of it), 4 of the others by
     * the same size as before and 8 by new sizes (jittered): the unit moves no longer count towards
     * the repeat, so the step is no repeat; the same step whose 8 repeated moves are of 1.5 (off the
     * whole numbers) still is.
     */
    @Test
    void perFeatureStepsRepeatedOnlyWithUnitMovesBetweenWholeNumbersAreNoRepeatsBypass() {
        assertThat(repeatedPerFeatureStep(1f)).isFalse();
        assertThat(repeatedPerFeatureStep(1.5f)).isTrue();
    }

    /**
     * Was an honest false positive of the repeat shape (issue 9, session 15): a customer whose 32
     * features are rounded to 6 levels over ranges of 0.1-100 sends records whose nearest stored one
     * differs by one level in half of the features, again and again, so every move repeats the last
     * one there (before, 38-39 of 40 queries were repeats). Those moves end on the levels where the
     * coordinates' last moves ended: no repeat now. The same moves from 20 lineages each off the
     * levels by an offset of its own (JbDA from natural seeds, {@code eps * range_j} steps) still are.
     */
    @Test
    void movesBetweenTheLevelsOfACustomerRoundingItsRecordsAreNoRepeats() {
        assertThat(levelRepeats(false, false)).isZero();
        assertThat(levelRepeats(true, false)).isGreaterThanOrEqualTo(30);
    }

    /**
     * A thief whose every query steps from his last one (the parent is the last query) by the same
     * per-feature sizes: the end each coordinate's last move left is the parent's value, so the
     * level test has no evidence and the walk repeats as before, on the levels or off them.
     */
    @Test
    void aWalkFromTheLastQueryStillRepeatsOnLevels() {
        assertThat(levelRepeats(false, true)).isGreaterThanOrEqualTo(30);
        assertThat(levelRepeats(true, true)).isGreaterThanOrEqualTo(30);
    }

    /**
     * Pinned, the price of the level moves: per-feature steps {@code eps * range_j} from seeds rounded
     * to levels {@code eps * range_j} apart (or from one seed) put every value on one lattice per
     * feature, which is what a customer rounding its records sends: no repeat (the same thief whose
     * seeds are off the levels is, {@link #movesBetweenTheLevelsOfACustomerRoundingItsRecordsAreNoRepeats}).
     * Left to {@code cross_key} and {@code ood} (detectors/README: 260 rows on 48 mixed columns, not
     * flagged on 20 mixed or 100 cell columns).
     */
    @Test
    void perFeatureStepsOnLevelsBypass() {
        assertThat(levelRepeats(false, false)).isZero();
    }

    /**
     * Of 40 queries (after 10 to fill the key's memory) on 32 features with ranges 0.1-100 and 6
     * levels each, how many the repeat shape takes: each query a lattice row (level 0-5 per feature,
     * from one of 20 lineages, each {@code offLevels} by an offset of its own per feature) and its
     * parent the same row one level off in 16 features drawn per query; {@code walk}: the parent is
     * the last query instead (each query one level from it).
     */
    private static int levelRepeats(boolean offLevels, boolean walk) {
        int n = 32;
        Random r = new UnsharedRandom(3);
        float[] q = new float[n];
        float[] lo = new float[n];
        for (int i = 0; i < n; i++) {
            float range = (float) Math.pow(10, -1 + 3 * r.nextDouble());
            q[i] = range / 5;
            lo[i] = range * 0.2f * r.nextFloat();
        }
        float[][] offset = new float[20][n];
        for (float[] o : offset) {
            for (int i = 0; i < n; i++) {
                o[i] = offLevels ? q[i] * (0.1f + 0.8f * r.nextFloat()) : 0;
            }
        }
        SignSteps steps = new SignSteps(n);
        float[] prev = new float[n];
        int[] level = new int[n];
        float[] last = null;
        int hits = 0;
        for (int t = 0; t < 50; t++) {
            float[] o = offset[r.nextInt(offset.length)];
            if (!walk || last == null) {
                for (int i = 0; i < n; i++) {
                    level[i] = 1 + r.nextInt(4);
                }
            }
            float[] x = new float[n];
            float[] parent = new float[n];
            boolean[] moves = new boolean[n];
            for (int k = 0; k < n / 2; ) {
                int i = r.nextInt(n);
                k += moves[i] ? 0 : 1;
                moves[i] = true;
            }
            for (int i = 0; i < n; i++) {
                int from = moves[i] ? level[i] + (r.nextBoolean() ? 1 : -1) : level[i];
                parent[i] = lo[i] + from * q[i] + o[i];
                x[i] = lo[i] + level[i] * q[i] + o[i];
            }
            if (walk && last != null) {
                // the parent is the last query; each query one level from it in half of the features
                parent = last;
                for (int i = 0; i < n; i++) {
                    x[i] = moves[i] ? parent[i] + (level[i] % 2 == 0 ? q[i] : -q[i]) : parent[i];
                }
            }
            last = x;
            boolean step = steps.isStep(x, parent, n, 1e-4f, 0f, prev);
            hits += t >= 10 && step ? 1 : 0;
        }
        return hits;
    }

    /**
     * Whether a key's second per-feature step (from another parent) is a step after its first: 8
     * coordinates moved by {@code unit} (from whole numbers), 4 by the same 2.5-3.1 both times, 8 by
     * sizes of 4-8 drawn afresh; signs drawn afresh.
     */
    private static boolean repeatedPerFeatureStep(float unit) {
        Random r = new UnsharedRandom(5);
        SignSteps steps = new SignSteps(20);
        float[] prev = new float[20];
        boolean last = false;
        for (int k = 0; k < 2; k++) {
            float[] parent = new float[20];
            float[] child = new float[20];
            for (int i = 0; i < 20; i++) {
                float size = i < 8 ? unit : i < 12 ? 2.5f + 0.2f * (i - 8) : 4 + 4 * r.nextFloat();
                parent[i] = i < 8 ? 2 + r.nextInt(6) : 20 + 10 * r.nextFloat();
                child[i] = parent[i] + (r.nextBoolean() ? size : -size);
            }
            last = steps.isStep(child, parent, 20, 0.01f, 0f, prev);
        }
        return last;
    }

    /**
     * The equal shape counts agreement over every moved coordinate, whatever order they come in:
     * the median is found by a selection that scrambles its array, so counting over that array
     * (as a first version did) saw a different multiset of moves.
     */
    @Test
    void equalShapeCountsEveryMoveInAnyOrder() {
        Random r = new UnsharedRandom(7);
        for (int round = 0; round < 300; round++) {
            // 20 moves: k at exactly 1.0, the rest well away from it on both sides
            for (int k : new int[] {9, 10}) {
                float[] moves = new float[20];
                for (int i = 0; i < 20; i++) {
                    moves[i] = i < k
                            ? 1f
                            : (i % 2 == 0 ? 0.1f + 0.02f * i : 2f + i / 2f); // under FAR_MOVE times the median
                }
                if (k == 9) {
                    moves[9] = 0.9f; // keeps the median at 1.0 with one agreeing move fewer
                }
                for (int i = moves.length - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    float t = moves[i];
                    moves[i] = moves[j];
                    moves[j] = t;
                }
                float[] parent = new float[20];
                float[] x = new float[20];
                for (int i = 0; i < 20; i++) {
                    // off whole numbers: moves of 1 between whole numbers are a record's unit (unitRecordMoves)
                    parent[i] = 8.25f;
                    x[i] = 8.25f + (r.nextBoolean() ? moves[i] : -moves[i]);
                }
                boolean step = new SignSteps(20).isStep(x, parent, 20, 0.1f, 0f, null);
                assertThat(step).as("k=%d round %d", k, round).isEqualTo(k >= 10);
            }
        }
    }

    /**
     * Clipped values jittered off the bound (by up to 0.1 of a range of 16) so that they do not tie,
     * from parents a third of whose coordinates already sit at the bounds (jittered there by earlier
     * steps, as in a JbDA attack's later rounds): each of those moves by a random sliver and, counted as
     * moves, they pulled the crest over all moves and the unclipped count under the flat shape's limits.
     * A coordinate that sat within a band of the lowest (highest) end value and stays there now counts
     * as unmoved, as it does when clipping leaves it exactly on the bound.
     */
    @Test
    void jitteredClipValuesBypass() {
        for (double eps : new double[] {0.1, 0.2, 0.3}) {
            double s = jitteredShare(new UnsharedRandom(21), eps, false);
            System.out.printf(
                    "jittered clip values, sizes %.1f * 16 * U(0, 2), saturated parents: %.3f steps%n", eps, s);
        }
        // before: 0.36, 0.10, 0.01; now 0.82, 0.46, 0.10 (a share over step_high, 0.15, is a score of 1)
        assertThat(jitteredShare(new UnsharedRandom(21), 0.1, false)).isGreaterThan(0.6);
        assertThat(jitteredShare(new UnsharedRandom(21), 0.2, false)).isGreaterThan(0.3);
        // Gaussian re-send noise with the same jitter at the bounds stays noise
        Random g = new UnsharedRandom(22);
        double noise = jitteredShare(g, 0.7, true);
        System.out.printf("jittered Gaussian noise, saturated parents: %.3f steps%n", noise);
        assertThat(noise).isLessThan(0.01);
    }

    /** Share of 1,000 displacements counted as steps; a third of the parent at 0 or 16 (jittered), the rest uniform. */
    static double jitteredShare(Random r, double size, boolean gaussian) {
        SignSteps steps = new SignSteps(N);
        int hits = 0;
        for (int t = 0; t < 1_000; t++) {
            float[] parent = new float[N];
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                int kind = r.nextInt(6);
                parent[i] = (float)
                        (kind == 0
                                ? 0.1 * r.nextDouble()
                                : kind == 1 ? 16 - 0.1 * r.nextDouble() : 16 * r.nextDouble());
                double move = gaussian
                        ? size * r.nextGaussian()
                        : (kind == 0 ? -1 : kind == 1 ? 1 : r.nextBoolean() ? 1 : -1) * size * 16 * 2 * r.nextDouble();
                double to = parent[i] + move;
                x[i] = (float) (to < 0 ? 0.1 * r.nextDouble() : to > 16 ? 16 - 0.1 * r.nextDouble() : to);
            }
            hits += steps.isStepScaled(x, parent, N, 0.02f, 16f, 0.03f, null) ? 1 : 0;
        }
        return hits / 1_000.0;
    }

    /**
     * Outliers that move (an eighth of the coordinates, fresh ones, at +-1e6..2e6) set the floor's
     * scale (the value a sixteenth of the moved coordinates reach) at 1e6: no sign step counted. Moves
     * over 16 times the median move are now left out of the step.
     */
    @Test
    void movingOutliersRaiseTheFloorBypass() {
        Random r = new UnsharedRandom(9);
        SignSteps steps = new SignSteps(N);
        int hits = 0;
        for (int t = 0; t < 200; t++) {
            float[] parent = new float[N];
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                parent[i] = 2 + 12 * r.nextFloat();
                x[i] = parent[i] + (r.nextBoolean() ? 1.6f : -1.6f);
            }
            for (int k = 0; k < N / 8; k++) {
                x[r.nextInt(N)] = (float) ((r.nextBoolean() ? 1e6 : -1e6) * (1 + r.nextDouble()));
            }
            hits += steps.isStepScaled(x, parent, N, 0.02f, 2e6f, 0.03f, null) ? 1 : 0;
        }
        assertThat(hits).isEqualTo(200);
    }
}
