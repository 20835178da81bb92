package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link SignSteps#findTies} finds what comparing neighbours after a sort finds, on every input. */
class SignStepsTiesTest {

    @Test
    void hashedTiesEqualSortedTies() {
        SplittableRandom random = new SplittableRandom(7);
        for (int dims : new int[] {1, 2, 13, 64, 128, 300}) {
            SignSteps steps = new SignSteps(dims);
            for (int round = 0; round < 4_000; round++) {
                int moved = random.nextInt(dims + 1);
                int kind = round % 4;
                for (int k = 0; k < moved; k++) {
                    float v = switch (kind) {
                        case 0 -> (float) random.nextGaussian(); // continuous: ties are rare
                        case 1 -> random.nextInt(17); // whole numbers: ties everywhere
                        case 2 -> random.nextInt(4) == 0 ? 0f : (float) random.nextDouble(-1, 1); // clipped
                        default -> random.nextBoolean() ? -0f : (float) random.nextInt(3) - 1; // signed zeros
                    };
                    steps.endpointsForTest()[k] = v + 0f;
                }
                float[] sorted = Arrays.copyOf(steps.endpointsForTest(), moved);
                steps.findTies(moved);
                Arrays.sort(sorted);
                float low = Float.NaN;
                for (int k = 1; k < moved; k++) {
                    if (sorted[k] == sorted[k - 1]) {
                        low = sorted[k];
                        break;
                    }
                }
                float high = Float.NaN;
                for (int k = moved - 1; k > 0; k--) {
                    if (sorted[k] == sorted[k - 1]) {
                        high = sorted[k];
                        break;
                    }
                }
                assertThat(Float.floatToIntBits(steps.lowTie))
                        .as("low tie, dims %d round %d", dims, round)
                        .isEqualTo(Float.floatToIntBits(low));
                assertThat(Float.floatToIntBits(steps.highTie))
                        .as("high tie, dims %d round %d", dims, round)
                        .isEqualTo(Float.floatToIntBits(high));
            }
        }
    }
}
