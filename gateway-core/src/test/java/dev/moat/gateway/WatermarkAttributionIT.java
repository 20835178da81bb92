package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.fixtures.traffic.RandomAttacker;
import dev.moat.gateway.cli.CliTest;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.WatermarkLedger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Attribution and the adaptive rate over loopback: two keys steal through Moat, each copy is
 * claimed for its own key and not the other's ({@code moat watermark verify --json}); a flagged key
 * gets the escalated watermark rate while honest keys keep the base rate.
 */
class WatermarkAttributionIT {

    static {
        // the JDK HttpServer under the fixture answers ~40 ms late with Nagle on (read once per JVM)
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eachStolenCopyIsClaimedForItsOwnKeyAndNotTheOther() throws Exception {
        Path ledger = Files.createTempDirectory("moat-attr").resolve("ledger.jsonl");
        Map<String, List<double[]>> xs = new HashMap<>();
        Map<String, List<double[]>> answers = new HashMap<>();
        Map<String, Map<String, Integer>> sharedLabels = new HashMap<>();
        try (Gateway gw = Gateway.start(Gateway.common("\"1000000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: marked}
                policies:
                  marked:
                    outputs:
                      - watermark: {rate: 0.05, secret: "attribution-test-watermark-secret", ledger: "%s"}
                """.formatted(ledger), upstream.baseUri())) {
            // the two keys collude on 400 shared inputs, then each steals 2,000 of its own
            KnockoffAttacker sharedSource = new KnockoffAttacker(5);
            double[][] shared = new double[400][];
            for (int i = 0; i < shared.length; i++) {
                shared[i] = sharedSource.next();
            }
            for (String key : List.of("alice", "bob")) {
                String secret = key.equals("alice") ? Gateway.ALICE : Gateway.BOB;
                KnockoffAttacker thief = new KnockoffAttacker(key.equals("alice") ? 21 : 22);
                List<double[]> mine = new ArrayList<>(List.of(shared));
                for (int i = 0; i < 2_000; i++) {
                    mine.add(thief.next());
                }
                xs.put(key, mine);
                answers.put(key, steal(gw, secret, mine));
                Map<String, Integer> labels = new HashMap<>();
                for (int i = 0; i < shared.length; i++) {
                    labels.put(
                            java.util.Arrays.toString(shared[i]),
                            Classifier.argmax(answers.get(key).get(i)));
                }
                sharedLabels.put(key, labels);
            }
        }
        List<LedgerEntry> entries = WatermarkLedger.read(ledger);
        assertThat(entries).extracting(LedgerEntry::key).contains("alice", "bob");
        assertThat(entries.stream().filter(e -> "alice".equals(e.key())).map(LedgerEntry::tenant))
                .containsOnly("acme");

        // colluders comparing answers: the same inputs are marked for both, mostly with different labels
        int sharedMarked = 0;
        int differ = 0;
        for (LedgerEntry e : entries) {
            if ("alice".equals(e.key())) {
                String k = java.util.Arrays.toString(e.input());
                Integer bobs = sharedLabels.get("bob").get(k);
                if (bobs != null) {
                    sharedMarked++;
                    if (bobs != e.label()) {
                        differ++;
                    }
                }
            }
        }
        assertThat(sharedMarked).as("shared inputs marked for alice").isGreaterThan(5);
        assertThat(differ).as("of which bob got a different label").isGreaterThanOrEqualTo(sharedMarked / 2);

        Classifier aliceCopy = new Memoriser(xs.get("alice"), answers.get("alice"));
        Classifier bobCopy = new Memoriser(xs.get("bob"), answers.get("bob"));
        int[] labels = new int[Digits.get().train().size()];
        System.arraycopy(Digits.get().train().y(), 0, labels, 0, labels.length);
        Classifier independent = DigitsModel.train(Digits.get().train().x(), labels, 6, 30);

        JsonNode a = verifyJson(ledger, aliceCopy);
        assertThat(a.get("verdict").asText()).isEqualTo("claimed");
        assertThat(claimedKeys(a)).containsExactly("alice");
        assertThat(a.get("p_value").asDouble()).isLessThan(1e-6);
        assertThat(key(a, "bob").get("claimed").asBoolean()).isFalse();
        assertThat(key(a, "bob").get("p_value").asDouble()).isGreaterThan(1e-3);

        JsonNode b = verifyJson(ledger, bobCopy);
        assertThat(claimedKeys(b)).containsExactly("bob");
        assertThat(key(b, "alice").get("p_value").asDouble()).isGreaterThan(1e-3);

        JsonNode none = verifyJson(ledger, independent);
        assertThat(none.get("verdict").asText()).isEqualTo("not claimed");
        assertThat(claimedKeys(none)).isEmpty();
        assertThat(none.get("p_value").asDouble()).isGreaterThan(1e-3);
        for (JsonNode k : a.get("keys")) {
            assertThat(k.fieldNames()).toIterable().contains("key", "matches", "n", "p_value", "claimed");
        }
    }

    @Test
    void aFlaggedKeyGetsTheEscalatedRateAndHonestKeysKeepTheBaseRate() throws Exception {
        Path ledger = Files.createTempDirectory("moat-rate").resolve("ledger.jsonl");
        int honestKeys = 4;
        String keys = Gateway.keyEntries("honest-", "honest-secret-", honestKeys, null);
        long attackerRowsFlagged = 0;
        long honestRows = 0;
        String flaggedSince = null;
        try (Gateway gw =
                Gateway.start(Gateway.common("\"1000000/1m\"", keys) + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                policies:
                  guarded:
                    outputs:
                      - watermark: {rate: 0.005, secret: "adaptive-rate-watermark-secret-1", ledger: "%s"}
                    detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                    escalation:
                      - {at: 0.5, watermark: {rate: 0.25}}
                """.formatted(ledger), upstream.baseUri())) {
            HonestClient[] honest = new HonestClient[honestKeys];
            for (int k = 0; k < honestKeys; k++) {
                honest[k] = new HonestClient(300 + k);
            }
            RandomAttacker thief = new RandomAttacker(9);
            for (int q = 0; q < 3_000; q += 10) {
                boolean flagged = gw.server.defences().engine().verdict("alice").risk() >= 0.5;
                double[][] ax = new double[10][];
                for (int i = 0; i < 10; i++) {
                    ax[i] = thief.next();
                }
                for (int k = 0; k < honestKeys; k++) {
                    double[][] hx = {honest[k].next(), honest[k].next(), honest[k].next()};
                    assertThat(gw.post("/v1/models/digits:predict", "honest-secret-" + k, body(hx))
                                    .statusCode())
                            .isEqualTo(200);
                    honestRows += hx.length;
                }
                assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, body(ax))
                                .statusCode())
                        .isEqualTo(200);
                if (flagged) {
                    attackerRowsFlagged += ax.length;
                    if (flaggedSince == null) {
                        flaggedSince = "after " + q + " rows";
                    }
                }
                gw.advance(Duration.ofSeconds(2));
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
                if (attackerRowsFlagged >= 1_000) {
                    break;
                }
            }
        }
        assertThat(attackerRowsFlagged)
                .as("rows the attacker sent while flagged")
                .isGreaterThanOrEqualTo(1_000);
        List<LedgerEntry> entries = WatermarkLedger.read(ledger);
        long attackerMarks =
                entries.stream().filter(e -> "alice".equals(e.key())).count();
        long honestMarks = entries.stream()
                .filter(e -> e.key() != null && e.key().startsWith("honest-"))
                .count();
        System.out.printf(
                "adaptive rate: attacker flagged %s, %d marks for %d flagged rows; honest %d marks for %d rows%n",
                flaggedSince, attackerMarks, attackerRowsFlagged, honestMarks, honestRows);
        // 1,000 rows at 0.25: about 250 marks (binomial sd ~14); at 0.005 it would be about 5
        assertThat(attackerMarks).isGreaterThan(180);
        // honest rows at 0.005: about 18 of 3,600 rows (binomial sd ~4); at 0.25 it would be ~900
        assertThat((double) honestMarks / honestRows).isLessThan(0.012);
    }

