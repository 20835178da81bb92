package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.detectors.Level;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.RandomAttacker;
import dev.moat.gateway.audit.AuditVerifier;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.cli.CliTest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ladder acting inline, over real sockets: an attacker is perturbed, throttled, then blocked
 * (403 abnormal-usage-detected with Retry-After), an honest key stays untouched, the admin API
 * reports and unblocks, and the audit trail's hash chain holds.
 */
class EscalationIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anAttackerIsBlockedAndAnHonestKeyIsNot() throws Exception {
        Path dir = Files.createTempDirectory("moat-esc");
        Path audit = dir.resolve("audit.jsonl");
        String keys = Gateway.keyEntries("honest-", "honest-secret-", HONEST, null);
        try (Gateway gw = Gateway.start(Gateway.common("\"1000000/1m\"", keys) + guarded(audit), upstream.baseUri())) {
            // an honest population, so the detectors' references are learned online
            HonestClient[] honest = new HonestClient[HONEST];
            for (int k = 0; k < HONEST; k++) {
                honest[k] = k == 0 ? HonestClient.heavy(100 + k) : new HonestClient(100 + k);
            }
            RandomAttacker thief = new RandomAttacker(4);
            int blockedAfter = -1;
            int throttled = 0;
            for (int q = 0; q < 3000 && blockedAfter < 0; q += 10) {
                double[][] ax = new double[10][];
                for (int i = 0; i < 10; i++) {
                    ax[i] = thief.next();
                }
                for (int k = 0; k < HONEST; k++) {
                    int n = k == 0 ? 10 : 2; // the heavy honest key sends five times more than the others
                    double[][] hx = new double[n][];
                    for (int i = 0; i < n; i++) {
                        hx[i] = honest[k].next();
                    }
                    assertThat(gw.post("/v1/models/digits:predict", "honest-secret-" + k, body(hx))
                                    .statusCode())
                            .isEqualTo(200);
                }
                HttpResponse<String> r = gw.post("/v1/models/digits:predict", Gateway.ALICE, body(ax));
                if (r.statusCode() == 429) {
                    throttled++;
                    assertThat(r.body()).contains("abnormal-usage-detected");
                    gw.advance(Duration.ofSeconds(15));
                } else if (r.statusCode() == 403) {
                    blockedAfter = q;
                    assertThat(r.body()).contains("abnormal-usage-detected");
                    long retry =
                            Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
                    assertThat(retry).isBetween(3000L, 3600L);
                } else {
                    assertThat(r.statusCode()).isEqualTo(200);
                }
                gw.advance(Duration.ofSeconds(2));
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            }
            assertThat(blockedAfter)
                    .as("the attacker is blocked within 3,000 queries")
                    .isPositive();
            System.out.println(
                    "random attacker blocked after " + blockedAfter + " queries; throttled " + throttled + " times");
            for (int k = 0; k < HONEST; k++) {
                assertThat(gw.server.defences().engine().verdict("honest-" + k).level())
                        .as("honest-" + k)
                        .isEqualTo(Level.OK);
            }
            assertThat(gw.post("/v1/models/digits:predict", "honest-secret-0", body(new double[][] {
                                Digits.get().honest().x()[0]
                            }))
                            .statusCode())
                    .isEqualTo(200);

            HttpResponse<String> report = gw.adminCall("GET", "/admin/keys/alice", Gateway.ADMIN_TOKEN);
            assertThat(report.body())
                    .contains("\"level\":\"extracting\"")
                    .contains("\"blocked_until\":\"")
                    .contains("\"actions\":{\"guarded\":\"block\"}");
            // the operator's view: the thief tops the list, alone at its level, and its report is consistent
            com.fasterxml.jackson.databind.JsonNode all = JSON.readTree(
                    gw.adminCall("GET", "/admin/keys", Gateway.ADMIN_TOKEN).body());
            assertThat(all.get("keys").get(0).get("id").asText()).isEqualTo("alice");
            com.fasterxml.jackson.databind.JsonNode flagged =
                    JSON.readTree(gw.adminCall("GET", "/admin/keys?level=extracting&blocked=true", Gateway.ADMIN_TOKEN)
                            .body());
            assertThat(flagged.get("keys")).hasSize(1);
            assertThat(flagged.get("keys").get(0).get("id").asText()).isEqualTo("alice");
            com.fasterxml.jackson.databind.JsonNode detail = JSON.readTree(report.body());
            assertThat(detail.get("detectors").fieldNames())
                    .toIterable()
                    .containsExactly("boundary", "coverage", "ood", "prada", "volume");
            java.util.regex.Matcher after = java.util.regex.Pattern.compile("after (\\d+) queries")
                    .matcher(detail.get("detectors").get("prada").get("reason").asText());
            assertThat(after.find()).isTrue();
            assertThat(detail.get("queries").asLong())
                    .as("one count, the one the reasons give")
                    .isEqualTo(Long.parseLong(after.group(1)));
            assertThat(gw.metrics())
                    .contains("moat_actions_total{action=\"block\"}")
                    .contains("moat_keys_flagged{level=\"extracting\"} 1.0");

            assertThat(gw.adminCall("POST", "/admin/keys/alice/unblock", Gateway.ADMIN_TOKEN)
                            .statusCode())
                    .isEqualTo(200);
            // served until new evidence, so the report no longer says the ladder blocks (it did, session 45's review)
            assertThat(gw.adminCall("GET", "/admin/keys/alice", Gateway.ADMIN_TOKEN)
                            .body())
                    .contains("\"blocked_until\":null")
                    .doesNotContain("\"guarded\":\"block\"");
            assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, body(new double[][] {thief.next()}))
                            .statusCode())
                    .as("unblocked: served again until new evidence")
                    .isNotEqualTo(403);
            assertThat(gw.adminCall("POST", "/admin/keys/alice/reset", Gateway.ADMIN_TOKEN)
                            .statusCode())
                    .isEqualTo(200);
            assertThat(gw.server.defences().engine().verdict("alice").level()).isEqualTo(Level.OK);
        }
        List<String> lines = Files.readAllLines(audit);
        assertThat(lines).anyMatch(l -> l.contains("\"event\":\"level_change\"") && l.contains("\"key\":\"alice\""));
        assertThat(lines).anyMatch(l -> l.contains("\"event\":\"block\""));
        assertThat(lines).anyMatch(l -> l.contains("\"event\":\"unblock\""));
        assertThat(lines).anyMatch(l -> l.contains("\"event\":\"reset\""));
        assertThat(AuditVerifier.verify(audit).intact()).isTrue();
        assertThat(CliTest.run("audit", "verify", audit.toString()).code()).isZero();
        // tampering with any record breaks the chain where it was changed
        List<String> tampered = new java.util.ArrayList<>(lines);
        tampered.set(1, tampered.get(1).replace("alice", "alicf"));
        Files.write(audit, tampered);
        AuditVerifier.Result broken = AuditVerifier.verify(audit);
        assertThat(broken.intact()).isFalse();
        assertThat(broken.brokenAt()).isEqualTo(3);
        CliTest.Run r = CliTest.run("audit", "verify", audit.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("broken at line 3");
    }

    /**
     * A tier's {@code max_action: perturb} (issue 9: an operator who will not block a partner on
     * detection alone): two thieves send the same random rows, one in the default tier and one in a
     * partner tier; the first is throttled and blocked, the partner never gets a 429 or a 403 and is
     * still scored, flagged (extracting), perturbed and audited, and the admin report says so.
     */
    @Test
    void aTierCappedAtPerturbIsFlaggedAndPerturbedButNeverThrottledOrBlocked() throws Exception {
        Path dir = Files.createTempDirectory("moat-esc-cap");
        Path audit = dir.resolve("audit.jsonl");
        String keys = Gateway.keyEntries("honest-", "honest-secret-", HONEST, null)
                + "  - {id: partner, sha256: \"" + KeyStore.sha256Hex("partner-secret")
                + "\", tier: partner}\n";
        try (Gateway gw = Gateway.start(
                Gateway.common("\"1000000/1m\"", keys)
                        + "  partner: {limits: [\"1000000/1m\"], max_action: perturb}\n"
                        + guarded(audit),
                upstream.baseUri())) {
            HonestClient[] honest = new HonestClient[HONEST];
            for (int k = 0; k < HONEST; k++) {
                honest[k] = new HonestClient(200 + k);
            }
            RandomAttacker thief = new RandomAttacker(4);
            RandomAttacker partnerThief = new RandomAttacker(4);
            int blockedAfter = -1;
            int partnerRefused = 0;
            for (int q = 0; q < 3000; q += 10) {
                for (int k = 0; k < HONEST; k++) {
                    double[][] hx = {honest[k].next(), honest[k].next()};
                    assertThat(gw.post("/v1/models/digits:predict", "honest-secret-" + k, body(hx))
                                    .statusCode())
                            .isEqualTo(200);
                }
                double[][] ax = new double[10][];
                double[][] px = new double[10][];
                for (int i = 0; i < 10; i++) {
                    ax[i] = thief.next();
                    px[i] = partnerThief.next();
                }
                if (blockedAfter < 0) {
                    int code = gw.post("/v1/models/digits:predict", Gateway.ALICE, body(ax))
                            .statusCode();
                    if (code == 403) {
                        blockedAfter = q;
                    }
                }
                HttpResponse<String> p = gw.post("/v1/models/digits:predict", "partner-secret", body(px));
                partnerRefused += p.statusCode() == 200 ? 0 : 1;
                gw.advance(Duration.ofSeconds(2));
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
                if (blockedAfter >= 0 && q >= blockedAfter + 200) {
                    break;
                }
            }
            System.out.println("default tier blocked after " + blockedAfter + " queries; partner refused "
                    + partnerRefused + " times");
            assertThat(blockedAfter).as("the default tier's thief is blocked").isPositive();
            assertThat(partnerRefused)
                    .as("the partner is never throttled or blocked")
                    .isZero();
            assertThat(gw.server.defences().engine().verdict("partner").level()).isEqualTo(Level.EXTRACTING);
            com.fasterxml.jackson.databind.JsonNode report =
                    JSON.readTree(gw.adminCall("GET", "/admin/keys/partner", Gateway.ADMIN_TOKEN)
                            .body());
            assertThat(report.get("level").asText()).isEqualTo("extracting");
            assertThat(report.get("actions").get("guarded").asText()).isEqualTo("perturb");
            assertThat(report.get("blocked_until").isNull()).isTrue();
            // the answers are perturbed: the same row answered to an unflagged key (bob) differs
            String row = body(new double[][] {partnerThief.next()});
            HttpResponse<String> perturbed = gw.post("/v1/models/digits:predict", "partner-secret", row);
            HttpResponse<String> plain = gw.post("/v1/models/digits:predict", Gateway.BOB, row);
            assertThat(perturbed.statusCode()).isEqualTo(200);
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(perturbed.body()).isNotEqualTo(plain.body());
        }
        List<String> lines = Files.readAllLines(audit);
        assertThat(lines).anyMatch(l -> l.contains("\"event\":\"level_change\"") && l.contains("\"key\":\"partner\""));
        assertThat(lines).noneMatch(l -> l.contains("\"event\":\"block\"") && l.contains("\"key\":\"partner\""));
        assertThat(lines).anyMatch(l -> l.contains("\"event\":\"block\"") && l.contains("\"key\":\"alice\""));
    }

    static final int HONEST = 6;

    /** The model's route under the {@code guarded} policy (every per-key detector, perturb/throttle/block), auditing to {@code audit}. */
    /**
     * A tenant's shared risk so old that it decays to exactly 0 (about 1,075 half-lives: 45 days at
     * the default hour) is no risk: the tenant's keys are served. Before, a key with no risk of its
     * own met a NullPointerException there on every request (a 500), once an instance had held the
     * tenant's risk that long.
     */
    @Test
    void aTenantsRiskDecayedToNothingIsNoRiskBypass() throws Exception {
        Path dir = Files.createTempDirectory("moat-esc");
        try (Gateway gw = Gateway.start(
                Gateway.common("\"1000/1m\"") + guarded(dir.resolve("audit.jsonl")), upstream.baseUri())) {
            long fiftyDaysAgo = System.currentTimeMillis() - Duration.ofDays(50).toMillis();
            gw.server
                    .stateStore()
                    .putRisk("tenant:acme", new dev.moat.gateway.state.StateStore.Risk(0.97, fiftyDaysAgo), 0)
                    .toCompletableFuture()
                    .get();
            HttpResponse<String> r = gw.post("/v1/models/digits:predict", Gateway.ALICE, body(new double[][] {
                Digits.get().honest().x()[0]
            }));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
    }

    /**
     * A throttled key's batch costs the throttle one token per row, as it costs the tier: the throttle
     * took one token a request, so a thief throttled to 20/1m sent 10-row batches and got 200 rows a
     * minute (an operator's trial, 2026-12-02). Here, throttled to 25 rows: two batches of 10 pass, the
     * third is refused (429 abnormal-usage-detected, no upstream call) and costs nothing, so the five
     * rows left pass one by one; a batch larger than the throttle gets no Retry-After.
     */
    @Test
    void aThrottledKeysBatchesGetNoMoreRowsThanTheThrottleBypass() throws Exception {
        try (Gateway gw = Gateway.start(throttling("25/1m"), upstream.baseUri())) {
            gw.server
                    .stateStore()
                    .putRisk(
                            "bob",
                            new dev.moat.gateway.state.StateStore.Risk(0.85, System.currentTimeMillis()),
                            3_600_000)
                    .toCompletableFuture()
                    .get();
            long calls = upstream.server().requests("/v1/");
            HttpResponse<String> tooBig = gw.post("/v1/models/digits:predict", Gateway.BOB, batch(26));
            assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(429);
            assertThat(tooBig.body()).contains("abnormal-usage-detected");
            assertThat(tooBig.headers().firstValue("retry-after"))
                    .as("a batch larger than the throttle can never pass")
                    .isEmpty();
            int rows = 0;
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = gw.post("/v1/models/digits:predict", Gateway.BOB, batch(10));
                if (r.statusCode() == 200) {
                    rows += 10;
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                    assertThat(r.body())
                            .contains("abnormal-usage-detected")
                            .contains("this key is throttled for abnormal usage: a batch of 10 rows costs 10 tokens");
                    assertThat(r.headers().firstValue("retry-after")).isPresent();
                }
            }
            assertThat(rows)
                    .as("rows answered to the throttled key in 10-row batches")
                    .isEqualTo(20);
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = gw.post("/v1/models/digits:predict", Gateway.BOB, batch(1));
                assertThat(r.statusCode())
                        .as("row %d: the refused batches cost the throttle nothing", i)
                        .isEqualTo(200);
            }
            assertThat(gw.post("/v1/models/digits:predict", Gateway.BOB, batch(1))
                            .statusCode())
                    .isEqualTo(429);
            assertThat(upstream.server().requests("/v1/") - calls)
                    .as("only the admitted requests reached the model")
                    .isEqualTo(7);
            assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, batch(10))
                            .statusCode())
                    .as("an unthrottled key's batch")
                    .isEqualTo(200);
            gw.advance(Duration.ofMinutes(1));
            assertThat(gw.post("/v1/models/digits:predict", Gateway.BOB, batch(10))
                            .statusCode())
                    .as("the throttle refilled")
                    .isEqualTo(200);
        }
    }

    /**
     * A batch the throttle passes and the tier refuses gives the throttle its rows back, as it gives
     * the tier the request's token back: a refused batch costs nothing anywhere.
     */
    @Test
    void aBatchTheTierRefusesCostsTheThrottleNothing() throws Exception {
        try (Gateway gw = Gateway.start(throttling("25/1m").replace("\"1000/1m\"", "\"12/1s\""), upstream.baseUri())) {
            gw.server
                    .stateStore()
                    .putRisk(
                            "bob",
                            new dev.moat.gateway.state.StateStore.Risk(0.85, System.currentTimeMillis()),
                            3_600_000)
                    .toCompletableFuture()
                    .get();
            assertThat(gw.post("/v1/models/digits:predict", Gateway.BOB, batch(10))
                            .statusCode())
                    .isEqualTo(200); // throttle 15 left, tier 2
            HttpResponse<String> tier = gw.post("/v1/models/digits:predict", Gateway.BOB, batch(10));
            assertThat(tier.statusCode()).as(tier.body()).isEqualTo(429);
            assertThat(tier.body()).contains("rate-limited").contains("tier 'free'");
            gw.advance(Duration.ofSeconds(1)); // the tier full again, the throttle less than a token more
            HttpResponse<String> again = gw.post("/v1/models/digits:predict", Gateway.BOB, batch(10));
            assertThat(again.statusCode())
                    .as("the throttle got the refused batch's rows back: " + again.body())
                    .isEqualTo(200);
            HttpResponse<String> throttled = gw.post("/v1/models/digits:predict", Gateway.BOB, batch(2));
            assertThat(throttled.statusCode()).as(throttled.body()).isEqualTo(200); // throttle 3 left, tier 0
            gw.advance(Duration.ofSeconds(1));
            HttpResponse<String> over = gw.post("/v1/models/digits:predict", Gateway.BOB, batch(10));
            assertThat(over.statusCode()).as(over.body()).isEqualTo(429);
            assertThat(over.body()).contains("abnormal-usage-detected");
        }
    }

    /** The digits model behind a policy that throttles keys at risk 0.8 to {@code throttle}. */
    static String throttling(String throttle) {
        return Gateway.common("\"1000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                    escalation:
                      - {at: 0.8, throttle: "%s"}
                """.formatted(throttle);
    }

    /** A TF Serving body of {@code n} honest rows. */
    static String batch(int n) throws Exception {
        return body(java.util.Arrays.copyOf(Digits.get().honest().x(), n));
    }

    /**
     * Decay is no new evidence: a ladder whose block step sits under the extracting level (0.6 here)
     * blocks a random thief; the operator unblocks it; half an hour later, with no query since, its old
     * risk has decayed past 0.8, and the read that lowered its level restamped the verdict at that
     * moment, after the unblock, so its next request was refused on the old risk (found in session
     * 48: 403 on "risk 0.70"). Now that request is served and the report does not say "block"; the
     * query it sent is new evidence, and the next request is blocked.
     */
    @Test
    void anUnblockedKeyIsNotBlockedAgainWhenItsOldRiskDecaysPastALevel() throws Exception {
        Path dir = Files.createTempDirectory("moat-esc-decay");
        String keys = Gateway.keyEntries("honest-", "honest-secret-", HONEST, null);
        String ladder =
                Gateway.GUARDED_DIGITS.replaceAll("(?s)escalation:\n.*", "escalation: [{at: 0.6, block: 1h}]\n");
        assertThat(ladder).contains("escalation: [{at: 0.6, block: 1h}]").doesNotContain("0.95");
        try (Gateway gw = Gateway.start(
                Gateway.common("\"1000000/1m\"", keys)
                        + ladder
                        + "audit: {file: \"%s\"}\n".formatted(dir.resolve("audit.jsonl")),
                upstream.baseUri())) {
            HonestClient[] honest = new HonestClient[HONEST];
            for (int k = 0; k < HONEST; k++) {
                honest[k] = new HonestClient(300 + k);
            }
            RandomAttacker thief = new RandomAttacker(5);
            int blockedAfter = -1;
            for (int q = 0; q < 3000 && blockedAfter < 0; q += 10) {
                for (int k = 0; k < HONEST; k++) {
                    double[][] hx = {honest[k].next(), honest[k].next()};
                    assertThat(gw.post("/v1/models/digits:predict", "honest-secret-" + k, body(hx))
                                    .statusCode())
                            .isEqualTo(200);
                }
                if (gw.post("/v1/models/digits:predict", Gateway.ALICE, body(rows(thief, 10)))
                                .statusCode()
                        == 403) {
                    blockedAfter = q;
                }
                gw.advance(Duration.ofSeconds(2));
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            }
            assertThat(blockedAfter).as("the thief is blocked").isPositive();
            double risk = gw.server.defences().engine().verdict("alice").risk();
            assertThat(risk)
                    .as("a risk that decays past the extracting level (0.8) first")
                    .isGreaterThan(0.85);
            assertThat(gw.adminCall("POST", "/admin/keys/alice/unblock", Gateway.ADMIN_TOKEN)
                            .statusCode())
                    .isEqualTo(200);
            // to 0.7 at the engine's half-life of an hour: a level lower than extracting, over the block's 0.6
            gw.advance(Duration.ofSeconds(Math.round(3600 * Math.log(risk / 0.7) / Math.log(2))));
            assertThat(gw.server.defences().engine().verdict("alice").level()).isEqualTo(Level.SUSPICIOUS);
            assertThat(gw.adminCall("GET", "/admin/keys/alice", Gateway.ADMIN_TOKEN)
                            .body())
                    .doesNotContain("\"guarded\":\"block\"");
            assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, body(rows(thief, 1)))
                            .statusCode())
                    .as("no query since the unblock: no new evidence")
                    .isEqualTo(200);
            int blockedAgain = -1;
            for (int q = 0; q < 500 && blockedAgain < 0; q += 10) {
                if (gw.post("/v1/models/digits:predict", Gateway.ALICE, body(rows(thief, 10)))
                                .statusCode()
                        == 403) {
                    blockedAgain = q;
                }
                gw.advance(Duration.ofSeconds(2));
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            }
            // its detectors' state stayed (an unblock is no reset): the first query scored after the unblock,
            // judged with everything they hold of the key, puts it over the block step again
            assertThat(blockedAgain).as("blocked again at the next request").isZero();
        }
    }

    private static double[][] rows(RandomAttacker thief, int n) {
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = thief.next();
        }
        return out;
    }

    static String guarded(Path audit) {
        return Gateway.GUARDED_DIGITS + "audit: {file: \"%s\"}\n".formatted(audit);
    }

    static String body(double[][] xs) throws Exception {
        return "{\"instances\": " + JSON.writeValueAsString(xs) + "}";
    }
}
