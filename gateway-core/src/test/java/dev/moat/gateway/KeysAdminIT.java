package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.audit.AuditVerifier;
import dev.moat.gateway.state.InMemoryStateStore;
import dev.moat.gateway.state.StateStore;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Keys at runtime over real sockets: create, use, rotate with grace, revoke, expire, block, list,
 * reload, restart; every error a problem+json; every change in the hash-chained audit trail.
 */
class KeysAdminIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final String T = Gateway.ADMIN_TOKEN;

    Path audit;
    Gateway gw;

    String yaml() {
        return Gateway.common("\"1000/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", response_timeout: 20s}
                routes:
                  - {path_prefix: /echo, upstream: model}
                audit: {file: "%s"}
                """.formatted(audit);
    }

    @BeforeEach
    void start() throws Exception {
        audit = Files.createTempDirectory("moat-keys").resolve("audit.jsonl");
        gw = Gateway.start(yaml(), upstream.baseUri());
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    JsonNode call(String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = gw.adminCall(method, path, T, body);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
        if (expected >= 400) {
            assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        }
        return JSON.readTree(r.body());
    }

    int use(String secret) throws Exception {
        return gw.get("/echo", secret).statusCode();
    }

    @Test
    void aKeyIsCreatedUsedRotatedWithGraceAndRevoked() throws Exception {
        JsonNode created = call("POST", "/admin/keys", "{\"id\":\"carol\",\"tier\":\"free\",\"tenant\":\"acme\"}", 201);
        String first = created.get("secret").asText();
        assertThat(first).startsWith("moat_");
        assertThat(use(first)).isEqualTo(200);
        JsonNode report = call("GET", "/admin/keys/carol", null, 200);
        assertThat(report.get("tenant").asText()).isEqualTo("acme");
        assertThat(report.get("source").asText()).isEqualTo("runtime");
        assertThat(report.toString()).doesNotContain(first);

        JsonNode rotated = call("POST", "/admin/keys/carol/rotate", "{\"grace\":\"1h\"}", 200);
        String second = rotated.get("secret").asText();
        assertThat(second).isNotEqualTo(first);
        assertThat(use(second)).isEqualTo(200);
        assertThat(use(first)).as("the old secret works during the grace").isEqualTo(200);
        gw.advance(Duration.ofMinutes(61));
        assertThat(use(first)).as("and not after it").isEqualTo(401);
        assertThat(use(second)).isEqualTo(200);

        call("DELETE", "/admin/keys/carol", null, 200);
        assertThat(use(second)).as("revoked at once").isEqualTo(401);
        call("GET", "/admin/keys/carol", null, 404);
        call("POST", "/admin/keys", "{\"id\":\"carol\",\"tier\":\"free\"}", 409);
    }

    @Test
    void aRotationWithoutGraceEndsTheOldSecretAtOnceAndWorksForYamlKeys() throws Exception {
        String fresh = call("POST", "/admin/keys/alice/rotate", "{}", 200)
                .get("secret")
                .asText();
        assertThat(use(Gateway.ALICE)).isEqualTo(401);
        assertThat(use(fresh)).isEqualTo(200);
        assertThat(call("GET", "/admin/keys/alice", null, 200).get("tenant").asText())
                .isEqualTo("acme");
        // a reload keeps the rotation: the YAML digest does not come back
        assertThat(gw.adminCall("POST", "/admin/reload", T).statusCode()).isEqualTo(200);
        assertThat(use(Gateway.ALICE)).isEqualTo(401);
        assertThat(use(fresh)).isEqualTo(200);
    }

    @Test
    void aRevokedYamlKeyIsNotResurrectedByAReload() throws Exception {
        assertThat(use(Gateway.BOB)).isEqualTo(200);
        call("DELETE", "/admin/keys/bob", null, 200);
        assertThat(use(Gateway.BOB)).isEqualTo(401);
        assertThat(gw.adminCall("POST", "/admin/reload", T).statusCode()).isEqualTo(200);
        assertThat(use(Gateway.BOB))
                .as("bob is still in the YAML, and still revoked")
                .isEqualTo(401);
        call("DELETE", "/admin/keys/bob", null, 404);
    }

    @Test
    void anExpiredKeyGets401() throws Exception {
        Instant in1h = gw.server.clock().instant().plus(Duration.ofHours(1));
        String secret = call(
                        "POST",
                        "/admin/keys",
                        "{\"id\":\"temp\",\"tier\":\"free\",\"expires_at\":\"" + in1h + "\"}",
                        201)
                .get("secret")
                .asText();
        assertThat(use(secret)).isEqualTo(200);
        gw.advance(Duration.ofMinutes(59));
        assertThat(use(secret)).isEqualTo(200);
        gw.advance(Duration.ofMinutes(2));
        assertThat(use(secret)).isEqualTo(401);
        call("POST", "/admin/keys", "{\"id\":\"late\",\"tier\":\"free\",\"expires_at\":\"2001-01-01T00:00:00Z\"}", 422);
    }

    @Test
    void aBlockedKeyGets403UntilTheBlockEndsAndIsListedAsBlocked() throws Exception {
        JsonNode b = call("POST", "/admin/keys/alice/block", "{\"for\":\"1h\",\"reason\":\"scraping\"}", 200);
        assertThat(b.get("blocked_until").asText()).isNotEmpty();
        HttpResponse<String> r = gw.get("/echo", Gateway.ALICE);
        assertThat(r.statusCode()).as("blocked on a route without a policy too").isEqualTo(403);
        assertThat(r.headers().firstValue("retry-after")).isPresent();
        assertThat(use(Gateway.BOB)).isEqualTo(200);
        JsonNode blocked = call("GET", "/admin/keys?blocked=true", null, 200).get("keys");
        assertThat(blocked).hasSize(1);
        assertThat(blocked.get(0).get("id").asText()).isEqualTo("alice");
        assertThat(ids(call("GET", "/admin/keys?blocked=false", null, 200))).containsExactly("bob");
        gw.advance(Duration.ofMinutes(61));
        assertThat(use(Gateway.ALICE)).isEqualTo(200);
        call("POST", "/admin/keys/alice/block", "{\"reason\":\"no duration\"}", 422);
    }

    @Test
    void theListIsFilteredAndPagedWithAStableCursor() throws Exception {
        for (String id : List.of("k3", "k1", "k2")) {
            call("POST", "/admin/keys", "{\"id\":\"" + id + "\",\"tier\":\"free\",\"tenant\":\"t1\"}", 201);
        }
        JsonNode all = call("GET", "/admin/keys", null, 200);
        assertThat(ids(all)).containsExactly("alice", "bob", "k1", "k2", "k3");
        JsonNode row = all.get("keys").get(0);
        for (String field : List.of("id", "tier", "tenant", "risk", "level", "blocked_until", "queries", "last_seen")) {
            assertThat(row.has(field)).as(field).isTrue();
        }
        List<String> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = call(
                    "GET", "/admin/keys?tenant=t1&limit=2" + (cursor == null ? "" : "&cursor=" + cursor), null, 200);
            paged.addAll(ids(page));
            cursor = page.get("next_cursor").isNull()
                    ? null
                    : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(paged).containsExactly("k1", "k2", "k3");
        assertThat(pages).isEqualTo(2);
        assertThat(ids(call("GET", "/admin/keys?level=extracting", null, 200))).isEmpty();
        assertThat(ids(call("GET", "/admin/keys?level=ok&tenant=acme", null, 200)))
                .containsExactly("alice");
        assertThat(call("GET", "/admin/keys?level=evil", null, 422)
                        .get("detail")
                        .asText())
                .contains("level")
                .contains("ok, suspicious, extracting");
        call("GET", "/admin/keys?limit=0", null, 422);
        call("GET", "/admin/keys?cursor=zz!", null, 422);
    }

    @Test
    void everyAdminErrorIsAProblem() throws Exception {
        call("GET", "/admin/nope", null, 404);
        HttpResponse<String> r = gw.adminCall("GET", "/admin/reload", T);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).hasValue("POST");
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        call("PUT", "/admin/keys", "{}", 405);
        call("POST", "/admin/keys/alice", "{}", 405);
        call("POST", "/admin/keys/alice/explode", "{}", 404);
        call("GET", "/admin/keys/nobody", null, 404);
        call("POST", "/admin/keys", "{\"id\":\"x\",\"tier\":\"free\",\"colour\":\"red\"}", 422);
        call("POST", "/admin/keys", "{\"id\":\"x\",\"tier\":\"gold\"}", 422);
        call("POST", "/admin/keys", "{\"id\":\"../x\",\"tier\":\"free\"}", 422);
        call("POST", "/admin/keys", "not json", 400);
        call("POST", "/admin/keys", "{\"id\":\"alice\",\"tier\":\"free\"}", 409);
        call("POST", "/admin/keys/alice/rotate", "{\"grace\":\"forever\"}", 422);
        HttpResponse<String> noToken = gw.adminCall("GET", "/admin/keys", null);
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.headers().firstValue("content-type")).hasValue("application/problem+json");
        HttpResponse<String> post = gw.adminCall("POST", "/metrics", null);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("content-type")).hasValue("application/problem+json");
        HttpResponse<String> unknown = gw.adminCall("GET", "/nothing-here", null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("content-type")).hasValue("application/problem+json");
    }

    @Test
    void everyChangeIsAuditedInTheHashChainAndNoSecretIsWritten() throws Exception {
        String s1 = call("POST", "/admin/keys", "{\"id\":\"dave\",\"tier\":\"free\"}", 201)
                .get("secret")
                .asText();
        String s2 = call("POST", "/admin/keys/dave/rotate", "{\"grace\":\"10m\"}", 200)
                .get("secret")
                .asText();
        call("POST", "/admin/keys/dave/block", "{\"for\":\"5m\",\"reason\":\"manual check\"}", 200);
        call("POST", "/admin/keys/dave/unblock", null, 200);
        call("DELETE", "/admin/keys/dave", null, 200);
        gw.close();
        String trail = Files.readString(audit);
        assertThat(trail)
                .contains("\"event\":\"key_create\"")
                .contains("\"event\":\"key_rotate\"")
                .contains("manual check")
                .contains("\"event\":\"unblock\"")
                .contains("\"event\":\"key_revoke\"")
                .doesNotContain(s1)
                .doesNotContain(s2);
        assertThat(AuditVerifier.verify(audit).intact()).isTrue();
    }

    @Test
    void runtimeKeysAndRevocationsSurviveARestart() throws Exception {
        gw.close();
        StateStore state = new InMemoryStateStore(); // the restart test of a persistent store swaps it in here
        gw = Gateway.start(yaml(), upstream.baseUri(), state);
        String secret = call("POST", "/admin/keys", "{\"id\":\"erin\",\"tier\":\"free\"}", 201)
                .get("secret")
                .asText();
        call("DELETE", "/admin/keys/bob", null, 200);
        gw.close();
        gw = gw.restart(upstream.baseUri(), state);
        assertThat(use(secret)).isEqualTo(200);
        assertThat(use(Gateway.BOB)).isEqualTo(401);
        assertThat(use(Gateway.ALICE)).isEqualTo(200);
    }

    static List<String> ids(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("keys").forEach(k -> out.add(k.get("id").asText()));
        return out;
    }
}
