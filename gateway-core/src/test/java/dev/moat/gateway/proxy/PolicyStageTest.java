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
import dev.moat.policies.escalation.Decision;
import dev.moat.policies.runtime.PolicyRuntime;
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
    void noDetectorRowsWhenDetectionIsOffOrTheRowCountsDiffer() {
        ByteBuf one = buf("{\"predictions\": [[0.12, 0.88]]}");
        PolicyStage.Result r = run(one, true, false); // one answer row for two input rows
        assertThat(r.detectorRows()).isNull();
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
                ByteBufAllocator.DEFAULT);
    }

    private static ByteBuf buf(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }
}
