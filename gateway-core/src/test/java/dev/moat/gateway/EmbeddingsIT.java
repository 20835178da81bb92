package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * OpenAI's {@code /v1/embeddings} on a policy route, over real sockets to the fixtures' LLM server
 * (which embeds each input as its model's hidden state): each input is a detection event and costs
 * a row of the tier, as each prompt of a completion batch does. Before, the adapter knew only chat
 * and completion bodies, so an embeddings request on a policy route was refused (400) and an
 * operator could serve embeddings only on a plain route, with no detector and one token a batch.
 */
class EmbeddingsIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();

    static final String CONFIG = """
            upstreams:
              llm: {url: "${UPSTREAM}", protocol: openai}
            routes:
              - {path_prefix: /v1/embeddings, upstream: llm, policy: embeddings}
            policies:
              embeddings:
                llm: {max_top_logprobs: 2}
                detectors: {volume: {}, coverage: {}}
            """;

    static final String BATCH = "{\"model\": \"moat-tiny-16\", \"input\": [\"a moat\", \"a castle\", \"a drawbridge\","
            + " [17, 42, 99], \"the keep\"]}";

    @Test
    void eachInputIsAnEventAndARowOfTheTierAndTheVectorsPassAsTheModelWroteThem() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + CONFIG, upstream.baseUri())) {
            HttpResponse<String> direct = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(upstream.baseUri() + "/v1/embeddings"))
                                    .timeout(Duration.ofSeconds(10))
                                    .POST(HttpRequest.BodyPublishers.ofString(BATCH))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> r = gw.post("/v1/embeddings", Gateway.ALICE, BATCH);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode data = JSON.readTree(r.body()).get("data");
            assertThat(data.size()).isEqualTo(5);
            assertThat(data).isEqualTo(JSON.readTree(direct.body()).get("data"));
            // the request took one token and its batch four more: 1000 - 5 left
            assertThat(r.headers().firstValue("RateLimit").orElse("")).contains("r=995");
            gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            assertThat(gw.server.defences().engine().verdict("alice").queries()).isEqualTo(5);
            // one input: one event
            assertThat(gw.post("/v1/embeddings", Gateway.ALICE, "{\"input\": \"one moat\"}")
                            .statusCode())
                    .isEqualTo(200);
            gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            assertThat(gw.server.defences().engine().verdict("alice").queries()).isEqualTo(6);
        }
    }

    /**
     * OpenAI's Responses API carries an {@code input} too, which would be read as an embeddings
     * request, and its answer (with {@code top_logprobs}) failed closed only after the model ran: a
     * request to {@code .../responses} on an {@code openai} policy route is refused before it.
     */
    @Test
    void aResponsesApiRequestIsRefusedBeforeTheModelRuns() throws Exception {
        String config = """
                upstreams:
                  llm: {url: "${UPSTREAM}", protocol: openai}
                routes:
                  - {path_prefix: /v1, upstream: llm, policy: llm}
                policies:
                  llm:
                    llm: {max_top_logprobs: 2}
                    detectors: {volume: {}}
                """;
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + config, upstream.baseUri())) {
            long before = upstream.server().requests("/v1/responses");
            // in any case too (routes match case-blind, and so may the upstream: /v1/Responses bypassed it)
            for (String path : new String[] {
                "/v1/responses", "/v1/responses/", "/v1//responses?stream=false", "/v1/Responses", "/V1/RESPONSES/x"
            }) {
                HttpResponse<String> r =
                        gw.post(path, Gateway.ALICE, "{\"model\": \"moat-tiny-16\", \"input\": \"a moat\"}");
                assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(400);
                assertThat(r.body()).contains("Responses API");
            }
            assertThat(upstream.server().requests("/v1/responses")).isEqualTo(before);
            // the same route still reads embeddings
            assertThat(gw.post("/v1/embeddings", Gateway.ALICE, BATCH).statusCode())
                    .isEqualTo(200);
        }
    }

    /**
     * An embeddings request with an {@code n} costs its inputs times {@code n}, as any {@code input}
     * body does: the same body on OpenAI's Edits API asks for {@code n} answers per input ({@code
     * EdgeBypassIT}), and the gateway cannot tell the two apart by the body. A non-whole {@code n} is
     * refused before the model runs, as on a completion.
     */
    @Test
    void anEmbeddingsRequestWithNIsChargedItsInputsTimesN() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + CONFIG, upstream.baseUri())) {
            HttpResponse<String> r = gw.post(
                    "/v1/embeddings",
                    Gateway.ALICE,
                    "{\"model\": \"moat-tiny-16\", \"input\": [\"a\", \"b\"], \"n\": 5}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get("data").size()).isEqualTo(2);
            assertThat(r.headers().firstValue("RateLimit").orElse("")).contains("r=990");
            HttpResponse<String> odd = gw.post(
                    "/v1/embeddings",
                    Gateway.ALICE,
                    "{\"model\": \"moat-tiny-16\", \"input\": [\"a\", \"b\"], \"n\": 2.5}");
            assertThat(odd.statusCode()).as(odd.body()).isEqualTo(400);
        }
    }

    /** A batch of inputs cannot buy many embeddings for one token: five inputs on a bucket of four are refused. */
    @Test
    void aBatchOfInputsCostsARowEachBypass() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"4/1m\"") + CONFIG, upstream.baseUri())) {
            long before = upstream.server().requests("/v1/embeddings");
            HttpResponse<String> r = gw.post("/v1/embeddings", Gateway.ALICE, BATCH);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            assertThat(upstream.server().requests("/v1/embeddings")).isEqualTo(before);
        }
    }
}
