package dev.moat.config;

import java.util.List;
import java.util.Map;

/**
 * What a route does to answers and how it reacts to risk.
 *
 * @param outputs    always-on transforms, applied in this order
 * @param detectors  detector name -> its parameters as written (numbers, strings, booleans); the
 *                   names are validated against {@link DetectorNames#ALL}
 * @param escalation sorted by {@code at}, ascending
 * @param llm        rules for {@code openai} routes, or {@code null}
 */
public record PolicyConfig(
        String name,
        List<OutputSpec> outputs,
        Map<String, Map<String, Object>> detectors,
        List<EscalationStep> escalation,
        LlmRules llm) {

    public PolicyConfig {
        outputs = List.copyOf(outputs);
        detectors = Map.copyOf(detectors);
        escalation = List.copyOf(escalation);
    }

    /** True when some transform needs to read the answer body. */
    public boolean needsResponseBody() {
        return !outputs.isEmpty() || !escalation.isEmpty() || !detectors.isEmpty();
    }

    /**
     * One rung of the ladder: at or above {@code at} risk, the listed actions hold.
     *
     * @param perturb  transforms added after the policy's outputs (empty when none)
     * @param throttle a tighter bucket for the key (empty when none)
     * @param block    block the key for this long ({@code null} when not a block)
     */
    public record EscalationStep(
            double at, List<OutputSpec> perturb, List<RateLimit> throttle, java.time.Duration block) {
        public EscalationStep {
            perturb = List.copyOf(perturb);
            throttle = List.copyOf(throttle);
        }
    }

    /**
     * Limits on the OpenAI-style API that stop logit extraction (Carlini et al. 2024).
     *
     * @param maxTopLogprobs        requests asking for more get this many (OpenAI: 20)
     * @param logprobDecimals       logprobs in answers are rounded to this many decimals (-1: off)
     * @param logitBiasWithLogprobs {@code reject} (400) or {@code neutralise} (drop logprobs)
     * @param maxLogitBiasEntries   requests with more entries are rejected (400)
     * @param promptLogprobs        logprobs of the prompt's own tokens ({@code echo} with logprobs,
     *                              vLLM's {@code prompt_logprobs}): {@code reject} (400) or {@code strip}
     *                              (the request is sent without them, and answers never carry them)
     */
    public record LlmRules(
            int maxTopLogprobs,
            int logprobDecimals,
            String logitBiasWithLogprobs,
            int maxLogitBiasEntries,
            String promptLogprobs) {

        public LlmRules(
                int maxTopLogprobs, int logprobDecimals, String logitBiasWithLogprobs, int maxLogitBiasEntries) {
            this(maxTopLogprobs, logprobDecimals, logitBiasWithLogprobs, maxLogitBiasEntries, "reject");
        }
    }
}
