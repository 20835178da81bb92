package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Reload through the admin API: whole-config swap, rejection of bad files, buckets kept. */
class ReloadIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final String ROUTES = """
            upstreams:
              model: {url: "${UPSTREAM}", response_timeout: 20s}
            routes:
              - {path_prefix: /echo, upstream: model}
              - {path_prefix: /sse, upstream: model}
            """;

    Gateway gw;

    @BeforeEach
    void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"3/1m\"") + ROUTES, upstream.baseUri());
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    @Test
    void aGoodConfigIsSwappedInAndCounted() throws Exception {
        assertThat(gw.get("/v2/health/ready", Gateway.ALICE).statusCode()).isEqualTo(404);
        gw.rewrite(Gateway.common("\"3/1m\"") + ROUTES + "  - {path_prefix: /v2, upstream: model}\n");
        HttpResponse<String> r = gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"generation\":2");
        assertThat(gw.get("/v2/health/ready", Gateway.ALICE).statusCode()).isEqualTo(200);
        assertThat(gw.metrics()).contains("moat_config_reloads_total{result=\"success\"} 1.0");
    }

    @Test
    void aBadConfigIsRejectedWithEveryErrorAndTheOldOneKeepsServing() throws Exception {
        gw.rewrite(Gateway.common("\"3/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", protocol: tfservng}
                routes:
                  - {path_prefix: /echo, upstream: modle}
                """);
        HttpResponse<String> r = gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.body()).contains("moat.yaml:").contains("tfservng").contains("modle");
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
        assertThat(gw.metrics()).contains("moat_config_reloads_total{result=\"failure\"} 1.0");
    }

    /**
     * Regression: a reload with these answered 422 with {@code config:0:0: policies: detectors.boundary:
     * unknown parameter "bogus"}, the first only, with no file or line.
     */
    @Test
    void badDetectorParametersAreRejectedEachAtItsFileAndLine() throws Exception {
        String head = Gateway.common("\"3/1m\"") + ROUTES;
        long at = head.lines().count();
        gw.rewrite(head + """
                policies:
                  p:
                    detectors:
                      boundary: {bogus: 1, max_widening: 50}
                      volume: {bogus: 3}
                      cross_key: {store_size: 1000000, coordinates: 4096}
                """);
        HttpResponse<String> r = gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.body())
                .contains("moat.yaml:" + (at + 4) + ":18: policies.p.detectors.boundary.bogus: unknown parameter (")
                .contains("moat.yaml:" + (at + 4) + ":42: policies.p.detectors.boundary.max_widening: ")
                .contains("(expected a number in [1, 10])")
                .contains("moat.yaml:" + (at + 5) + ":16: policies.p.detectors.volume.bogus: unknown parameter (")
                .contains("moat.yaml:" + (at + 6) + ":7: policies.p.detectors.cross_key: store_size: 1000000 "
                        + "(expected: at most 63791 rows with 4096 coordinates")
                .doesNotContain("config:0:0");
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
    }

    /**
     * Regression: a recursive alias threw StackOverflowError and an alias bomb OutOfMemoryError inside
     * the running gateway, on its admin worker; each is now a 422 naming its line, the old config serving.
     */
    @Test
    @Timeout(60)
    void hostileYamlIsRejectedAtItsLineAndTheOldConfigKeepsServing() throws Exception {
        String head = Gateway.common("\"3/1m\"") + ROUTES;
        long at = head.lines().count();
        StringBuilder bomb = new StringBuilder("policies:\n  p:\n    detectors:\n      prada:\n");
        bomb.append("        l0: &l0 [x, x]\n");
        for (int i = 1; i < 25; i++) {
            bomb.append("        l%d: &l%d [*l%d, *l%d]\n".formatted(i, i, i - 1, i - 1));
        }
        // the recursive alias at its anchor; the bomb where its aliases pass 100,000 values (l14's line)
        Map<String, Long> lines = Map.of(
                "policies:\n  p:\n    detectors:\n      prada: {delta: &a [*a]}\n", at + 4, bomb.toString(), at + 19);
        for (Map.Entry<String, Long> tail : lines.entrySet()) {
            gw.rewrite(head + tail.getKey());
            HttpResponse<String> r = gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            assertThat(r.body()).containsPattern("moat\\.yaml:" + tail.getValue() + ":\\d+: YAML: ");
            assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
        }
        assertThat(gw.metrics()).contains("moat_config_reloads_total{result=\"failure\"} 2.0");
    }

    /**
     * Regression: a watermark ledger that is a directory passed the loader, and the reload answered
     * 500 "the reload failed: UncheckedIOException" with a stack trace in the log.
     */
    @Test
    void aLedgerThatIsADirectoryIsRejectedAtItsLine() throws Exception {
        Path dir = Files.createDirectories(gw.configFile.resolveSibling("ledgers"));
        String head = Gateway.common("\"3/1m\"") + ROUTES;
        long at = head.lines().count();
        gw.rewrite(head + """
                policies:
                  p:
                    outputs: [{watermark: {secret: "0123456789abcdef", ledger: ledgers}}]
                """);
        HttpResponse<String> r = gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(r.body())
                .contains("moat.yaml:" + (at + 3) + ":")
                .contains("policies.p.outputs[0].watermark.ledger: \\\"" + dir + "\\\" is a directory");
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
    }

    /**
     * Regression: a reload that moved the admin listener or the audit trail answered 200 and changed
     * neither; it still swaps in the rest, and says which wait for a restart (in the answer and the log).
     */
    @Test
    void aReloadSaysWhichChangesWaitForARestart() throws Exception {
        gw.rewrite(
                Gateway.common("\"3/1m\"").replace("admin: {listen: \"127.0.0.1:0\"", "admin: {listen: \"127.0.0.1:1\"")
                        + ROUTES
                        + "  - {path_prefix: /v2, upstream: model}\n"
                        + "access_log: {format: json}\n");
        HttpResponse<String> r = gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"restart_needed\":[\"admin.listen\",\"access_log\"]");
        assertThat(gw.get("/v2/health/ready", Gateway.ALICE).statusCode()).isEqualTo(200);
        gw.rewrite(Gateway.common("\"3/1m\"") + ROUTES);
        assertThat(gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN).body())
                .contains("\"restart_needed\":[]");
    }

    @Test
    void reloadNeedsTheAdminToken() throws Exception {
        assertThat(gw.adminCall("POST", "/admin/reload", null).statusCode()).isEqualTo(401);
        assertThat(gw.adminCall("POST", "/admin/reload", "wrong-token").statusCode())
                .isEqualTo(401);
    }

    @Test
    void aKeyWhoseTierDidNotChangeKeepsItsBucket() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
        }
        // same tier, a new route: alice's empty bucket stays empty
        gw.rewrite(Gateway.common("\"3/1m\"") + ROUTES + "  - {path_prefix: /v2, upstream: model}\n");
        assertThat(gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN).statusCode())
                .isEqualTo(200);
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(429);
        // a changed tier gets a fresh bucket
        gw.rewrite(Gateway.common("\"10/1m\"") + ROUTES);
        assertThat(gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN).statusCode())
                .isEqualTo(200);
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
    }

    /**
     * A request admitted under one tier and charged after a reload moved its key to another (a
     * batch's further rows are charged once its body is in) put its old tier's bucket back, fresh, and
     * the key's next request the new tier's, fresh too: a full bucket more per request held across the
     * reload. The held request's rows now come out of the new tier's bucket, the key's only one.
     */
    @Test
    void aRequestHeldAcrossATierChangeGivesItsKeyNoSecondBucket() throws Exception {
        String routes = """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: rounded}
                policies:
                  rounded:
                    outputs: [{round: 2}]
                """;
        gw.rewrite(Gateway.common("\"10/1m\"") + routes);
        assertThat(gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN).statusCode())
                .isEqualTo(200);
        String path = "/v1/models/digits:predict";
        String row = "[" + "3,".repeat(63) + "3]";
        String one = "{\"instances\": [" + row + "]}";
        String two = "{\"instances\": [" + row + ", " + row + "]}";
        try (RawClient held = new RawClient(gw.server.port())) {
            held.send("POST " + path + " HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
                    + two.length() + "\r\n\r\n");
            // admitted under tier free (10 a minute: 9 left), its body not sent yet
            assertThat(held.readLine()).startsWith("HTTP/1.1 100 ");
            assertThat(held.readLine()).isEmpty();
            // alice moves to tier pro, 5 a minute
            gw.rewrite(Gateway.common("\"10/1m\"").replace("tier: free, tenant: acme", "tier: pro, tenant: acme")
                    + "  pro: {limits: [\"5/1m\"]}\n"
                    + routes);
            assertThat(gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN)
                            .statusCode())
                    .isEqualTo(200);
            HttpResponse<String> first = gw.post(path, Gateway.ALICE, one);
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200); // pro: 4 left
            held.send(two);
            RawClient.Response r = held.readResponse();
            assertThat(r.status()).as(r.body()).isEqualTo(200); // its second row: pro, 3 left
        }
        int passed = 0;
        for (int i = 0; i < 10 && gw.post(path, Gateway.ALICE, one).statusCode() == 200; i++) {
            passed++;
        }
        assertThat(passed).as("tier pro's 5 a minute, 2 taken").isEqualTo(3);
    }

    @Test
    void aRequestInFlightFinishesUnderTheConfigItStartedWith() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(gw.uri("/sse?events=3&delayMs=300"))
                .header("Authorization", "Bearer " + Gateway.ALICE)
                .GET()
                .build();
        // the answer's head has arrived (the route and the key were resolved under the old config) and
        // its events are still streaming; a fixed sleep here let a slow machine reload first
        HttpResponse<InputStream> res = gw.http
                .sendAsync(req, HttpResponse.BodyHandlers.ofInputStream())
                .get(30, TimeUnit.SECONDS);
        // the new config drops the /sse route and alice's key
        gw.rewrite(Gateway.common("\"3/1m\"").replace("  - {id: alice", "  - {id: zed") + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """);
        assertThat(gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN).statusCode())
                .isEqualTo(200);
        assertThat(res.statusCode()).isEqualTo(200);
        try (InputStream in = res.body()) {
            assertThat(new String(in.readAllBytes())).contains("data: event-2");
        }
        assertThat(gw.get("/sse?events=1&delayMs=0", Gateway.BOB).statusCode()).isEqualTo(404);
    }
}
