package dev.moat.gateway.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import dev.moat.gateway.RawClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Requests refused by their head alone (a method the gateway does not forward, a smuggling head, an
 * oversized head) get an access line each, with the id the answer carries in {@code X-Request-Id}:
 * before session 42 they were only counted in the metrics, so a scanner's probes left no trace an
 * operator could read. A target that failed the checks is logged without its query and with its
 * unprintable characters as {@code ?}.
 */
class RefusedHeadsLogIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static Gateway gw;
    static final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    static final Logger access = (Logger) LoggerFactory.getLogger("moat.access");

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"100/1m\"") + Gateway.GUARDED_DIGITS, upstream.baseUri());
        // a second appender: the access log then goes through Logback, not straight to stdout
        lines.start();
        access.addAppender(lines);
    }

    @AfterAll
    static void stop() {
        access.detachAppender(lines);
        gw.close();
    }

    /** Sends {@code head} alone on a new connection; returns the answer and the access lines it added. */
    private static Logged refused(String head) throws Exception {
        int before = lines.list.size();
        RawClient.Response r;
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send(head.getBytes(StandardCharsets.ISO_8859_1));
            r = c.readResponse();
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (lines.list.size() == before && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return new Logged(
                r,
                lines.list.subList(before, lines.list.size()).stream()
                        .map(ILoggingEvent::getFormattedMessage)
                        .toList());
    }

    private record Logged(RawClient.Response answer, List<String> lines) {}

    @Test
    void aTraceIsLoggedWithItsMethodStatusOutcomeAndId() throws Exception {
        Logged l = refused("TRACE /v1/models/digits?secret=1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: probe-1\r\n\r\n");
        assertThat(l.answer().status()).isEqualTo(405);
        assertThat(l.answer().header("x-request-id")).isEqualTo("probe-1");
        assertThat(l.lines())
                .singleElement()
                .satisfies(line -> assertThat(line)
                        .startsWith("id=probe-1 method=TRACE path=/v1/models/digits key=- route=- status=405")
                        .contains("outcome=method_refused")
                        .doesNotContain("secret"));
    }

    @Test
    void aSmugglingHeadIsLogged() throws Exception {
        Logged missingHost = refused("GET /v1/models/digits HTTP/1.1\r\nX-API-Key: k\r\n\r\n");
        assertThat(missingHost.answer().status()).isEqualTo(400);
        assertThat(missingHost.lines())
                .singleElement()
                .satisfies(line -> assertThat(line)
                        .contains(" method=GET path=/v1/models/digits key=- route=- status=400")
                        .contains("outcome=bad_request"));
        Logged l = refused("POST /v1/models/digits:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(l.answer().status()).isEqualTo(400);
        String id = l.answer().header("x-request-id");
        assertThat(id).isNotBlank();
        assertThat(l.lines())
                .singleElement()
                .satisfies(line -> assertThat(line)
                        // Netty's decoder refuses Content-Length beside Transfer-Encoding: no method or target read
                        .startsWith("id=" + id + " method=- path=- key=- route=- status=400")
                        .contains("outcome=bad_request"));
    }

    @Test
    void anOversizedHeadIsLoggedWithoutWhatTheDecoderMadeUp() throws Exception {
        Logged l = refused("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(l.answer().status()).isEqualTo(414);
        String id = l.answer().header("x-request-id");
        assertThat(l.lines())
                .singleElement()
                .satisfies(line -> assertThat(line)
                        .startsWith("id=" + id + " method=- path=- key=- route=- status=414")
                        .contains("outcome=bad_request"));
    }

    @Test
    void unprintableCharactersOfARefusedTargetAreNotWrittenToTheLog() throws Exception {
        Logged l = refused("TRACE /x\u001b[31mred\u007f HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(l.answer().status()).isEqualTo(405);
        assertThat(l.lines())
                .singleElement()
                .satisfies(line -> assertThat(line)
                        .contains("path=/x?[31mred? ")
                        .doesNotContain("\u001b")
                        .doesNotContain("\u007f"));
    }
}
