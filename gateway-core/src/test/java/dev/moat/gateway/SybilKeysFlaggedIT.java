package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.SybilSplit;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9 (regression): a Sybil attack is flagged on its keys when its tenant is flagged. JbDA split
 * over five keys of one tenant, each key too light to be caught on its own, is blocked by the
 * tenant's pooled risk; once blocked, the keys send nothing more. Before, their own verdicts never
 * took in the tenant's risk (a key folds it in at its events, and there were none), so the admin API
 * showed each blocked key at risk 0.00, {@code ok}, and {@code moat_keys_flagged} counted none of
 * them. Now a rise of the tenant's level re-publishes every key of the tenant.
 */
class SybilKeysFlaggedIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final int KEYS = 5;

    @Test
    void sybilKeysBlockedByTheirTenantShowTheTenantsRiskInTheAdminApiAndMetrics() throws Exception {
        String keys = Gateway.keyEntries("evil-sybil-", "evil-sybil-", KEYS, "evil");
        try (Gateway gw = Gateway.start(Gateway.common("\"1000000/1m\"", keys) + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                policies:
                  guarded:
                    detectors: {prada: {}, tenant: {}}
                    escalation:
                      - {at: 0.8, block: 1h}
                """, upstream.baseUri())) {
            // before its tenant's pool moved, a key's tenant detector says so (it said "no queries judged yet")
            assertThat(gw.adminCall("GET", "/admin/keys/evil-sybil-0", Gateway.ADMIN_TOKEN)
                            .body())
                    .contains("tenant: nothing seen yet in the pooled queries of tenant evil");
            assertThat(gw.adminCall("GET", "/admin/keys/bob", Gateway.ADMIN_TOKEN)
                            .body())
                    .contains("tenant: the key has no tenant");
            SybilSplit thief = SybilSplit.of(new JbdaAttacker(901), "evil", KEYS);
            int sent = 0;
            int blockedAt = -1;
            while (sent < 3_000 && blockedAt < 0) {
                double[] x = thief.next();
                HttpResponse<String> r =
                        gw.post("/v1/models/digits:predict", thief.lastKeyId(), AttackersIT.body(new double[][] {x}));
                sent++;
                if (r.statusCode() == 403) {
                    blockedAt = sent;
                } else {
                    assertThat(r.statusCode()).isEqualTo(200);
                    JsonNode row = JSON.readTree(r.body()).get("predictions").get(0);
                    thief.observe(x, JSON.treeToValue(row, double[].class));
                }
                gw.advance(Duration.ofMillis(200));
                if (sent % 10 == 0) {
                    gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
                }
            }
            assertThat(blockedAt)
                    .as("the tenant's pooled risk blocks the attack")
                    .isPositive();
            gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5)); // the tenant's re-publish tasks
            int flagged = 0;
            for (int k = 0; k < KEYS; k++) {
                HttpResponse<String> r = gw.adminCall("GET", "/admin/keys/evil-sybil-" + k, Gateway.ADMIN_TOKEN);
                assertThat(r.statusCode()).isEqualTo(200);
                JsonNode report = JSON.readTree(r.body());
                System.out.printf("evil-sybil-%d: %s%n", k, report);
                if (report.get("queries").asLong() > 0) {
                    assertThat(report.get("risk").asDouble())
                            .as(
                                    "evil-sybil-%d's risk after its tenant was blocked at %d rows: %s",
                                    k, blockedAt, report)
                            .isGreaterThanOrEqualTo(0.8);
                    assertThat(report.get("level").asText()).isEqualTo("extracting");
                    assertThat(report.toString()).contains("tenant evil: pooled risk");
                    flagged++;
                }
            }
            assertThat(flagged).isEqualTo(KEYS);
            Matcher m = Pattern.compile("moat_keys_flagged\\{[^}]*level=\"extracting\"[^}]*} ([0-9.]+)")
                    .matcher(gw.metrics());
            assertThat(m.find())
                    .as("moat_keys_flagged{level=extracting} in /metrics")
                    .isTrue();
            assertThat(Double.parseDouble(m.group(1))).isEqualTo(KEYS);
        }
    }
}
