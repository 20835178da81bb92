package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The answer's head as the client receives it, byte for byte, over real sockets, with a scripted
 * upstream: what the gateway removes (hop-by-hop fields, the fields {@code Connection} names, the
 * upstream's own request id) never reaches the client, what it adds ({@code Via}, {@code
 * X-Request-Id}) appears once, fields the upstream sent twice arrive as sent (order and case), and
 * heads with a bare CR or LF, a control character, obs-fold or conflicting framing are refused or
 * normalised, with nothing of them injected into the client's answer. Written for a splice of the
 * answer's head (fields forwarded as views of the upstream's bytes: commits 7731958, a2abd65 on
 * branch perfa4, measured slower and not kept, see benchmarks/profiles/README.md); it pins what any
 * later splice must keep.
 */
class AnswerSpliceIT {

    static ScriptedUpstream scripted;
    static Gateway gw;

    @BeforeAll
    static void start() throws Exception {
        scripted = new ScriptedUpstream();
        gw = Gateway.start(
                Gateway.common("\"1000/1m\"") + """
                upstreams:
                  scripted: {url: "SCRIPTED", response_timeout: 2s}
                routes:
                  - {path_prefix: /raw, upstream: scripted}
                """.replace("SCRIPTED", scripted.url()),
                java.net.URI.create("http://127.0.0.1:1"));
    }

    @AfterAll
    static void stop() throws Exception {
        gw.close();
        scripted.close();
    }

    /** The client's answer: its head's lines as received (CR LF removed), then the body. */
    private record Answer(List<String> lines, String head, String body) {
        long count(String name) {
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            return lines.stream()
                    .filter(l -> l.toLowerCase(Locale.ROOT).startsWith(prefix))
                    .count();
        }

        int status() {
            return Integer.parseInt(lines.get(0).split(" ")[1]);
        }
    }

    private static Answer get(String target) throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            String head = RawClient.readHead(c.input());
            assertThat(head).as("a whole head").isNotNull();
            List<String> lines =
                    Arrays.asList(head.substring(0, head.length() - 4).split("\r\n", -1));
            int length = 0;
            for (String l : lines) {
                if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(l.substring(15).trim());
                }
            }
            String body = new String(c.input().readNBytes(length), java.nio.charset.StandardCharsets.ISO_8859_1);
            return new Answer(lines, head, body);
        }
    }

    /** Every line of the head ends in CR LF: no bare CR or LF, no line starting with white space. */
    private static void wellFormed(Answer a) {
        String inner = a.head().substring(0, a.head().length() - 4);
        for (String line : inner.split("\r\n", -1)) {
            assertThat(line).doesNotContain("\r").doesNotContain("\n");
            assertThat(line).doesNotStartWith(" ").doesNotStartWith("\t");
        }
    }

    @Test
    void removedHeadersNeverReachTheClient() throws Exception {
        Answer a = get("/raw/splice-fields");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.head()).doesNotContain("X-Upstream-Secret").doesNotContain("s3cr3t-hop"); // Connection-named
        assertThat(a.count("keep-alive")).isZero();
        assertThat(a.count("proxy-authenticate")).isZero();
        assertThat(a.head()).doesNotContain("forged-id");
        assertThat(a.body()).isEqualTo("ok");
        wellFormed(a);
    }

    @Test
    void addedHeadersAppearOnce() throws Exception {
        Answer a = get("/raw/splice-fields");
        assertThat(a.count("x-request-id")).isEqualTo(1);
        assertThat(a.count("via")).isEqualTo(1);
        assertThat(a.lines()).contains("via: 1.0 inner, 1.1 moat");
        assertThat(a.count("content-length")).isEqualTo(1);
    }

    @Test
    void fieldsSentTwiceAreForwardedAsSentWithTheirCase() throws Exception {
        Answer a = get("/raw/splice-fields");
        assertThat(a.lines()).containsSubsequence("Set-Cookie: a=1", "set-cookie: b=2");
        assertThat(a.count("set-cookie")).isEqualTo(2);
        assertThat(a.lines()).contains("X-MiXeD-Case: A", "Content-Type: text/plain");
    }

    @Test
    void aBareCrInAValueIsRefusedNotInjected() throws Exception {
        Answer a = get("/raw/splice-cr");
        assertThat(a.status()).isEqualTo(502);
        assertThat(a.head()).doesNotContain("injected");
        wellFormed(a);
    }

    @Test
    void aBareLfIsNeverForwardedRaw() throws Exception {
        Answer a = get("/raw/splice-lf");
        assertThat(a.head()).doesNotContain("X-Evil: a\n");
        wellFormed(a);
    }

    @Test
    void aControlCharacterInAValueIsRefused() throws Exception {
        Answer a = get("/raw/splice-ctl");
        assertThat(a.status()).isEqualTo(502);
        assertThat(a.head()).doesNotContain("\u0001");
        wellFormed(a);
    }

    @Test
    void obsFoldIsNotForwardedAsAFold() throws Exception {
        Answer a = get("/raw/splice-fold");
        wellFormed(a);
    }

    @Test
    void conflictingLengthsAreRefused() throws Exception {
        Answer a = get("/raw/splice-two-lengths");
        assertThat(a.status()).isEqualTo(502);
        assertThat(a.head()).doesNotContain("X-A: b");
    }

    @Test
    void chunkedWithALengthIsFramedByTheChunks() throws Exception {
        Answer a = get("/raw/splice-te-cl");
        // Netty drops the length of a chunked answer (RFC 9112 section 6.3) or refuses it: never 40 bytes
        assertThat(a.lines()).doesNotContain("Content-Length: 40");
        wellFormed(a);
    }
}
