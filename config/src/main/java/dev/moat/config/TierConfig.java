package dev.moat.config;

import java.util.List;

/**
 * A named set of token-bucket limits; a request must pass all of them.
 *
 * @param limits request limits ({@code limits: ["100/1m"]}), one token per request (per input row on
 *     policy routes)
 * @param tokens LLM token budgets ({@code tokens: ["100000/1m"]}), charged on routes with
 *     {@code protocol: openai} from the answer's {@code usage}; empty when the tier has none
 */
public record TierConfig(String name, List<RateLimit> limits, List<RateLimit> tokens) {
    public TierConfig {
        limits = List.copyOf(limits);
        tokens = List.copyOf(tokens);
    }

    public TierConfig(String name, List<RateLimit> limits) {
        this(name, limits, List.of());
    }
}
