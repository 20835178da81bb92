package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.detectors.Level;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bypass that {@code volume}'s default cap ({@code max_score} 0.45, under suspicious) accepts:
 * a thief who sends clean natural data at a heavy customer's volume is not flagged by volume alone
 * (an honest heavy customer looks the same). What stops it is the business limit, the tier's daily
 * token bucket, which refuses every row past the limit whatever the detectors say. Over real sockets.
 */
class VolumeBypassIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aNaturalDataThiefOverTheVolumeBudgetIsNotFlaggedButTheTierLimitRefusesTheExcess() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"3000/1d\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                policies:
                  guarded:
                    outputs: [{top_k: 3}]
                    detectors: {volume: {daily_budget: 1000}}
                    escalation:
                      - {at: 0.5, perturb: {reverse_sigmoid: {beta: 1.0, gamma: 0.2}}}
                      - {at: 0.8, throttle: "5/1m"}
                """, upstream.baseUri())) {
            HonestClient natural = new HonestClient(77);
            int answered = 0;
            int refused = 0;
            for (int request = 0; request < 70; request++) {
                double[][] rows = new double[50][];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = natural.next();
                }
                HttpResponse<String> r = gw.post(
                        "/v1/models/digits:predict",
                        Gateway.ALICE,
                        "{\"instances\": " + JSON.writeValueAsString(rows) + "}");
                if (r.statusCode() == 200) {
                    answered += rows.length;
                } else {
                    assertThat(r.statusCode()).isEqualTo(429);
                    assertThat(r.body()).contains("rate-limited");
                    refused++;
                }
                gw.advance(Duration.ofSeconds(1)); // the daily bucket refills 3000 a day, 2.4 rows in these 70 s
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            }
            assertThat(answered).as("the tier's daily limit").isEqualTo(3000);
            assertThat(refused).isEqualTo(10);
            // three times the volume budget, yet ok: volume alone does not flag by default
            assertThat(gw.server.defences().engine().verdict("alice").level()).isEqualTo(Level.OK);
            JsonNode detail = JSON.readTree(gw.adminCall("GET", "/admin/keys/alice", Gateway.ADMIN_TOKEN)
                    .body());
            assertThat(detail.get("detectors").get("volume").get("reason").asText())
                    .contains("3000 queries in 24h (budget 1000)")
                    .contains("(score 1.00, capped at max_score 0.45)");
            assertThat(detail.get("detectors").get("volume").get("score").asDouble())
                    .isEqualTo(0.45);
        }
    }
}
