package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Regression: an upstream that answers before reading the request body (nginx's {@code return}
 * does) made the gateway throw on the body's tail and drop the client connection. The tail must be
 * forwarded, the client connection kept, and the upstream connection reused.
 */
class EarlyAnswerIT {

    @RegisterExtension
    static final ModelServerExtension unused = new ModelServerExtension();

    @Test
    void anAnswerBeforeTheBodyKeepsBothConnectionsUsable() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        AtomicLong bodyBytes = new AtomicLong();
        try (ServerSocket early = new ServerSocket(0)) {
            Thread t = new Thread(() -> serveEarly(early, accepted, bodyBytes), "early-upstream");
            t.setDaemon(true);
            t.start();
            try (Gateway gw = Gateway.start(
                            Gateway.common("\"1000/1m\"") + """
                    upstreams:
                      early: {url: "http://127.0.0.1:%d"}
                    routes:
                      - {path_prefix: /early, upstream: early}
                    """.formatted(early.getLocalPort()), unused.baseUri());
                    RawClient c = new RawClient(gw.server.port())) {
                String body = "x".repeat(2000);
                for (int i = 0; i < 3; i++) {
                    c.send("POST /early HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\nContent-Length: "
                            + body.length() + "\r\n\r\n" + body.substring(0, 100));
                    RawClient.Response r = c.readResponse();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("ok");
                    c.send(body.substring(100)); // the tail, after the answer
                }
                c.send("GET /early HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
                assertThat(c.readResponse().status())
                        .as("the client connection is still usable")
                        .isEqualTo(200);
                long deadline = System.currentTimeMillis() + 3000;
                while (bodyBytes.get() < 3L * body.length() && System.currentTimeMillis() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(bodyBytes.get())
                        .as("every body reached the upstream whole")
                        .isEqualTo(3L * body.length());
                assertThat(accepted.get()).as("one upstream connection, reused").isEqualTo(1);
            }
        }
    }

    /** Answers 200 "ok" as soon as a request head is read, then reads (and counts) its body. */
    private static void serveEarly(ServerSocket server, AtomicInteger accepted, AtomicLong bodyBytes) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                accepted.incrementAndGet();
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (; ; ) {
                    String head = RawClient.readHead(in);
                    if (head == null) {
                        break;
                    }
                    int length = 0;
                    for (String line : head.split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    bodyBytes.addAndGet(in.readNBytes(length).length);
                }
            } catch (Exception e) {
                // closed
            }
        }
    }
}
