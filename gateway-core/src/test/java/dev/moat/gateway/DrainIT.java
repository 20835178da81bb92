package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Graceful shutdown: in-flight requests finish, new connections are refused, readiness goes false. */
class DrainIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @Test
    void inFlightRequestsFinishAndNewOnesAreRefused() throws Exception {
        Gateway gw = Gateway.start(Gateway.common("\"100/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /slow, upstream: model}
                  - {path_prefix: /echo, upstream: model}
                """, upstream.baseUri());
        int port = gw.server.port();
        try (RawClient idle = new RawClient(port)) {
            idle.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            assertThat(idle.readResponse().status()).isEqualTo(200);
            awaitInFlight(gw, 0); // that exchange is counted done just after its answer is read
            CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return gw.get("/slow?delayMs=800", Gateway.ALICE);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // the slow request must be in flight before the drain starts (a fixed sleep lost that
            // race on a busy machine: the connection was refused)
            awaitInFlight(gw, 1);
            Thread closer = new Thread(gw::close);
            closer.start();
            Thread.sleep(150);
            // a request on a kept-alive connection during the drain: 503 and close
            idle.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            RawClient.Response r = idle.readResponse();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.header("connection")).isEqualTo("close");
            // no new connections
            assertThat(catchConnect(port)).isTrue();
            assertThat(slow.get().statusCode()).isEqualTo(200);
            closer.join(10_000);
            assertThat(closer.isAlive()).isFalse();
        }
    }

    private static void awaitInFlight(Gateway gw, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (gw.server.context().inFlight() != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gw.server.context().inFlight()).isEqualTo(n);
    }

    private static boolean catchConnect(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (Exception e) {
            return true;
        }
    }
}
