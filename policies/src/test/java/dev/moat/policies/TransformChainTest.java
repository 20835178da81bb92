package dev.moat.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.moat.policies.transform.Round;
import dev.moat.policies.transform.TopK;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransformChainTest {

    private static TransformContext ctx() {
        return TransformContext.seeded(3, null, "k", Instant.EPOCH);
    }

    @Test
    void composesInConfiguredOrder() {
        // top_k then round: {0.404, 0.303} renormalised = {0.5714.., 0.4285..} -> {0.6, 0.4}
        double[] a = {0.404, 0.303, 0.293};
        new TransformChain(List.of(new TopK(2), new Round(1))).apply(a, ctx());
        assertThat(a).containsExactly(0.6, 0.4, 0.0);

        // round then top_k: {0.4, 0.3, 0.3}, the tie keeps index 1 -> {0.4/0.7, 0.3/0.7, 0}
        double[] b = {0.404, 0.303, 0.293};
        new TransformChain(List.of(new Round(1), new TopK(2))).apply(b, ctx());
        assertThat(b[0]).isCloseTo(4.0 / 7, offset(1e-15));
        assertThat(b[1]).isCloseTo(3.0 / 7, offset(1e-15));
        assertThat(b[2]).isZero();
    }

    @Test
    void appliesToEveryRowOfABatchAndCountsActionsPerRow() {
        double[][] rows = {{0.5, 0.3, 0.2}, {0.0, 0.6, 0.4}, {0.1, 0.1, 0.8}};
        double[][] inputs = {{1}, {2}, {3}};
        List<double[]> seen = new java.util.ArrayList<>();
        OutputTransform spy = new OutputTransform() {
            @Override
            public String name() {
                return "spy";
            }

            @Override
            public void apply(double[] probs, TransformContext c) {
                seen.add(c.input());
            }
        };
        TransformContext ctx = ctx();
        new TransformChain(List.of(new TopK(2), spy)).apply(rows, inputs, ctx);
        assertThat(rows[0]).containsExactly(0.5 / 0.8, 0.3 / 0.8, 0.0);
        assertThat(rows[1]).containsExactly(0.0, 0.6, 0.4);
        assertThat(seen).containsExactly(inputs);
        // row 1 had only two non-zero classes, so top_k acted on two rows of three
        assertThat(ctx.appliedCount("top_k")).isEqualTo(2);
        assertThat(ctx.actionCount()).isEqualTo(1);
        assertThat(ctx.actionName(0)).isEqualTo("top_k");
    }

    @Test
    void missingInputsLeaveTheContextWithoutARow() {
        TransformContext ctx = TransformContext.seeded(1, new double[] {9}, "k", Instant.EPOCH);
        OutputTransform check = new OutputTransform() {
            @Override
            public String name() {
                return "check";
            }

            @Override
            public void apply(double[] probs, TransformContext c) {
                assertThat(c.input()).isNull();
            }
        };
        new TransformChain(List.of(check)).apply(new double[][] {{1.0}}, null, ctx);
    }

    @Test
    void thenAppendsAChain() {
        TransformChain a = new TransformChain(List.of(new TopK(2)));
        TransformChain b = new TransformChain(List.of(new Round(1)));
        assertThat(a.then(b).transforms()).extracting(OutputTransform::name).containsExactly("top_k", "round");
        assertThat(a.then(TransformChain.EMPTY)).isSameAs(a);
    }
}
