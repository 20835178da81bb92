package dev.moat.gateway.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moat.config.PolicyConfig.LlmRules;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import io.netty.buffer.ByteBuf;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class OpenAiGuardTest {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final LlmRules REJECT = new LlmRules(5, 2, "reject", 10);
    static final LlmRules NEUTRALISE = new LlmRules(5, 2, "neutralise", 10);

    @Test
    void requestsWithinTheRulesAreAcceptedUnchanged() {
        assertThat(check(REJECT, "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
                        .kind())
                .isEqualTo(GuardResult.Kind.ACCEPT);
        assertThat(check(REJECT, "{\"messages\": [], \"logprobs\": true, \"top_logprobs\": 5}")
                        .kind())
                .isEqualTo(GuardResult.Kind.ACCEPT);
        assertThat(check(REJECT, "{\"prompt\": \"x\", \"logprobs\": 3, \"logit_bias\": {}}")
                        .kind())
                .isEqualTo(GuardResult.Kind.ACCEPT);
        assertThat(check(REJECT, "{\"prompt\": \"x\", \"logprobs\": false, \"logit_bias\": {\"12\": 100}}")
                        .kind())
                .isEqualTo(GuardResult.Kind.ACCEPT);
    }

    @Test
    void topLogprobsAreCappedOnChat() {
        rewritten(
                REJECT,
                "{\"model\": \"tiny\", \"messages\": [], \"logprobs\": true, \"top_logprobs\": 20, \"temperature\": 0.7}",
                body -> {
                    assertThat(body.get("top_logprobs").intValue()).isEqualTo(5);
                    assertThat(body.get("logprobs").booleanValue()).isTrue();
                    assertThat(body.get("temperature").doubleValue()).isEqualTo(0.7);
                    assertThat(body.get("model").textValue()).isEqualTo("tiny");
                });
    }

    @Test
    void integerLogprobsAreCappedOnCompletions() {
        rewritten(
                new LlmRules(3, 2, "reject", 10),
                "{\"prompt\": \"x\", \"logprobs\": 5}",
                body -> assertThat(body.get("logprobs").intValue()).isEqualTo(3));
        rewritten(
                REJECT,
                "{\"prompt\": \"x\", \"logprobs\": 12345678901234567890}",
                body -> assertThat(body.get("logprobs").intValue()).isEqualTo(5));
    }

    /** Carlini et al. 2024: logit_bias steers a token into the top-k, whose logprob then leaks its logit. */
    @Test
    void logitBiasWithLogprobsIsRejectedWhicheverWayLogprobsAreAskedFor() {
        for (String asks : List.of(
                "\"logprobs\": true",
                "\"logprobs\": true, \"top_logprobs\": 5",
                "\"top_logprobs\": 1",
                "\"logprobs\": 0",
                "\"logprobs\": 5")) {
            GuardResult r = check(REJECT, "{\"prompt\": \"x\", \"logit_bias\": {\"17\": 100}, " + asks + "}");
            assertThat(r.kind()).as(asks).isEqualTo(GuardResult.Kind.REJECT);
            assertThat(r.problem()).isEqualTo("logit_bias cannot be combined with logprobs on this route");
        }
    }

    @Test
    void neutralisingDropsLogprobsAndKeepsTheBias() {
        rewritten(
                NEUTRALISE,
                "{\"messages\": [], \"logit_bias\": {\"17\": 100}, \"logprobs\": true, \"top_logprobs\": 20}",
                body -> {
                    assertThat(body.has("logprobs")).isFalse();
                    assertThat(body.has("top_logprobs")).isFalse();
                    assertThat(body.at("/logit_bias/17").intValue()).isEqualTo(100);
                });
    }

    @Test
    void tooManyLogitBiasEntriesAreRejected() {
        String bias = java.util.stream.IntStream.range(0, 11)
                .mapToObj(i -> "\"" + i + "\": -100")
                .collect(Collectors.joining(", "));
        GuardResult r = check(REJECT, "{\"prompt\": \"x\", \"logit_bias\": {" + bias + "}}");
        assertThat(r.kind()).isEqualTo(GuardResult.Kind.REJECT);
        assertThat(r.problem()).isEqualTo("logit_bias has 11 entries (at most 10)");
        assertThat(check(new LlmRules(5, 2, "reject", 0), "{\"prompt\": \"x\", \"logit_bias\": {\"1\": 1}}")
                        .problem())
                .isEqualTo("logit_bias has 1 entries (at most 0)");
    }

    @Test
    void oddlyTypedParametersAreRejectedWithoutEchoingTheBody() {
        for (String body : List.of(
                "{\"logit_bias\": [\"canary\"]}",
                "{\"logprobs\": \"canary\"}",
                "{\"top_logprobs\": 2.5}",
                "{\"top_logprobs\": \"canary\"}",
                "canary",
                "[\"canary\"]",
                "",
                "{\"a\": 1, \"a\": 2, \"canary\": 3}",
                "[".repeat(1 << 20))) {
            GuardResult r = check(REJECT, body);
            assertThat(r.kind()).as(body.length() > 40 ? "deep" : body).isEqualTo(GuardResult.Kind.REJECT);
            assertThat(r.problem()).doesNotContain("canary");
        }
    }

    @Test
    void theRequestBufferIsLeftAsItWas() {
        ByteBuf body = ProtocolAdapterContract.direct("{\"prompt\": \"x\", \"logprobs\": 5}");
        body.readerIndex(0);
        try {
            GuardResult r = new OpenAiGuard(new LlmRules(2, 2, "reject", 10)).checkRequest(body);
            r.body().release();
            assertThat(body.readerIndex()).isZero();
            assertThat(body.refCnt()).isEqualTo(1);
        } finally {
            body.release();
        }
    }

    @Test
    void logprobsInAChatAnswerAreRoundedAndNothingElse() throws Exception {
        String json =
                "{\"score\": 0.123456, \"choices\": [{\"index\": 0, \"logprobs\": {\"content\": [{\"token\": \"a\","
                        + " \"logprob\": -0.123456, \"bytes\": [97], \"top_logprobs\": [{\"token\": \"a\", \"logprob\": -0.123456, \"bytes\": [97]},"
                        + " {\"token\": \"b\", \"logprob\": -2.71828, \"bytes\": [98]}]}]}}]}";
        assertThat(round(REJECT, json))
                .isEqualTo(JsonBodies.MAPPER.readTree(
                        json.replace("-0.123456", "-0.12").replace("-2.71828", "-2.72")));
    }

    @Test
    void logprobsInACompletionsAnswerAreRounded() throws Exception {
        String json =
                "{\"choices\": [{\"logprobs\": {\"tokens\": [\"a\"], \"token_logprobs\": [-1.23456], \"text_offset\": [0],"
                        + " \"top_logprobs\": [{\"a\": -1.23456, \"b\": -3.999}]}}]}";
        assertThat(round(new LlmRules(5, 3, "reject", 10), json))
                .isEqualTo(JsonBodies.MAPPER.readTree(
                        json.replace("-1.23456", "-1.235").replace("-3.999", "-3.999")));
    }

    @Test
    void answersWithNothingToRoundComeBackByteForByte() throws Exception {
        String json = "{\"choices\": [{\"message\": {\"content\": \"x\"}, \"logprobs\": null}], \"score\": 0.123456}";
        for (LlmRules rules : List.of(REJECT, new LlmRules(5, -1, "reject", 10))) {
            ByteBuf in = ProtocolAdapterContract.direct(json);
            ByteBuf out = OpenAiGuard.roundLogprobs(in, rules, ProtocolAdapterContract.ALLOC);
            try {
                assertThat(out.toString(UTF_8)).isEqualTo(json);
            } finally {
                out.release();
                in.release();
            }
        }
    }

    @Test
    void anAnswerThatIsNotJsonCannotBeRounded() {
        ByteBuf in = ProtocolAdapterContract.direct("<html>canary</html>");
        try {
            assertThatThrownBy(() -> new OpenAiGuard(REJECT).roundLogprobs(in, ProtocolAdapterContract.ALLOC))
                    .isInstanceOf(MalformedBodyException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("canary"));
        } finally {
            in.release();
        }
    }

    @Test
    void streamedChunksAreRoundedAndEverythingElsePassesThrough() {
        OpenAiGuard guard = new OpenAiGuard(REJECT);
        String chunk =
                "{\"choices\":[{\"delta\":{\"content\":\"a\"},\"logprobs\":{\"content\":[{\"token\":\"a\",\"logprob\":-0.98765,"
                        + "\"top_logprobs\":[{\"token\":\"a\",\"logprob\":-0.98765}]}]}}]}";
        assertThat(guard.roundLogprobsInEvent("data: " + chunk))
                .isEqualTo("data: " + chunk.replace("-0.98765", "-0.99"));
        assertThat(guard.roundLogprobsInEvent("data:" + chunk + "\r"))
                .isEqualTo("data:" + chunk.replace("-0.98765", "-0.99") + "\r");
        for (String same : List.of(
                "data: [DONE]",
                ": keep-alive",
                "event: ping",
                "data: {not json",
                "data: {\"choices\":[{\"logprobs\":null}]}",
                "data: " + chunk + " trailing")) {
            assertThat(guard.roundLogprobsInEvent(same)).isSameAs(same);
        }
        String off = "data: " + chunk;
        assertThat(new OpenAiGuard(new LlmRules(5, -1, "reject", 10)).roundLogprobsInEvent(off))
                .isSameAs(off);
    }

    @Test
    void aCappedRequestIsAcceptedByTheModelServerAndAnsweredWithTheCap() throws Exception {
        ByteBuf request = ProtocolAdapterContract.direct(
                "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"the cat\"}],"
                        + " \"max_tokens\": 2, \"logprobs\": true, \"top_logprobs\": 20}");
        byte[] rewritten;
        try {
            GuardResult r = new OpenAiGuard(new LlmRules(3, 2, "reject", 10)).checkRequest(request);
            assertThat(r.kind()).isEqualTo(GuardResult.Kind.REWRITE);
            rewritten = io.netty.buffer.ByteBufUtil.getBytes(r.body());
            r.body().release();
        } finally {
            request.release();
        }
        HttpResponse<byte[]> res = post("/v1/chat/completions", rewritten);
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode answer = JsonBodies.MAPPER.readTree(res.body());
        assertThat(answer.at("/choices/0/logprobs/content/0/top_logprobs").size())
                .isEqualTo(3);
    }

    @Test
    void aRealStreamIsRoundedEventByEvent() throws Exception {
        HttpResponse<byte[]> res = post(
                "/v1/chat/completions",
                ("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"a b\"}],"
                                + " \"max_tokens\": 3, \"logprobs\": true, \"top_logprobs\": 4, \"stream\": true}")
                        .getBytes(UTF_8));
        assertThat(res.statusCode()).isEqualTo(200);
        OpenAiGuard guard = new OpenAiGuard(REJECT);
        int rounded = 0;
        for (String line : new String(res.body(), UTF_8).split("\n")) {
            String out = guard.roundLogprobsInEvent(line);
            if (!line.startsWith("data: {")) {
                assertThat(out).isSameAs(line);
                continue;
            }
            for (JsonNode entry : JsonBodies.MAPPER.readTree(out.substring(6)).at("/choices/0/logprobs/content")) {
                for (JsonNode top : entry.get("top_logprobs")) {
                    assertThat(new BigDecimal(top.get("logprob").asText())
                                    .stripTrailingZeros()
                                    .scale())
                            .isLessThanOrEqualTo(2);
                    rounded++;
                }
            }
        }
        assertThat(rounded).isEqualTo(3 * 4);
    }

    // ---------------------------------------------------------------------------------------------

    private static GuardResult check(LlmRules rules, String json) {
        ByteBuf body = ProtocolAdapterContract.direct(json);
        try {
            GuardResult r = new OpenAiGuard(rules).checkRequest(body);
            if (r.kind() == GuardResult.Kind.REWRITE) {
                r.body().release(); // callers that need the body use rewritten()
            }
            return r;
        } finally {
            body.release();
        }
    }

    private static void rewritten(LlmRules rules, String json, Consumer<JsonNode> check) {
        ByteBuf body = ProtocolAdapterContract.direct(json);
        try {
            GuardResult r = new OpenAiGuard(rules).checkRequest(body);
            assertThat(r.kind()).isEqualTo(GuardResult.Kind.REWRITE);
            try {
                check.accept(JsonBodies.MAPPER.readTree(r.body().toString(UTF_8)));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            } finally {
                r.body().release();
            }
        } finally {
            body.release();
        }
    }

    private static JsonNode round(LlmRules rules, String json) throws Exception {
        ByteBuf in = ProtocolAdapterContract.direct(json);
        ByteBuf out = OpenAiGuard.roundLogprobs(in, rules, ProtocolAdapterContract.ALLOC);
        try {
            return JsonBodies.MAPPER.readTree(out.toString(UTF_8));
        } finally {
            out.release();
            in.release();
        }
    }

    private static HttpResponse<byte[]> post(String path, byte[] body) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(upstream.uri(path))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void promptLogprobsAreRejectedOrStrippedAsConfigured() {
        assertThat(check(REJECT, "{\"prompt\": \"x\", \"echo\": true, \"logprobs\": 1}")
                        .kind())
                .isEqualTo(GuardResult.Kind.REJECT);
        assertThat(check(REJECT, "{\"prompt\": \"x\", \"prompt_logprobs\": 3}").kind())
                .isEqualTo(GuardResult.Kind.REJECT);
        assertThat(check(REJECT, "{\"prompt\": \"x\", \"echo\": true}").kind())
                .as("echo without logprobs leaks nothing")
                .isEqualTo(GuardResult.Kind.ACCEPT);
        LlmRules strip = new LlmRules(5, 2, "reject", 10, "strip");
        rewritten(strip, "{\"prompt\": \"x\", \"echo\": true, \"logprobs\": 1, \"prompt_logprobs\": 2}", body -> {
            assertThat(body.has("echo")).isFalse();
            assertThat(body.has("prompt_logprobs")).isFalse();
            assertThat(body.get("logprobs").intValue()).isEqualTo(1);
        });
    }

    @Test
    void answersKeepAtMostTheCapOfAlternativesPerTokenInEveryChoice() throws Exception {
        LlmRules two = new LlmRules(2, -1, "reject", 10);
        String completions = "{\"choices\": ["
                + "{\"text\": \"a\", \"logprobs\": {\"top_logprobs\": [{\"a\": -0.1, \"b\": -2, \"c\": -0.5, \"d\": -4}]}},"
                + "{\"text\": \"b\", \"prompt_logprobs\": [null], \"logprobs\": {\"top_logprobs\": [{\"x\": -3, \"y\": -1, \"z\": -2}]}}]}";
        java.util.List<String> actions = new java.util.ArrayList<>();
        io.netty.buffer.ByteBuf in =
                io.netty.buffer.Unpooled.copiedBuffer(completions, java.nio.charset.StandardCharsets.UTF_8);
        io.netty.buffer.ByteBuf out =
                new OpenAiGuard(two).applyToAnswer(in, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, actions::add);
        try {
            com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(out.toString(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(root.at("/choices/0/logprobs/top_logprobs/0").fieldNames())
                    .toIterable()
                    .containsExactlyInAnyOrder("a", "c");
            assertThat(root.at("/choices/1/logprobs/top_logprobs/0").fieldNames())
                    .toIterable()
                    .containsExactlyInAnyOrder("y", "z");
            assertThat(root.at("/choices/1").has("prompt_logprobs")).isFalse();
            assertThat(actions).containsExactly(OpenAiGuard.ANSWER_CAP, OpenAiGuard.PROMPT_STRIP);
        } finally {
            in.release();
            out.release();
        }
    }
}
