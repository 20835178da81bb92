package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TensorFlow Serving's named inputs over real sockets ({@code {"instances": [{"pixels": [...]}]}}
 * and the columnar {@code {"inputs": {"pixels": [[...]]}}}, as clients of a Keras model whose
 * signature names its input send them), through the gateway to the fixtures' model server, which
 * takes them as TF Serving does. Before, both were refused as malformed on a policy route.
 */
class TfServingNamedInputsIT {

    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final String CONFIG = """
            upstreams:
              tf: {url: "${UPSTREAM}", protocol: tfserving}
            routes:
              - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
            policies:
              guarded:
                outputs: [{top_k: 3}, {round: 3}]
                detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                escalation:
                  - {at: 0.5, perturb: {reverse_sigmoid: {beta: 1.0, gamma: 0.2}}}
                  - {at: 0.95, block: 1h}
            """;

    static Gateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(
                Gateway.common("\"1000000/1m\"", Gateway.keyEntries("honest-", "honest-secret-", 4, null)) + CONFIG,
                upstream.baseUri());
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static String named(double[][] rows) throws Exception {
        StringBuilder b = new StringBuilder("{\"instances\": [");
        for (int i = 0; i < rows.length; i++) {
            b.append(i == 0 ? "" : ", ")
                    .append("{\"pixels\": ")
                    .append(JSON.writeValueAsString(rows[i]))
                    .append('}');
        }
        return b.append("]}").toString();
    }

    @Test
    void namedInstancesAndNamedColumnsAreAnsweredAsPlainRowsAreAndEachRowIsAnEvent() throws Exception {
        double[][] rows = Arrays.copyOf(Digits.get().honest().x(), 3);
        HttpResponse<String> plain = gw.post(
                "/v1/models/digits:predict",
                "honest-secret-0",
                "{\"instances\": " + JSON.writeValueAsString(rows) + "}");
        HttpResponse<String> byName = gw.post("/v1/models/digits:predict", "honest-secret-1", named(rows));
        HttpResponse<String> columns = gw.post(
                "/v1/models/digits:predict",
                "honest-secret-2",
                "{\"inputs\": {\"pixels\": " + JSON.writeValueAsString(rows) + "}}");
        for (HttpResponse<String> r : java.util.List.of(plain, byName, columns)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        JsonNode expected = JSON.readTree(plain.body()).get("predictions");
        assertThat(JSON.readTree(byName.body()).get("predictions")).isEqualTo(expected);
        assertThat(JSON.readTree(columns.body()).get("predictions")).isEqualTo(expected);
        // defended: at most three classes per row, three decimals
        for (JsonNode row : expected) {
            int nonZero = 0;
            for (JsonNode p : row) {
                nonZero += p.asDouble() > 0 ? 1 : 0;
            }
            assertThat(nonZero).isLessThanOrEqualTo(3);
        }
        gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
        for (String key : new String[] {"honest-1", "honest-2"}) {
            assertThat(gw.server.defences().engine().verdict(key).queries())
                    .as(key)
                    .isEqualTo(3);
        }
    }

    /** A thief who names the input is seen as one who does not: every row an event, blocked. */
    @Test
    void aJbdaThiefNamingTheInputIsBlockedAsOneWhoDoesNotBypass() throws Exception {
        try (Gateway g = Gateway.start(
                Gateway.common("\"1000000/1m\"", Gateway.keyEntries("honest-", "honest-secret-", 4, null)) + CONFIG,
                upstream.baseUri())) {
            HonestClient[] honest = new HonestClient[4];
            for (int k = 0; k < honest.length; k++) {
                honest[k] = new HonestClient(950 + k);
            }
            int blockedAt = ThiefRounds.blockedAt(g, honest, new JbdaAttacker(951), 1_000, (secret, x) -> {
                HttpResponse<String> r = g.post("/v1/models/digits:predict", secret, named(new double[][] {x}));
                return new ThiefRounds.Reply(
                        r.statusCode(),
                        r.statusCode() == 200
                                ? JSON.treeToValue(
                                        JSON.readTree(r.body())
                                                .get("predictions")
                                                .get(0),
                                        double[].class)
                                : null,
                        r.body());
            });
            System.out.printf("jbda naming its input: blocked after %d rows%n", blockedAt);
        }
    }
}