    private static List<double[]> steal(Gateway gw, String secret, List<double[]> xs) throws Exception {
        List<double[]> out = new ArrayList<>();
        int batch = 100;
        for (int from = 0; from < xs.size(); from += batch) {
            double[][] chunk =
                    xs.subList(from, Math.min(xs.size(), from + batch)).toArray(new double[0][]);
            String res =
                    gw.post("/v1/models/digits:predict", secret, body(chunk)).body();
            JsonNode preds = JSON.readTree(res).get("predictions");
            for (int i = 0; i < chunk.length; i++) {
                out.add(JSON.treeToValue(preds.get(i), double[].class));
            }
        }
        return out;
    }

    static String body(double[][] rows) throws Exception {
        return "{\"instances\": " + JSON.writeValueAsString(rows) + "}";
    }

    private static List<String> claimedKeys(JsonNode r) {
        List<String> out = new ArrayList<>();
        r.get("keys").forEach(k -> {
            if (k.get("claimed").asBoolean()) {
                out.add(k.get("key").asText());
            }
        });
        return out;
    }

    private static JsonNode key(JsonNode r, String id) {
        for (JsonNode k : r.get("keys")) {
            if (id.equals(k.get("key").asText())) {
                return k;
            }
        }
        throw new AssertionError("no key " + id + " in " + r);
    }

    /** Serves the model on loopback and runs {@code moat watermark verify --json} against it. */
    static JsonNode verifyJson(Path ledger, Classifier model) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models/suspect:predict", ex -> {
            JsonNode req = JSON.readTree(ex.getRequestBody());
            StringBuilder sb = new StringBuilder("{\"predictions\":[");
            for (int i = 0; i < req.get("instances").size(); i++) {
                double[] x = JSON.treeToValue(req.get("instances").get(i), double[].class);
                sb.append(i == 0 ? "" : ",").append(JSON.writeValueAsString(model.predict(x)));
            }
            byte[] out = sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        try {
            CliTest.Run r = CliTest.run(
                    "watermark",
                    "verify",
                    "--json",
                    "--ledger",
                    ledger.toString(),
                    "--target",
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/models/suspect:predict");
            assertThat(r.code()).as(r.err()).isZero();
            System.out.println("watermark verify --json: " + r.out().trim());
            return JSON.readTree(r.out());
        } finally {
            server.stop(0);
        }
    }

    /**
     * A surrogate that fits what it got exactly: the stolen answer of the nearest stolen input
     * (1-nearest-neighbour), the limit of a network trained to 100% training accuracy.
     */
    record Memoriser(List<double[]> xs, List<double[]> answers) implements Classifier {
        @Override
        public double[] predict(double[] x) {
            int best = 0;
            double bestD = Double.MAX_VALUE;
            for (int i = 0; i < xs.size(); i++) {
                double d = 0;
                double[] y = xs.get(i);
                for (int j = 0; j < y.length && d < bestD; j++) {
                    d += (x[j] - y[j]) * (x[j] - y[j]);
                }
                if (d < bestD) {
                    bestD = d;
                    best = i;
                }
            }
            return answers.get(best);
        }

        @Override
        public double[] inputGradient(double[] x, int cls) {
            throw new UnsupportedOperationException();
        }
    }
}
