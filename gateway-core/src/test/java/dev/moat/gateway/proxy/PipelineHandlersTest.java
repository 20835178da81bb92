package dev.moat.gateway.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Each client-pipeline handler on an {@link EmbeddedChannel} with a driven clock: the read
 * deadlines, the per-address connection limit, the front end's refusals, and header rewriting.
 */
class PipelineHandlersTest {

    private static void in(EmbeddedChannel ch, String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, ISO_8859_1));
        ch.runPendingTasks();
    }

    // --- head-read timeout (read deadlines)

    /** Records the deadline events instead of a front end. */
    static final class Events extends ChannelInboundHandlerAdapter {
        final List<Object> seen = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            seen.add(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    private static EmbeddedChannel deadlines(Events events) {
        return new EmbeddedChannel(
                new HeadReadTimeoutHandler(
                        TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(3), TimeUnit.SECONDS.toNanos(5)),
                events);
    }

    @Test
    void aSilentConnectionTimesOutAfterKeepAlive() {
        Events events = new Events();
        EmbeddedChannel ch = deadlines(events);
        ch.advanceTimeBy(4900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).isEmpty();
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).containsExactly(HeadReadTimeoutHandler.TIMED_OUT);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aTrickledHeadTimesOutAfterHeaderRead() {
        Events events = new Events();
        EmbeddedChannel ch = deadlines(events);
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", ISO_8859_1));
        ch.advanceTimeBy(1100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).containsExactly(HeadReadTimeoutHandler.TIMED_OUT);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aSlowBodyTimesOutAtRequestReadAndARequestFullyReadHasNoDeadline() {
        Events events = new Events();
        EmbeddedChannel ch = deadlines(events);
        ch.writeInbound(Unpooled.copiedBuffer("POST / HTTP/1.1\r\n", ISO_8859_1));
        HeadReadTimeoutHandler.headReceived(ch.pipeline().firstContext());
        ch.advanceTimeBy(2900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).isEmpty();
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).containsExactly(HeadReadTimeoutHandler.TIMED_OUT);

        Events quiet = new Events();
        EmbeddedChannel read = deadlines(quiet);
        read.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", ISO_8859_1));
        HeadReadTimeoutHandler.headReceived(read.pipeline().firstContext());
        HeadReadTimeoutHandler.requestRead(read.pipeline().firstContext());
        read.advanceTimeBy(60, TimeUnit.SECONDS);
        read.runScheduledPendingTasks();
        assertThat(quiet.seen)
                .as("the upstream's response_timeout bounds the rest")
                .isEmpty();
        assertFalse(ch.finishAndReleaseAll());
        assertFalse(read.finishAndReleaseAll());
    }

    @Test
    void idleShorterThanKeepAliveClosesASilentConnectionAtIdle() {
        Events events = new Events();
        EmbeddedChannel ch = new EmbeddedChannel(
                new HeadReadTimeoutHandler(
                        TimeUnit.SECONDS.toNanos(1),
                        TimeUnit.SECONDS.toNanos(3),
                        TimeUnit.SECONDS.toNanos(5),
                        TimeUnit.MILLISECONDS.toNanos(400)),
                events);
        ch.advanceTimeBy(300, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).isEmpty();
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).containsExactly(HeadReadTimeoutHandler.TIMED_OUT);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void idleShorterThanHeaderReadCutsAHeadOffIdleAfterItsLastByteNotItsFirst() {
        Events events = new Events();
        EmbeddedChannel ch = new EmbeddedChannel(
                new HeadReadTimeoutHandler(
                        TimeUnit.SECONDS.toNanos(1),
                        TimeUnit.SECONDS.toNanos(3),
                        TimeUnit.SECONDS.toNanos(5),
                        TimeUnit.MILLISECONDS.toNanos(400)),
                events);
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", ISO_8859_1));
        ch.advanceTimeBy(300, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.writeInbound(Unpooled.copiedBuffer("Host: x\r\n", ISO_8859_1)); // moves the idle deadline
        ch.advanceTimeBy(300, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen)
                .as("600 ms after the first byte, 300 ms after the last")
                .isEmpty();
        ch.advanceTimeBy(150, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).containsExactly(HeadReadTimeoutHandler.TIMED_OUT);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aHeadTrickledFasterThanIdleIsStillCutOffAtHeaderRead() {
        Events events = new Events();
        EmbeddedChannel ch = new EmbeddedChannel(
                new HeadReadTimeoutHandler(
                        TimeUnit.SECONDS.toNanos(1),
                        TimeUnit.SECONDS.toNanos(3),
                        TimeUnit.SECONDS.toNanos(5),
                        TimeUnit.MILLISECONDS.toNanos(400)),
                events);
        for (int i = 0; i < 9; i++) {
            ch.writeInbound(Unpooled.copiedBuffer("X", ISO_8859_1));
            ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
        }
        assertThat(events.seen).isEmpty();
        ch.writeInbound(Unpooled.copiedBuffer("X", ISO_8859_1));
        ch.advanceTimeBy(150, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(events.seen).containsExactly(HeadReadTimeoutHandler.TIMED_OUT);
        assertFalse(ch.finishAndReleaseAll());
    }

    // --- connection limit

    @Test
    void aThirdUnauthenticatedConnectionFromOneAddressGets429AndIsClosed() throws Exception {
        EmbeddedGateway gw = new EmbeddedGateway();
        EmbeddedChannel a = gw.connect("10.0.0.1");
        EmbeddedChannel b = gw.connect("10.0.0.1");
        EmbeddedChannel c = gw.connect("10.0.0.1");
        EmbeddedChannel other = gw.connect("10.0.0.2");
        assertThat(EmbeddedGateway.written(c)).startsWith("HTTP/1.1 429 ").contains("connection: close");
        c.advanceTimeBy(FrontendHandler.REFUSED_LINGER_MILLIS + 10, TimeUnit.MILLISECONDS);
        c.runScheduledPendingTasks();
        assertThat(c.isOpen()).as("closed after a short lingering read").isFalse();
        assertThat(EmbeddedGateway.written(other)).isEmpty();
        assertThat(other.isOpen()).isTrue();
        a.close();
        EmbeddedChannel d = gw.connect("10.0.0.1");
        assertThat(EmbeddedGateway.written(d))
                .as("a closed connection frees its place")
                .isEmpty();
        assertThat(gw.perAddress.held(java.net.InetAddress.getByName("10.0.0.1")))
                .isEqualTo(2);
        // a request with a valid key takes its connection out of the count
        in(b, "GET /v1/models/x HTTP/1.1\r\nHost: x\r\nX-API-Key: " + EmbeddedGateway.KEY + "\r\n\r\n");
        assertThat(gw.perAddress.held(java.net.InetAddress.getByName("10.0.0.1")))
                .isEqualTo(1);
        assertFalse(a.finishAndReleaseAll());
        b.finishAndReleaseAll(); // its upstream call failed on the embedded loop; whatever it wrote is released
        assertFalse(c.finishAndReleaseAll());
        assertFalse(d.finishAndReleaseAll());
        assertFalse(other.finishAndReleaseAll());
    }

    // --- front end

    @Test
    void theFrontEndRefusesBadHeadsAndClosesOnARejectedBody() throws Exception {
        EmbeddedGateway gw = new EmbeddedGateway();
        EmbeddedChannel ch = gw.connect("10.0.1.1");
        in(ch, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(EmbeddedGateway.written(ch)).startsWith("HTTP/1.1 404 ");
        assertThat(ch.isOpen()).as("a bodyless rejection keeps the connection").isTrue();
        in(ch, "POST /v1/models/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
        String answer = EmbeddedGateway.written(ch);
        assertThat(answer).startsWith("HTTP/1.1 401 ").contains("connection: close");
        ch.advanceTimeBy(FrontendHandler.LINGER_MILLIS + 10, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).as("closed after the lingering read").isFalse();
        assertFalse(ch.finishAndReleaseAll());

        EmbeddedChannel connect = gw.connect("10.0.1.2");
        in(connect, "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n");
        assertThat(EmbeddedGateway.written(connect)).startsWith("HTTP/1.1 405 ").contains("allow: GET, HEAD");
        assertFalse(connect.finishAndReleaseAll());

        EmbeddedChannel encoded = gw.connect("10.0.1.3");
        in(encoded, "GET /v1/models%2Fx HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(EmbeddedGateway.written(encoded)).startsWith("HTTP/1.1 400 ");
        assertFalse(encoded.finishAndReleaseAll());
    }

    @Test
    void aKeptAliveConnectionIsClosedAfterKeepAlive() throws Exception {
        EmbeddedGateway gw = new EmbeddedGateway();
        EmbeddedChannel ch = gw.connect("10.0.2.1");
        in(ch, "POST /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"); // 404, keep-alive
        EmbeddedGateway.written(ch);
        ch.advanceTimeBy(5100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).as("keep_alive passed").isFalse();
        assertFalse(ch.finishAndReleaseAll());
    }

    // --- header rewriting

    @Test
    void headerRewritingRemovesHopByHopFieldsAndSecrets() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "close, X-Secret")
                .add("X-Secret", "s")
                .add("Keep-Alive", "timeout=5")
                .add("Authorization", "Bearer k")
                .add("X-API-Key", "k")
                .add("Host", "client.example")
                .add("Upgrade", "h2c")
                .add("Trailer", "X-API-Key");
        HeaderRewriter.toUpstream(h, "model:8501", "10.0.0.1", false, "rid");
        assertThat(h.names())
                .doesNotContain(
                        "Connection", "X-Secret", "Keep-Alive", "Authorization", "X-API-Key", "Upgrade", "Trailer");
        assertThat(h.get("Host")).isEqualTo("model:8501");
        assertThat(h.get("X-Forwarded-Host")).isEqualTo("client.example");
        assertThat(h.get("Via")).isEqualTo("1.1 moat");
        assertFalse(ch.finishAndReleaseAll());
    }
}
