package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SignSteps#isStepAcross} (cross_key's test of a candidate parent) answers as {@link
 * SignSteps#isStepScaled} with no history does, on every kind of displacement: sign steps, clipped
 * and jittered ones, random sizes, Gaussian noise, natural neighbours on a grid, moving outliers
 * (the far-move path), stuck coordinates, few moves, signed zeros and non-finite values, over
 * several widths, floors, fractions and key scales.
 */
class SignStepsAcrossTest {

    @Test
    void answersAsIsStepScaled() {
        SplittableRandom random = new SplittableRandom(11);
        int[] outcomes = new int[2];
        int[] kinds = new int[KINDS];
        for (int dims : new int[] {8, 13, 47, 48, 64, 100, 128, 300}) {
            SignSteps fast = new SignSteps(dims);
            SignSteps slow = new SignSteps(dims);
            float[] x = new float[dims];
            float[] parent = new float[dims];
            for (int round = 0; round < 6_000; round++) {
                int kind = round % KINDS;
                fill(random, kind, x, parent);
                float quantError = random.nextInt(3) == 0 ? 0f : (float) random.nextDouble(0, 0.2);
                float fraction = switch (random.nextInt(4)) {
                    case 0 -> 0f;
                    case 1 -> 0.02f;
                    case 2 -> (float) random.nextDouble(0, 0.5);
                    default -> 0.05f;
                };
                float keyScale = switch (random.nextInt(5)) {
                    case 0 -> 16f;
                    case 1 -> 1f;
                    case 2 -> (float) random.nextDouble(0, 1e4);
                    case 3 -> Float.POSITIVE_INFINITY;
                    default -> 0f;
                };
                boolean expected = slow.isStepScaled(x, parent, dims, fraction, keyScale, quantError, null);
                boolean got = fast.isStepAcross(x, parent, dims, fraction, keyScale, quantError);
                assertThat(got)
                        .as(
                                "dims %d round %d kind %d fraction %s scale %s error %s",
                                dims, round, kind, fraction, keyScale, quantError)
                        .isEqualTo(expected);
                outcomes[expected ? 1 : 0]++;
                if (expected) {
                    kinds[kind]++;
                }
            }
        }
        // both answers are common, and the step kinds pass somewhere (the test can tell a difference)
        assertThat(outcomes[0]).isGreaterThan(5_000);
        assertThat(outcomes[1]).isGreaterThan(5_000);
        for (int kind : new int[] {0, 1, 2, 3, 6, 11, 12}) {
            assertThat(kinds[kind]).as("steps of kind %d that pass", kind).isGreaterThan(50);
        }
    }

    /**
     * {@link SignSteps#isStepKeyed} (PRADA's test of a query against its nearest member) answers as
     * {@link SignSteps#isStepScaled} with the key's history does, and leaves the history as it does:
     * each stream of displacements carries one history per method, compared after every call. Half
     * of the streams repeat one step pattern (the repeat shape), the rest draw every kind above.
     */
    @Test
    void keyedAnswersAndRemembersAsIsStepScaled() {
        SplittableRandom random = new SplittableRandom(12);
        int[] outcomes = new int[2];
        int repeats = 0;
        for (int dims : new int[] {8, 13, 47, 48, 64, 100, 128, 300}) {
            SignSteps fast = new SignSteps(dims);
            SignSteps slow = new SignSteps(dims);
            SignSteps none = new SignSteps(dims);
            float[] x = new float[dims];
            float[] parent = new float[dims];
            for (int stream = 0; stream < 60; stream++) {
                float[] prevFast = new float[dims];
                float[] prevSlow = new float[dims];
                boolean pattern = stream % 2 == 0;
                // a per-feature step: eps * range_j * sign in a fixed share of the coordinates
                float[] sizes = new float[dims];
                for (int i = 0; i < dims; i++) {
                    sizes[i] = random.nextInt(3) == 0 ? 0f : (float) random.nextDouble(0.1, 4);
                }
                float quantError = random.nextInt(3) == 0 ? 0f : (float) random.nextDouble(0, 0.05);
                float fraction = random.nextInt(6) == 0 ? 0f : random.nextBoolean() ? 0.02f : 0.05f;
                float keyScale = random.nextInt(8) == 0 ? Float.POSITIVE_INFINITY : (float) random.nextDouble(1, 200);
                for (int round = 0; round < 100; round++) {
                    int kind = round % KINDS;
                    fill(random, kind, x, parent);
                    if (pattern && random.nextInt(4) != 0) {
                        for (int i = 0; i < dims; i++) {
                            float size = random.nextInt(5) == 0 ? 0f : sizes[i];
                            x[i] = parent[i] + (random.nextBoolean() ? size : -size);
                        }
                    }
                    boolean expected = slow.isStepScaled(x, parent, dims, fraction, keyScale, quantError, prevSlow);
                    boolean got = fast.isStepKeyed(x, parent, dims, fraction, keyScale, quantError, prevFast);
                    assertThat(got)
                            .as("dims %d stream %d round %d kind %d", dims, stream, round, kind)
                            .isEqualTo(expected);
                    for (int i = 0; i < dims; i++) {
                        assertThat(Float.floatToRawIntBits(prevFast[i]))
                                .as("prev[%d], dims %d stream %d round %d", i, dims, stream, round)
                                .isEqualTo(Float.floatToRawIntBits(prevSlow[i]));
                    }
                    outcomes[expected ? 1 : 0]++;
                    if (expected && !none.isStepScaled(x, parent, dims, fraction, keyScale, quantError, null)) {
                        repeats++;
                    }
                }
            }
        }
        // both answers are common, and the history decides some (the repeat shape is exercised)
        assertThat(outcomes[0]).isGreaterThan(5_000);
        assertThat(outcomes[1]).isGreaterThan(5_000);
        assertThat(repeats).isGreaterThan(200);
    }

