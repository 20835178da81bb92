package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.server.ModelServerExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bypasses found by a tester who read the README, DESIGN and the code (issue 9), over real sockets
 * against model servers that behave as real ones do where the fixtures' server is stricter:
 * <ul>
 *   <li>TensorFlow Serving answers the signature a request names ({@code signature_name}), which
 *       may be one that answers logits;</li>
 *   <li>TensorFlow Serving matches its REST paths case-blind ({@code (?i)/v1/models/...:predict}
 *       in its HTTP handler), so {@code /V1/MODELS/digits:predict} reaches the model while a
 *       case-sensitive router sends it to a plain route ({@code /} or {@code /v1});</li>
 *   <li>Triton (KServe v2) answers every output tensor of the model, or those the request's
 *       {@code outputs} names, in the request's order: a classifier exporting {@code logits} next
 *       to {@code probabilities} hands out its raw scores unless every tensor is defended.</li>
 * </ul>
 */
class EdgeBypassIT {

    static final ObjectMapper JSON = new ObjectMapper();
    /** A policy answer here is rounded to one decimal; the model's raw answer has many. */
    static final Pattern RAW = Pattern.compile("\\d\\.\\d{2,}");

    static final String ROW = "[" + "3,".repeat(63) + "3]";

    @RegisterExtension
    static final ModelServerExtension fixture = new ModelServerExtension();

    static LikeRealServers real;
    static Gateway gw;

