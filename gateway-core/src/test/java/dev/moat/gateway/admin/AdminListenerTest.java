package dev.moat.gateway.admin;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The admin connection's pipeline ({@link AdminInitializer}) on an {@link EmbeddedChannel} with a
 * driven clock and a stub gateway: who gets in, what is buffered for whom, and how long a
 * connection may take.
 */
class AdminListenerTest {

    static final String TOKEN = "a-token-of-24-characters";

    /** A gateway that answers every authorised call with {@link #answer} and counts them. */
    static class Stub implements AdminService {
        final String token;
        final List<AdminRequest> calls = new ArrayList<>();
        CompletableFuture<AdminHandler.Reply> answer =
                CompletableFuture.completedFuture(AdminHandler.Reply.json(HttpResponseStatus.OK, "{\"keys\":[]}"));

        Stub(String token) {
            this.token = token;
        }

        @Override
        public String scrape() {
            return "";
        }

        @Override
        public CompletableFuture<AdminHandler.Reply> ready() {
            return CompletableFuture.completedFuture(AdminHandler.Reply.text(HttpResponseStatus.OK, "ready\n"));
        }

        @Override
        public String token() {
            return token;
        }

        @Override
        public CompletableFuture<AdminHandler.Reply> admin(AdminRequest request) {
            calls.add(request);
            return answer;
        }
    }

    private static EmbeddedChannel channel(Stub stub) {
        return new EmbeddedChannel(new AdminInitializer(stub));
    }

    private static void in(EmbeddedChannel ch, String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, ISO_8859_1));
        ch.runPendingTasks();
    }

    private static String written(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            sb.append(b.toString(ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    private static void advance(EmbeddedChannel ch, long seconds) {
        ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
    }

    /**
     * A config built in code may hold an empty token (the YAML refuses one): {@code Bearer } with
     * nothing after it matched it, and the API answered anyone. An empty token now disables the API.
     */
    @Test
    void anEmptyTokenOpensNothingBypass() {
        Stub stub = new Stub("");
        EmbeddedChannel ch = channel(stub);
        in(ch, "GET /admin/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \r\n\r\n");
        assertThat(written(ch)).startsWith("HTTP/1.1 403 ").contains("admin-disabled");
        assertThat(stub.calls).isEmpty();
        assertFalse(ch.finishAndReleaseAll());
    }

    /** Without the token the answer comes after the head: the body is never waited for, nor buffered. */
    @Test
    void aBodyWithoutTheTokenIsNotBufferedBypass() {
        Stub stub = new Stub(TOKEN);
        EmbeddedChannel ch = channel(stub);
        in(
                ch,
                "POST /admin/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Length: 65000\r\n"
                        + "Expect: 100-continue\r\n\r\n{\"id\":");
        String out = written(ch);
        assertThat(out).startsWith("HTTP/1.1 401 ").doesNotContain("100 Continue");
        assertThat(ch.isOpen()).as("closed after the answer").isFalse();
        assertThat(stub.calls).isEmpty();
        assertFalse(ch.finishAndReleaseAll());
    }

    /** With the token a body is read whole and handed over, and the connection stays open. */
    @Test
    void theTokensCallsTakeABody() {
        Stub stub = new Stub(TOKEN);
        EmbeddedChannel ch = channel(stub);
        String body = "{\"id\":\"k1\",\"tier\":\"free\"}";
        in(
                ch,
                "POST /admin/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body.substring(0, 5));
        assertThat(stub.calls).isEmpty();
        in(ch, body.substring(5));
        assertThat(written(ch)).startsWith("HTTP/1.1 200 ");
        assertThat(stub.calls).singleElement().extracting(AdminRequest::body).isEqualTo(body);
        assertThat(ch.isOpen()).isTrue();
        assertFalse(ch.finishAndReleaseAll());
    }

    /**
     * A head sent a byte every 10 s was never cut off: the read timeout (60 s) started again at
     * each byte. A whole request must now arrive within 30 s of the connection opening.
     */
    @Test
    void aHeadSentAByteAtATimeIsCutOffBypass() {
        EmbeddedChannel ch = channel(new Stub(TOKEN));
        String head = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        for (int i = 0; i < 10 && ch.isOpen(); i++) {
            in(ch, head.substring(i, i + 1));
            advance(ch, 10);
        }
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finishAndReleaseAll());
    }

    /** The deadline does not run while a call is answered (a reload may take long), and starts again after. */
    @Test
    void aSlowAnswerKeepsTheConnectionAndAnIdleOneIsClosed() {
        Stub stub = new Stub(TOKEN);
        stub.answer = new CompletableFuture<>();
        EmbeddedChannel ch = channel(stub);
        in(ch, "POST /admin/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n");
        advance(ch, 120);
        assertThat(ch.isOpen()).as("open while the answer is worked on").isTrue();
        stub.answer.complete(AdminHandler.Reply.json(HttpResponseStatus.OK, "{\"result\":\"ok\"}"));
        ch.runPendingTasks();
        assertThat(written(ch)).startsWith("HTTP/1.1 200 ");
        advance(ch, AdminReadDeadline.DEADLINE_SECONDS - 1);
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 2);
        assertThat(ch.isOpen()).as("idle past the deadline").isFalse();
        assertFalse(ch.finishAndReleaseAll());
    }

    /**
     * A route that threw (the history route's substring on a key named {@code history}) or a target
     * that is not valid percent-encoding went up the pipeline unanswered; the caller waited until
     * it gave up. Both are answered now.
     */
    @Test
    void aRouteThatThrowsIsAnswered() {
        EmbeddedChannel ch = channel(new Stub(TOKEN) {
            @Override
            public CompletableFuture<AdminHandler.Reply> admin(AdminRequest request) {
                throw new StringIndexOutOfBoundsException("begin 12, end 11, length 19");
            }
        });
        in(ch, "GET /admin/keys/history HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n");
        assertThat(written(ch)).startsWith("HTTP/1.1 500 ").contains("admin-call-failed");
        in(ch, "GET /admin/keys/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n");
        assertThat(written(ch)).startsWith("HTTP/1.1 400 ").contains("percent-encoding");
        assertFalse(ch.finishAndReleaseAll());
    }
}
