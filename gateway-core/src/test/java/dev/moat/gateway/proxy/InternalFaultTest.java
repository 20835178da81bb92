package dev.moat.gateway.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import java.io.IOException;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/**
 * A fault of the gateway's own while a request is handled (an exception that reaches the front end,
 * not the client's connection failing) is answered 500 problem+json and closed, where the connection
 * used to be cut without a word and the fault logged only at debug level. A client's I/O error
 * still only closes.
 */
class InternalFaultTest {

    /** A policy route: the body is read whole before any upstream call, so the request waits on it. */
    static final String POLICY_ROUTE = """
            upstreams:
              tf: {url: "http://127.0.0.1:9", protocol: tfserving}
            routes:
              - {path_prefix: /v1/models/digits, upstream: tf, policy: rounded}
            policies:
              rounded:
                outputs:
                  - round: 1
            """;

    private static final String HEAD = "POST /v1/models/digits:predict HTTP/1.1\r\nHost: x\r\nX-API-Key: "
            + EmbeddedGateway.KEY + "\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n";

    /** A connection from {@code ip} whose request head was read and admitted, its body still to come. */
    private static EmbeddedChannel admitted(EmbeddedGateway gw, String ip) throws Exception {
        EmbeddedChannel ch = gw.connect(ip);
        ch.read();
        ch.writeInbound(Unpooled.copiedBuffer(HEAD, ISO_8859_1));
        ch.runPendingTasks();
        return ch;
    }

    @Test
    void aFaultWhileARequestIsHandledIsAnswered500AndClosed() throws Exception {
        try (EmbeddedGateway gw = new EmbeddedGateway(POLICY_ROUTE)) {
            EmbeddedChannel ch = admitted(gw, "10.0.0.1");
            ch.pipeline().fireExceptionCaught(new IllegalStateException("a bug"));
            ch.runPendingTasks();
            String answer = EmbeddedGateway.written(ch);
            // the close lingers (the rest of the body is read and dropped), then comes
            ch.advanceTimeBy(FrontendHandler.LINGER_MILLIS + 1, java.util.concurrent.TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            boolean open = ch.isOpen();
            ch.finishAndReleaseAll();
            assertThat(answer)
                    .startsWith("HTTP/1.1 500 ")
                    .contains("application/problem+json")
                    .contains("internal-error")
                    .doesNotContain("a bug")
                    .containsIgnoringCase("connection: close");
            assertThat(open).isFalse();
        }
    }

    @Test
    void aClientsConnectionErrorOnlyCloses() throws Exception {
        try (EmbeddedGateway gw = new EmbeddedGateway(POLICY_ROUTE)) {
            EmbeddedChannel ch = admitted(gw, "10.0.0.2");
            ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            ch.runPendingTasks();
            String answer = EmbeddedGateway.written(ch);
            boolean open = ch.isOpen();
            ch.finishAndReleaseAll();
            assertThat(answer).isEmpty();
            assertThat(open).isFalse();
        }
    }

    /**
     * A decoder's complaint about the client's bytes (a TLS record that is not one, or one that fails
     * its MAC, as Netty's {@code DecoderException} wrapping the {@code SSLException}; a corrupted
     * frame) is the client's connection failing, not a fault of the gateway's own: closed without a
     * 500 and without counting {@code internal_error} (session 44's review; logged at debug, see
     * {@code TlsClientFaultIT}).
     */
    @Test
    void aClientsUndecodableBytesAreNoInternalError() throws Exception {
        List<Throwable> faults = List.of(
                new DecoderException(new NotSslRecordException("not an SSL/TLS record: 474554")),
                new DecoderException(new SSLException("Tag mismatch!")),
                new CorruptedFrameException("bad frame"));
        for (Throwable fault : faults) {
            try (EmbeddedGateway gw = new EmbeddedGateway(POLICY_ROUTE)) {
                EmbeddedChannel ch = admitted(gw, "10.0.0.3");
                ch.pipeline().fireExceptionCaught(fault);
                ch.runPendingTasks();
                String answer = EmbeddedGateway.written(ch);
                boolean open = ch.isOpen();
                ch.finishAndReleaseAll();
                assertThat(answer).as("%s", fault).isEmpty();
                assertThat(open).as("%s", fault).isFalse();
                var faults500 = gw.gw.metrics()
                        .registry()
                        .find("moat_requests_total")
                        .tag("outcome", "internal_error")
                        .counter();
                assertThat(faults500 == null ? 0 : faults500.count())
                        .as("%s", fault)
                        .isZero();
            }
        }
    }

    /**
     * A fault whose 500 cannot be made either (the allocator fails, as it does when direct memory is
     * exhausted) still closes the connection: exceptionCaught must not throw and leave it open, as
     * it closed before the 500 answer was added.
     */
    @Test
    void aFaultWhoseAnswerCannotBeMadeStillCloses() throws Exception {
        try (EmbeddedGateway gw = new EmbeddedGateway(POLICY_ROUTE)) {
            EmbeddedChannel ch = admitted(gw, "10.0.0.4");
            ch.config().setAllocator(new AbstractByteBufAllocator() {
                @Override
                protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                    throw new OutOfMemoryError("simulated: no memory for the answer");
                }

                @Override
                protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                    throw new OutOfMemoryError("simulated: no memory for the answer");
                }

                @Override
                public boolean isDirectBufferPooled() {
                    return false;
                }
            });
            ch.pipeline().fireExceptionCaught(new IllegalStateException("a bug"));
            ch.runPendingTasks();
            String answer = EmbeddedGateway.written(ch);
            boolean open = ch.isOpen();
            ch.finishAndReleaseAll();
            assertThat(answer).isEmpty();
            assertThat(open).isFalse();
        }
    }
}
