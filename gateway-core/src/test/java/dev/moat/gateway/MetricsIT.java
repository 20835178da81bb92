package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.fixtures.server.ModelServerExtension;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The admin listener: Prometheus text that promtool accepts, health, readiness, key lookups. */
class MetricsIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static Gateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"2/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """, upstream.baseUri());
        gw.get("/echo", Gateway.ALICE);
        gw.get("/echo", Gateway.ALICE);
        gw.get("/echo", Gateway.ALICE); // 429
        gw.get("/echo", null); // 401
        gw.get("/nope", Gateway.ALICE); // 404
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void exposesTheDesignedMetersWithoutKeyLabels() throws Exception {
        String text = gw.metrics();
        assertThat(text)
                .contains("moat_requests_total{outcome=\"ok\",route=\"/echo\"} 2.0")
                .contains("moat_requests_total{outcome=\"rate_limited\",route=\"/echo\"} 1.0")
                .contains("moat_requests_total{outcome=\"unauthorized\",route=\"/echo\"} 1.0")
                .contains("moat_requests_total{outcome=\"no_route\",route=\"none\"} 1.0")
                .contains("moat_request_duration_seconds_bucket")
                .contains("moat_upstream_duration_seconds_count")
                .contains("moat_ratelimit_rejections_total 1.0")
                .contains("moat_keys_tracked")
                .contains("moat_config_reloads_total{result=\"success\"} 0.0")
                .contains("jvm_memory_used_bytes")
                .contains("netty_allocator_memory_used_bytes{type=\"direct\"}");
        assertThat(text).doesNotContain("alice").doesNotContain(Gateway.ALICE);
    }

    @Test
    void promtoolAcceptsTheExposition() throws Exception {
        boolean required = System.getenv("MOAT_REQUIRE_PROMTOOL") != null;
        boolean present = new File("/usr/bin/promtool").canExecute();
        assumeTrue(required || present, "promtool not installed (.ci/run installs it and sets MOAT_REQUIRE_PROMTOOL)");
        Process p = new ProcessBuilder("promtool", "check", "metrics")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().write(gw.metrics().getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void healthAndReadiness() throws Exception {
        HttpResponse<String> health = gw.adminCall("GET", "/healthz", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(gw.adminCall("GET", "/readyz", null).statusCode()).isEqualTo(200);
    }

    @Test
    void adminKeyLookupNeedsTheTokenAndNeverShowsSecrets() throws Exception {
        assertThat(gw.adminCall("GET", "/admin/keys/alice", null).statusCode()).isEqualTo(401);
        HttpResponse<String> r = gw.adminCall("GET", "/admin/keys/alice", Gateway.ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"id\":\"alice\"").doesNotContain(Gateway.ALICE);
        assertThat(gw.adminCall("GET", "/admin/keys/nobody", Gateway.ADMIN_TOKEN)
                        .statusCode())
                .isEqualTo(404);
    }

    /**
     * With no {@code admin.token} configured {@code /admin/*} is disabled, and says so (403, type
     * {@code admin-disabled}) instead of asking for a token no one could have (it answered 401
     * "Admin token required" before session 42); the open endpoints still answer.
     */
    @Test
    void withoutATokenTheAdminApiSaysItIsDisabled() throws Exception {
        String yaml = Gateway.common("\"10/1m\"").replace(", token: \"${ADMIN_TOKEN}\"", "")
                + "upstreams:\n  model: {url: \"${UPSTREAM}\"}\nroutes:\n  - {path_prefix: /echo, upstream: model}\n";
        try (Gateway g = Gateway.start(yaml, upstream.baseUri())) {
            for (String token : new String[] {null, Gateway.ADMIN_TOKEN, ""}) {
                HttpResponse<String> r = g.adminCall("GET", "/admin/keys/alice", token);
                assertThat(r.statusCode()).as("token %s", token).isEqualTo(403);
                assertThat(r.body()).contains("admin-disabled").contains("admin.token");
            }
            assertThat(g.adminCall("GET", "/healthz", null).statusCode()).isEqualTo(200);
        }
    }
}
