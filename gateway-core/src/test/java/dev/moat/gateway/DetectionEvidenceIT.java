package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.JbdaAttacker;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A key's detection evidence over real sockets (issue 9, items 1 and 4): the fixture digits model
 * under a guarded policy and the fixture LLM under another policy with its own detectors, one
 * gateway. A key's evidence survives requests to the other policy's routes and a config reload,
 * and every LLM request, streamed or not, with or without logprobs, is one detection event.
 */
class DetectionEvidenceIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final int BUDGET = 1_500;

    static String config(int maxTopLogprobs) {
        return Gateway.common("\"1000000/1m\"", Gateway.keyEntries("thief-", "thief-secret-", 4, null))
                + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                  llm: {url: "${UPSTREAM}", protocol: openai}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                  - {path_prefix: /v1/chat/completions, upstream: llm, policy: chat}
                  - {path_prefix: /v1/completions, upstream: llm, policy: chat}
                policies:
                  guarded:
                    outputs: [{top_k: 3}, {round: 3}]
                    detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                    escalation:
                      - {at: 0.8, throttle: "2000/1m"}
                      - {at: 0.95, block: 1h}
                  chat:
                    llm: {max_top_logprobs: %d}
                    detectors: {volume: {}, coverage: {}}
                """.formatted(maxTopLogprobs);
    }

    /**
     * Runs JbDA with {@code key} until it is refused (403), calling {@code between} after each row.
     *
     * @return the digits rows sent until the block, or -1 within the budget
     */
    static int jbdaUntilBlocked(Gateway gw, String secret, long seed, IntPredicate between) throws Exception {
        JbdaAttacker thief = new JbdaAttacker(seed);
        for (int sent = 1; sent <= BUDGET; sent++) {
            double[] x = thief.next();
            HttpResponse<String> r = gw.post(
                    "/v1/models/digits:predict",
                    secret,
                    "{\"instances\": " + JSON.writeValueAsString(new double[][] {x}) + "}");
            if (r.statusCode() == 403) {
                return sent;
            }
            assertThat(r.statusCode()).as(r.body()).isIn(200, 429);
            if (r.statusCode() == 200) {
                JsonNode row = JSON.readTree(r.body()).get("predictions").get(0);
                thief.observe(x, JSON.treeToValue(row, double[].class));
            }
            gw.advance(Duration.ofSeconds(1));
            if (sent % 10 == 0) {
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            }
            if (!between.test(sent)) {
                return -1;
            }
        }
        return -1;
    }

    static boolean chat(Gateway gw, String secret) throws Exception {
        HttpResponse<String> r = gw.post(
                "/v1/chat/completions",
                secret,
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}");
        return r.statusCode() == 200 || r.statusCode() == 403;
    }

    static long queries(Gateway gw, String key) throws Exception {
        gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
        HttpResponse<String> r = gw.adminCall("GET", "/admin/keys/" + key, Gateway.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("queries").asLong();
    }

    @Test
    void jbdaInterleavedWithAnotherPolicyAndAReloadIsBlockedLikeThePlainOne() throws Exception {
        try (Gateway gw = Gateway.start(config(5), upstream.baseUri())) {
            int plain = jbdaUntilBlocked(gw, "thief-secret-0", 901, sent -> true);
            assertThat(plain).as("plain JbDA blocked").isPositive();

            // one cheap chat request (another policy, other detectors) after every 4 rows
            int interleaved = jbdaUntilBlocked(gw, "thief-secret-1", 901, sent -> {
                try {
                    return sent % 4 != 0 || chat(gw, "thief-secret-1");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // a reload that keeps the policy's detectors, a third of the way into the attack
            int reloadAt = plain / 3;
            int reloaded = jbdaUntilBlocked(gw, "thief-secret-2", 901, sent -> {
                if (sent == reloadAt) {
                    try {
                        long before = queries(gw, "thief-2");
                        gw.rewrite(config(4));
                        HttpResponse<String> r = gw.adminCall("POST", "/admin/reload", Gateway.ADMIN_TOKEN);
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        assertThat(queries(gw, "thief-2"))
                                .as("evidence kept over the reload")
                                .isEqualTo(before);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
                return true;
            });
            System.out.printf(
                    "jbda blocked after %d rows plain, %d interleaved with chat, %d across a reload%n",
                    plain, interleaved, reloaded);
            assertThat(interleaved).as("interleaved").isPositive().isLessThanOrEqualTo((int) Math.ceil(plain * 1.1));
            assertThat(reloaded).as("across a reload").isPositive().isLessThanOrEqualTo((int) Math.ceil(plain * 1.1));
        }
    }

    @Test
    void everyLlmPromptIsOneDetectionEventBatchedOrNotBypass() throws Exception {
        try (Gateway gw = Gateway.start(config(5), upstream.baseUri())) {
            String secret = "thief-secret-3";
            String[] bodies = {
                // plain, one token
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"a moat\"}],\"max_tokens\":1}",
                // several tokens, no logprobs
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"two moats\"}],\"max_tokens\":5}",
                // several tokens with logprobs
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"three\"}],\"max_tokens\":4,"
                        + "\"logprobs\":true,\"top_logprobs\":3}",
                // streamed
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"four\"}],\"max_tokens\":4,"
                        + "\"stream\":true}",
                // streamed with logprobs
                "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"five\"}],\"max_tokens\":4,"
                        + "\"stream\":true,\"logprobs\":true,\"top_logprobs\":2}",
            };
            long expected = 0;
            for (String body : bodies) {
                HttpResponse<String> r = gw.post("/v1/chat/completions", secret, body);
                assertThat(r.statusCode()).as(body + "\n" + r.body()).isEqualTo(200);
                expected++;
                assertThat(queries(gw, "thief-3")).as(body).isEqualTo(expected);
            }
            for (String completion : new String[] {
                "{\"model\":\"moat-tiny-16\",\"prompt\":\"a moat is\",\"max_tokens\":3}",
                "{\"model\":\"moat-tiny-16\",\"prompt\":\"a moat is\",\"max_tokens\":3,\"logprobs\":2}",
                "{\"model\":\"moat-tiny-16\",\"prompt\":\"a moat is\",\"max_tokens\":3,\"stream\":true}"
            }) {
                HttpResponse<String> r = gw.post("/v1/completions", secret, completion);
                assertThat(r.statusCode()).as(completion + "\n" + r.body()).isEqualTo(200);
                expected++;
                assertThat(queries(gw, "thief-3")).as(completion).isEqualTo(expected);
            }
            // a batch of prompts is one event per prompt (it was one event: 20 prompts looked like 1)
            StringBuilder prompts = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                prompts.append(i == 0 ? "" : ",")
                        .append("\"moat number ")
                        .append(i)
                        .append('"');
            }
            for (String batch : new String[] {
                "{\"model\":\"moat-tiny-16\",\"prompt\":[" + prompts + "],\"max_tokens\":1}",
                "{\"model\":\"moat-tiny-16\",\"prompt\":[" + prompts + "],\"max_tokens\":1,\"stream\":true}"
            }) {
                HttpResponse<String> r = gw.post("/v1/completions", secret, batch);
                assertThat(r.statusCode()).as(batch + "\n" + r.body()).isEqualTo(200);
                expected += 20;
                assertThat(queries(gw, "thief-3")).as(batch).isEqualTo(expected);
            }
        }
    }
}
