package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.server.ModelServer;
import dev.moat.fixtures.server.ModelServerExtension;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Output defences on the wire, with the sample model behind the gateway, in every protocol. */
class DefenceIT {

    @RegisterExtension
    static final ModelServerExtension upstream =
            new ModelServerExtension(ModelServer.Options.defaults().withExplanations(true));

    static final ObjectMapper JSON = new ObjectMapper();
    static Gateway gw;
    static Path ledger;

    @BeforeAll
    static void start() throws Exception {
        ledger = Files.createTempDirectory("moat-wm").resolve("ledger.jsonl");
        gw = Gateway.start(Gateway.common("\"100000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                  v2: {url: "${UPSTREAM}", protocol: kserve-v2}
                  gen:
                    url: "${UPSTREAM}"
                    protocol: generic
                    generic: {inputs: /data, outputs: /result/probabilities, labels: /result/labels}
                  tf_open: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: minimal}
                  - {path_prefix: /v2/models/digits, upstream: v2, policy: minimal}
                  - {path_prefix: /generic/digits, upstream: gen, policy: label}

                  - {path_prefix: /echo, upstream: tf, policy: minimal}
                  - {path_prefix: /status, upstream: tf_open, policy: minimal, fail_open: true}
                policies:
                  minimal:
                    outputs:
                      - top_k: 3
                      - round: 2
                      - strip: ["/explanations"]
                      - watermark: {rate: 0.2, secret: "a-test-watermark-secret-0001", ledger: "%s"}
                  label:
                    outputs:
                      - label_only: true

                """.formatted(ledger), upstream.baseUri());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String instances(double[][] xs) throws Exception {
        return "{\"instances\": " + JSON.writeValueAsString(xs) + "}";
    }

    @Test
    void tfservingAnswersAreMinimisedAndExplanationsStripped() throws Exception {
        double[][] xs = java.util.Arrays.copyOf(Digits.get().honest().x(), 5);
        HttpResponse<String> r = gw.post("/v1/models/digits:predict", Gateway.ALICE, instances(xs));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.has("explanations")).isFalse();
        JsonNode preds = body.get("predictions");
        assertThat(preds.size()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            JsonNode row = preds.get(i);
            assertThat(row.size()).isEqualTo(10);
            int nonZero = 0;
            for (JsonNode p : row) {
                double v = p.asDouble();
                assertThat(Math.abs(v * 100 - Math.round(v * 100)))
                        .as("rounded to 2 decimals")
                        .isLessThan(1e-9);
                if (v > 0) {
                    nonZero++;
                }
            }
            assertThat(nonZero).isLessThanOrEqualTo(3);
        }
        assertThat(gw.metrics())
                .contains("moat_actions_total{action=\"top_k\"}")
                .contains("moat_actions_total{action=\"round\"}");
    }

    @Test
    void perturbedAnswersKeepTheTop1AndStayDistributions() throws Exception {
        double[][] xs = java.util.Arrays.copyOf(Digits.get().honest().x(), 20);
        for (String spec : new String[] {
            "reverse_sigmoid: {beta: 1.0, gamma: 0.5}", "noise: {kind: laplace, epsilon: 2.0, sensitivity: 1.0}"
        }) {
            try (Gateway g = Gateway.start(Gateway.common("\"1000/1m\"") + """
                    upstreams:
                      tf: {url: "${UPSTREAM}", protocol: tfserving}
                    routes:
                      - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                    policies:
                      p:
                        outputs:
                          - %s
                    """.formatted(spec), upstream.baseUri())) {
                HttpResponse<String> r = g.post("/v1/models/digits:predict", Gateway.ALICE, instances(xs));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode preds = JSON.readTree(r.body()).get("predictions");
                double l1 = 0;
                for (int i = 0; i < xs.length; i++) {
                    double[] raw = DigitsModel.get().predict(xs[i]);
                    double sum = 0;
                    for (int c = 0; c < 10; c++) {
                        double v = preds.get(i).get(c).asDouble();
                        assertThat(v).isBetween(0.0, 1.0);
                        sum += v;
                        l1 += Math.abs(v - raw[c]);
                    }
                    assertThat(sum).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
                    assertThat(argmax(preds.get(i)))
                            .as(spec + " keeps the top-1")
                            .isEqualTo(DigitsModel.get().label(xs[i]));
                }
                assertThat(l1 / xs.length)
                        .as(spec + " changes the probabilities")
                        .isGreaterThan(0.01);
                String action = spec.substring(0, spec.indexOf(':'));
                assertThat(g.metrics()).contains("moat_actions_total{action=\"" + action + "\"} 20.0");
            }
        }
    }

    @Test
    void kserveV2AnswersKeepTheirShapeAndAreTransformed() throws Exception {
        double[] x = Digits.get().honest().x()[0];
        StringBuilder data = new StringBuilder();
        for (double v : x) {
            data.append(data.length() == 0 ? "" : ",").append(v);
        }
        String req =
                "{\"inputs\":[{\"name\":\"input-0\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":[" + data + "]}]}";
        HttpResponse<String> r = gw.post("/v2/models/digits/infer", Gateway.ALICE, req);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode out = JSON.readTree(r.body()).get("outputs").get(0);
        assertThat(out.get("shape").toString()).isEqualTo("[1,10]");
        long nonZero = 0;
        for (JsonNode p : out.get("data")) {
            nonZero += p.asDouble() > 0 ? 1 : 0;
        }
        assertThat(nonZero).isBetween(1L, 3L);
    }

    @Test
    void genericLabelOnlyAnswersAreOneHotAndLabelsAgree() throws Exception {
        double[] x = Digits.get().honest().x()[1];
        HttpResponse<String> r =
                gw.post("/generic/digits", Gateway.ALICE, "{\"data\": [" + JSON.writeValueAsString(x) + "]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode result = JSON.readTree(r.body()).get("result");
        JsonNode row = result.get("probabilities").get(0);
        int ones = 0;
        int at = -1;
        for (int i = 0; i < row.size(); i++) {
            if (row.get(i).asDouble() == 1.0) {
                ones++;
                at = i;
            } else {
                assertThat(row.get(i).asDouble()).isZero();
            }
        }
        assertThat(ones).isEqualTo(1);
        assertThat(result.get("labels").get(0).asInt()).isEqualTo(at);
        assertThat(at).isEqualTo(DigitsModel.get().label(x));
    }

    @Test
    void watermarkedAnswersMoveOffTheTrueLabelAndAreLedgered() throws Exception {
        double[][] xs = Digits.get().attacker().x();
        int marked = 0;
        int n = 60;
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r =
                    gw.post("/v1/models/digits:predict", Gateway.BOB, instances(new double[][] {xs[i]}));
            JsonNode row = JSON.readTree(r.body()).get("predictions").get(0);
            int served = argmax(row);
            if (served != DigitsModel.get().label(xs[i])) {
                marked++;
                // the same query gets the same answer
                HttpResponse<String> again =
                        gw.post("/v1/models/digits:predict", Gateway.BOB, instances(new double[][] {xs[i]}));
                assertThat(argmax(JSON.readTree(again.body()).get("predictions").get(0)))
                        .isEqualTo(served);
            }
        }
        assertThat(marked).as("rate 0.2 over %d queries", n).isBetween(3, 25);
        long deadline = System.currentTimeMillis() + 5000;
        List<String> lines = List.of();
        while (System.currentTimeMillis() < deadline) {
            lines = Files.exists(ledger) ? Files.readAllLines(ledger) : List.of();
            if (lines.size() >= marked) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(lines).hasSizeGreaterThanOrEqualTo(marked);
        assertThat(lines.get(0)).contains("\"key\":\"bob\"").contains("\"classes\":10");
    }

    @Test
    void anAnswerThatCannotBeParsedFailsClosed() throws Exception {
        // /echo answers JSON that is not a tfserving answer: the policy cannot be applied
        HttpResponse<String> r = gw.post("/echo", Gateway.ALICE, "{\"instances\": [[1,2,3]]}");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("could not be made safe");
        assertThat(gw.metrics()).contains("moat_actions_total{action=\"fail_closed\"}");
    }

    @Test
    void aMalformedRequestOnAPolicyRouteIs400WithoutAnUpstreamCall() throws Exception {
        long before = upstream.server().requests("/v1/");
        HttpResponse<String> r = gw.post("/v1/models/digits:predict", Gateway.ALICE, "{\"instances\": \"nope\"");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(upstream.server().requests("/v1/")).isEqualTo(before);
    }

    @Test
    void errorAnswersWhoseBodyArrivesAfterTheHeadPassThroughUntouched() throws Exception {
        HttpResponse<String> r = gw.post("/status/503", Gateway.ALICE, "{\"instances\": [[1]]}");
        assertThat(r.statusCode()).isEqualTo(503);
    }

    static int argmax(JsonNode row) {
        int best = 0;
        for (int i = 1; i < row.size(); i++) {
            if (row.get(i).asDouble() > row.get(best).asDouble()) {
                best = i;
            }
        }
        return best;
    }
}
