package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whether an upstream connection goes back to the pool is the upstream's word, read from its
 * answer's head as sent: not the head after the gateway rewrote it for the client. Regression: the
 * pool read the rewritten head, so a client's {@code Connection: close} closed a healthy upstream
 * connection (a new TCP connection per such request), and an upstream's own {@code Connection:
 * close} was hidden (the field is hop-by-hop and removed for the client) from the reuse decision.
 */
class UpstreamKeepAliveIT {

    @RegisterExtension
    static final ModelServerExtension unused = new ModelServerExtension();

    @Test
    void aClientsConnectionCloseDoesNotCloseTheUpstreamConnection() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket up = new ServerSocket(0)) {
            serve(up, accepted, false);
            try (Gateway gw = Gateway.start(config(up.getLocalPort()), unused.baseUri())) {
                for (int i = 0; i < 3; i++) {
                    try (RawClient c = new RawClient(gw.server.port())) {
                        c.send("POST /ka HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\nX-API-Key: "
                                + Gateway.ALICE + "\r\n\r\nhi");
                        RawClient.Response r = c.readResponse();
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.header("connection")).isEqualToIgnoringCase("close");
                        assertThat(r.body()).isEqualTo("ok");
                    }
                }
                assertThat(accepted.get())
                        .as("one upstream connection, reused across the closing clients")
                        .isEqualTo(1);
            }
        }
    }

    @Test
    void anUpstreamsConnectionCloseIsHonoured() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket up = new ServerSocket(0)) {
            serve(up, accepted, true);
            try (Gateway gw = Gateway.start(config(up.getLocalPort()), unused.baseUri());
                    RawClient c = new RawClient(gw.server.port())) {
                for (int i = 0; i < 3; i++) {
                    c.send("POST /ka HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX-API-Key: " + Gateway.ALICE
                            + "\r\n\r\nhi");
                    RawClient.Response r = c.readResponse();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.header("connection"))
                            .as("the upstream's hop-by-hop field is not relayed")
                            .isNull();
                    assertThat(r.body()).isEqualTo("ok");
                }
                assertThat(accepted.get())
                        .as("a new upstream connection per answer that said close")
                        .isEqualTo(3);
            }
        }
    }

    private static String config(int port) {
        // one event loop: upstream connections are pooled per loop, and each client connection here is new
        return Gateway.common("\"1000/1m\"").replace("event_loop_threads: 2", "event_loop_threads: 1")
                + """
                upstreams:
                  ka: {url: "http://127.0.0.1:%d"}
                routes:
                  - {path_prefix: /ka, upstream: ka}
                """.formatted(port);
    }

    /** Answers 200 "ok" to each request (bodies framed by Content-Length), one connection at a time; {@code close}: says so and closes. */
    private static void serve(ServerSocket server, AtomicInteger accepted, boolean close) {
        Thread t = new Thread(
                () -> {
                    while (!server.isClosed()) {
                        try (Socket s = server.accept()) {
                            accepted.incrementAndGet();
                            InputStream in = s.getInputStream();
                            OutputStream out = s.getOutputStream();
                            String head;
                            while ((head = RawClient.readHead(in)) != null) {
                                for (String line : head.split("\r\n")) {
                                    if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                                        in.readNBytes(Integer.parseInt(
                                                line.substring(15).trim()));
                                    }
                                }
                                out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                                + (close ? "Connection: close\r\n" : "")
                                                + "\r\nok")
                                        .getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                if (close) {
                                    break;
                                }
                            }
                        } catch (Exception e) {
                            // closed
                        }
                    }
                },
                "keep-alive-upstream");
        t.setDaemon(true);
        t.start();
    }
}
