package dev.moat.gateway.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.PolicyConfig.LlmRules;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import dev.moat.policies.LlmGuard;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Applies a policy's LLM rules ({@link LlmGuard}, in {@code policies}, which takes every decision)
 * to OpenAI-style JSON: it reads the request fields the rules need and edits requests and answers
 * as decided. The rules block logit extraction (Carlini et al., "Stealing Part of a Production
 * Language Model", ICML 2024, arXiv:2403.06634: {@code logit_bias} with returned top logprobs):
 * <ul>
 *   <li>requests: too large a {@code logit_bias} is rejected; {@code logit_bias} with logprobs is
 *       rejected or neutralised; {@code top_logprobs} (chat) and integer {@code logprobs}
 *       (completions) are capped; prompt logprobs ({@code echo} with logprobs, vLLM's
 *       {@code prompt_logprobs}) are rejected or stripped;</li>
 *   <li>answers (whole or streamed): every choice keeps at most {@code max_top_logprobs}
 *       alternatives per token (the upstream may ignore the request's cap, and {@code n > 1}
 *       multiplies choices), {@code prompt_logprobs} is removed, every logprob is rounded.</li>
 * </ul>
 * Requests are read conservatively: any non-null, non-{@code false} {@code logprobs}, or a
 * positive {@code top_logprobs}, counts as asking for logprobs, whichever route it is sent to.
 */
public final class OpenAiGuard {

    /** Names counted in {@code moat_actions_total} for answer rewrites. */
    public static final String ANSWER_CAP = "llm_answer_cap";

    public static final String PROMPT_STRIP = "llm_prompt_logprobs_strip";

    private final LlmRules rules;
    private final LlmGuard guard;

    public OpenAiGuard(LlmRules rules) {
        this.rules = Objects.requireNonNull(rules, "rules");
        this.guard = new LlmGuard(rules);
    }

    /**
     * Checks a {@code /v1/chat/completions} or {@code /v1/completions} request body (left as it
     * is); a rewritten body is allocated from {@code body.alloc()} and belongs to the caller.
     */
    public GuardResult checkRequest(ByteBuf body) {
        JsonNode root;
        try {
            root = JsonBodies.read(body);
        } catch (MalformedBodyException e) {
            return GuardResult.reject(e.getMessage());
        }
        if (!(root instanceof ObjectNode request)) {
            return GuardResult.reject("body: expected a JSON object");
        }
        JsonNode bias = request.get("logit_bias");
        int biasEntries = 0;
        if (bias != null && !bias.isNull()) {
            if (!bias.isObject()) {
                return GuardResult.reject("logit_bias: expected an object of token id -> bias");
            }
            biasEntries = bias.size();
        }
        JsonNode logprobs = request.get("logprobs");
        JsonNode top = request.get("top_logprobs");
        boolean asksLogprobs =
                logprobs != null && !logprobs.isNull() && !(logprobs.isBoolean() && !logprobs.booleanValue());
        if (asksLogprobs && !logprobs.isBoolean() && !logprobs.isIntegralNumber()) {
            return GuardResult.reject("logprobs: expected a boolean or an integer");
        }
        if (top != null && !top.isNull() && !top.isIntegralNumber()) {
            return GuardResult.reject("top_logprobs: expected an integer");
        }
        int topRequested = top != null && top.isIntegralNumber() ? saturated(top) : 0;
        if (logprobs != null && logprobs.isIntegralNumber()) {
            topRequested = Math.max(topRequested, saturated(logprobs)); // completions: logprobs is the count
        }
        LlmGuard.Verdict v = guard.decide(asksLogprobs, topRequested, biasEntries);
        boolean changed = false;
        String steer = v.action() == LlmGuard.Action.REJECT ? null : steersSampling(request);
        if (steer != null && (asksLogprobs || topRequested > 0)) {
            // a restriction of the tokens that may be sampled, with logprobs, is logit_bias's attack
            // by another name: the sampled token is one the client chose, and its logprob comes back
            if (!"neutralise".equals(rules.logitBiasWithLogprobs())) {
                return GuardResult.reject(steer + " cannot be combined with logprobs on this route");
            }
            request.remove("logprobs"); // neutralised as logit_bias with logprobs is
            request.remove("top_logprobs");
            asksLogprobs = false;
            changed = true;
        }
        switch (v.action()) {
            case REJECT -> {
                return GuardResult.reject(
                        biasEntries > rules.maxLogitBiasEntries()
                                ? "logit_bias has " + biasEntries + " entries (at most " + rules.maxLogitBiasEntries()
                                        + ")"
                                : "logit_bias cannot be combined with logprobs on this route");
            }
            case NEUTRALISE -> {
                request.remove("logprobs");
                request.remove("top_logprobs");
                asksLogprobs = false;
                changed = true;
            }
            case CAP -> {
                changed |= cap(request, "top_logprobs", v.topLogprobs());
                changed |= cap(request, "logprobs", v.topLogprobs());
            }
            case ACCEPT -> {}
        }
        JsonNode echo = request.get("echo");
        JsonNode promptLogprobs = request.get("prompt_logprobs");
        boolean echoWithLogprobs = asksLogprobs && echo != null && echo.asBoolean(false);
        boolean asksPrompt = promptLogprobs != null && !promptLogprobs.isNull() && !isFalseOrZero(promptLogprobs);
        LlmGuard.Verdict p = guard.decidePrompt(echoWithLogprobs, asksPrompt);
        if (p.action() == LlmGuard.Action.REJECT) {
            return GuardResult.reject(p.reason());
        }
        if (p.action() == LlmGuard.Action.NEUTRALISE) {
            if (echoWithLogprobs) {
                request.remove("echo");
            }
            request.remove("prompt_logprobs");
            changed = true;
        }
        return changed
                ? GuardResult.rewrite(JsonBodies.write(request, body.alloc(), body.readableBytes()))
                : GuardResult.accept();
    }

    /**
     * Fields of OpenAI-compatible servers that restrict which tokens may be sampled, as {@code
     * logit_bias} does: with logprobs, the sampled token is one the client chose (or not one it
     * banned) and its logprob comes back, a token at a time (Carlini et al. 2024 with another
     * field). vLLM: {@code allowed_token_ids}, {@code bad_words} (a ban is a bias of minus
     * infinity: banning the top token reveals the next one's logprob), {@code logits_processors},
     * the {@code guided_*} fields and {@code structured_outputs}; llama.cpp's server: {@code
     * grammar} and {@code json_schema} at the top level.
     */
    static final List<String> STEERING_FIELDS = List.of(
            "allowed_token_ids",
            "bad_words",
            "logits_processors",
            "guided_choice",
            "guided_regex",
            "guided_grammar",
            "guided_json",
            "structured_outputs",
            "grammar",
            "json_schema");

    /**
     * The first field of {@link #STEERING_FIELDS} the request sets (not null, false or empty), or
     * {@code response_format} when it holds a schema (or a vLLM regex, grammar or choice): OpenAI's
     * structured outputs, which vLLM serves through the same guided decoding as {@code guided_json}
     * (a schema's {@code enum} is {@code guided_choice}); else null. JSON mode ({@code json_object})
     * and {@code text} choose no tokens and pass. A forced tool call is the same restriction: {@code
     * tool_choice} {@code "required"} or naming a function (an object; {@code "auto"} and {@code
     * "none"} force nothing), the legacy {@code function_call} naming one, or any tool declared
     * {@code strict}: its arguments are decoded against the tool's parameter schema, whose {@code
     * enum} is a {@code guided_choice}. A client that declares tools, lets the model choose and asks
     * for logprobs passes (its arguments are decoded freely).
     */
    private static String steersSampling(ObjectNode request) {
        String tools = forcesToolCall(request);
        if (tools != null) {
            return tools;
        }
        JsonNode format = request.get("response_format");
        if (format != null && (format.isObject() || format.isTextual())) {
            // {"type": ...}, or the bare type as a string, which some servers take
            String type = format.isTextual()
                    ? format.textValue()
                    : format.path("type").asText("");
            if (!type.equals("text") && !type.equals("json_object")) {
                return "response_format (" + (type.isEmpty() ? "untyped" : type) + ")";
            }
        }
        for (String f : STEERING_FIELDS) {
            JsonNode n = request.get(f);
            if (n != null
                    && !n.isNull()
                    && !(n.isBoolean() && !n.booleanValue())
                    && !(n.isContainerNode() && n.isEmpty())
                    && !(n.isTextual() && n.asText().isEmpty())) {
                return f;
            }
        }
        return null;
    }

    private static String forcesToolCall(ObjectNode request) {
        JsonNode choice = request.get("tool_choice");
        if (choice != null) {
            if (choice.isObject()) {
                String type = choice.path("type").asText("");
                // {"type": "function", "function": {"name": ...}}; the Responses API's allowed_tools
                // with mode "required" forces too, with mode "auto" it does not
                if (!type.equals("auto")
                        && !type.equals("none")
                        && !(type.equals("allowed_tools")
                                && choice.path("mode").asText("").equals("auto"))) {
                    return "tool_choice (" + (type.isEmpty() ? "untyped" : type) + ")";
                }
            } else if (choice.isTextual() && choice.textValue().equals("required")) {
                return "tool_choice (required)";
            }
        }
        JsonNode legacy = request.get("function_call");
        if (legacy != null && legacy.isObject()) {
            return "function_call";
        }
        JsonNode declared = request.get("tools");
        if (declared != null && declared.isArray()) {
            for (JsonNode tool : declared) {
                if (tool.path("function").path("strict").asBoolean(false)
                        || tool.path("strict").asBoolean(false)) {
                    return "tools (strict)";
                }
            }
        }
        return null;
    }

    private static boolean isFalseOrZero(JsonNode n) {
        return (n.isBoolean() && !n.booleanValue()) || (n.isNumber() && n.asDouble() == 0);
    }

    private static int saturated(JsonNode n) {
        return n.canConvertToInt()
                ? n.intValue()
                : (n.bigIntegerValue().signum() > 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE);
    }

    private static boolean cap(ObjectNode request, String field, int max) {
        JsonNode n = request.get(field);
        if (n == null || !n.isIntegralNumber() || (n.canConvertToInt() && n.intValue() <= max)) {
            return false;
        }
        request.put(field, max);
        return true;
    }

    /** {@link #roundLogprobs(ByteBuf, ByteBufAllocator)} with {@code rules}. */
    public static ByteBuf roundLogprobs(ByteBuf responseBody, LlmRules rules, ByteBufAllocator alloc)
            throws MalformedBodyException {
        return new OpenAiGuard(rules).roundLogprobs(responseBody, alloc);
    }

    /** {@link #applyToAnswer} without counting what it did. */
    public ByteBuf roundLogprobs(ByteBuf responseBody, ByteBufAllocator alloc) throws MalformedBodyException {
        return applyToAnswer(responseBody, alloc, action -> {});
    }

    /**
     * A whole JSON answer with the answer rules applied to every choice: alternatives beyond
     * {@code max_top_logprobs} dropped, {@code prompt_logprobs} removed, every logprob under
     * {@code choices[*].logprobs} rounded. The input is left as it is; the result belongs to the
     * caller (a retained duplicate of the input when nothing changed).
     *
     * @param actions told {@link #ANSWER_CAP} / {@link #PROMPT_STRIP} once per answer that needed it
     * @throws MalformedBodyException if the answer is not a JSON object (the proxy fails closed)
     */
    public ByteBuf applyToAnswer(ByteBuf responseBody, ByteBufAllocator alloc, Consumer<String> actions)
            throws MalformedBodyException {
        JsonNode root = JsonBodies.read(responseBody);
        if (!root.isObject()) {
            throw new MalformedBodyException("answer: expected a JSON object");
        }
        return rewriteChoices(root, actions)
                ? JsonBodies.write(root, alloc, responseBody.readableBytes())
                : responseBody.retainedDuplicate();
    }

    /**
     * One server-sent event line {@code data: {chunk}} with its logprobs rounded. Lines that are
     * not {@code data:} lines, {@code data: [DONE]}, payloads that are not JSON and chunks without
     * logprobs come back as they are (the same instance).
     */
    public String roundLogprobsInEvent(String sseDataLine) {
        if (!sseDataLine.startsWith("data:")) {
            return sseDataLine;
        }
        int start = sseDataLine.indexOf('{', 5);
        int end = sseDataLine.lastIndexOf('}') + 1;
        if (start < 0
                || end <= start
                || !sseDataLine.substring(5, start).isBlank()
                || !sseDataLine.substring(end).isBlank()) {
            return sseDataLine;
        }
        try {
            JsonNode chunk = JsonBodies.MAPPER.readTree(sseDataLine.substring(start, end));
            if (!rewriteChoices(chunk, action -> {})) {
                return sseDataLine;
            }
            return sseDataLine.substring(0, start)
                    + JsonBodies.MAPPER.writeValueAsString(chunk)
                    + sseDataLine.substring(end);
        } catch (JsonProcessingException e) {
            return sseDataLine;
        }
    }

    private boolean rewriteChoices(JsonNode root, Consumer<String> actions) {
        boolean capped = false;
        boolean stripped = false;
        boolean changed = false;
        if (root instanceof ObjectNode o && o.remove("prompt_logprobs") != null) {
            stripped = true; // vLLM chat answers carry it at the top level
        }
        for (JsonNode choice : root.path("choices")) {
            if (choice instanceof ObjectNode c && c.remove("prompt_logprobs") != null) {
                stripped = true;
            }
            JsonNode logprobs = choice.path("logprobs");
            if (!logprobs.isContainerNode()) {
                continue;
            }
            for (JsonNode token : logprobs.path("content")) { // chat: content[*].top_logprobs[]
                if (token instanceof ObjectNode t && t.get("top_logprobs") instanceof ArrayNode alts) {
                    capped |= capArray(alts);
                }
            }
            if (logprobs.get("top_logprobs") instanceof ArrayNode perToken) { // completions: [{token: lp}]
                for (JsonNode alts : perToken) {
                    if (alts instanceof ObjectNode map) {
                        capped |= capMap(map);
                    }
                }
            }
            if (guard.roundsLogprobs()) {
                changed |= roundAll(logprobs);
            }
        }
        if (capped) {
            actions.accept(ANSWER_CAP);
        }
        if (stripped) {
            actions.accept(PROMPT_STRIP);
        }
        return changed || capped || stripped;
    }

    /** Keeps the {@code max_top_logprobs} most likely of {@code [{token, logprob}, ...]}. */
    private boolean capArray(ArrayNode alts) {
        int max = guard.maxAlternatives();
        if (alts.size() <= max) {
            return false;
        }
        List<JsonNode> sorted = new ArrayList<>();
        alts.forEach(sorted::add);
        sorted.sort(
                Comparator.comparingDouble((JsonNode n) -> -n.path("logprob").asDouble(Double.NEGATIVE_INFINITY)));
        alts.removeAll();
        for (int i = 0; i < max; i++) {
            alts.add(sorted.get(i));
        }
        return true;
    }

    /** Keeps the {@code max_top_logprobs} most likely of {@code {token: logprob, ...}}. */
    private boolean capMap(ObjectNode alts) {
        int max = guard.maxAlternatives();
        if (alts.size() <= max) {
            return false;
        }
        List<String> names = new ArrayList<>(alts.size());
        alts.fieldNames().forEachRemaining(names::add);
        names.sort(Comparator.comparingDouble((String n) -> -alts.get(n).asDouble(Double.NEGATIVE_INFINITY)));
        for (String name : names.subList(max, names.size())) {
            alts.remove(name);
        }
        return true;
    }

    /** Rounds every non-integer number under {@code node}; depth is bounded by the parser. */
    private boolean roundAll(JsonNode node) {
        boolean changed = false;
        if (node instanceof ObjectNode o) {
            List<String> names = new ArrayList<>(o.size());
            o.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                JsonNode child = o.get(name);
                if (child.isFloatingPointNumber()) {
                    double r = round(child.doubleValue());
                    if (r != child.doubleValue()) {
                        o.put(name, r);
                        changed = true;
                    }
                } else if (child.isContainerNode()) {
                    changed |= roundAll(child);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode child = a.get(i);
                if (child.isFloatingPointNumber()) {
                    double r = round(child.doubleValue());
                    if (r != child.doubleValue()) {
                        a.set(i, DoubleNode.valueOf(r));
                        changed = true;
                    }
                } else if (child.isContainerNode()) {
                    changed |= roundAll(child);
                }
            }
        }
        return changed;
    }

    private double round(double v) {
        return guard.roundLogprob(v);
    }
}