    @BeforeAll
    static void start() throws Exception {
        real = new LikeRealServers();
        gw = Gateway.start(
                Gateway.common("\"1000/1m\"")
                        + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving, response_timeout: 5s}
                  triton: {url: "${UPSTREAM}", protocol: kserve-v2, response_timeout: 5s}
                  triton_scores: {url: "${UPSTREAM}", protocol: kserve-v2, response_timeout: 5s, prediction_output: scores}
                  triton_missing: {url: "${UPSTREAM}", protocol: kserve-v2, response_timeout: 5s, prediction_output: softmax}
                  tf_multi: {url: "${UPSTREAM}", protocol: tfserving, response_timeout: 5s, prediction_output: probabilities}
                  llm: {url: "LLM", protocol: openai, response_timeout: 5s}
                routes:
                  - {path_prefix: /v1/chat/completions, upstream: llm, policy: llm}
                  - {path_prefix: /v1/completions, upstream: llm, policy: llm_neutralise}
                  - {path_prefix: /, upstream: tf}
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: strict}
                  - {path_prefix: /v2/models/digits, upstream: triton, policy: strict}
                  - {path_prefix: /v2/models/scored, upstream: triton_scores, policy: strict}
                  - {path_prefix: /v2/models/missing, upstream: triton_missing, policy: strict}
                  - {path_prefix: /v1/models/multi, upstream: tf_multi, policy: strict}
                  - {path_prefix: /v1/models/unnamed, upstream: tf, policy: strict}
                policies:
                  strict:
                    outputs:
                      - round: 1
                  llm:
                    llm: {max_top_logprobs: 2, logit_bias_with_logprobs: reject}
                  llm_neutralise:
                    llm: {max_top_logprobs: 2, logit_bias_with_logprobs: neutralise}
                """.replace("LLM", fixture.baseUri().toString()),
                real.uri());
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (real != null) {
            real.close();
        }
    }

    private static RawClient.Response post(String target, String body) throws Exception {
        try (RawClient c = new RawClient(gw.server.port())) {
            c.send("POST " + target + " HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            return c.readResponse();
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/V1/MODELS/digits:predict",
                "/v1/Models/digits:predict",
                "/V1/models/digits:PREDICT",
                "http://x/V1/Models/digits:predict",
            })
    void aCaseVariantOfThePathCannotReachACaseBlindModelServerPastThePolicyBypass(String target) throws Exception {
        RawClient.Response r = post(target, "{\"instances\": [" + ROW + "]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("predictions");
        assertThat(RAW.matcher(r.body()).find())
                .as("the policy (round: 1) applied: " + r.body())
                .isFalse();
    }

    @Test
    void theSameCaseVariantWithoutAPolicyRouteStaysAPlainProxy() throws Exception {
        // control: the plain route still proxies what no policy route covers, in any case
        RawClient.Response r = post("/V1/other:predict", "{\"instances\": [" + ROW + "]}");
        assertThat(r.status()).as(r.body()).isEqualTo(404);
    }

    @Test
    void anotherSignatureCannotAnswerLogitsAsProbabilitiesBypass() throws Exception {
        int before = real.served.get();
        RawClient.Response r =
                post("/v1/models/digits:predict", "{\"signature_name\": \"logits\", \"instances\": [" + ROW + "]}");
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("signature_name");
        assertThat(real.served.get()).isEqualTo(before);
        RawClient.Response named = post(
                "/v1/models/digits:predict", "{\"signature_name\": \"serving_default\", \"instances\": [" + ROW + "]}");
        assertThat(named.status()).as(named.body()).isEqualTo(200);
        assertThat(RAW.matcher(named.body()).find()).as(named.body()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/models/digits:predict?explain=true", "/v1/models/digits:predict"})
    void explanationsBesideThePredictionsCannotPassUndefendedBypass(String target) throws Exception {
        // an explainer's attributions are the model's gradients: an extraction attack's best query
        // answer (Milli et al. 2019); the policy transforms predictions only, so a policy route
        // answers the predictions alone, whatever else the server adds
        RawClient.Response r = post(target, "{\"instances\": [" + ROW + "], \"explain\": true}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.has("predictions")).as(r.body()).isTrue();
        assertThat(body.size()).as("only the defended predictions: " + r.body()).isEqualTo(1);
        assertThat(RAW.matcher(r.body()).find()).as(r.body()).isFalse();
    }

    @Test
    void aColumnarRequestGetsTfServingsColumnarAnswerDefended() throws Exception {
        // not a bypass (it failed closed with 502): TF Serving answers "inputs" with "outputs"
        RawClient.Response r = post("/v1/models/digits:predict", "{\"inputs\": [" + ROW + "]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"outputs\"");
        assertThat(RAW.matcher(r.body()).find()).as(r.body()).isFalse();
    }

    @Test
    void aSecondOutputTensorCannotCarryRawScoresPastThePolicyBypass() throws Exception {
        // the model's every output: probabilities, then logits
        RawClient.Response r = post("/v2/models/digits/infer", infer(""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode tensors = JSON.readTree(r.body()).get("outputs");
        assertThat(tensors.size()).as(r.body()).isEqualTo(1);
        assertThat(tensors.get(0).get("name").asText()).isEqualTo("probabilities");
        assertThat(tensors.get(0).get("data").size()).isEqualTo(20);
        for (JsonNode v : tensors.get(0).get("data")) {
            assertThat(Math.abs(v.asDouble() * 10 - Math.rint(v.asDouble() * 10)))
                    .as("every value the client gets went through round: 1: " + r.body())
                    .isLessThan(1e-9);
        }
    }

    @Test
    void aPredictionTensorNamedOtherwiseThanProbabilitiesIsTheOneDefendedWhenConfiguredBypass() throws Exception {
        // a model answering "logits" first and its probabilities as "scores": by the default rule the
        // first tensor (the logits) would be rounded and handed out; prediction_output names "scores"
        RawClient.Response r = post("/v2/models/scored/infer", infer(""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode tensors = JSON.readTree(r.body()).get("outputs");
        assertThat(tensors.size()).as(r.body()).isEqualTo(1);
        assertThat(tensors.get(0).get("name").asText()).isEqualTo("scores");
        double sum = 0;
        for (JsonNode v : tensors.get(0).get("data")) {
            assertThat(v.asDouble()).as(r.body()).isBetween(0.0, 1.0);
            assertThat(Math.abs(v.asDouble() * 10 - Math.rint(v.asDouble() * 10)))
                    .as(r.body())
                    .isLessThan(1e-9);
            sum += v.asDouble();
        }
        assertThat(sum)
                .as("two rows of probabilities, rounded to 0.1: " + r.body())
                .isBetween(1.5, 2.5);
    }

    @Test
    void aConfiguredPredictionTensorMissingFromTheAnswerFailsClosed() throws Exception {
        RawClient.Response r = post("/v2/models/missing/infer", infer(""));
        assertThat(r.status()).as(r.body()).isEqualTo(502);
        assertThat(RAW.matcher(r.body()).find()).as(r.body()).isFalse();
    }

    @Test
    void aMultiOutputSignatureAnswersTheNamedOutputAloneDefended() throws Exception {
        RawClient.Response r = post("/v1/models/multi:predict", "{\"instances\": [" + ROW + "," + ROW + "]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode predictions = JSON.readTree(r.body()).get("predictions");
        assertThat(predictions.size()).as(r.body()).isEqualTo(2);
        for (JsonNode instance : predictions) {
            assertThat(instance.size()).as("only the named output: " + r.body()).isEqualTo(1);
            assertThat(instance.get("probabilities").size()).isEqualTo(10);
        }
        assertThat(RAW.matcher(r.body()).find()).as(r.body()).isFalse();
        assertThat(r.body()).doesNotContain("logits").doesNotContain("-");
        // columnar: {"outputs": {"probabilities": [...], "logits": [...]}}
        RawClient.Response c = post("/v1/models/multi:predict", "{\"inputs\": [" + ROW + "]}");
        assertThat(c.status()).as(c.body()).isEqualTo(200);
        JsonNode outputs = JSON.readTree(c.body()).get("outputs");
        assertThat(outputs.size()).as(c.body()).isEqualTo(1);
        assertThat(outputs.get("probabilities").get(0).size()).isEqualTo(10);
        assertThat(RAW.matcher(c.body()).find()).as(c.body()).isFalse();
    }

    @Test
    void aMultiOutputSignatureWithoutAConfiguredOutputFailsClosed() throws Exception {
        // which named output holds the probabilities is not guessed
        RawClient.Response r = post("/v1/models/unnamed:predict", "{\"instances\": [" + ROW + "]}");
        assertThat(r.status()).as(r.body()).isEqualTo(502);
        assertThat(RAW.matcher(r.body()).find()).as(r.body()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                ",\"outputs\":[{\"name\":\"logits\"}]", // the raw scores alone, read as probabilities
                ",\"outputs\":[{\"name\":\"logits\"},{\"name\":\"probabilities\"}]", // reordered
                ",\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"classification\":3}}]",
            })
    void aRequestCannotChooseTheOutputTensorsBypass(String outputs) throws Exception {
        int before = real.served.get();
        RawClient.Response r = post("/v2/models/digits/infer", infer(outputs));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("outputs");
        assertThat(real.served.get()).isEqualTo(before);
    }

    private static String infer(String outputs) {
        return "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,64],\"datatype\":\"FP32\",\"data\":[" + ROW + ","
                + ROW.replace('3', '9') + "]}]" + outputs + "}";
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "\"allowed_token_ids\":[17,42]",
                "\"guided_choice\":[\"yes\",\"no\"]",
                "\"guided_regex\":\"(yes|no)\"",
                "\"structured_outputs\":{\"choice\":[\"yes\",\"no\"]}",
                // a banned token is a bias of minus infinity (vLLM); llama.cpp's grammar and schema fields
                "\"bad_words\":[\"yes\"]",
                "\"grammar\":\"root ::= \\\"yes\\\" | \\\"no\\\"\"",
                "\"json_schema\":{\"enum\":[\"yes\",\"no\"]}",
                // OpenAI's structured outputs: vLLM serves them with the same guided decoding
                "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"c\",\"schema\":"
                        + "{\"type\":\"string\",\"enum\":[\"yes\",\"no\"]}}}",
                "\"response_format\":{\"type\":\"regex\",\"regex\":\"(yes|no)\"}",
                "\"response_format\":\"json_schema\",\"json_schema\":{\"name\":\"c\",\"schema\":{\"enum\":[\"yes\"]}}",
                // a forced tool call decodes its arguments against the tool's schema: an enum is a choice
                "\"tools\":[" + LABEL_TOOL
                        + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"label\"}}",
                "\"tools\":[" + LABEL_TOOL + "],\"tool_choice\":\"required\"",
                "\"tools\":[" + STRICT_LABEL_TOOL + "],\"tool_choice\":\"auto\"",
                "\"functions\":[{\"name\":\"label\",\"parameters\":{\"type\":\"object\"}}],\"function_call\":{\"name\":\"label\"}",
            })
    void restrictingTheSampledTokensWithLogprobsIsRefusedLikeLogitBiasBypass(String steer) throws Exception {
        long before = fixture.server().requests("/v1/chat");
        RawClient.Response r = post(
                "/v1/chat/completions",
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"moats?\"}],"
                        + "\"max_tokens\":2,\"logprobs\":true,\"top_logprobs\":2," + steer + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("cannot be combined with logprobs");
        assertThat(fixture.server().requests("/v1/chat")).isEqualTo(before);
    }

    @Test
    void restrictingTheSampledTokensIsNeutralisedWhereTheRouteNeutralisesLogitBiasBypass() throws Exception {
        RawClient.Response r = post(
                "/v1/completions",
                "{\"model\":\"moat-tiny-16\",\"prompt\":\"moats?\",\"max_tokens\":2,\"logprobs\":2,"
                        + "\"allowed_token_ids\":[17,42]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode choice = JSON.readTree(r.body()).get("choices").get(0);
        assertThat(choice.path("logprobs").isMissingNode()
                        || choice.path("logprobs").isNull())
                .as("the logprobs were not asked for upstream: " + r.body())
                .isTrue();
    }

    @Test
    void theSameFieldsWithoutLogprobsPass() throws Exception {
        RawClient.Response r = post(
                "/v1/chat/completions",
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"moats?\"}],"
                        + "\"max_tokens\":2,\"allowed_token_ids\":[17,42]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        RawClient.Response schema = post(
                "/v1/chat/completions",
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"moats?\"}],"
                        + "\"max_tokens\":2,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                        + "{\"name\":\"c\",\"schema\":{\"type\":\"string\",\"enum\":[\"yes\",\"no\"]}}}}");
        assertThat(schema.status()).as(schema.body()).isEqualTo(200);
    }

    private static final String LABEL_TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"label\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"l\":{\"enum\":[\"yes\",\"no\"]}}}}}";
    private static final String STRICT_LABEL_TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"label\","
            + "\"strict\":true,\"parameters\":{\"type\":\"object\",\"properties\":{\"l\":{\"enum\":[\"yes\"]}}}}}";

    @Test
    void toolsTheModelMayChooseWithLogprobsPass() throws Exception {
        // tools the model may or may not call, arguments decoded freely: no tokens chosen by the client
        RawClient.Response r = post(
                "/v1/chat/completions",
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"moats?\"}],"
                        + "\"max_tokens\":2,\"logprobs\":true,\"top_logprobs\":2,\"tools\":[" + LABEL_TOOL
                        + "],\"tool_choice\":\"auto\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void jsonModeWithLogprobsPasses() throws Exception {
        // JSON mode chooses no tokens: it stays allowed with logprobs
        RawClient.Response r = post(
                "/v1/chat/completions",
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"moats?\"}],"
                        + "\"max_tokens\":2,\"logprobs\":true,\"top_logprobs\":2,"
                        + "\"response_format\":{\"type\":\"json_object\"}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void anLlmBatchOfPromptsCostsOneRowPerPromptBypass() throws Exception {
        try (Gateway tight = completionsGateway("5/1m")) {
            long before = fixture.server().requests("/v1/completions");
            var twenty = tight.post("/v1/completions", Gateway.ALICE, completions(20));
            assertThat(twenty.statusCode()).as(twenty.body()).isEqualTo(429);
            assertThat(twenty.body()).contains("20 rows");
            assertThat(fixture.server().requests("/v1/completions")).isEqualTo(before);
            var three = tight.post("/v1/completions", Gateway.ALICE, completions(3));
            assertThat(three.statusCode()).as(three.body()).isEqualTo(200);
            assertThat(JSON.readTree(three.body()).get("choices").size()).isEqualTo(3);
            var again = tight.post("/v1/completions", Gateway.ALICE, completions(3));
            assertThat(again.statusCode())
                    .as("5 rows a minute, 3 taken: " + again.body())
                    .isEqualTo(429);
        }
    }

    /**
     * On an LLM route a throttled key's completions asked for (prompts times {@code n}) cost its
     * escalation throttle one token each, as they cost its tier: the throttle took one token a
     * request (2026-12-02).
     */
    @Test
    void aThrottledKeysBatchOfPromptsCostsTheThrottleOneTokenPerPromptBypass() throws Exception {
        try (Gateway tight = Gateway.start(Gateway.common("\"1000/1m\"") + """
                upstreams:
                  llm: {url: "${UPSTREAM}", protocol: openai, response_timeout: 5s}
                routes:
                  - {path_prefix: /v1/completions, upstream: llm, policy: llm}
                policies:
                  llm:
                    llm: {max_top_logprobs: 2}
                    escalation:
                      - {at: 0.8, throttle: "5/1m"}
                """, fixture.baseUri())) {
            tight.server
                    .stateStore()
                    .putRisk(
                            "alice",
                            new dev.moat.gateway.state.StateStore.Risk(0.85, System.currentTimeMillis()),
                            3_600_000)
                    .toCompletableFuture()
                    .get();
            long before = fixture.server().requests("/v1/completions");
            var twenty = tight.post("/v1/completions", Gateway.ALICE, completions(20));
            assertThat(twenty.statusCode()).as(twenty.body()).isEqualTo(429);
            assertThat(twenty.body()).contains("abnormal-usage-detected").contains("20 rows");
            assertThat(fixture.server().requests("/v1/completions")).isEqualTo(before);
            var three = tight.post("/v1/completions", Gateway.ALICE, completions(3));
            assertThat(three.statusCode()).as(three.body()).isEqualTo(200);
            var again = tight.post("/v1/completions", Gateway.ALICE, completions(3));
            assertThat(again.statusCode())
                    .as("5 completions a minute, 3 taken: " + again.body())
                    .isEqualTo(429);
            assertThat(again.body()).contains("abnormal-usage-detected");
            assertThat(tight.post("/v1/completions", Gateway.ALICE, completions(2))
                            .statusCode())
                    .as("the refused batches cost nothing: 2 left")
                    .isEqualTo(200);
        }
    }

    /**
     * {@code n} in any spelling costs what it asks (session 42's audit: {@code "n": "5"}, {@code 5.0}
     * and {@code 1e1} each cost one completion, while a server that coerces them, vLLM's lax request
     * models, answers five or ten): whole numbers as JSON numbers are counted, anything else refused
     * before the model runs.
     */
    @Test
    void completionsPerPromptCostWhatTheyAskInAnySpellingBypass() throws Exception {
        try (Gateway tight = completionsGateway("30/1m")) {
            String one = "{\"model\":\"moat-tiny-16\",\"prompt\":\"moat\",\"max_tokens\":1,\"n\":";
            long before = fixture.server().requests("/v1/completions");
            // each refused request costs its one token, as any request refused after admission does: 22 left
            for (String n : List.of("\"5\"", "\"five\"", "0", "-1", "2.5", "true", "[5]", "{}")) {
                var r = tight.post("/v1/completions", Gateway.ALICE, one + n + "}");
                assertThat(r.statusCode()).as("n: " + n + ": " + r.body()).isEqualTo(400);
            }
            assertThat(fixture.server().requests("/v1/completions")).isEqualTo(before);
            var five = tight.post("/v1/completions", Gateway.ALICE, one + "5.0}");
            assertThat(five.statusCode()).as(five.body()).isEqualTo(200);
            // (the fixture's server reads only integral n: it answers one; a lax server answers five)
            var ten = tight.post("/v1/completions", Gateway.ALICE, one + "1e1}");
            assertThat(ten.statusCode()).as("17 left: " + ten.body()).isEqualTo(200);
            var tenMore = tight.post("/v1/completions", Gateway.ALICE, one + "1e1}");
            assertThat(tenMore.statusCode()).as("7 left: " + tenMore.body()).isEqualTo(429);
            assertThat(tenMore.body()).contains("10 rows");
            var seven = tight.post("/v1/completions", Gateway.ALICE, one + "7.0}");
            assertThat(seven.statusCode()).as("7 left: " + seven.body()).isEqualTo(200);
            var nullN = tight.post("/v1/completions", Gateway.ALICE, one + "null}");
            assertThat(nullN.statusCode()).as("none left: " + nullN.body()).isEqualTo(429);
        }
    }

    /**
     * A decoy field beside the one the endpoint reads (session 42's review): the gateway counted and
     * scored {@code prompt}, {@code messages} won over both, while the server read its own field, so
     * {@code {"prompt": "decoy", "input": [20 texts]}} got 20 embeddings for one row and the
     * detectors saw the decoy. A body with more than one of the three fields is refused.
     */
    @Test
    void aDecoyInputFieldBesideTheRealOneIsRefusedBypass() throws Exception {
        try (Gateway tight = completionsGateway("30/1m")) {
            long before = fixture.server().requests("/v1/completions");
            String twenty = "[" + String.join(",", java.util.Collections.nCopies(20, "\"moat\"")) + "]";
            for (String body : List.of(
                    "{\"model\":\"moat-tiny-16\",\"prompt\":\"decoy\",\"input\":" + twenty + "}",
                    "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + "\"prompt\":"
                            + twenty + ",\"max_tokens\":1}",
                    "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + "\"input\":"
                            + twenty + "}")) {
                var r = tight.post("/v1/completions", Gateway.ALICE, body);
                assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(400);
                assertThat(r.body()).contains("not several");
            }
            assertThat(fixture.server().requests("/v1/completions")).isEqualTo(before);
            var plain = tight.post("/v1/completions", Gateway.ALICE, completions(3));
            assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        }
    }

    /**
     * An {@code input} body is not always an embeddings request: OpenAI's Edits API ({@code
     * /v1/edits}: {@code input}, {@code instruction}, {@code n}), which LocalAI still serves, answers
     * {@code n} edits for each input. Charged one row per input whatever its {@code n} (session 43),
     * {@code {"input": ["a", "b"], "n": 5}} got 10 completions for 2 rows; the gateway cannot tell
     * from the body which endpoint it is, so an {@code input} body costs its inputs times {@code n},
     * and an odd {@code n} is refused as on a completion.
     */
    @Test
    void anInputBodyWithNPaysForEveryAnswerBypass() throws Exception {
        HttpServer edits = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        AtomicInteger served = new AtomicInteger();
        edits.createContext("/", ex -> {
            // LocalAI's EditEndpoint: for each input, ComputeChoices makes n choices
            JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
            served.incrementAndGet();
            JsonNode input = req.get("input");
            int inputs = input.isArray() ? input.size() : 1;
            int n = req.path("n").asInt(1);
            ArrayNode choices = JSON.createArrayNode();
            for (int i = 0; i < inputs * n; i++) {
                choices.addObject().put("index", i).put("text", "edit " + i);
            }
            ObjectNode answer = JSON.createObjectNode().put("object", "edit");
            answer.set("choices", choices);
            byte[] out = JSON.writeValueAsBytes(answer);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, out.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(out);
            }
        });
        edits.start();
        try (Gateway tight = Gateway.start(
                Gateway.common("\"5/1m\"") + """
                upstreams:
                  llm: {url: "${UPSTREAM}", protocol: openai, response_timeout: 5s}
                routes:
                  - {path_prefix: /v1, upstream: llm, policy: llm}
                policies:
                  llm:
                    llm: {max_top_logprobs: 2}
                """,
                URI.create("http://127.0.0.1:" + edits.getAddress().getPort()))) {
            String body = "{\"model\":\"m\",\"instruction\":\"fix\",\"input\":[\"a\",\"b\"],\"n\":5}";
            var r = tight.post("/v1/edits", Gateway.ALICE, body);
            assertThat(r.statusCode())
                    .as("10 answers on a bucket of 5: " + r.body())
                    .isEqualTo(429);
            assertThat(served.get()).isZero();
            var odd = tight.post("/v1/edits", Gateway.ALICE, body.replace("5}", "\"2\"}"));
            assertThat(odd.statusCode()).as(odd.body()).isEqualTo(400);
            // the 429 gave its token back, the 400 did not: 4 left, what two inputs times 2 cost
            var two = tight.post("/v1/edits", Gateway.ALICE, body.replace("5}", "2}"));
            assertThat(two.statusCode()).as(two.body()).isEqualTo(200);
            assertThat(JSON.readTree(two.body()).get("choices").size()).isEqualTo(4);
            assertThat(served.get()).isEqualTo(1);
        } finally {
            edits.stop(0);
        }
    }

    /** A gateway whose only route is an OpenAI completions route with the LLM rules, at {@code rate} a key. */
    private static Gateway completionsGateway(String rate) throws Exception {
        return Gateway.start(Gateway.common("\"" + rate + "\"") + """
                upstreams:
                  llm: {url: "${UPSTREAM}", protocol: openai, response_timeout: 5s}
                routes:
                  - {path_prefix: /v1/completions, upstream: llm, policy: llm}
                policies:
                  llm:
                    llm: {max_top_logprobs: 2}
                """, fixture.baseUri());
    }

    private static String completions(int prompts) {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < prompts; i++) {
            p.append(i == 0 ? "" : ",").append("\"moat number ").append(i).append('"');
        }
        return "{\"model\":\"moat-tiny-16\",\"prompt\":[" + p + "],\"max_tokens\":1}";
    }

    /**
     * One JDK server answering for the sample model as real servers do: TensorFlow Serving's
     * predict path matched case-blind, and a Triton-like infer answering {@code probabilities} and
     * {@code logits} tensors (all, or those the request's {@code outputs} names, in its order).
     */
    static final class LikeRealServers implements AutoCloseable {
        private static final Pattern TF_PREDICT = Pattern.compile("(?i)/v1/models/([^/:]+):predict");
        private final DigitsModel model = DigitsModel.get();
        private final HttpServer server;
        private final ExecutorService pool;
        final AtomicInteger served = new AtomicInteger();

        LikeRealServers() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            pool = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "like-real-upstream");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(pool);
            server.createContext("/", this::serve);
            server.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        private void serve(HttpExchange ex) throws IOException {
            try (ex) {
                served.incrementAndGet();
                String path = ex.getRequestURI().getRawPath();
                var m = TF_PREDICT.matcher(path);
                JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
                if (m.matches() && (m.group(1).equals("multi") || m.group(1).equals("unnamed"))) {
                    send(ex, 200, multiOutput(body));
                } else if (m.matches() && m.group(1).equals("digits")) {
                    ObjectNode answer = JSON.createObjectNode();
                    boolean columnar = body.has("inputs"); // TF Serving answers it in columnar form
                    ArrayNode rows = answer.putArray(columnar ? "outputs" : "predictions");
                    boolean logits = body.path("signature_name").asText("").equals("logits");
                    for (JsonNode row : body.get(columnar ? "inputs" : "instances")) {
                        double[] p = model.predict(values(row));
                        for (int i = 0; logits && i < p.length; i++) {
                            p[i] = Math.log(p[i]);
                        }
                        rows.add(JSON.valueToTree(p));
                    }
                    String query = ex.getRequestURI().getRawQuery();
                    if (body.path("explain").asBoolean(false) || (query != null && query.contains("explain=true"))) {
                        // as the fixtures' server (and explainer-serving models): per-feature attributions
                        ArrayNode explanations = answer.putArray("explanations");
                        for (JsonNode row : body.get(columnar ? "inputs" : "instances")) {
                            explanations.add(JSON.valueToTree(model.explain(values(row))));
                        }
                    }
                    send(ex, 200, answer);
                } else if (path.equals("/v2/models/digits/infer")) {
                    send(ex, 200, infer(body, List.of("probabilities", "logits")));
                } else if (path.equals("/v2/models/scored/infer") || path.equals("/v2/models/missing/infer")) {
                    send(ex, 200, infer(body, List.of("logits", "scores")));
                } else {
                    send(ex, 404, JSON.createObjectNode().put("error", "no such path: " + path));
                }
            }
        }

        /** A signature with two outputs: each instance {@code {"probabilities": [...], "logits": [...]}}. */
        private ObjectNode multiOutput(JsonNode body) {
            boolean columnar = body.has("inputs");
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode probabilities = JSON.createArrayNode();
            ArrayNode logits = JSON.createArrayNode();
            for (JsonNode row : body.get(columnar ? "inputs" : "instances")) {
                double[] p = model.predict(values(row));
                probabilities.add(JSON.valueToTree(p));
                logits.add(JSON.valueToTree(
                        java.util.Arrays.stream(p).map(Math::log).toArray()));
            }
            if (columnar) {
                ObjectNode outputs = answer.putObject("outputs");
                outputs.set("probabilities", probabilities);
                outputs.set("logits", logits);
            } else {
                ArrayNode predictions = answer.putArray("predictions");
                for (int i = 0; i < probabilities.size(); i++) {
                    ObjectNode instance = predictions.addObject();
                    instance.set("probabilities", probabilities.get(i));
                    instance.set("logits", logits.get(i));
                }
            }
            return answer;
        }

        private ObjectNode infer(JsonNode body, List<String> exported) {
            JsonNode tensor = body.get("inputs").get(0);
            int n = tensor.get("shape").get(0).asInt();
            double[] flat = values(tensor.get("data"));
            List<double[]> probs = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                double[] row = new double[64];
                System.arraycopy(flat, r * 64, row, 0, 64);
                probs.add(model.predict(row));
            }
            List<String> names = new ArrayList<>();
            if (body.has("outputs")) {
                body.get("outputs").forEach(o -> names.add(o.get("name").asText()));
            } else {
                names.addAll(exported);
            }
            ObjectNode answer = JSON.createObjectNode().put("model_name", "digits");
            ArrayNode outputs = answer.putArray("outputs");
            for (String name : names) {
                ObjectNode t = outputs.addObject().put("name", name);
                t.putArray("shape").add(n).add(10);
                t.put("datatype", "FP32");
                ArrayNode data = t.putArray("data");
                for (double[] p : probs) {
                    for (double v : p) {
                        data.add(name.equals("logits") ? Math.log(v) : v); // "scores": the probabilities
                    }
                }
            }
            return answer;
        }

        /** The number leaves of a (nested) array, depth first. */
        private static double[] values(JsonNode array) {
            List<Double> out = new ArrayList<>();
            collect(array, out);
            return out.stream().mapToDouble(Double::doubleValue).toArray();
        }

        private static void collect(JsonNode node, List<Double> out) {
            for (JsonNode v : node) {
                if (v.isArray()) {
                    collect(v, out);
                } else {
                    out.add(v.asDouble());
                }
            }
        }

        private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
            byte[] b = JSON.writeValueAsBytes(body);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }

        @Override
        public void close() {
            server.stop(0);
            pool.shutdownNow();
        }
    }
}
