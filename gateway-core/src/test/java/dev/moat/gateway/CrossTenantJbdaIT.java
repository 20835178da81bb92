package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.JbdaAttacker;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9 (regression, {@code tenants5-jbda}): JbDA in 32-row batches over five keys, each in a
 * tenant of its own, so no key holds the parent of its own synthetic points and no tenant has two
 * keys. Over real sockets with {@code cross_key} on, the attack is blocked within 500 rows in all
 * and the blocked key's report names {@code cross_key} and the key that sent the parent.
 */
class CrossTenantJbdaIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final int KEYS = 5;
    static final int BATCH = 32;

    @Test
    void jbdaOverKeysOfDifferentTenantsIsBlockedByCrossKeyWithin500Rows() throws Exception {
        StringBuilder keys = new StringBuilder();
        for (int k = 0; k < KEYS; k++) {
            keys.append(Gateway.keyEntries("mallory-" + k + "-", "mallory-" + k + "-", 1, "mallory-" + k));
        }
        try (Gateway gw = Gateway.start(Gateway.common("\"1000000/1m\"", keys.toString()) + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                policies:
                  guarded:
                    detectors: {prada: {}, tenant: {}, cross_key: {}}
                    escalation:
                      - {at: 0.8, block: 1h}
                """, upstream.baseUri())) {
            JbdaAttacker thief = new JbdaAttacker(902, JbdaAttacker.DEFAULT_LAMBDA, 1_000);
            int sent = 0;
            String blockedKey = null;
            for (int batch = 0; sent < 1_500 && blockedKey == null; batch++) {
                String key = "mallory-" + (batch % KEYS) + "-0";
                double[][] xs = new double[BATCH][];
                for (int i = 0; i < BATCH; i++) {
                    xs[i] = thief.next();
                }
                HttpResponse<String> r = gw.post("/v1/models/digits:predict", key, AttackersIT.body(xs));
                if (r.statusCode() == 403) {
                    blockedKey = key;
                    break;
                }
                sent += BATCH;
                assertThat(r.statusCode()).isEqualTo(200);
                JsonNode rows = JSON.readTree(r.body()).get("predictions");
                for (int i = 0; i < BATCH; i++) {
                    thief.observe(xs[i], JSON.treeToValue(rows.get(i), double[].class));
                }
                gw.advance(Duration.ofSeconds(2));
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            }
            System.out.printf("cross-tenant JbDA: %s blocked after %d rows in all%n", blockedKey, sent);
            assertThat(blockedKey).as("a key blocked within 1,500 rows").isNotNull();
            assertThat(sent).as("rows answered before the first block").isLessThanOrEqualTo(500);
            HttpResponse<String> r = gw.adminCall("GET", "/admin/keys/" + blockedKey, Gateway.ADMIN_TOKEN);
            JsonNode report = JSON.readTree(r.body());
            System.out.printf("%s: %s%n", blockedKey, report);
            assertThat(report.get("risk").asDouble()).isGreaterThanOrEqualTo(0.8);
            assertThat(report.toString()).contains("sign steps from another key's query", "sent by key mallory-");
        }
    }
}
