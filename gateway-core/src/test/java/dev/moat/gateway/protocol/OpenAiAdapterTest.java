package dev.moat.gateway.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.TextFeatures;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OpenAiAdapterTest extends ProtocolAdapterContract {

    static final String[] ALTERNATIVES = {"a1", "a2", "a3", "a4"};

    @Override
    ProtocolAdapter adapter() {
        return ProtocolAdapters.forUpstream(Bodies.upstream(Protocol.OPENAI, null));
    }

    @Override
    int width() {
        return 5;
    }

    /** A chat completion: one token per row, sampled token first among its alternatives; a second choice without logprobs. */
    @Override
    String answer(double[][] p) {
        ObjectNode o = object().put("id", "chatcmpl-1")
                .put("object", "chat.completion")
                .put("created", 1)
                .put("model", "tiny");
        ArrayNode choices = o.putArray("choices");
        ObjectNode first = choices.addObject().put("index", 0);
        first.putObject("message").put("role", "assistant").put("content", "t0 t1");
        ArrayNode content = first.putObject("logprobs").putArray("content");
        for (int j = 0; j < p.length; j++) {
            ObjectNode entry = content.addObject().put("token", "t" + j).put("logprob", Math.log(p[j][0]));
            entry.putArray("bytes").add('t').add('0' + j);
            ArrayNode top = entry.putArray("top_logprobs");
            for (int k = 0; k < p[j].length; k++) {
                top.addObject()
                        .put("token", k == 0 ? "t" + j : ALTERNATIVES[k - 1])
                        .put("logprob", Math.log(p[j][k]))
                        .putArray("bytes");
            }
        }
        first.put("finish_reason", "length");
        ObjectNode second = choices.addObject().put("index", 1);
        second.putObject("message").put("role", "assistant").put("content", "x");
        second.putNull("logprobs");
        o.putObject("usage").put("prompt_tokens", 3).put("completion_tokens", p.length);
        return o.toString();
    }

    @Override
    String stripPointer() {
        return "/usage";
    }

    @Override
    RequestCase request(int instances, Random random) {
        ObjectNode o = object().put("model", "tiny").put("logprobs", true).put("top_logprobs", 5);
        ArrayNode messages = o.putArray("messages");
        messages.addObject().put("role", "system").put("content", "You are terse.");
        ArrayNode parts = messages.addObject().put("role", "user").putArray("content");
        parts.addObject().put("type", "text").put("text", "Describe picture " + instances);
        parts.addObject().put("type", "image_url").putObject("image_url").put("url", "https://example.invalid/x.png");
        messages.addObject().put("role", "assistant").putNull("content");
        return new RequestCase(
                o.toString(), new double[][] {TextFeatures.of("You are terse.\nDescribe picture " + instances + "\n")});
    }

    @Override
    List<String> malformedRequests() {
        return List.of(
                "{\"messages\": []}",
                "{\"messages\": \"" + CANARY + "\"}",
                "{\"messages\": [\"" + CANARY + "\"]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": 42}]}",
                "{\"prompt\": 42}",
                "{\"prompt\": []}",
                "{\"prompt\": [{\"" + CANARY + "\": 1}]}",
                "{\"prompt\": [[1, \"" + CANARY + "\"]]}",
                "{\"model\": \"" + CANARY + "\"}");
    }

    @Override
    List<String> malformedAnswers() {
        return List.of(
                "{\"choices\": \"" + CANARY + "\"}",
                "{\"error\": {\"message\": \"" + CANARY + "\"}}",
                "{\"choices\": [{\"logprobs\": \"" + CANARY + "\"}]}",
                "{\"choices\": [{\"logprobs\": {\"content\": [{\"token\": \"a\", \"logprob\": -1, \"top_logprobs\": [{\"token\": \"a\", \"logprob\": \""
                        + CANARY + "\"}]}]}}]}",
                "{\"choices\": [{\"logprobs\": {\"content\": \"" + CANARY + "\"}}]}",
                "{\"choices\": [{\"logprobs\": {\"tokens\": [\"a\"], \"top_logprobs\": [\"" + CANARY + "\"]}}]}",
                "{\"choices\": [{\"logprobs\": {\"tokens\": [\"a\"], \"top_logprobs\": [{\"a\": null}]}}]}");
    }

    @Override
    String realPath() {
        return "/v1/chat/completions";
    }

    @Override
    RequestCase realExchange() {
        return new RequestCase(
                "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"the cat sat\"}],"
                        + " \"max_tokens\": 4, \"logprobs\": true, \"top_logprobs\": 5}",
                new double[4][5]);
    }

    @Override
    void checkRealAnswer(Answer answer) {
        assertThat(answer.labels()).isNull();
    }

    @Test
    void completionsLogprobsAreReadAndWrittenWithTheSampledTokenKeptInStep() throws Exception {
        String json =
                "{\"object\": \"text_completion\", \"choices\": [{\"index\": 0, \"text\": \"a b\", \"logprobs\": {"
                        + "\"tokens\": [\"a\", \"b\"], \"token_logprobs\": [-0.5, -1.0], \"text_offset\": [0, 1],"
                        + " \"top_logprobs\": [{\"a\": -0.5, \"z\": -1.5}, {\"y\": -0.25, \"b\": -1.0}]}, \"finish_reason\": \"length\"}]}";
        Answer a = parse(json);
        assertClose(a.predictions(), new double[][] {{Math.exp(-0.5), Math.exp(-1.5)}, {Math.exp(-0.25), Math.exp(-1.0)}
        });
        double[][] changed = {{Math.exp(-2), Math.exp(-3)}, a.predictions()[1]};
        assertSameDocument(
                write(a, changed, List.of()),
                json.replace("[-0.5, -1.0]", "[-2.0, -1.0]")
                        .replace("{\"a\": -0.5, \"z\": -1.5}", "{\"a\": -2.0, \"z\": -3.0}"));
    }

    @Test
    void answersWithoutLogprobsHaveNoRowsAndCanStillBeStripped() throws Exception {
        Answer a = parse(
                "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"hi\"}, \"logprobs\": null}],"
                        + " \"system_fingerprint\": \"fp_1\"}");
        assertThat(a.predictions()).isEmpty();
        assertSameDocument(
                write(a, new double[0][], List.of("/system_fingerprint")),
                "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"hi\"}, \"logprobs\": null}]}");
    }

    @Test
    void probabilitiesAreFlooredAndCappedWhenWrittenAsLogprobs() throws Exception {
        Answer a = parse(answer(new double[][] {{0.5, 0.2, 0.1, 0.1, 0.1}}));
        Answer back = parse(write(a, new double[][] {{1.5, 0, 0.1, 0.1, 0.1}}, List.of()));
        assertThat(back.predictions()[0][0]).isEqualTo(1.0);
        assertThat(back.predictions()[0][1])
                .isEqualTo(Double.MIN_NORMAL, org.assertj.core.api.Assertions.within(1e-300));
    }

    @Test
    void completionPromptsInEveryFormBecomeOneRowEach() throws Exception {
        assertClose(inputs("{\"prompt\": \"Once upon a time\"}"), new double[][] {TextFeatures.of("Once upon a time")});
        assertClose(inputs("{\"prompt\": [\"one\"]}"), new double[][] {TextFeatures.of("one\n")});
        assertClose(inputs("{\"prompt\": [12, 7, 3]}"), new double[][] {TextFeatures.of("12 7 3 \n")});
        // a batch of prompts: one row (one detection event) per prompt
        assertClose(
                inputs("{\"prompt\": [\"one\", \"two\"]}"),
                new double[][] {TextFeatures.of("one\n"), TextFeatures.of("two\n")});
        assertClose(
                inputs("{\"prompt\": [[12, 7], [3]]}"),
                new double[][] {TextFeatures.of("12 7 \n"), TextFeatures.of("3 \n")});
    }

    @Test
    void realCompletionsAnswerFromTheModelServer() throws Exception {
        HttpResponse<byte[]> res = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(upstream.uri("/v1/completions"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\": \"tiny\", \"prompt\": [\"the cat\", \"a dog\"],"
                                                + " \"max_tokens\": 3, \"logprobs\": 4}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(res.statusCode()).isEqualTo(200);
        Answer a = parse(new String(res.body(), UTF_8));
        assertThat(a.predictions()).hasDimensions(6, 4);
        for (double[] row : a.predictions()) {
            assertThat(java.util.Arrays.stream(row).allMatch(p -> p > 0 && p <= 1))
                    .isTrue();
        }
        String written = write(a, reversed(a.predictions()), List.of());
        assertClose(parse(written).predictions(), reversed(a.predictions()));
    }

    /**
     * What a request costs the tier's bucket, read with its rows: its prompts times {@code n} (a chat
     * is one prompt, a flat token-id array too), an {@code input} body its inputs times {@code n} as
     * well (an Edits API request honours it: {@code EdgeBypassIT}), an odd {@code n} beside it refused.
     */
    @Test
    void readCountsTheAnswersARequestAsksFor() throws Exception {
        assertThat(answersAsked("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 3}"))
                .isEqualTo(3);
        assertThat(answersAsked("{\"prompt\": [\"a\", \"b\"], \"n\": 4}")).isEqualTo(8);
        assertThat(answersAsked("{\"prompt\": [1, 2, 3], \"n\": 1e1}")).isEqualTo(10);
        assertThat(answersAsked("{\"prompt\": \"a\", \"n\": 1e12}")).isEqualTo(Integer.MAX_VALUE);
        assertThat(answersAsked("{\"input\": [\"a\", \"b\"], \"n\": 5}")).isEqualTo(10);
        assertThat(answersAsked("{\"input\": [[1, 2], [3]], \"n\": 3}")).isEqualTo(6);
        assertThat(answersAsked("{\"input\": [1, 2, 3], \"n\": 4}")).isEqualTo(4);
        assertThatThrownBy(() -> answersAsked("{\"input\": \"a\", \"n\": 2.5}"))
                .isInstanceOf(MalformedBodyException.class);
        assertThatThrownBy(() -> answersAsked("{\"input\": \"a\", \"n\": \"5\"}"))
                .isInstanceOf(MalformedBodyException.class);
    }

    private int answersAsked(String json) throws MalformedBodyException {
        var body = direct(json);
        try {
            ProtocolAdapter.Inbound in = adapter().read(body, EmptyHttpHeaders.INSTANCE, ALLOC);
            assertThat(in.body()).isSameAs(body);
            return in.answersAsked();
        } finally {
            body.release();
        }
    }

    private double[][] inputs(String json) throws MalformedBodyException {
        var body = direct(json);
        try {
            return adapter().inputs(body);
        } finally {
            body.release();
        }
    }

    /**
     * An embeddings answer passes with no rows to transform; the same list shape carrying anything
     * else (vLLM's {@code /classify} probabilities, {@code /score}, {@code /pooling}) is malformed, so a
     * route that serves those fails closed instead of passing class probabilities untransformed.
     */
    @Test
    void embeddingsAnswersPassButOtherListsOfTheSameShapeFailClosedBypass() throws Exception {
        Answer a = parse("{\"object\": \"list\", \"data\": [{\"object\": \"embedding\", \"index\": 0,"
                + " \"embedding\": [0.1, -0.2]}, {\"index\": 1, \"embedding\": \"AAAA\"}], \"model\": \"m\","
                + " \"usage\": {\"prompt_tokens\": 3, \"total_tokens\": 3}}");
        assertThat(a.predictions()).isEmpty();
        for (String json : List.of(
                "{\"object\": \"list\", \"data\": [{\"index\": 0, \"label\": \"spam\", \"probs\": [0.9, 0.1],"
                        + " \"num_classes\": 2}]}",
                "{\"object\": \"list\", \"data\": [{\"index\": 0, \"object\": \"score\", \"score\": 0.73}]}",
                "{\"object\": \"list\", \"data\": [{\"index\": 0, \"object\": \"pooling\", \"data\": [0.1]}]}",
                "{\"object\": \"list\", \"data\": [{\"index\": 0, \"embedding\": [0.1], \"probs\": [0.9, 0.1]}]}")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse(json))
                    .as(json)
                    .isInstanceOf(MalformedBodyException.class);
        }
    }
}
