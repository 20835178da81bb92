package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.detectors.Level;
import dev.moat.detectors.Verdict;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.server.ModelServer;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9 over real sockets, on a model that hesitates on most of its honest answers: the sample
 * digits model served at a temperature ({@code softmax(logits / 9)}: the same classes, the
 * probabilities closer together, 62% of the honest clients' answers with a top-1 minus top-2 margin
 * under 0.2), as a weak or many-class model answers. Honest keys on a fresh gateway under {@link
 * Gateway#GUARDED_DIGITS} (every per-key detector; perturb, throttle, block). Before (session 23), {@code boundary}
 * judged the first keys to report against {@code default_share} (10% of answers with a margin under
 * 0.2) or against the few keys that came before them, and a key it flagged never became a peer (so
 * no detector's reference formed: {@code 0 of 5 trusted keys}): honest-0 was {@code suspicious}
 * (risk 0.68) in both runs. A small deployment (3 keys) and a population past {@code min_keys} (6
 * keys) must both stay {@code ok}. (At a temperature of 8, 45% hesitant, the code before passed.)
 */
class HesitantModelIT {

    static final double TEMPERATURE = 9;

    @RegisterExtension
    static final ModelServerExtension upstream =
            new ModelServerExtension(ModelServer.Options.defaults().withTemperature(TEMPERATURE));

    static final ObjectMapper JSON = new ObjectMapper();

    /** The served model, in this JVM: the same weights and temperature as the upstream's. */
    static final DigitsModel MODEL = DigitsModel.get().tempered(TEMPERATURE);

    @ParameterizedTest
    @ValueSource(ints = {3, 6})
    void honestKeysOfAModelThatHesitatesStayOk(int keys) throws Exception {
        try (Gateway gw = Gateway.start(
                Gateway.common("\"1000000/1m\"", Gateway.keyEntries("honest-", "honest-secret-", keys, null))
                        + Gateway.GUARDED_DIGITS,
                upstream.baseUri())) {
            HonestClient[] honest = new HonestClient[keys];
            for (int k = 0; k < keys; k++) {
                honest[k] = new HonestClient(910 + k);
            }
            int[] hesitant = new int[keys];
            int rounds = 300;
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < keys; k++) {
                    double[] x = honest[k].next();
                    HttpResponse<String> r = gw.post(
                            "/v1/models/digits:predict",
                            "honest-secret-" + k,
                            "{\"instances\": " + JSON.writeValueAsString(new double[][] {x}) + "}");
                    assertThat(r.statusCode())
                            .as("honest-%d at round %d: %s", k, round, r.body())
                            .isEqualTo(200);
                    // what the detectors see: the model's answer before the policy's top-3 and rounding
                    double[] p = MODEL.predict(x);
                    Arrays.sort(p);
                    hesitant[k] += p[p.length - 1] - p[p.length - 2] < 0.2 ? 1 : 0;
                }
                gw.advance(Duration.ofSeconds(2));
                if (round % 25 == 24) {
                    gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
                }
            }
            gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            for (int k = 0; k < keys; k++) {
                Verdict v = gw.server.defences().engine().verdict("honest-" + k);
                // the scenario: the model hesitates on a large share of this key's honest answers
                assertThat((double) hesitant[k] / rounds)
                        .as("honest-%d's hesitant share", k)
                        .isGreaterThan(0.3);
                assertThat(v.level()).as("honest-%d: %s", k, v).isEqualTo(Level.OK);
            }
        }
    }
}
