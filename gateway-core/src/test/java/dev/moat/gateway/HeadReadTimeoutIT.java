package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code header_read} (500 ms in {@link Gateway#common}): a head trickled byte by byte is cut off,
 * also on a kept-alive connection whose one per-connection timer was armed by an earlier request;
 * complete requests on a long-lived connection are not.
 */
class HeadReadTimeoutIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    private static final String ROUTES = """
            upstreams:
              model: {url: "${UPSTREAM}"}
            routes:
              - {path_prefix: /echo, upstream: model}
            """;

    private static final String REQUEST = "GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n";

    @Test
    void slowlorisHeadIsCutOffAfterHeaderRead() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + ROUTES, upstream.baseUri());
                RawClient c = new RawClient(gw.server.port())) {
            long tookMs = trickleUntilClosed(c);
            assertThat(tookMs).isBetween(400L, 2_000L);
        }
    }

    @Test
    void slowlorisOnAKeptAliveConnectionIsCutOffToo() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + ROUTES, upstream.baseUri());
                RawClient c = new RawClient(gw.server.port())) {
            c.send(REQUEST); // arms the connection's timer
            assertThat(c.readResponse().status()).isEqualTo(200);
            Thread.sleep(300); // the next head starts just before that timer fires: it must re-arm, not stop
            long tookMs = trickleUntilClosed(c);
            assertThat(tookMs).isBetween(400L, 2_000L);
        }
    }

    @Test
    void completeRequestsOnALongLivedConnectionAreNotCutOff() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + ROUTES, upstream.baseUri());
                RawClient c = new RawClient(gw.server.port())) {
            for (int i = 0; i < 5; i++) { // 5 x 250 ms: well past header_read in total
                c.send(REQUEST);
                assertThat(c.readResponse().status()).isEqualTo(200);
                Thread.sleep(250);
            }
            c.send(REQUEST);
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
    }

    /**
     * A complete request followed, in the same segment, by only part of the next head (a pipelining
     * client that stalls): the part sits in the HTTP decoder, not in the socket, so the connection
     * was left on the {@code keep_alive} deadline (15 s, then closed without a word) instead of the
     * head's. It is a head in progress from the moment the first answer is out: 408 after
     * {@code header_read} (500 ms here), whether the part holds whole lines or not even its request line.
     */
    @Test
    void aPartialHeadPipelinedBehindARequestGets408AfterHeaderRead() throws Exception {
        String config = Gateway.common("\"1000/1m\"")
                        .replace(
                                "timeouts: {idle: 30s, header_read: 500ms",
                                "timeouts: {idle: 30s, keep_alive: 30s, header_read: 500ms")
                + ROUTES;
        try (Gateway gw = Gateway.start(config, upstream.baseUri())) {
            for (String part : new String[] {"GET /echo HTTP/1.1\r\nHost: x\r\n", "GET /ec"}) {
                try (RawClient c = new RawClient(gw.server.port()).timeout(5_000)) {
                    c.send(REQUEST + part);
                    assertThat(c.readResponse().status()).isEqualTo(200);
                    RawClient.Response timedOut = c.readResponse(); // within 5 s: far short of keep_alive
                    assertThat(timedOut.status()).as(part).isEqualTo(408);
                    assertThat(timedOut.header("connection")).isEqualTo("close");
                    assertThat(c.closedByServer()).isTrue();
                }
            }
        }
    }

    /**
     * {@code idle} shorter than {@code keep_alive} (it was Netty's {@code IdleStateHandler}, now one
     * of the read deadlines): a kept-alive connection that sends nothing after its answer is closed
     * after {@code idle}, not after the 15 s {@code keep_alive}.
     */
    @Test
    void aSilentKeptAliveConnectionIsClosedAfterIdleWhenIdleIsShorter() throws Exception {
        String config = Gateway.common("\"1000/1m\"")
                        .replace("timeouts: {idle: 30s, header_read: 500ms", "timeouts: {idle: 400ms, header_read: 5s")
                + ROUTES;
        try (Gateway gw = Gateway.start(config, upstream.baseUri());
                RawClient c = new RawClient(gw.server.port())) {
            c.send(REQUEST);
            assertThat(c.readResponse().status()).isEqualTo(200);
            long start = System.nanoTime();
            assertThat(c.closedByServer()).isTrue();
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(300L, 5_000L);
        }
    }

    /** Sends a head one byte every 50 ms, never finishing it; returns when the server closed. */
    private static long trickleUntilClosed(RawClient c) throws Exception {
        String head = "GET /echo HTTP/1.1\r\nHost: x\r\nX-Padding: " + "a".repeat(200);
        long start = System.nanoTime();
        for (int i = 0; i < head.length(); i++) {
            try {
                c.send(head.substring(i, i + 1));
            } catch (IOException closed) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(50);
            if ((System.nanoTime() - start) / 1_000_000 > 5_000) {
                break;
            }
        }
        return c.closedByServer() ? (System.nanoTime() - start) / 1_000_000 : Long.MAX_VALUE;
    }
}
