package dev.moat.bench;

import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.Answer;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.protocol.ProtocolAdapters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The TF Serving protocol adapter on realistic bodies: a request of {@value BenchData#BATCH}
 * digits rows x 64 features (about 7 KB of JSON) and its answer of {@value BenchData#BATCH} rows x
 * 10 probabilities (about 1.7 KB). {@value #BODIES} different bodies are used in turn. The adapter
 * comes from {@link ProtocolAdapters#forUpstream}, as the gateway gets it; rewritten answers come
 * from the pooled allocator, as on an event loop, and are released in the benchmark.
 *
 * <p>The noisy rows make every one of the 512 input numbers a 17-digit double, the costly case
 * for the parser; {@link #requestInputsIntegerPixels} reads the plain dataset rows instead.
 *
 * <p><b>Budgets:</b> reading the request's rows 15 us; parsing the answer 5 us; parsing and
 * writing the answer back 10 us.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProtocolAdapterBenchmark {

    static final int BODIES = 16;

    ProtocolAdapter adapter;
    ByteBuf[] requests;
    ByteBuf[] integerRequests;
    ByteBuf[] answers;
    double[][][] predictions;
    /** Where rewritten answers come from; a test swaps in an instrumented one to check they are released. */
    ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    int next;

    @Setup
    public void setUp() {
        adapter = ProtocolAdapters.forUpstream(tfServing());
        requests = new ByteBuf[BODIES];
        integerRequests = new ByteBuf[BODIES];
        answers = new ByteBuf[BODIES];
        predictions = new double[BODIES][][];
        for (int i = 0; i < BODIES; i++) {
            double[][] rows = BenchData.noisyDigits(BenchData.BATCH, 100 + i);
            predictions[i] = BenchData.predict(rows);
            requests[i] = Unpooled.wrappedBuffer(BenchData.tfServingRequest(rows));
            integerRequests[i] = Unpooled.wrappedBuffer(
                    BenchData.tfServingRequestIntegers(BenchData.digits(BenchData.BATCH, 100 + i)));
            answers[i] = Unpooled.wrappedBuffer(BenchData.tfServingAnswer(predictions[i]));
        }
    }

    @TearDown
    public void tearDown() {
        for (int i = 0; i < BODIES; i++) {
            requests[i].release();
            integerRequests[i].release();
            answers[i].release();
        }
    }

    static UpstreamConfig tfServing() {
        return new UpstreamConfig(
                "digits",
                URI.create("http://127.0.0.1:8501"),
                Protocol.TFSERVING,
                Duration.ofSeconds(2),
                Duration.ofSeconds(30),
                64,
                null,
                null);
    }

    /** The request's feature rows, read before the request goes upstream (for detectors and the watermark). */
    @Benchmark
    public double[][] requestInputs() throws MalformedBodyException {
        return adapter.inputs(requests[advance()]);
    }

    /**
     * The same for digits sent as they are, whole pixels written as JSON integers (about 1.2 KB):
     * what a client of this model would really send, where the noisy rows above are the costly case.
     */
    @Benchmark
    public double[][] requestInputsIntegerPixels() throws MalformedBodyException {
        return adapter.inputs(integerRequests[advance()]);
    }

    /** The answer's probability rows. */
    @Benchmark
    public Answer parseAnswer() throws MalformedBodyException {
        return adapter.parseAnswer(answers[advance()]);
    }

    /** Parse and write back with new predictions (an answer can be written once, so both are measured together). */
    @Benchmark
    public int parseAndWriteAnswer() throws MalformedBodyException {
        int i = advance();
        Answer answer = adapter.parseAnswer(answers[i]);
        ByteBuf out = adapter.writeAnswer(answer, predictions[i], List.of(), alloc);
        try {
            return out.readableBytes();
        } finally {
            out.release();
        }
    }

    private int advance() {
        int i = next;
        next = i + 1 == BODIES ? 0 : i + 1;
        return i;
    }
}
