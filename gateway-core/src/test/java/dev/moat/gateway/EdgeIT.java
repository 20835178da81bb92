package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a hostile client finds at the edge, over raw sockets (issue 10): request targets that
 * would route around a policy, refused methods, Host rules, interim answers, framing for
 * HTTP/1.0, request trailers, coded and streamed answers on policy routes, status reads.
 */
class EdgeIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static ScriptedUpstream scripted;
    static Gateway gw;

    /** A policy answer is rounded to one decimal; the model's raw answer has many. */
    static final Pattern RAW_PROBABILITY = Pattern.compile("\\d\\.\\d{2,}");

    static final String ROW = "{\"instances\": [[" + "0,".repeat(63) + "0]]}";

    @BeforeAll
    static void start() throws Exception {
        scripted = new ScriptedUpstream();
        gw = Gateway.start(Gateway.common("\"1000/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", protocol: tfserving, response_timeout: 5s}
                  scripted: {url: "SCRIPTED", response_timeout: 400ms}
                  scripted_tf: {url: "SCRIPTED", protocol: tfserving, response_timeout: 2s}
                  scripted_llm: {url: "SCRIPTED", protocol: openai, response_timeout: 2s}
                routes:
                  - {path_prefix: /v1/models, upstream: model}
                  - {path_prefix: /v1/models/digits, upstream: model, policy: strict}
                  - {path_prefix: /echo, upstream: model}
                  - {path_prefix: /raw, upstream: scripted}
                  - {path_prefix: /guarded, upstream: scripted_tf, policy: strict}
                  - {path_prefix: /llm, upstream: scripted_llm, policy: llm}
                  - {path_prefix: /watched, upstream: scripted_tf, policy: watched}
                policies:
                  strict:
                    outputs:
                      - round: 1
                  watched:
                    outputs:
                      - round: 1
                    detectors: {volume: {}}
                  llm:
                    llm: {max_top_logprobs: 2}
                """.replace("SCRIPTED", scripted.url()), upstream.baseUri());
    }

    @AfterAll
    static void stop() throws Exception {
        gw.close();
        scripted.close();
    }

    private static RawClient.Response send(String request) throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send(request);
            return c.readResponse();
        }
    }

    private static String post(String target, String body) {
        return "POST " + target + " HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    // --- (2) the request target is normalised once, then routed and forwarded alike

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/v1/models/digits:predict",
                "/v1/models/digit%73:predict",
                "/v1/models/digit%73%3Apredict",
                "/v1/models/%64igits:predict",
                "/v1/models/x/%2e%2e/digits:predict",
                "/v1/models/x/%2E%2e/digits:predict",
                "/v1/models/x/../digits:predict",
                "/v1/models/./digits:predict",
                "/v1/models//digits:predict",
                "//v1/models/digits:predict",
                "/v1/models/x/y/../../digits:predict",
                "/../v1/models/digits:predict",
                "http://evil.example/v1/models/digit%73:predict",
            })
    void percentEncodingAndDotSegmentsCannotRouteAroundThePolicy(String target) throws Exception {
        RawClient.Response r = send(post(target, ROW));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("predictions");
        assertThat(RAW_PROBABILITY.matcher(r.body()).find())
                .as("the policy (round: 1) applied: " + r.body())
                .isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/v1/models/digit%2573:predict", // double encoding
                "/v1/models/digits%2F..%2F:predict", // encoded slash
                "/v1/models%2fdigits:predict",
                "/v1/models/digits%5C:predict", // encoded backslash
                "/v1/models\\digits:predict", // backslash
                "/v1/models/digits;x=1:predict", // path parameter
                "/v1/models;x/digits:predict",
                "/v1/models/digits%3Bx:predict",
                "/v1/models/digits%00:predict", // NUL
                "/v1/models/digits%0A:predict", // control
                "/v1/models/%C0%AE%C0%AE/digits:predict", // overlong UTF-8 '..'
                "/v1/models/digit%zz:predict", // invalid escape
                "/v1/models/digit%7:predict",
                "/v1/models/digits:predict?x=%00",
                "*",
                "v1/models/digits:predict",
            })
    void ambiguousTargetsAre400AndNeverForwarded(String target) throws Exception {
        int before = scripted.requests.size();
        RawClient.Response r = send(post(target, ROW));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.header("content-type")).isEqualTo("application/problem+json");
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(r.body()).doesNotContain("predictions");
        assertThat(scripted.requests).hasSize(before);
    }

    @Test
    void theNormalisedTargetIsWhatIsForwardedQueryKept() throws Exception {
        RawClient.Response r = send(
                "GET /a/./b/../../%65cho?q=%2F1&x=y HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"uri\":\"/echo?q=%2F1&x=y\"");
    }

    // --- (3) methods

    @ParameterizedTest
    @ValueSource(strings = {"CONNECT /raw/x HTTP/1.1", "CONNECT 127.0.0.1:80 HTTP/1.1", "TRACE /raw/x HTTP/1.1"})
    void connectAndTraceAre405AndNeverForwarded(String requestLine) throws Exception {
        int before = scripted.requests.size();
        RawClient.Response r = send(requestLine + "\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("allow")).isEqualTo("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        assertThat(r.header("content-type")).isEqualTo("application/problem+json");
        assertThat(scripted.requests).hasSize(before);
    }

    @Test
    void unknownMethodsAre501() throws Exception {
        RawClient.Response r = send("PROPFIND /raw/x HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(501);
    }

    // --- (7) Host

    @Test
    void noHostOrTwoHostsIs400() throws Exception {
        assertThat(send("GET /echo HTTP/1.1\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n")
                        .status())
                .isEqualTo(400);
        assertThat(send("GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n")
                        .status())
                .isEqualTo(400);
        assertThat(send("GET /echo HTTP/1.1\r\nHost: a, b\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n")
                        .status())
                .isEqualTo(400);
        // HTTP/1.0 may omit it; then no X-Forwarded-Host reaches the upstream, not even the client's own
        // (session 42's review: it passed as if the gateway had set it)
        RawClient.Response r = send(
                "GET /echo HTTP/1.0\r\nX-API-Key: " + Gateway.ALICE + "\r\nX-Forwarded-Host: evil.example\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(r.body()).path("headers").has("x-forwarded-host"))
                .as(r.body())
                .isFalse();
    }

    // --- (4) interim answers

    @Test
    void earlyHintsAreRelayedThenTheFinalAnswer() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET /raw/early-hints HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            RawClient.Response hints = c.readResponse();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("link")).isEqualTo("</s.css>; rel=preload");
            RawClient.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok");
        }
    }

    @Test
    void anUpstream100ContinueIsSkippedNot502() throws Exception {
        RawClient.Response r = send(post("/raw/continue", "{}"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
    }

    // --- (5) malformed chunk sizes, upstream silence

    @Test
    void aMalformedRequestChunkSizeIs400Not502() throws Exception {
        RawClient.Response r = send("POST /raw/x HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
    }

    @Test
    void anUpstreamSilentUntilTheTimeoutIs504Not502AndCountedAsTimeout() throws Exception {
        RawClient.Response r = send(post("/raw/silent", "{}"));
        assertThat(r.status()).isEqualTo(504);
        RawClient.Response g = send("GET /raw/silent HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
        assertThat(g.status()).isEqualTo(504);
        // the exchange is counted when it finishes, which may be just after the client read its answer
        java.util.regex.Pattern counted =
                java.util.regex.Pattern.compile("moat_requests_total\\{outcome=\"timeout\",route=\"/raw\"} 2.0");
        String metrics = gw.metrics();
        for (int i = 0; i < 200 && !counted.matcher(metrics).find(); i++) {
            Thread.sleep(25);
            metrics = gw.metrics();
        }
        assertThat(metrics).containsPattern(counted);
    }

    // --- (6) HTTP/1.0

    @Test
    void anHttp10ClientGetsNoChunkedAnswerAndTheCloseEndsIt() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET /raw/chunked HTTP/1.0\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            RawClient.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("transfer-encoding")).isNull();
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(r.body()).isEqualTo("hello world");
        }
    }

    @Test
    void anHttp10ClientIsKeptAliveOnlyWhenItAsks() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET /raw/x HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\n\r\n");
            RawClient.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("connection")).isEqualTo("keep-alive");
            c.send("GET /raw/x HTTP/1.0\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            RawClient.Response second = c.readResponse();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    // --- (8) request trailers

    @Test
    void requestTrailersCannotCarryTheApiKeyUpstream() throws Exception {
        String secret = "trailer-secret-" + System.nanoTime();
        RawClient.Response r = send("POST /raw/trailers HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                + "\r\nTransfer-Encoding: chunked\r\nTrailer: X-API-Key, Authorization\r\n\r\n"
                + "5\r\nhello\r\n0\r\nX-API-Key: " + secret + "\r\nAuthorization: Bearer " + secret
                + "\r\nX-Other: " + secret + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        String forwarded = scripted.requests.stream()
                .filter(q -> q.startsWith("POST /raw/trailers"))
                .findFirst()
                .orElseThrow();
        assertThat(forwarded).contains("hello").doesNotContain(secret).doesNotContain(Gateway.ALICE);
    }

    // --- (9) coded answers on a policy route, (12) streams a policy cannot transform

    @Test
    void aGzipErrorBodyPassedThroughKeepsItsContentEncoding() throws Exception {
        RawClient.Response r = send(post("/guarded/gzip-error", ROW));
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.header("content-encoding")).isEqualTo("gzip");
    }

    @Test
    void aGzipEventStreamIsNotDecodedAsTextItFailsClosed() throws Exception {
        RawClient.Response r = send(post("/llm/gzip-sse", "{\"prompt\": \"hi\"}"));
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.body()).contains("event stream");
    }

    @Test
    void anEventStreamOnATfservingPolicyRouteCannotPassRawProbabilities() throws Exception {
        RawClient.Response r = send(post("/guarded/sse", ROW));
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.body()).doesNotContain("0.123456789");
    }

    /**
     * A coded request body on a policy route is decoded (gzip, deflate) or refused: another coding
     * 415 with the codings taken, bytes that are not of their coding 400, and a body that decodes past
     * {@code max_request_bytes} 413 (a few kilobytes of gzip decode to gigabytes), none of them sent
     * upstream.
     */
    @Test
    void codedBodiesAreDecodedOrRefusedBeforeTheModelBypass() throws Exception {
        String json = "{\"instances\": [" + "[" + "1,".repeat(63) + "1]" + "]}";
        java.io.ByteArrayOutputStream bomb = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(bomb)) {
            byte[] spaces = new byte[1 << 20];
            java.util.Arrays.fill(spaces, (byte) ' ');
            z.write("{\"instances\": ".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 5; i++) {
                z.write(spaces); // 5 MiB of whitespace: over the 4 MiB limit once decoded
            }
        }
        java.io.ByteArrayOutputStream ok = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(ok)) {
            z.write(json.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        record Case(String coding, byte[] body, int status) {}
        for (Case c : java.util.List.of(
                new Case("gzip", ok.toByteArray(), 200),
                new Case("br", ok.toByteArray(), 415),
                new Case("gzip, gzip", ok.toByteArray(), 415),
                new Case("gzip", json.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 400),
                new Case("gzip", bomb.toByteArray(), 413))) {
            try (RawClient raw = new RawClient(gw.server.port())) {
                String head = "POST /v1/models/digits:predict HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                        + "\r\nContent-Type: application/json\r\nContent-Encoding: " + c.coding()
                        + "\r\nContent-Length: " + c.body().length + "\r\n\r\n";
                raw.send(head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                raw.send(c.body());
                RawClient.Response r = raw.readResponse();
                assertThat(r.status()).as(c.coding() + " -> " + r.body()).isEqualTo(c.status());
                if (c.status() == 415) {
                    assertThat(r.header("accept-encoding")).isEqualTo("gzip, deflate");
                }
                if (c.status() == 200) {
                    assertThat(r.body()).as("the policy (round: 1) applied").contains("predictions");
                }
            }
        }
    }

    /**
     * A model that answers one row for a batch of three: each input row is still a detection event
     * (with an empty prediction). Before, an answer whose rows did not pair with the request's
     * reached no detector at all, so such a request was never counted.
     */
    @Test
    void inputRowsAnsweredUnpairedStillCountAsEventsBypass() throws Exception {
        gw.server.defences().engine().awaitIdle(java.time.Duration.ofSeconds(5));
        long before = gw.server.defences().engine().verdict("alice").queries();
        RawClient.Response r = send(post("/watched/one-row", "{\"instances\": [" + "[1, 2], ".repeat(2) + "[1, 2]]}"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        gw.server.defences().engine().awaitIdle(java.time.Duration.ofSeconds(5));
        assertThat(gw.server.defences().engine().verdict("alice").queries()).isEqualTo(before + 3);
    }

    // --- (11) status and metadata reads under a policy prefix

    @Test
    void statusReadsUnderAPolicyPrefixPassButPredictionsDoNot() throws Exception {
        RawClient.Response status =
                send("GET /v1/models/digits HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
        assertThat(status.status()).as(status.body()).isEqualTo(200);
        assertThat(status.body()).contains("model_version_status");
        // a GET that carries a body, or a query, is not a status read: it meets the policy
        RawClient.Response withBody =
                send(post("/v1/models/digits:predict", ROW).replace("POST", "GET"));
        assertThat(RAW_PROBABILITY.matcher(withBody.body()).find()).isFalse();
        RawClient.Response withQuery =
                send("GET /v1/models/digits:predict?instances=1 HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                        + "\r\n\r\n");
        assertThat(withQuery.status()).isEqualTo(400);
    }

    /**
     * Session 42's outside audit: a client naming {@code Content-Length} in {@code Connection} had the
     * gateway drop the length from the forwarded head (as a hop-by-hop field), so on a plain route the
     * body went upstream unframed and the model server read a request smuggled in it as the next one
     * on that connection: the answer to the client's next request was 200 rows of raw probabilities
     * from the guarded path, for two tokens, past every detector and output defence. Now the length
     * stays, and the smuggled bytes are only the body they were sent as.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Content-Length", "keep-alive, content-length", "CONTENT-LENGTH"})
    void aConnectionOptionNamingContentLengthCannotSmuggleARequestPastThePolicyBypass(String option) throws Exception {
        String rows = "{\"instances\": [" + String.join(", ", java.util.Collections.nCopies(20, ROW)) + "]}";
        String smuggled = "POST /v1/models/digits:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + rows.length() + "\r\n\r\n" + rows;
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\nConnection: " + option
                    + "\r\nContent-Length: " + smuggled.length() + "\r\n\r\n" + smuggled
                    + "GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            RawClient.Response first = c.readResponse();
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            JsonNode echoed = new ObjectMapper().readTree(first.body());
            assertThat(echoed.path("bodyLength").asInt())
                    .as("the smuggled bytes arrived as the body")
                    .isEqualTo(smuggled.length());
            RawClient.Response second = c.readResponse();
            assertThat(second.status()).as(second.body()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(second.body()).path("method").asText())
                    .as("the second answer is the echo of the client's GET, not the smuggled prediction: "
                            + second.body())
                    .isEqualTo("GET");
            assertThat(second.body()).doesNotContain("predictions");
        }
    }

    // --- (10) a batch larger than the bucket

    @Test
    void aBatchOfCapacityPlusOneRowsIs429WithoutRetryAfterAndCostsNothing() throws Exception {
        String rows4 = "{\"instances\": [" + ("[" + "0,".repeat(63) + "0],").repeat(3) + "[" + "0,".repeat(63) + "0]]}";
        try (Gateway g = Gateway.start(Gateway.common("\"3/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: model, policy: strict}
                policies:
                  strict:
                    outputs:
                      - round: 1
                """, upstream.baseUri())) {
            try (RawClient c = new RawClient(g.server.port())) {
                c.send(post("/v1/models/digits:predict", rows4));
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(429);
                assertThat(r.header("retry-after"))
                        .as("a batch that can never pass has no Retry-After")
                        .isNull();
                assertThat(r.header("ratelimit"))
                        .as("the header says what the bucket holds after the request's token came back")
                        .contains("r=3;t=0"); // full again: nothing to wait for
            }
            try (RawClient c = new RawClient(g.server.port())) {
                // two of three left after one row: a batch of three (the request's token and two more) is
                // refused, and the header says two are left, not one
                c.send(post("/v1/models/digits:predict", ROW));
                assertThat(c.readResponse().status()).isEqualTo(200);
                c.send(post("/v1/models/digits:predict", rows4.replaceFirst("\\[[0,]+\\],", "")));
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).as(r.body()).isEqualTo(429);
                assertThat(r.header("ratelimit")).contains("r=2;t=20"); // one token of 3/1m missing: 20 s
            }
            for (int i = 0; i < 2; i++) {
                try (RawClient c = new RawClient(g.server.port())) {
                    c.send(post("/v1/models/digits:predict", ROW));
                    assertThat(c.readResponse().status())
                            .as("request %d: the refused batch cost no token", i)
                            .isEqualTo(200);
                }
            }
            try (RawClient c = new RawClient(g.server.port())) {
                c.send(post("/v1/models/digits:predict", ROW));
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(429);
                assertThat(r.header("retry-after")).isNotNull();
            }
        }
    }

    // --- (13) the LLM rules cap the answer too

    @Test
    void llmAnswersCarryNoMoreAlternativesThanTheCapEvenWithNGreaterThanOne() throws Exception {
        RawClient.Response r = send(post(
                "/llm/v1/chat/completions",
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}],"
                        + " \"logprobs\": true, \"top_logprobs\": 2, \"n\": 2}"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode answer = new ObjectMapper().readTree(r.body());
        assertThat(answer.get("choices")).hasSize(2);
        for (JsonNode choice : answer.get("choices")) {
            JsonNode alts = choice.at("/logprobs/content/0/top_logprobs");
            assertThat(alts).as(r.body()).hasSize(2);
            assertThat(alts.get(0).get("token").asText()).isEqualTo("a");
            assertThat(choice.has("prompt_logprobs")).isFalse();
        }
        assertThat(gw.metrics()).contains("moat_actions_total{action=\"llm_answer_cap\"}");
    }

    @Test
    void promptLogprobsAreRefusedByDefault() throws Exception {
        RawClient.Response echo = send(
                post("/llm/v1/completions", "{\"model\": \"m\", \"prompt\": \"hi\", \"echo\": true, \"logprobs\": 1}"));
        assertThat(echo.status()).isEqualTo(400);
        RawClient.Response vllm =
                send(post("/llm/v1/completions", "{\"model\": \"m\", \"prompt\": \"hi\", \"prompt_logprobs\": 5}"));
        assertThat(vllm.status()).isEqualTo(400);
    }
}
