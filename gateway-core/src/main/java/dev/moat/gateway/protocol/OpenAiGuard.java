package dev.moat.gateway.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.PolicyConfig.LlmRules;
import dev.moat.gateway.protocol.internal.JsonBodies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Enforces a policy's {@link LlmRules} on OpenAI-style requests and answers, to block logit
 * extraction: Carlini et al., "Stealing Part of a Production Language Model" (ICML 2024,
 * arXiv:2403.06634) recover a model's hidden dimension and final projection layer by combining
 * {@code logit_bias} with returned top logprobs. The guard
 * <ul>
 *   <li>rejects requests whose {@code logit_bias} has more than {@code maxLogitBiasEntries} entries;</li>
 *   <li>refuses {@code logit_bias} together with logprobs ({@code reject}: 400; {@code neutralise}:
 *       the request is sent without {@code logprobs}/{@code top_logprobs});</li>
 *   <li>caps {@code top_logprobs} (chat) and integer {@code logprobs} (completions) at
 *       {@code maxTopLogprobs};</li>
 *   <li>rounds every logprob in answers and in streamed chunks to {@code logprobDecimals}.</li>
 * </ul>
 * Requests are read conservatively: any non-null, non-{@code false} {@code logprobs}, or a
 * positive {@code top_logprobs}, counts as asking for logprobs, whichever route it is sent to.
 */
public final class OpenAiGuard {

    private static final double[] POW10 = {
        1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15
    };

    private final LlmRules rules;

    public OpenAiGuard(LlmRules rules) {
        this.rules = Objects.requireNonNull(rules, "rules");
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
        if (biasEntries > rules.maxLogitBiasEntries()) {
            return GuardResult.reject(
                    "logit_bias has " + biasEntries + " entries (at most " + rules.maxLogitBiasEntries() + ")");
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
        asksLogprobs |= top != null && top.isIntegralNumber() && top.asLong() > 0;
        boolean changed = false;
        if (biasEntries > 0 && asksLogprobs) {
            if (!"neutralise".equals(rules.logitBiasWithLogprobs())) {
                return GuardResult.reject("logit_bias cannot be combined with logprobs on this route");
            }
            request.remove("logprobs");
            request.remove("top_logprobs");
            changed = true;
        } else {
            changed |= cap(request, "top_logprobs");
            changed |= cap(request, "logprobs");
        }
        return changed
                ? GuardResult.rewrite(JsonBodies.write(request, body.alloc(), body.readableBytes()))
                : GuardResult.accept();
    }

    private boolean cap(ObjectNode request, String field) {
        JsonNode n = request.get(field);
        if (n == null || !n.isIntegralNumber() || (n.canConvertToInt() && n.intValue() <= rules.maxTopLogprobs())) {
            return false;
        }
        request.put(field, rules.maxTopLogprobs());
        return true;
    }

    /** {@link #roundLogprobs(ByteBuf, ByteBufAllocator)} with {@code rules}. */
    public static ByteBuf roundLogprobs(ByteBuf responseBody, LlmRules rules, ByteBufAllocator alloc)
            throws MalformedBodyException {
        return new OpenAiGuard(rules).roundLogprobs(responseBody, alloc);
    }

    /**
     * A whole JSON answer with every logprob under {@code choices[*].logprobs} rounded. The input
     * is left as it is; the result belongs to the caller (a retained duplicate of the input when
     * there is nothing to round).
     *
     * @throws MalformedBodyException if the answer is not a JSON object (the proxy fails closed)
     */
    public ByteBuf roundLogprobs(ByteBuf responseBody, ByteBufAllocator alloc) throws MalformedBodyException {
        if (rules.logprobDecimals() < 0) {
            return responseBody.retainedDuplicate();
        }
        JsonNode root = JsonBodies.read(responseBody);
        if (!root.isObject()) {
            throw new MalformedBodyException("answer: expected a JSON object");
        }
        return roundChoices(root)
                ? JsonBodies.write(root, alloc, responseBody.readableBytes())
                : responseBody.retainedDuplicate();
    }

    /**
     * One server-sent event line {@code data: {chunk}} with its logprobs rounded. Lines that are
     * not {@code data:} lines, {@code data: [DONE]}, payloads that are not JSON and chunks without
     * logprobs come back as they are (the same instance).
     */
    public String roundLogprobsInEvent(String sseDataLine) {
        if (rules.logprobDecimals() < 0 || !sseDataLine.startsWith("data:")) {
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
            if (!roundChoices(chunk)) {
                return sseDataLine;
            }
            return sseDataLine.substring(0, start)
                    + JsonBodies.MAPPER.writeValueAsString(chunk)
                    + sseDataLine.substring(end);
        } catch (JsonProcessingException e) {
            return sseDataLine;
        }
    }

    private boolean roundChoices(JsonNode root) {
        boolean changed = false;
        for (JsonNode choice : root.path("choices")) {
            JsonNode logprobs = choice.path("logprobs");
            if (logprobs.isContainerNode()) {
                changed |= roundAll(logprobs);
            }
        }
        return changed;
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
        double scale = POW10[Math.min(rules.logprobDecimals(), POW10.length - 1)];
        double scaled = v * scale;
        // Beyond 2^52 a double has no fractional digits left to round (and Math.round would saturate).
        return Math.abs(scaled) < 0x1p52 ? Math.round(scaled) / scale : v;
    }
}
