package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every error answer over real sockets: problem+json bodies, the right status, a sane connection. */
class ErrorsIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static Gateway gw;
    static ServerSocket resetter;
    static int deadPort;

    @BeforeAll
    static void start() throws Exception {
        // an upstream that accepts and resets every connection
        resetter = new ServerSocket(0);
        Thread t = new Thread(
                () -> {
                    while (!resetter.isClosed()) {
                        try (Socket s = resetter.accept()) {
                            s.setSoLinger(true, 0);
                            s.getInputStream().read(new byte[64]);
                        } catch (Exception ignored) {
                            // closed
                        }
                    }
                },
                "resetter");
        t.setDaemon(true);
        t.start();
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort(); // nothing listens here once closed
        }
        gw = Gateway.start(
                Gateway.common("\"1000/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", response_timeout: 300ms}
                  dead: {url: "http://127.0.0.1:%d", connect_timeout: 500ms}
                  reset: {url: "http://127.0.0.1:%d"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                  - {path_prefix: /upload, upstream: model}
                  - {path_prefix: /slow, upstream: model}
                  - {path_prefix: /dead, upstream: dead}
                  - {path_prefix: /reset, upstream: reset}
                """.formatted(deadPort, resetter.getLocalPort()), upstream.baseUri());
    }

    @AfterAll
    static void stop() throws Exception {
        gw.close();
        resetter.close();
    }

    private static void assertProblem(RawClient.Response r, int status) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.header("content-type")).isEqualTo("application/problem+json");
        assertThat(r.body()).contains("\"status\":" + status);
    }

    @Test
    void bodyOverTheLimitByContentLengthIs413WithoutAnUpstreamCall() throws Exception {
        long before = upstream.server().requests("/upload");
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("POST /upload HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\nContent-Length: 70000\r\n\r\n");
            RawClient.Response r = c.readResponse();
            assertProblem(r, 413);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(upstream.server().requests("/upload")).isEqualTo(before);
    }

    @Test
    void chunkedBodyOverTheLimitIs413AndClosed() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("POST /upload HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = "x".repeat(8192);
            try {
                for (int i = 0; i < 10; i++) {
                    c.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
                }
            } catch (java.io.IOException closedEarly) {
                // the gateway may close while we still write: that is the point
            }
            RawClient.Response r = c.readResponse();
            assertProblem(r, 413);
        }
    }

    @Test
    void headersOverTheLimitAre431() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000) + "\r\n\r\n");
            assertProblem(c.readResponse(), 431);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void contentLengthWithTransferEncodingIsRejectedAndClosed() throws Exception {
        long before = upstream.server().requests("/");
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send(
                    "POST /upload HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                            + "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(400);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(upstream.server().requests("/"))
                .as("nothing smuggled through")
                .isEqualTo(before);
    }

    @Test
    void malformedContentLengthIs400AndClosed() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("POST /upload HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\nContent-Length: 12abc\r\n\r\nhello");
            assertProblem(c.readResponse(), 400);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void garbageIs400() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("THIS IS NOT HTTP\r\n\r\n");
            RawClient.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(400);
        }
    }

    @Test
    void refusedUpstreamIs502() throws Exception {
        HttpResponse<String> r = gw.get("/dead", Gateway.ALICE);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("upstream-failed").doesNotContain("Exception");
    }

    @Test
    void resetUpstreamIs502() throws Exception {
        HttpResponse<String> r = gw.get("/reset", Gateway.ALICE);
        assertThat(r.statusCode()).isEqualTo(502);
    }

    @Test
    void slowUpstreamIs504AndTheConnectionStaysUsable() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            long t0 = System.nanoTime();
            c.send("GET /slow?delayMs=3000 HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            RawClient.Response r = c.readResponse();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertProblem(r, 504);
            assertThat(ms).isBetween(250L, 2500L);
            c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
    }

    @Test
    void aClientThatNeverFinishesItsHeadersIsCutOff() throws Exception {
        try (RawClient c = new RawClient(gw.server.port()).timeout(3000)) {
            long t0 = System.nanoTime();
            c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            // answered 408 since session 42 (SlowClientsIT), then closed
            assertThat(c.readResponse().status()).isEqualTo(408);
            assertThat(c.closedByServer()).isTrue();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).isBetween(400L, 2900L);
        }
    }

    @Test
    void rejectedRequestsWithABodyCloseAndBodylessOnesKeepTheConnection() throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            RawClient.Response r = c.readResponse();
            assertProblem(r, 401);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
            assertProblem(c.readResponse(), 404);
            c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
    }
}
