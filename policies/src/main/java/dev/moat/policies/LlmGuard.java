package dev.moat.policies;

import dev.moat.config.PolicyConfig.LlmRules;
import dev.moat.policies.internal.Rounding;

/**
 * Request rules for OpenAI-style routes that block logit extraction (Carlini et al., "Stealing
 * Part of a Production Language Model", ICML 2024; Finlayson et al. 2024): the attack combines
 * {@code logit_bias} with {@code logprobs} to read off logits token by token. Providers' answer,
 * mirrored here: cap {@code top_logprobs} (OpenAI: 20), refuse or neutralise logprobs when a
 * {@code logit_bias} is present, refuse very large bias maps, and coarsen returned logprobs.
 *
 * <p>Pure logic on numbers the gateway reads from the JSON request; the gateway edits the body.
 * Rules in order: too many bias entries: REJECT; bias together with logprobs: REJECT or
 * NEUTRALISE (drop {@code logprobs}/{@code top_logprobs}) as configured; {@code top_logprobs}
 * above the cap: CAP; otherwise ACCEPT. Logprobs of the prompt's own tokens ({@code echo} with
 * logprobs, vLLM's {@code prompt_logprobs}) leak what the model thinks of attacker-chosen text
 * at no generation cost: REJECT or STRIP as configured ({@link #decidePrompt}). Answers are capped
 * as well ({@link #maxAlternatives}): an upstream that ignores the request's cap (or {@code n > 1})
 * must not return more alternatives than the rules allow. The gateway's {@code OpenAiGuard} reads
 * and edits the JSON; every decision is taken here. Immutable; common verdicts are shared instances.
 */
public final class LlmGuard {

    /** What to do with the request. */
    public enum Action {
        ACCEPT,
        CAP,
        REJECT,
        NEUTRALISE
    }

    /**
     * @param action      what to do
     * @param topLogprobs for CAP, the value to put in {@code top_logprobs}; otherwise -1
     * @param reason      for REJECT, a client-safe explanation for the 400 problem body; else null
     */
    public record Verdict(Action action, int topLogprobs, String reason) {}

    private static final Verdict ACCEPT = new Verdict(Action.ACCEPT, -1, null);
    private static final Verdict NEUTRALISE = new Verdict(Action.NEUTRALISE, -1, null);
    private static final Verdict BIAS_WITH_LOGPROBS =
            new Verdict(Action.REJECT, -1, "logit_bias cannot be combined with logprobs or top_logprobs on this route");

    private final LlmRules rules;
    private final Verdict cap;
    private final double logprobScale;

    public LlmGuard(LlmRules rules) {
        if (!"reject".equals(rules.logitBiasWithLogprobs()) && !"neutralise".equals(rules.logitBiasWithLogprobs())) {
            throw new IllegalArgumentException("llm.logit_bias_with_logprobs: \"" + rules.logitBiasWithLogprobs()
                    + "\" (expected one of: reject, neutralise)");
        }
        this.rules = rules;
        this.cap = new Verdict(Action.CAP, Math.max(0, rules.maxTopLogprobs()), null);
        this.logprobScale = rules.logprobDecimals() < 0 ? Double.NaN : Math.pow(10, rules.logprobDecimals());
    }

    public LlmRules rules() {
        return rules;
    }

    /**
     * @param logprobs         whether the request asks for logprobs ({@code logprobs: true}, or a
     *                         positive integer on {@code /v1/completions})
     * @param topLogprobs      the requested {@code top_logprobs} (completions: the integer
     *                         {@code logprobs}); 0 or negative when absent
     * @param logitBiasEntries the number of entries in {@code logit_bias}; 0 when absent
     */
    public Verdict decide(boolean logprobs, int topLogprobs, int logitBiasEntries) {
        if (logitBiasEntries > rules.maxLogitBiasEntries()) {
            return new Verdict(
                    Action.REJECT,
                    -1,
                    "logit_bias: " + logitBiasEntries + " entries (expected: at most " + rules.maxLogitBiasEntries()
                            + ")");
        }
        boolean wantsLogprobs = logprobs || topLogprobs > 0;
        if (logitBiasEntries > 0 && wantsLogprobs) {
            return "neutralise".equals(rules.logitBiasWithLogprobs()) ? NEUTRALISE : BIAS_WITH_LOGPROBS;
        }
        if (topLogprobs > cap.topLogprobs()) {
            return cap;
        }
        return ACCEPT;
    }

    private static final Verdict PROMPT_LOGPROBS = new Verdict(
            Action.REJECT,
            -1,
            "logprobs of the prompt (echo with logprobs, prompt_logprobs) are not served on this route");
    private static final Verdict STRIP_PROMPT = new Verdict(Action.NEUTRALISE, -1, null);

    /**
     * @param echoWithLogprobs the request sets {@code echo: true} and asks for logprobs
     * @param promptLogprobs   the request sets vLLM's {@code prompt_logprobs}
     * @return ACCEPT, REJECT (400), or NEUTRALISE: send it without {@code echo}/{@code prompt_logprobs}
     */
    public Verdict decidePrompt(boolean echoWithLogprobs, boolean promptLogprobs) {
        if (!echoWithLogprobs && !promptLogprobs) {
            return ACCEPT;
        }
        return "strip".equals(rules.promptLogprobs()) ? STRIP_PROMPT : PROMPT_LOGPROBS;
    }

    /** How many alternatives (top logprobs) per token an answer may carry. */
    public int maxAlternatives() {
        return Math.max(0, rules.maxTopLogprobs());
    }

    /** Whether answers' logprobs are rounded ({@code logprob_decimals} &gt;= 0). */
    public boolean roundsLogprobs() {
        return !Double.isNaN(logprobScale);
    }

    /** A logprob rounded half up to {@code logprob_decimals} decimals, or unchanged when off. */
    public double roundLogprob(double logprob) {
        return roundsLogprobs() ? Rounding.halfUp(logprob, logprobScale) : logprob;
    }
}
