package dev.moat.gateway.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fuzz tests for the request path. {@link #requestHeadAndBody} feeds arbitrary bytes to a client
 * connection's whole pipeline on an {@link EmbeddedChannel} (connection limit, read deadlines,
 * HTTP codec, flow control, front end, gate); {@link #requestTarget} feeds arbitrary targets to
 * the normalisation. In a plain build each runs its committed corpus
 * ({@code src/test/resources/dev/moat/gateway/proxy/EdgeFuzzTestInputs/}) as regression tests;
 * {@code JAZZER_FUZZ=1} fuzzes. Properties: no exception escapes, no buffer leaks, every byte
 * written is an HTTP answer, nothing is forwarded without the key (the embedded upstream can
 * never connect, so a forwarded request shows as a 502), and every accepted target is its own
 * normal form with nothing left for an upstream to decode.
 */
class EdgeFuzzTest {

    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
    private static EmbeddedGateway gateway;
    private static int next;

    @FuzzTest(maxDuration = "60s")
    void requestHeadAndBody(byte[] wire) throws Exception {
        if (gateway == null) {
            gateway = new EmbeddedGateway();
        }
        EmbeddedChannel ch = gateway.connect("10.8." + (next >> 8 & 0xff) + "." + (next++ & 0xff));
        ch.writeInbound(Unpooled.wrappedBuffer(wire));
        ch.runPendingTasks();
        ch.advanceTimeBy(10, TimeUnit.SECONDS); // every deadline passes
        ch.runScheduledPendingTasks();
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(ISO_8859_1));
            b.release();
        }
        ch.finishAndReleaseAll();
        String written = out.toString();
        if (!written.isEmpty()) {
            assertThat(written).startsWith("HTTP/1.1 ");
        }
        boolean hasKey = new String(wire, ISO_8859_1).contains(EmbeddedGateway.KEY);
        Matcher m = STATUS.matcher(written);
        while (m.find()) {
            int status = Integer.parseInt(m.group(1));
            if (status == 502 || status == 504) {
                assertThat(hasKey).as("forwarded without the key: " + written).isTrue();
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    void requestTarget(byte[] raw) {
        String target = new String(raw, ISO_8859_1);
        RequestTarget.Result r = RequestTarget.normalise(target);
        if (!r.ok()) {
            return;
        }
        String path = r.path();
        assertThat(path).startsWith("/").doesNotContain("//", "%", "\\", ";", "#");
        assertThat(("/" + path + "/").contains("/./") || ("/" + path + "/").contains("/../"))
                .as(path)
                .isFalse();
        for (int i = 0; i < path.length(); i++) {
            assertThat(path.charAt(i)).isBetween('!', '~');
        }
        RequestTarget.Result again = RequestTarget.normalise(r.target());
        assertThat(again.target()).as("idempotent").isEqualTo(r.target());
    }
}
