package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.moat.config.UpstreamConfig.GenericPointers;
import dev.moat.gateway.http.MalformedBodyException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * Fuzz tests for every protocol adapter's reader and writer. In a plain build each runs its
 * committed corpus ({@code src/test/resources/dev/moat/gateway/protocol/AdapterFuzzTestInputs/})
 * as regression tests; {@code JAZZER_FUZZ=1} fuzzes (see the README). The property: a body is
 * either read or refused with {@link MalformedBodyException} (nothing else escapes), an answer
 * that was read is written back in a shape that reads again to the same predictions, and no
 * buffer leaks (the paranoid leak detector and {@code LeakGuard} watch every run).
 */
class AdapterFuzzTest {

    private static final ProtocolAdapter GENERIC =
            new GenericAdapter(new GenericPointers("/data", "/result/probabilities", "/result/labels"));

    @FuzzTest(maxDuration = "30s")
    void tfserving(byte[] body) {
        exercise(new TfServingAdapter(), body);
    }

    @FuzzTest(maxDuration = "30s")
    void kserveV2(byte[] body) {
        exercise(new KServeV2Adapter(), body);
    }

    /**
     * Triton's binary tensor data extension: the first two bytes give the JSON header's length, the
     * rest is the body. A body is read or refused; what goes upstream reads again to the same rows
     * and asks for nothing in bytes; no buffer leaks.
     */
    @FuzzTest(maxDuration = "30s")
    void kserveV2Binary(byte[] input) {
        if (input.length < 2) {
            return;
        }
        ProtocolAdapter adapter = new KServeV2Adapter();
        ByteBuf body = Unpooled.wrappedBuffer(input, 2, input.length - 2);
        HttpHeaders headers =
                new DefaultHttpHeaders().set(KServeV2Adapter.JSON_LENGTH, ((input[0] & 0xFF) << 8) | (input[1] & 0xFF));
        try {
            ProtocolAdapter.Inbound in;
            try {
                in = adapter.read(body, headers, PooledByteBufAllocator.DEFAULT);
            } catch (MalformedBodyException expected) {
                return; // refused: the proxy answers 400
            }
            assertThat(body.readerIndex()).isZero();
            if (in.body() == body) {
                return;
            }
            try {
                ProtocolAdapter.Inbound again = adapter.read(in.body(), headers, PooledByteBufAllocator.DEFAULT);
                assertThat(again.body()).isSameAs(in.body());
                assertThat(again.rows()).isDeepEqualTo(in.rows());
            } catch (MalformedBodyException e) {
                throw new AssertionError("what goes upstream does not read again: " + e.getMessage(), e);
            } finally {
                in.body().release();
            }
        } finally {
            body.release();
        }
    }

    @FuzzTest(maxDuration = "30s")
    void openai(byte[] body) {
        exercise(new OpenAiAdapter(), body);
    }

    @FuzzTest(maxDuration = "30s")
    void generic(byte[] body) {
        exercise(GENERIC, body);
    }

    static void exercise(ProtocolAdapter adapter, byte[] bytes) {
        ByteBuf body = Unpooled.wrappedBuffer(bytes);
        try {
            int readerIndex = body.readerIndex();
            try {
                adapter.inputs(body);
            } catch (MalformedBodyException expected) {
                // refused: the proxy answers 400
            }
            assertThat(body.readerIndex()).isEqualTo(readerIndex);
            Answer answer;
            try {
                answer = adapter.parseAnswer(body);
            } catch (MalformedBodyException expected) {
                return; // refused: the proxy fails closed
            }
            double[][] preds = answer.predictions();
            ByteBuf out = adapter.writeAnswer(answer, copy(preds), List.of(), PooledByteBufAllocator.DEFAULT);
            try {
                Answer again = adapter.parseAnswer(out);
                assertThat(again.predictions()).hasSameDimensionsAs(preds);
            } catch (MalformedBodyException e) {
                throw new AssertionError("a written answer does not read again: " + e.getMessage(), e);
            } finally {
                out.release();
            }
        } finally {
            body.release();
        }
    }

    private static double[][] copy(double[][] rows) {
        double[][] c = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            c[i] = rows[i].clone();
        }
        return c;
    }
}
