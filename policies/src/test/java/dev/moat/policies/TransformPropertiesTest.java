package dev.moat.policies;

import static dev.moat.policies.RandomDistributions.argmax;
import static dev.moat.policies.RandomDistributions.max;
import static dev.moat.policies.RandomDistributions.sum;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.policies.transform.GaussianNoise;
import dev.moat.policies.transform.LabelOnly;
import dev.moat.policies.transform.LaplaceNoise;
import dev.moat.policies.transform.ReverseSigmoid;
import dev.moat.policies.transform.Round;
import dev.moat.policies.transform.TopK;
import dev.moat.policies.watermark.WatermarkSink;
import dev.moat.policies.watermark.WatermarkTransform;
import dev.moat.policies.watermark.Watermarker;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Every transform, over 10,000 seeded random distributions of 2..100 classes (with ties, zeros and
 * one-hot vectors): the answer is a valid distribution and the top-1 class is where promised.
 */
class TransformPropertiesTest {

    private static final int CASES = 10_000;
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    /** Runs {@code transform} on CASES random inputs and hands (original, transformed) to the check. */
    private static void forAll(long seed, OutputTransform transform, BiConsumer<double[], double[]> check) {
        RandomDistributions gen = new RandomDistributions(seed);
        for (int n = 0; n < CASES; n++) {
            double[] original = gen.next();
            double[] p = original.clone();
            double[] input = {gen.random().nextDouble(), n};
            transform.apply(p, TransformContext.seeded(n, input, "k", T0));
            check.accept(original, p);
        }
    }

    private static void assertDistribution(double[] p) {
        for (double v : p) {
            assertThat(v).isBetween(0.0, 1.0);
        }
        assertThat(sum(p)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
    }

    /** The class is the only maximum: any client argmax, whatever its tie rule, returns it. */
    private static void assertStrictTop(double[] p, int top) {
        for (int i = 0; i < p.length; i++) {
            if (i != top) {
                assertThat(p[i]).as("class %d against top-1 %d", i, top).isLessThan(p[top]);
            }
        }
    }

    @Test
    void topKKeepsAtMostKClassesAndTheTop1() {
        for (int k = 1; k <= 5; k++) {
            int kk = k;
            forAll(100 + k, new TopK(k), (orig, p) -> {
                assertDistribution(p);
                assertThat(java.util.Arrays.stream(p).filter(v -> v > 0).count())
                        .isLessThanOrEqualTo(kk);
                assertThat(argmax(p)).isEqualTo(argmax(orig));
                // kept entries keep their ratios: p'_i / p'_top == p_i / p_top
                int top = argmax(orig);
                for (int i = 0; i < p.length; i++) {
                    if (p[i] > 0) {
                        assertThat(p[i] / p[top])
                                .isCloseTo(orig[i] / orig[top], org.assertj.core.data.Offset.offset(1e-9));
                    }
                }
            });
        }
    }

    @Test
    void roundKeepsTheTop1AMaximumAndSumsWithinTheRoundingBound() {
        forAll(200, new Round(2), (orig, p) -> {
            for (double v : p) {
                assertThat(v).isBetween(0.0, 1.0);
                assertThat(Math.abs(v * 100 - Math.rint(v * 100))).isLessThan(1e-6);
            }
            assertThat(Math.abs(sum(p) - 1)).isLessThanOrEqualTo(p.length * 0.005 + 1e-9);
            assertThat(p[argmax(orig)]).isEqualTo(max(p));
        });
    }

    @Test
    void labelOnlyIsOneHotOnTheTop1() {
        forAll(300, new LabelOnly(), (orig, p) -> {
            assertDistribution(p);
            assertThat(p[argmax(orig)]).isEqualTo(1.0);
        });
    }

    @Test
    void gaussianNoiseKeepsAValidDistributionAndTheTop1() {
        forAll(400, new GaussianNoise(0.2, true), (orig, p) -> {
            assertDistribution(p);
            assertStrictTop(p, argmax(orig));
        });
    }

    @Test
    void laplaceNoiseKeepsAValidDistributionAndTheTop1() {
        forAll(500, LaplaceNoise.fromPrivacy(2.0, 1.0, true), (orig, p) -> {
            assertDistribution(p);
            assertStrictTop(p, argmax(orig));
        });
    }

    @Test
    void noiseWithoutKeepTop1StillGivesAValidDistribution() {
        forAll(600, new GaussianNoise(0.5, false), (orig, p) -> assertDistribution(p));
    }

    @Test
    void reverseSigmoidKeepsAValidDistributionAndTheTop1() {
        double[][] params = {{1.0, 0.1}, {1.0, 0.2}, {1.0, 0.5}, {3.0, 1.0}, {0.2, 2.0}};
        for (double[] bg : params) {
            forAll(700 + (long) (bg[1] * 10), new ReverseSigmoid(bg[0], bg[1]), (orig, p) -> {
                assertDistribution(p);
                assertStrictTop(p, argmax(orig));
            });
        }
    }

    @Test
    void watermarkMovesTheTop1StrictlyToAnotherClass() {
        Watermarker w = new Watermarker("property-test-secret-123".getBytes(StandardCharsets.UTF_8), 0.3);
        int[] fired = new int[1];
        forAll(800, new WatermarkTransform(w, WatermarkSink.DISCARD), (orig, p) -> {
            assertDistribution(p);
            int before = argmax(orig);
            int after = argmax(p);
            if (!java.util.Arrays.equals(orig, p)) {
                fired[0]++;
                assertThat(after).isNotEqualTo(before);
                for (int i = 0; i < p.length; i++) {
                    if (i != after) {
                        assertThat(p[i]).isLessThan(p[after]);
                    }
                }
            }
        });
        // rate 0.3 over 10,000 inputs: binomial sd ~ 46
        assertThat(fired[0]).isBetween(2_700, 3_300);
    }

    @Test
    void theConfiguredChainKeepsAValidDistributionAndTheTop1() {
        TransformChain chain = new TransformChain(
                java.util.List.of(new ReverseSigmoid(1.0, 0.2), new GaussianNoise(0.05, true), new TopK(3)));
        forAll(
                900,
                new OutputTransform() {
                    @Override
                    public String name() {
                        return "chain";
                    }

                    @Override
                    public void apply(double[] probs, TransformContext ctx) {
                        chain.apply(probs, ctx);
                    }
                },
                (orig, p) -> {
                    assertDistribution(p);
                    assertThat(argmax(p)).isEqualTo(argmax(orig));
                });
    }
}
