package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.detectors.Level;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.BoundaryAttacker;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import dev.moat.fixtures.traffic.SybilSplit;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 4's acceptance over real sockets: each attacker from the fixtures, sending through a real
 * gateway to the real sample model under the example escalation (perturb 0.5, throttle 0.8, block
 * 0.95), is blocked within a bounded number of queries, while six honest keys (one ten times
 * heavier) stay {@code ok}. The Sybil attack is spread over five keys of one tenant and caught at
 * tenant level. Seeds here (7xx) differ from the ones the detectors were calibrated on.
 */
class AttackersIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final int HONEST = 6;
    static final int BUDGET = 4000;
    static final Map<String, LongFunction<QuerySource>> ATTACKS = new LinkedHashMap<>();

    static {
        ATTACKS.put("random", RandomAttacker::new);
        ATTACKS.put("jbda", JbdaAttacker::new);
        ATTACKS.put("knockoff", KnockoffAttacker::new);
        ATTACKS.put("boundary", BoundaryAttacker::new);
        ATTACKS.put("sybil", seed -> SybilSplit.of(new RandomAttacker(seed), "evil", 5));
    }

    @ParameterizedTest
    @ValueSource(strings = {"random", "jbda", "knockoff", "boundary", "sybil"})
    void theAttackerIsBlockedAndNoHonestKeyIsFlagged(String attack) throws Exception {
        String keys = Gateway.keyEntries("honest-", "honest-secret-", HONEST, "good")
                + Gateway.keyEntries("evil-sybil-", "evil-sybil-", 5, "evil");
        try (Gateway gw =
                Gateway.start(Gateway.common("\"1000000/1m\"", keys) + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                policies:
                  guarded:
                    outputs: [{top_k: 3}, {round: 3}]
                    detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}, tenant: {}}
                    escalation:
                      - {at: 0.5, perturb: {reverse_sigmoid: {beta: 1.0, gamma: 0.2}}}
                      - {at: 0.8, throttle: "2000/1m"}
                      - {at: 0.95, block: 1h}
                """ + calibration(attack), upstream.baseUri())) {
            HonestClient[] honest = new HonestClient[HONEST];
            for (int k = 0; k < HONEST; k++) {
                honest[k] = k == 0 ? HonestClient.heavy(700 + k) : new HonestClient(700 + k);
            }
            QuerySource thief = ATTACKS.get(attack).apply(777);
            int sent = 0;
            int blockedAt = -1;
            for (int round = 0; sent < BUDGET && blockedAt < 0; round++) {
                for (int k = 0; k < HONEST; k++) {
                    int n = k == 0 ? 10 : 1; // the heavy key sends ten times more
                    double[][] hx = new double[n][];
                    for (int i = 0; i < n; i++) {
                        hx[i] = honest[k].next();
                    }
                    HttpResponse<String> r = gw.post("/v1/models/digits:predict", "honest-secret-" + k, body(hx));
                    assertThat(r.statusCode())
                            .as("honest-%d at round %d", k, round)
                            .isEqualTo(200);
                }
                // the thief: 10 queries per round (a Sybil sends each with the key its split picked)
                for (int i = 0; i < 10 && blockedAt < 0; i++) {
                    double[] x = thief.next();
                    String secret = thief instanceof SybilSplit s ? s.lastKeyId() : "thief";
                    HttpResponse<String> r = gw.post(
                            "/v1/models/digits:predict",
                            secret.equals("thief") ? Gateway.ALICE : secret,
                            body(new double[][] {x}));
                    sent++;
                    if (r.statusCode() == 403) {
                        blockedAt = sent;
                    } else if (r.statusCode() == 200) {
                        JsonNode row =
                                JSON.readTree(r.body()).get("predictions").get(0);
                        thief.observe(x, JSON.treeToValue(row, double[].class));
                    }
                }
                gw.advance(Duration.ofSeconds(1));
                if (round % 5 == 4) {
                    gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
                }
            }
            StringBuilder verdicts = new StringBuilder();
            java.util.Set<String> firing = new java.util.TreeSet<>();
            for (String k : thief instanceof SybilSplit
                    ? java.util.List.of("evil-sybil-0", "evil-sybil-1", "evil-sybil-2", "evil-sybil-3", "evil-sybil-4")
                    : java.util.List.of("alice")) {
                dev.moat.detectors.Verdict v = gw.server.defences().engine().verdict(k);
                verdicts.append('\n').append(k).append(": ").append(v);
                v.scores().forEach((d, sc) -> {
                    if (sc.score() >= 0.5) {
                        firing.add(d);
                    }
                });
            }
            System.out.printf(
                    "attack %s: blocked after %d queries (scoring 0.5 or more: %s)%n", attack, blockedAt, firing);
            assertThat(blockedAt)
                    .as("%s blocked within %d queries%s", attack, BUDGET, verdicts)
                    .isPositive();
            for (int k = 0; k < HONEST; k++) {
                assertThat(gw.server.defences().engine().verdict("honest-" + k).level())
                        .as("honest-" + k)
                        .isEqualTo(Level.OK);
            }
            if (attack.equals("sybil")) {
                // the tenant's pooled coverage, against the reference the Sybil case configures
                assertThat(gw.server
                                .defences()
                                .engine()
                                .tenantVerdict("evil")
                                .scores()
                                .get("coverage")
                                .score())
                        .as(verdicts.toString())
                        .isGreaterThanOrEqualTo(0.5);
            }
        }
    }

    /**
     * For the Sybil, a calibration file of {@code coverage}'s cells and the digits' honest reference
     * novelty ({@link CoverageCalibration}), as an operator who calibrated would have it. On this
     * fresh gateway no key has the 200 rows the cells' widths need (nor the 400 a learned reference
     * needs), so without one the tenant's pooled coverage has no opinion (detectors/README.md, {@code
     * coverage}, "The price of no opinion") and the Sybil is left to each key's {@code ood}, whose
     * reference at that start the Sybil's own keys can join: blocked after 1,051 queries in most runs,
     * never within the budget in one full build (2026-11-29), so the cold start is pinned at the
     * detector level ({@code CoverageColdStartTest.coverageColdStartSybilTenantBypass}), not here.
     */
    static String calibration(String attack) throws java.io.IOException {
        return attack.equals("sybil")
                ? CoverageCalibration.detection(java.nio.file.Files.createTempDirectory("moat-attackers"))
                : "";
    }

    static String body(double[][] xs) throws Exception {
        return "{\"instances\": " + JSON.writeValueAsString(xs) + "}";
    }

    static List<String> attacks() {
        return List.copyOf(ATTACKS.keySet());
    }
}
