package dev.moat.config;

import java.util.List;
import java.util.Locale;

/**
 * A named set of token-bucket limits; a request must pass all of them.
 *
 * @param limits request limits ({@code limits: ["100/1m"]}), one token per request (per input row on
 *     policy routes)
 * @param tokens LLM token budgets ({@code tokens: ["100000/1m"]}), charged on routes with
 *     {@code protocol: openai} from the answer's {@code usage}; empty when the tier has none
 * @param maxAction the most the escalation ladder may do to the tier's keys ({@code max_action}):
 *     {@link MaxAction#BLOCK} (everything, the default) down to {@link MaxAction#NONE} (scored,
 *     flagged, audited and alerted, never acted on)
 */
public record TierConfig(String name, List<RateLimit> limits, List<RateLimit> tokens, MaxAction maxAction) {

    /**
     * How far the escalation ladder may go for a tier's keys, for customers an operator will not
     * throttle or block on detection alone (a partner under contract, an analysts' tool whose
     * traffic looks like probing). Each level allows the ones below it.
     */
    public enum MaxAction {
        /** No action: the keys are scored, flagged, audited and alerted on, their answers untouched. */
        NONE,
        /** The steps' perturbations, strips and watermark rates; no throttle, no block. */
        PERTURB,
        /** Also the steps' throttles; no block. */
        THROTTLE,
        /** Every step, blocks included (the default). */
        BLOCK;

        /** The YAML spelling: {@code none}, {@code perturb}, {@code throttle}, {@code block}. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public TierConfig {
        limits = List.copyOf(limits);
        tokens = List.copyOf(tokens);
        if (maxAction == null) {
            maxAction = MaxAction.BLOCK;
        }
    }

    public TierConfig(String name, List<RateLimit> limits, List<RateLimit> tokens) {
        this(name, limits, tokens, MaxAction.BLOCK);
    }

    public TierConfig(String name, List<RateLimit> limits) {
        this(name, limits, List.of());
    }
}
