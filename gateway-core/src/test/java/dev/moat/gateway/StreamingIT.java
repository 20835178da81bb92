package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Bodies that nothing needs to read pass through as they arrive; clients that leave cost nothing. */
class StreamingIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static Gateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"1000/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", response_timeout: 20s}
                routes:
                  - {path_prefix: /sse, upstream: model}
                  - {path_prefix: /big, upstream: model}
                  - {path_prefix: /echo, upstream: model}
                """, upstream.baseUri());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void serverSentEventsReachTheClientOneByOne() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(gw.uri("/sse?events=4&delayMs=400"))
                .header("Authorization", "Bearer " + Gateway.ALICE)
                .GET()
                .build();
        long t0 = System.nanoTime();
        HttpResponse<InputStream> res = gw.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        try (InputStream in = res.body()) {
            String first = readUntilBlankLine(in);
            long firstMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(first).isEqualTo("data: event-0");
            String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            long totalMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(rest).contains("data: event-3");
            // The upstream needs >= 1200 ms for all four events; the first must arrive long before.
            assertThat(totalMs).isGreaterThanOrEqualTo(1150);
            assertThat(firstMs).isLessThan(totalMs - 800);
        }
    }

    @Test
    void largeChunkedAnswersStreamThrough() throws Exception {
        HttpResponse<byte[]> res = gw.http.send(
                HttpRequest.newBuilder(gw.uri("/big?bytes=3000000"))
                        .header("Authorization", "Bearer " + Gateway.ALICE)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).hasSize(3_000_000);
        assertThat(res.body()[0]).isEqualTo((byte) 'a');
        assertThat(res.body()[26]).isEqualTo((byte) 'a');
    }

    @Test
    void aClientLeavingMidAnswerFreesTheUpstreamAndTheGatewayCarriesOn() throws Exception {
        for (int i = 0; i < 5; i++) {
            try (RawClient c = new RawClient(gw.server.port())) {
                c.send("GET /big?bytes=50000000 HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
                byte[] some = c.input().readNBytes(100_000);
                assertThat(some).hasSize(100_000);
            } // closed with most of 50 MB unread
        }
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET /sse?events=5&delayMs=300 HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            assertThat(c.readLine()).startsWith("HTTP/1.1 200");
        }
        // the gateway still answers, and the requests were all accounted for
        HttpResponse<String> ok = gw.get("/echo", Gateway.ALICE);
        assertThat(ok.statusCode()).isEqualTo(200);
        long deadline = System.currentTimeMillis() + 5000;
        while (gw.server.context().inFlight() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(gw.server.context().inFlight()).isZero();
        assertThat(LeakGuard.collect()).isEmpty();
    }

    private static String readUntilBlankLine(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            sb.append((char) c);
            if (sb.length() >= 2 && sb.charAt(sb.length() - 1) == '\n' && sb.charAt(sb.length() - 2) == '\n') {
                return sb.toString().trim();
            }
        }
        return sb.toString().trim();
    }
}
