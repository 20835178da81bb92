package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.admin.AdminInitializer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The admin listener attacked over real sockets by someone who can reach it without the token,
 * and by odd but valid key ids and request targets from the operator's own tools.
 */
class AdminBypassIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final String T = Gateway.ADMIN_TOKEN;

    Gateway gw;

    @BeforeEach
    void start() throws Exception {
        String yaml = Gateway.common("\"1000/1m\"")
                + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                audit: {file: "%s"}
                """.formatted(Files.createTempDirectory("moat-admin").resolve("audit.jsonl"));
        gw = Gateway.start(yaml, upstream.baseUri());
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    /**
     * The aggregator held up to 64 KiB of body for every connection before the token was looked at,
     * so anyone who could reach the admin port made the gateway buffer 64 KiB per connection, as
     * long as they liked. Now a body is read only for a call with the token: without it the answer
     * comes at once, after the head, and the connection closes.
     */
    @Test
    void aBodyWithoutTheTokenIsRefusedBeforeItIsBufferedBypass() throws Exception {
        for (String target : List.of("/admin/keys", "/admin/reload", "/metrics", "/console", "/nothing")) {
            try (RawClient c = new RawClient(gw.server.adminPort()).timeout(3000)) {
                c.send("POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 60000\r\nExpect: 100-continue\r\n\r\n" + "{".repeat(100));
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).as(target).isIn(401, 404, 405);
                assertThat(c.closedByServer()).as(target).isTrue();
            }
        }
        // the token's calls still take a body
        HttpResponse<String> created = gw.adminCall("POST", "/admin/keys", T, "{\"id\":\"k1\",\"tier\":\"free\"}");
        assertThat(created.statusCode()).isEqualTo(201);
    }

    /** {@code GET /admin/keys/history} threw on the event loop (the history route's substring) and never answered. */
    @Test
    void aKeyNamedHistoryCanBeDescribedAndRevoked() throws Exception {
        assertThat(gw.adminCall("POST", "/admin/keys", T, "{\"id\":\"history\",\"tier\":\"free\"}")
                        .statusCode())
                .isEqualTo(201);
        assertThat(gw.adminCall("GET", "/admin/keys/history", T).statusCode()).isEqualTo(200);
        assertThat(gw.adminCall("GET", "/admin/keys/history/history", T).statusCode())
                .isEqualTo(200);
        assertThat(gw.adminCall("DELETE", "/admin/keys/history", T).statusCode())
                .isEqualTo(200);
    }

    /** A bad percent-escape threw on the event loop (the target's decoding) and never answered. */
    @Test
    void aBadPercentEscapeIsA400() throws Exception {
        for (String target : List.of("/admin/keys/%zz", "/admin/keys/%", "/admin/keys?tenant=%E", "/admin/keys/a%2")) {
            try (RawClient c = new RawClient(gw.server.adminPort()).timeout(3000)) {
                c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + T + "\r\n\r\n");
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).as(target).isEqualTo(400);
                assertThat(r.header("content-type")).isEqualTo("application/problem+json");
            }
        }
    }

    /**
     * Targets that normalise to an admin path elsewhere (double slash, dot segments, percent-encoded
     * letters, absolute form) and the methods a router may forget (HEAD, OPTIONS) never reach the
     * API without the token.
     */
    @Test
    void noTargetOrMethodReachesTheApiWithoutTheToken() throws Exception {
        List<String> heads = List.of(
                "GET //admin/keys",
                "GET /%61dmin/keys",
                "GET /admin%2Fkeys",
                "GET /console/../admin/keys",
                "GET /admin/../admin/keys",
                "POST /admin/keys/../reload",
                "GET http://127.0.0.1/admin/keys",
                "HEAD /admin/keys",
                "OPTIONS /admin/keys",
                "OPTIONS *",
                "GET /admin/keys?token=" + T,
                "GET /ADMIN/keys");
        for (String head : heads) {
            try (RawClient c = new RawClient(gw.server.adminPort()).timeout(3000)) {
                c.send(head + " HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + T + "\r\nConnection: close\r\n\r\n");
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).as(head).isIn(400, 401, 404, 405);
                assertThat(r.body()).as(head).doesNotContain("alice").doesNotContain(T);
            }
        }
    }

    /**
     * Connections that send nothing, or a head a byte at a time, were held for as long as the
     * client kept sending (a 60 s read timeout per byte) and without any cap: an unauthenticated
     * client could hold file descriptors and decoder buffers without end. Now at most {@link
     * AdminInitializer#MAX_CONNECTIONS} are open at once (here from four addresses, each at its
     * own cap); one more is closed at once.
     */
    @Test
    void theAdminListenerHoldsBoundedConnectionsBypass() throws Exception {
        List<RawClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < AdminInitializer.MAX_CONNECTIONS; i++) {
                InetAddress from =
                        InetAddress.getByName("127.0.0." + (10 + i / AdminInitializer.MAX_CONNECTIONS_PER_ADDRESS));
                RawClient c = new RawClient(gw.server.adminPort(), from).timeout(200);
                c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                held.add(c);
            }
            RawClient extra = new RawClient(gw.server.adminPort(), InetAddress.getByName("127.0.0.20")).timeout(3000);
            held.add(extra);
            assertThat(extra.closedByServer()).as("one connection over the cap").isTrue();
        } finally {
            for (RawClient c : held) {
                c.close();
            }
        }
        Thread.sleep(200); // the closes reach the gateway
        assertThat(gw.adminCall("GET", "/admin/keys", T).statusCode()).isEqualTo(200);
    }

    /**
     * One address that opens every admin connection it can (each a head sent a byte at a time)
     * held all {@link AdminInitializer#MAX_CONNECTIONS} of them, and the operator's console and CLI
     * got no connection. Now one address holds at most {@link
     * AdminInitializer#MAX_CONNECTIONS_PER_ADDRESS}: its next one is closed as it opens, and the
     * operator's call from another address is answered while the rest are held.
     */
    @Test
    void oneAddressCannotTakeEveryAdminConnectionBypass() throws Exception {
        InetAddress attacker = InetAddress.getByName("127.0.0.2");
        List<RawClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < AdminInitializer.MAX_CONNECTIONS; i++) {
                RawClient c = new RawClient(gw.server.adminPort(), attacker).timeout(3000);
                held.add(c);
                try {
                    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                } catch (IOException closed) {
                    // one over the address' cap, closed already
                }
            }
            assertThat(held.get(AdminInitializer.MAX_CONNECTIONS_PER_ADDRESS).closedByServer())
                    .as("the attacker's connection after its cap")
                    .isTrue();
            assertThat(gw.adminCall("GET", "/admin/keys", T).statusCode())
                    .as("the operator, from 127.0.0.1, while the attacker holds its connections")
                    .isEqualTo(200);
        } finally {
            for (RawClient c : held) {
                c.close();
            }
        }
    }

    /**
     * {@code /readyz} is open, and each call opened a TCP connection to every upstream: whoever could
     * reach the admin port made the gateway open (and leave in TIME_WAIT) one connection per
     * upstream per request, at their rate, until it ran out of ports toward its model servers. Now
     * one probe's answer serves every call for a second.
     */
    @Test
    void readinessCallsDoNotMultiplyUpstreamConnectionsBypass() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket model = new ServerSocket(0, 500, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!model.isClosed()) {
                    try (Socket s = model.accept()) {
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String yaml = Gateway.common("\"1000/1m\"") + """
                    upstreams:
                      model: {url: "${UPSTREAM}"}
                    routes:
                      - {path_prefix: /echo, upstream: model}
                    """;
            try (Gateway probed = Gateway.start(yaml, URI.create("http://127.0.0.1:" + model.getLocalPort()))) {
                for (int i = 0; i < 50; i++) {
                    assertThat(probed.adminCall("GET", "/readyz", null).statusCode())
                            .isEqualTo(200);
                }
                Thread.sleep(200); // the last probe's connection reaches the acceptor
                assertThat(accepted.get())
                        .as("upstream connections for 50 calls")
                        .isEqualTo(1);
                probed.advance(Duration.ofSeconds(2)); // the gateway's clock: past the probe's second
                assertThat(probed.adminCall("GET", "/readyz", null).statusCode())
                        .isEqualTo(200);
                Thread.sleep(200);
                assertThat(accepted.get())
                        .as("a fresh probe once the last one is old")
                        .isEqualTo(2);
            }
        }
    }
}
