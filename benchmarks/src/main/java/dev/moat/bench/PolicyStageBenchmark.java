package dev.moat.bench;

import dev.moat.config.OutputSpec;
import dev.moat.config.PolicyConfig;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.protocol.ProtocolAdapters;
import dev.moat.gateway.proxy.PolicyStage;
import dev.moat.gateway.runtime.CompiledPolicy;
import dev.moat.policies.escalation.Decision;
import dev.moat.policies.runtime.PolicyRuntime;
import dev.moat.policies.transform.Transforms;
import dev.moat.policies.watermark.WatermarkSink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The whole policy stage of one inspected TF Serving request, the gateway's own code (the adapter's
 * {@code inputs}, then {@link PolicyStage#answer}, the pure function {@code AnswerProcessor} runs):
 * read the request's {@value BenchData#BATCH} x 64 feature rows,
 * parse the {@value BenchData#BATCH} x 10 answer, copy the raw predictions for the detectors, apply
 * the policy of {@code config/examples/full.yaml} ({@code top_k: 3}, {@code round: 2},
 * {@code watermark} at rate 0.005, {@code strip: ["/explanations"]}) and, for a {@code suspicious}
 * key, the ladder's {@code reverse_sigmoid} perturbation, then write the answer back and release it.
 * Handing the copy to the detection engine (one queue offer) and the ledger write are left out.
 *
 * <p><b>Budget: 40 us per request</b>, under half of the 100 us p50 the whole gateway may add in
 * full-policy mode; the rest goes to HTTP codecs, auth, rate limiting and the proxy hop.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyStageBenchmark {

    static final int BODIES = 16;

    @Param({"calm", "suspicious"})
    public String level;

    ProtocolAdapter adapter;
    CompiledPolicy policy;
    Decision decision;
    ByteBuf[] requests;
    ByteBuf[] answers;
    /** Where rewritten answers come from; a test swaps in an instrumented one to check they are released. */
    ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    /** The last copy handed to "the detectors", kept so the copy cannot be optimised away. */
    double[][] observed;

    int next;

    @Setup
    public void setUp() {
        adapter = ProtocolAdapters.forUpstream(ProtocolAdapterBenchmark.tfServing());
        List<OutputSpec> specs = List.of(
                new OutputSpec.TopK(3),
                new OutputSpec.Round(2),
                new OutputSpec.Strip(List.of("/explanations")),
                new OutputSpec.Watermark(0.005, "benchmark-watermark-secret-32-bytes", Path.of("unused-ledger.jsonl")));
        policy = new CompiledPolicy(
                PolicyRuntime.compile(
                        new PolicyConfig("standard", specs, Map.of(), List.of(), null),
                        ledger -> WatermarkSink.DISCARD),
                DetectorProfile.NONE,
                null);
        decision = "suspicious".equals(level)
                ? new Decision(
                        0.5,
                        Transforms.chain(
                                List.of(new OutputSpec.ReverseSigmoid(1.0, 0.2)), ledger -> WatermarkSink.DISCARD),
                        List.of(),
                        List.of(),
                        null)
                : Decision.NONE;
        requests = new ByteBuf[BODIES];
        answers = new ByteBuf[BODIES];
        for (int i = 0; i < BODIES; i++) {
            double[][] rows = BenchData.noisyDigits(BenchData.BATCH, 300 + i);
            requests[i] = Unpooled.wrappedBuffer(BenchData.tfServingRequest(rows));
            answers[i] = Unpooled.wrappedBuffer(BenchData.tfServingAnswer(BenchData.predict(rows)));
        }
    }

    @TearDown
    public void tearDown() {
        for (int i = 0; i < BODIES; i++) {
            requests[i].release();
            answers[i].release();
        }
    }

    @Benchmark
    public int request() throws MalformedBodyException {
        int i = next;
        next = i + 1 == BODIES ? 0 : i + 1;
        double[][] inputs = adapter.inputs(requests[i]);
        PolicyStage.Result r = PolicyStage.answer(
                adapter,
                policy,
                true,
                false,
                answers[i],
                inputs,
                decision,
                "key-42",
                "tenant-1",
                Instant.now(),
                ThreadLocalRandom.current(),
                alloc,
                null);
        observed = r.detectorRows();
        ByteBuf out = r.body();
        if (r.outcome() != PolicyStage.Outcome.REWRITTEN) {
            throw new IllegalStateException("the benchmark answer was not rewritten: " + r.problem());
        }
        try {
            return out.readableBytes() + r.actions().size();
        } finally {
            out.release();
        }
    }
}
