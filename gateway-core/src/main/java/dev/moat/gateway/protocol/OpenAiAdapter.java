package dev.moat.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.NumericArrays;
import dev.moat.gateway.protocol.internal.TextFeatures;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * OpenAI's {@code /v1/chat/completions} and {@code /v1/completions} (whole JSON answers; streamed
 * answers pass through {@link OpenAiGuard#roundLogprobsInEvent}), and {@code /v1/embeddings}.
 *
 * <p>Request: one feature row per request, {@link TextFeatures} of the prompt text (chat: every
 * message's text content, text parts of multi-part contents, one message per line; completions:
 * the prompt string, or the prompts one per line, token-id prompts as their ids in decimal;
 * embeddings: the {@code input}, read as a completion's prompt, one row per input of an array).
 *
 * <p>Answer: one row per generated token that carries alternatives, the probabilities
 * {@code exp(logprob)} of its top alternatives in the order given (chat:
 * {@code choices[i].logprobs.content[j].top_logprobs[*].logprob}; completions: the values of
 * {@code choices[i].logprobs.top_logprobs[j]}). No logprobs, no rows; an embeddings answer ({@code
 * {"object": "list", "data": [{"embedding": [...]}, ...]}}) has none either: its vectors pass as the
 * model wrote them. Written back, a row that
 * changed becomes {@code ln(p)} with {@code p} clamped to {@code [Double.MIN_NORMAL, 1]}, and the
 * sampled token's own logprob follows its alternative's, so it cannot leak the unaltered value.
 */
final class OpenAiAdapter extends JsonAdapter {

    /** One row: where its alternatives sit and where the sampled token's logprob sits. */
    private record Row(JsonNode alternatives, ObjectNode chatEntry, ArrayNode tokenLogprobs, int index, String token) {}

    @Override
    public Protocol protocol() {
        return Protocol.OPENAI;
    }

    @Override
    public double[][] inputs(ByteBuf requestBody) throws MalformedBodyException {
        return rows(object(requestBody));
    }

    /** The rows of {@link #inputs} and the answers the request asks for, from one parse of the body. */
    @Override
    public Inbound read(ByteBuf requestBody, HttpHeaders headers, ByteBufAllocator alloc)
            throws MalformedBodyException {
        JsonNode root = object(requestBody);
        double[][] rows = rows(root);
        return new Inbound(rows, requestBody, false, answersAsked(root, rows));
    }

    private static double[][] rows(JsonNode root) throws MalformedBodyException {
        oneInputField(root);
        completionsPerPrompt(root); // refuses an odd n before the model runs, on an input body too
        StringBuilder text = new StringBuilder();
        if (root.has("messages")) {
            messages(root.get("messages"), text);
        } else if (root.has("prompt") || root.has("input")) {
            // a completion's prompt, or the input an embeddings request embeds (the same shapes)
            String field = root.has("prompt") ? "prompt" : "input";
            JsonNode prompt = root.get(field);
            if (prompts(prompt) > 1) {
                // a batch of prompts is as many detection events, as a batch of rows is elsewhere
                double[][] rows = new double[prompt.size()][];
                for (int i = 0; i < rows.length; i++) {
                    text.setLength(0);
                    promptEntry(prompt.get(i), text, field);
                    rows[i] = TextFeatures.of(text);
                }
                return rows;
            }
            prompt(prompt, text, field);
        } else {
            throw new MalformedBodyException("body: expected \"messages\", \"prompt\" or \"input\"");
        }
        return new double[][] {TextFeatures.of(text)};
    }

    /**
     * One completion per prompt of a {@code prompt} array (strings or token-id arrays; a flat
     * token-id array is one prompt), times {@code n}: a request of 20 prompts with {@code n: 4}
     * asks for 80 answers and costs 80 rows of the tier, as a 80-row batch does on other routes
     * (it cost one: {@code EdgeBypassIT}). The detectors see one event per prompt ({@link #inputs}).
     * An {@code input} body costs its inputs times {@code n} too: {@code /v1/embeddings} has no
     * {@code n}, but OpenAI's Edits API ({@code input}, {@code instruction}, {@code n}), which LocalAI
     * serves, answers {@code n} edits per input, and the gateway cannot tell from the body which
     * endpoint it is ({@code EdgeBypassIT}: charged its inputs only, {@code {"input": ["a", "b"],
     * "n": 5}} got 10 edits for 2 rows). An embeddings client that sends an {@code n} pays for it.
     */
    private static int answersAsked(JsonNode root, double[][] rows) throws MalformedBodyException {
        long prompts = root.has("messages") ? 1 : prompts(root.has("prompt") ? root.get("prompt") : root.get("input"));
        long n = completionsPerPrompt(root); // rows() checked it
        return (int) Math.min(Integer.MAX_VALUE, Math.max(rows.length, prompts * n));
    }

    /**
     * At most one of {@code messages}, {@code prompt} and {@code input}: the server reads the one its
     * endpoint takes and ignores the others (vLLM accepts extra fields), while the gateway cannot
     * tell from the body which endpoint that is. A decoy beside the real field was what the gateway
     * counted and scored (session 42's review: {@code {"prompt": "decoy", "input": [20 texts]}} got 20
     * embeddings for one row, and the detectors saw only the decoy), so a body with two is refused.
     */
    static void oneInputField(JsonNode root) throws MalformedBodyException {
        int fields = (root.has("messages") ? 1 : 0) + (root.has("prompt") ? 1 : 0) + (root.has("input") ? 1 : 0);
        if (fields > 1) {
            throw new MalformedBodyException(
                    "body: expected one of \"messages\", \"prompt\" or \"input\", not several (the server reads"
                            + " one and the gateway would count another)");
        }
    }

    /**
     * The request's {@code n} (completions per prompt): 1 when absent or null; a whole number of 1 or
     * more in any JSON spelling ({@code 5}, {@code 5.0}, {@code 1e1}), at most {@link Integer#MAX_VALUE}
     * (beyond it, that: no bucket pays for it). Anything else is refused: a string {@code "5"} cost
     * one completion here while a server that coerces it (vLLM's lax request models) answered five
     * (session 42's audit); a server's reading of an odd {@code n} is not the gateway's to guess.
     */
    static long completionsPerPrompt(JsonNode root) throws MalformedBodyException {
        JsonNode n = root.get("n");
        if (n == null || n.isNull()) {
            return 1;
        }
        double v = n.isNumber() ? n.doubleValue() : Double.NaN;
        if (!(v >= 1) || v != Math.rint(v)) {
            throw new MalformedBodyException("n: expected a whole number of completions, 1 or more");
        }
        return (long) Math.min(Integer.MAX_VALUE, v);
    }

    private static void messages(JsonNode messages, StringBuilder text) throws MalformedBodyException {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new MalformedBodyException("messages: expected a non-empty array");
        }
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).isObject()) {
                throw new MalformedBodyException("messages[" + i + "]: expected an object");
            }
            JsonNode content = messages.get(i).get("content");
            if (content == null || content.isNull()) {
                continue; // an assistant turn holding only tool calls
            } else if (content.isTextual()) {
                text.append(content.textValue());
            } else if (content.isArray()) {
                for (JsonNode part : content) {
                    if (part.path("type").asText("").equals("text")
                            && part.path("text").isTextual()) {
                        text.append(part.get("text").textValue());
                    }
                }
            } else {
                throw new MalformedBodyException("messages[" + i + "].content: expected a string or an array of parts");
            }
            text.append('\n');
        }
    }

    /**
     * One entry of a {@code prompt} (or embeddings {@code input}) array, named {@code field}: a string,
     * a token id or a token-id array, then a newline.
     */
    private static void promptEntry(JsonNode p, StringBuilder text, String field) throws MalformedBodyException {
        if (p.isTextual()) {
            text.append(p.textValue());
        } else if (p.isIntegralNumber()) {
            text.append(p.asText()).append(' ');
        } else if (p.isArray()) {
            for (JsonNode token : p) {
                if (!token.isIntegralNumber()) {
                    throw new MalformedBodyException(field + ": expected strings or token ids");
                }
                text.append(token.asText()).append(' ');
            }
        } else {
            throw new MalformedBodyException(field + ": expected strings or token ids");
        }
        text.append('\n');
    }

    /**
     * How many prompts a {@code prompt} holds: the size of an array of strings or of token-id arrays,
     * else 1 (a string, or a flat token-id array).
     */
    private static int prompts(JsonNode prompt) {
        if (prompt == null || !prompt.isArray() || prompt.isEmpty()) {
            return 1;
        }
        JsonNode first = prompt.get(0);
        return first.isTextual() || first.isArray() ? prompt.size() : 1;
    }

    private static void prompt(JsonNode prompt, StringBuilder text, String field) throws MalformedBodyException {
        if (prompt.isTextual()) {
            text.append(prompt.textValue());
        } else if (prompt.isArray() && !prompt.isEmpty()) {
            for (JsonNode p : prompt) {
                promptEntry(p, text, field);
            }
        } else {
            throw new MalformedBodyException(field + ": expected a string or a non-empty array");
        }
    }

    @Override
    public Answer parseAnswer(ByteBuf responseBody) throws MalformedBodyException {
        JsonNode root = object(responseBody);
        JsonNode choices = root.get("choices");
        if (choices == null && embeddings(root)) {
            // an embeddings answer: its vectors are no distribution to transform; each input was an event
            return new Answer(new double[0][], null, root, List.of(), responseBody.readableBytes());
        }
        if (choices == null || !choices.isArray()) {
            throw new MalformedBodyException("choices: expected an array");
        }
        List<Row> anchors = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            JsonNode logprobs = choices.get(i).path("logprobs");
            String where = "choices[" + i + "].logprobs";
            if (logprobs.isMissingNode() || logprobs.isNull()) {
                continue;
            }
            if (!logprobs.isObject()) {
                throw new MalformedBodyException(where + ": expected an object or null");
            }
            chatRows(logprobs.get("content"), where + ".content", anchors, rows);
            completionRows(logprobs, where, anchors, rows);
        }
        return new Answer(rows.toArray(new double[0][]), null, root, anchors, responseBody.readableBytes());
    }

    /** Fields an entry of an embeddings answer may have (OpenAI's, and vLLM's and llama.cpp's, which are the same). */
    private static final java.util.Set<String> EMBEDDING_FIELDS = java.util.Set.of("object", "index", "embedding");

    /**
     * True for an embeddings answer ({@code {"object": "list", "data": [{"object": "embedding",
     * "index": i, "embedding": [...] or "base64..."}, ...]}}) and nothing else: the same list shape
     * answers vLLM's {@code /classify} (class probabilities), {@code /score} and {@code /pooling},
     * which a route reading them as embeddings would pass untransformed; those stay malformed (the
     * route fails closed, as it did before embeddings were read).
     */
    private static boolean embeddings(JsonNode root) {
        if (!root.path("object").asText("").equals("list") || !root.path("data").isArray()) {
            return false;
        }
        for (JsonNode entry : root.get("data")) {
            if (!entry.isObject() || !entry.has("embedding")) {
                return false;
            }
            for (var f = entry.fieldNames(); f.hasNext(); ) {
                if (!EMBEDDING_FIELDS.contains(f.next())) {
                    return false;
                }
            }
            if (entry.has("object") && !entry.get("object").asText("").equals("embedding")) {
                return false;
            }
            JsonNode e = entry.get("embedding");
            if (!(e.isArray() || e.isTextual())) {
                return false;
            }
        }
        return true;
    }

    private static void chatRows(JsonNode content, String where, List<Row> anchors, List<double[]> rows)
            throws MalformedBodyException {
        if (content == null || content.isNull()) {
            return;
        }
        if (!content.isArray()) {
            throw new MalformedBodyException(where + ": expected an array");
        }
        for (int j = 0; j < content.size(); j++) {
            JsonNode entry = content.get(j);
            JsonNode top = entry.path("top_logprobs");
            if (!entry.isObject() || !(top.isArray() || top.isMissingNode() || top.isNull())) {
                throw new MalformedBodyException(where + "[" + j + "]: expected {token, logprob, top_logprobs: [...]}");
            }
            if (!top.isArray() || top.isEmpty()) {
                continue;
            }
            double[] row = new double[top.size()];
            for (int k = 0; k < row.length; k++) {
                row[k] = probability(top.get(k).path("logprob"), where + "[" + j + "].top_logprobs[" + k + "].logprob");
            }
            anchors.add(new Row(
                    top, (ObjectNode) entry, null, -1, entry.path("token").asText(null)));
            rows.add(row);
        }
    }

    private static void completionRows(JsonNode logprobs, String where, List<Row> anchors, List<double[]> rows)
            throws MalformedBodyException {
        JsonNode top = logprobs.get("top_logprobs");
        if (top == null || top.isNull()) {
            return;
        }
        if (!top.isArray()) {
            throw new MalformedBodyException(where + ".top_logprobs: expected an array");
        }
        JsonNode tokens = logprobs.path("tokens");
        JsonNode tokenLogprobs = logprobs.path("token_logprobs");
        for (int j = 0; j < top.size(); j++) {
            JsonNode alternatives = top.get(j);
            if (alternatives.isNull()) {
                continue;
            }
            if (!alternatives.isObject()) {
                throw new MalformedBodyException(
                        where + ".top_logprobs[" + j + "]: expected an object of token -> logprob");
            }
            if (alternatives.isEmpty()) {
                continue;
            }
            double[] row = new double[alternatives.size()];
            int k = 0;
            for (Iterator<JsonNode> it = alternatives.elements(); it.hasNext(); ) {
                row[k++] = probability(it.next(), where + ".top_logprobs[" + j + "]");
            }
            anchors.add(new Row(
                    alternatives,
                    null,
                    tokenLogprobs.isArray() ? (ArrayNode) tokenLogprobs : null,
                    j,
                    tokens.path(j).asText(null)));
            rows.add(row);
        }
    }

    private static double probability(JsonNode logprob, String where) throws MalformedBodyException {
        if (!logprob.isNumber() || !Double.isFinite(logprob.doubleValue())) {
            throw new MalformedBodyException(where + ": expected a number, got " + NumericArrays.kind(logprob));
        }
        return Math.exp(logprob.doubleValue());
    }

    @Override
    @SuppressWarnings("unchecked")
    void put(Answer answer, double[][] predictions) {
        List<Row> anchors = (List<Row>) answer.anchor();
        for (int r = 0; r < predictions.length; r++) {
            if (Arrays.equals(predictions[r], answer.predictions()[r])) {
                continue; // unchanged rows keep their exact text
            }
            Row row = anchors.get(r);
            if (row.alternatives() instanceof ArrayNode top) {
                for (int k = 0; k < top.size(); k++) {
                    ObjectNode alt = (ObjectNode) top.get(k);
                    double lp = logprob(predictions[r][k]);
                    alt.put("logprob", lp);
                    if (row.token() != null
                            && row.token().equals(alt.path("token").asText(null))) {
                        row.chatEntry().put("logprob", lp);
                    }
                }
            } else {
                ObjectNode alternatives = (ObjectNode) row.alternatives();
                List<String> names = new ArrayList<>(alternatives.size());
                alternatives.fieldNames().forEachRemaining(names::add);
                for (int k = 0; k < names.size(); k++) {
                    double lp = logprob(predictions[r][k]);
                    alternatives.put(names.get(k), lp); // same key: keeps its place
                    if (names.get(k).equals(row.token())
                            && row.tokenLogprobs() != null
                            && row.index() < row.tokenLogprobs().size()) {
                        row.tokenLogprobs().set(row.index(), lp);
                    }
                }
            }
        }
    }

    private static double logprob(double p) {
        return Math.log(Math.min(1, Math.max(Double.MIN_NORMAL, p)));
    }
}
