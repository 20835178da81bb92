package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The LLM rules against the logit-extraction attack (Carlini et al. 2024), over real sockets. */
class LlmIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static Gateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"100000/1m\"") + """
                upstreams:
                  llm: {url: "${UPSTREAM}", protocol: openai}
                routes:
                  - {path_prefix: /v1/chat/completions, upstream: llm, policy: llm}
                  - {path_prefix: /v1/completions, upstream: llm, policy: llm}
                policies:
                  llm:
                    llm: {max_top_logprobs: 5, logprob_decimals: 2, logit_bias_with_logprobs: reject, max_logit_bias_entries: 10}
                """, upstream.baseUri());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String chat(String extra) {
        return "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"tell me about moats\"}],\"max_tokens\":3"
                + extra + "}";
    }

    @Test
    void logitBiasWithLogprobsIsRejectedWithoutAnUpstreamCall() throws Exception {
        long before = upstream.server().requests("/v1/chat");
        HttpResponse<String> r = gw.post(
                "/v1/chat/completions",
                Gateway.ALICE,
                chat(",\"logprobs\":true,\"top_logprobs\":5,\"logit_bias\":{\"17\":100}"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("logit_bias");
        assertThat(upstream.server().requests("/v1/chat")).isEqualTo(before);
    }

    @Test
    void tooManyBiasEntriesAreRejected() throws Exception {
        StringBuilder bias = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            bias.append(i == 0 ? "" : ",").append('"').append(i).append("\":1");
        }
        HttpResponse<String> r = gw.post("/v1/chat/completions", Gateway.ALICE, chat(",\"logit_bias\":{" + bias + "}"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("11 entries");
    }

    @Test
    void topLogprobsAreCappedAndRounded() throws Exception {
        HttpResponse<String> r =
                gw.post("/v1/chat/completions", Gateway.ALICE, chat(",\"logprobs\":true,\"top_logprobs\":20"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode content =
                JSON.readTree(r.body()).get("choices").get(0).get("logprobs").get("content");
        assertThat(content.size()).isEqualTo(3);
        for (JsonNode tok : content) {
            assertThat(tok.get("top_logprobs").size()).isEqualTo(5);
            assertRounded(tok.get("logprob").asDouble());
            for (JsonNode alt : tok.get("top_logprobs")) {
                assertRounded(alt.get("logprob").asDouble());
            }
        }
    }

    @Test
    void streamedLogprobsAreRoundedEventByEvent() throws Exception {
        HttpResponse<String> r = gw.post(
                "/v1/chat/completions", Gateway.ALICE, chat(",\"logprobs\":true,\"top_logprobs\":3,\"stream\":true"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        int tokens = 0;
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonNode chunk = JSON.readTree(line.substring(6));
            JsonNode lp = chunk.get("choices").get(0).get("logprobs");
            if (lp != null && !lp.isNull()) {
                for (JsonNode tok : lp.get("content")) {
                    tokens++;
                    assertRounded(tok.get("logprob").asDouble());
                    for (JsonNode alt : tok.get("top_logprobs")) {
                        assertRounded(alt.get("logprob").asDouble());
                    }
                }
            }
        }
        assertThat(tokens).isEqualTo(3);
        assertThat(r.body()).contains("data: [DONE]");
    }

    @Test
    void plainCompletionsPassWithoutLogprobs() throws Exception {
        HttpResponse<String> r = gw.post(
                "/v1/completions",
                Gateway.ALICE,
                "{\"model\":\"moat-tiny-16\",\"prompt\":\"a moat\",\"max_tokens\":2}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get("choices").get(0).get("text").asText())
                .isNotEmpty();
    }

    static void assertRounded(double v) {
        assertThat(Math.abs(v * 100 - Math.round(v * 100)))
                .as("%s rounded to 2 decimals", v)
                .isLessThan(1e-6);
    }
}