    static final int KINDS = 13;

    private static void fill(SplittableRandom random, int kind, float[] x, float[] parent) {
        int n = x.length;
        boolean grid = random.nextBoolean();
        for (int i = 0; i < n; i++) {
            double v = random.nextInt(4) == 0 ? 0 : random.nextDouble(0, 16);
            parent[i] = grid ? (float) Math.rint(v) : (float) v;
        }
        float lambda = (float) random.nextDouble(0.05, 3);
        double share = random.nextDouble(0.2, 1);
        for (int i = 0; i < n; i++) {
            float p = parent[i];
            boolean moves = random.nextDouble() < share;
            float sign = random.nextBoolean() ? 1f : -1f;
            x[i] = switch (kind) {
                case 0 -> moves ? p + sign * lambda : p; // a sign step
                case 1 -> moves ? clip(p + sign * lambda) : p; // clipped at 0 and 16
                case 2 -> moves ? clip(p + sign * lambda) + (float) random.nextDouble(-1e-3, 1e-3) : p; // jittered
                case 3 -> moves ? clip(p + sign * (float) random.nextDouble(0, 2 * lambda)) : p; // random sizes
                case 4 -> p + (float) (0.7 * random.nextGaussian()); // sensor noise
                case 5 ->
                    grid
                            ? (float) Math.rint(clip(p + (float) (3 * random.nextGaussian())))
                            : clip(p * 0.8f); // neighbours
                case 6 -> moves ? p + sign * lambda + (random.nextInt(40) == 0 ? 1e4f : 0) : p; // moving outliers
                case 7 -> p < 1 ? p : p + sign * lambda; // stuck at the low end
                case 8 -> random.nextInt(n) < 6 ? p + lambda : p; // few moves
                case 9 ->
                    random.nextInt(30) == 0
                            ? (random.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY)
                            : (moves ? p + sign * lambda : -0f); // non-finite, signed zeros
                case 10 -> moves ? p + sign * lambda * (random.nextBoolean() ? 1 : 100) : p; // half far
                // random sizes clipped at 10 (or 6), a bound two lone values pass: the ties are no extremes
                case 11 -> moves ? Math.min(10f, p * 0.6f + (float) random.nextDouble(0, 2 * lambda)) : p * 0.6f;
                default ->
                    moves ? Math.max(6f, 6f + p * 0.6f - (float) random.nextDouble(0, 2 * lambda)) : 6f + p * 0.6f;
            };
        }
        if (kind == 11) {
            parent[0] = 0.6f * parent[0];
            x[0] = 12.5f;
            x[n - 1] = 13f;
        } else if (kind == 12) {
            x[0] = 3.5f;
            x[n - 1] = 3f;
        }
    }

    private static float clip(float v) {
        return Math.max(0f, Math.min(16f, v));
    }
}
