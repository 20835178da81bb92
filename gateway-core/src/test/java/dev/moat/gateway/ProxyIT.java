package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The proxy path over real sockets: forwarding, header rules, auth, keep-alive. */
class ProxyIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static Gateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"1000/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", protocol: tfserving, response_timeout: 5s}
                routes:
                  - {path_prefix: /echo, upstream: model}
                  - {path_prefix: /v1/models/digits, upstream: model}
                """, upstream.baseUri());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void proxiesAPredictionAndAddsGatewayHeaders() throws Exception {
        double[] x = dev.moat.fixtures.Digits.get().test().x()[0];
        String body = "{\"instances\": [" + JSON.writeValueAsString(x) + "]}";
        HttpResponse<String> res = gw.post("/v1/models/digits:predict", Gateway.ALICE, body);
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode preds = JSON.readTree(res.body()).get("predictions");
        assertThat(preds.size()).isEqualTo(1);
        assertThat(preds.get(0).size()).isEqualTo(10);
        assertThat(res.headers().firstValue("via"))
                .hasValueSatisfying(v -> assertThat(v).contains("1.1 moat"));
        assertThat(res.headers().firstValue("x-request-id"))
                .hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f]{32}"));
        assertThat(res.headers().firstValue("ratelimit-policy")).hasValue("\"1000/1m\";q=1000;w=60");
        assertThat(res.headers().firstValue("ratelimit"))
                .hasValueSatisfying(v -> assertThat(v).matches("\"1000/1m\";r=9\\d\\d;t=\\d+"));
    }

    @Test
    void rewritesRequestHeadersForTheUpstream() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(gw.uri("/echo?q=1"))
                .header("Authorization", "Bearer " + Gateway.ALICE)
                .header("X-Request-Id", "req-abc-123")
                .header("X-Forwarded-For", "203.0.113.7")
                .header("X-Drop-Me", "secret-hop")
                .header("X-Keep-Me", "end-to-end")
                .header("Keep-Alive", "timeout=5")
                .header("Te", "trailers")
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        // java.net.http refuses to send "Connection"; the raw-socket test covers Connection-named fields.
        HttpResponse<String> res = gw.http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("x-request-id")).hasValue("req-abc-123");
        JsonNode echo = JSON.readTree(res.body());
        JsonNode h = echo.get("headers");
        assertThat(echo.get("path").asText()).isEqualTo("/echo");
        assertThat(h.get("x-request-id").get(0).asText()).isEqualTo("req-abc-123");
        assertThat(h.get("x-forwarded-for").get(0).asText()).isEqualTo("203.0.113.7, 127.0.0.1");
        assertThat(h.get("x-forwarded-proto").get(0).asText()).isEqualTo("http");
        assertThat(h.get("via").get(0).asText()).isEqualTo("1.1 moat");
        assertThat(h.get("host").get(0).asText()).isEqualTo("127.0.0.1:" + upstream.port());
        assertThat(h.get("x-keep-me").get(0).asText()).isEqualTo("end-to-end");
        assertThat(h.has("authorization")).as("the API key is not forwarded").isFalse();
        assertThat(h.has("keep-alive")).isFalse();
        assertThat(h.has("te")).isFalse();
    }

    @Test
    void removesFieldsNamedInConnectionAndKeepsTheConnectionAlive() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /echo HTTP/1.1\r\nHost: example.test\r\nX-API-Key: " + Gateway.ALICE
                        + "\r\nConnection: keep-alive, X-Hop\r\nX-Hop: drop\r\nX-Other: stay\r\n\r\n");
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(200);
                JsonNode h = JSON.readTree(r.body()).get("headers");
                assertThat(h.has("x-hop")).isFalse();
                assertThat(h.get("x-other").get(0).asText()).isEqualTo("stay");
                assertThat(h.get("x-forwarded-host").get(0).asText()).isEqualTo("example.test");
                assertThat(h.has("x-api-key")).isFalse();
            }
        }
    }

    @Test
    void aBodylessRequestGoesUpstreamWithoutBodyFraming() throws Exception {
        // a GET has no body: it must not reach the upstream as chunked (some servers refuse a GET
        // with a body), however its head and end arrive (one read, or the end after the upstream
        // connection is taken from the pool)
        try (RawClient c = new RawClient(gw.server.port())) {
            for (int i = 0; i < 5; i++) {
                c.send("GET /echo HTTP/1.1\r\nHost: example.test\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(200);
                JsonNode h = JSON.readTree(r.body()).get("headers");
                assertThat(h.has("transfer-encoding")).as(r.body()).isFalse();
                assertThat(h.has("content-length")).as(r.body()).isFalse();
            }
        }
    }

    @Test
    void anAbsoluteFormTargetIsForwardedInOriginForm() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET http://example.test/echo?x=1 HTTP/1.1\r\nHost: example.test\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\n\r\n");
            RawClient.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            JsonNode echo = JSON.readTree(r.body());
            assertThat(echo.get("uri").asText()).isEqualTo("/echo?x=1");
        }
    }

    @Test
    void missingOrUnknownKeyIs401WithoutAnUpstreamCall() throws Exception {
        long before = upstream.server().requests("/echo");
        HttpResponse<String> none = gw.get("/echo", null);
        HttpResponse<String> wrong = gw.get("/echo", "not-a-key-with-a-secret-value");
        for (HttpResponse<String> r : java.util.List.of(none, wrong)) {
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer");
            assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
            assertThat(r.body()).contains("\"status\":401").doesNotContain("not-a-key-with-a-secret-value");
        }
        assertThat(upstream.server().requests("/echo")).isEqualTo(before);
        assertThat(gw.metrics()).doesNotContain("not-a-key-with-a-secret-value").doesNotContain(Gateway.ALICE);
    }

    @Test
    void xApiKeyHeaderAuthenticates() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(gw.uri("/echo"))
                .header("X-API-Key", Gateway.BOB)
                .GET()
                .build();
        assertThat(gw.http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
    }

    @Test
    void unknownPathIs404() throws Exception {
        HttpResponse<String> r = gw.get("/nothing/here", Gateway.ALICE);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("no-route");
    }

    @Test
    void routePrefixDoesNotMatchALongerWord() throws Exception {
        assertThat(gw.get("/echoes", Gateway.ALICE).statusCode()).isEqualTo(404);
    }

    @Test
    void streamsARequestBodyOfUnknownLength() throws Exception {
        byte[] big = new byte[40_000];
        new java.util.Random(7).nextBytes(big);
        HttpRequest req = HttpRequest.newBuilder(gw.uri("/echo"))
                .header("Authorization", "Bearer " + Gateway.ALICE)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build();
        HttpResponse<String> res = gw.http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode echo = JSON.readTree(res.body());
        assertThat(echo.get("bodyLength").asLong()).isEqualTo(big.length);
        assertThat(echo.get("bodySha256").asText())
                .isEqualTo(java.util.HexFormat.of()
                        .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                .digest(big)));
    }
}
