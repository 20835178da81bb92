package dev.moat.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.config.OutputSpec;
import dev.moat.config.PolicyConfig;
import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.protocol.ProtocolAdapters;
import dev.moat.gateway.runtime.CompiledPolicy;
import dev.moat.policies.TransformChain;
import dev.moat.policies.escalation.Decision;
import dev.moat.policies.runtime.PolicyRuntime;
import dev.moat.policies.transform.ReverseSigmoid;
import dev.moat.policies.watermark.WatermarkSink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The policy stage without sockets: bytes in, body, detector rows, actions and outcome out. */
class PolicyStageTest {

    private static final ProtocolAdapter TF = ProtocolAdapters.forUpstream(new UpstreamConfig(
            "model",
            URI.create("http://127.0.0.1:8501"),
            Protocol.TFSERVING,
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            8,
            null,
            null));
    private static final CompiledPolicy TOP1_ROUND1 = new CompiledPolicy(
            PolicyRuntime.compile(
                    new PolicyConfig(
                            "p",
                            List.of(
                                    new OutputSpec.TopK(1),
                                    new OutputSpec.Round(1),
                                    new OutputSpec.Strip(List.of("/explanations"))),
                            Map.of(),
                            List.of(),
                            null),
                    ledger -> WatermarkSink.DISCARD),
            DetectorProfile.NONE,
            null);
    private static final double[][] INPUTS = {{1, 2, 3}, {4, 5, 6}};

    @Test
    void aParsableAnswerIsRewrittenAndTheDetectorsGetTheRawRows() throws Exception {
        ByteBuf answer = buf("{\"predictions\": [[0.12, 0.88], [0.71, 0.29]], \"explanations\": [1, 2]}");
        PolicyStage.Result r = run(answer, true, false);
        try {
            assertThat(r.outcome()).isEqualTo(PolicyStage.Outcome.REWRITTEN);
            assertThat(r.body()).isNotSameAs(answer);
            JsonNode out = new ObjectMapper().readTree(r.body().toString(StandardCharsets.UTF_8));
            assertThat(out.has("explanations")).isFalse();
            assertThat(out.get("predictions").toString()).isEqualTo("[[0.0,1.0],[1.0,0.0]]"); // top-1, renormalised
            assertThat(r.detectorRows()).isDeepEqualTo(new double[][] {{0.12, 0.88}, {0.71, 0.29}});
            assertThat(r.actions()).containsExactly("top_k", "top_k"); // one per row; round changed nothing after it
            assertThat(answer.readerIndex()).isZero();
        } finally {
            r.body().release();
            answer.release();
        }
    }

    @Test
    void noDetectorRowsWhenDetectionIsOffAndEmptyPredictionsWhenTheRowCountsDiffer() {
        ByteBuf one = buf("{\"predictions\": [[0.12, 0.88]]}");
        PolicyStage.Result r = run(one, true, false); // one answer row for two input rows
        // each input row is still an event (it reached no detector before)
        assertThat(r.detectorRows()).isDeepEqualTo(new double[][] {{}, {}});
        r.body().release();
        one.release();
        ByteBuf two = buf("{\"predictions\": [[0.12, 0.88], [0.71, 0.29]]}");
        PolicyStage.Result off = run(two, false, false);
        assertThat(off.detectorRows()).isNull();
        off.body().release();
        two.release();
    }

    @Test
    void anUnparsableAnswerFailsClosedOrPassesWhenTheRouteFailsOpen() {
        ByteBuf bad = buf("{\"predictions\": \"none\"}");
        PolicyStage.Result closed = run(bad, true, false);
        assertThat(closed.outcome()).isEqualTo(PolicyStage.Outcome.FAIL_CLOSED);
        assertThat(closed.body()).isNull();
        assertThat(closed.problem()).startsWith("the upstream answer could not be made safe");
        assertThat(closed.actions()).containsExactly("fail_closed");
        PolicyStage.Result open = run(bad, true, true);
        assertThat(open.outcome()).isEqualTo(PolicyStage.Outcome.FAIL_OPEN);
        assertThat(open.body()).isSameAs(bad);
        assertThat(open.actions()).containsExactly("fail_open");
        assertThat(bad.refCnt()).isEqualTo(1); // the stage never releases what it was given
        bad.release();
    }

    /**
     * Bypass: a flagged key's answers were richer than an honest key's. The ladder's reverse sigmoid
     * ran after the policy's {@code round} and {@code top_k}, so every probability went out at full
     * precision and the classes top_k had zeroed carried values again.
     */
    @Test
    void perturbationOfAFlaggedKeyDoesNotUndoRoundingOrTopK() throws Exception {
        CompiledPolicy top2Round2 = new CompiledPolicy(
                PolicyRuntime.compile(
                        new PolicyConfig(
                                "p",
                                List.of(new OutputSpec.TopK(2), new OutputSpec.Round(2)),
                                Map.of(),
                                List.of(),
                                null),
                        ledger -> WatermarkSink.DISCARD),
                DetectorProfile.NONE,
                null);
        Decision flagged = new Decision(
                0.5, new TransformChain(List.of(new ReverseSigmoid(1.0, 0.2))), List.of(), List.of(), null);
        ByteBuf answer = buf("{\"predictions\": [[0.1234, 0.5123, 0.0321, 0.3322], [0.7011, 0.0502, 0.1487, 0.1]]}");
        PolicyStage.Result r = PolicyStage.answer(
                TF,
                top2Round2,
                false,
                false,
                answer,
                INPUTS,
                flagged,
                "k",
                "t",
                Instant.parse("2026-11-28T06:00:00Z"),
                new Random(1),
                ByteBufAllocator.DEFAULT,
                null);
        try {
            JsonNode rows = new ObjectMapper()
                    .readTree(r.body().toString(StandardCharsets.UTF_8))
                    .get("predictions");
            assertThat(r.actions()).contains("reverse_sigmoid");
            // the minimisation run again after the perturbation reuses the context uncounted: each
            // action once per row it changed in the first pass, the perturbation once per row
            assertThat(r.actions())
                    .containsExactly("top_k", "top_k", "round", "round", "reverse_sigmoid", "reverse_sigmoid");
            for (JsonNode row : rows) {
                int nonZero = 0;
                for (JsonNode v : row) {
                    double p = v.doubleValue();
                    assertThat(Math.abs(p * 100 - Math.rint(p * 100)))
                            .as("%s has 2 decimals", p)
                            .isLessThan(1e-9);
                    nonZero += p != 0 ? 1 : 0;
                }
                assertThat(nonZero).as("row %s keeps top-2 only", row).isLessThanOrEqualTo(2);
            }
            assertThat(rows.get(0).get(1).doubleValue())
                    .isGreaterThan(rows.get(0).get(3).doubleValue());
            assertThat(rows.get(1).get(0).doubleValue())
                    .isGreaterThan(rows.get(1).get(2).doubleValue());
        } finally {
            r.body().release();
            answer.release();
        }
    }

    private static PolicyStage.Result run(ByteBuf answer, boolean detect, boolean failOpen) {
        return PolicyStage.answer(
                TF,
                TOP1_ROUND1,
                detect,
                failOpen,
                answer,
                INPUTS,
                Decision.NONE,
                "k",
                "t",
                Instant.parse("2026-11-28T06:00:00Z"),
                new Random(1),
                ByteBufAllocator.DEFAULT,
                null);
    }

    private static ByteBuf buf(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }
}
