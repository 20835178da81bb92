package dev.moat.gateway.ratelimit;

import dev.moat.config.RateLimit;
import java.util.List;

/**
 * One request's charge against its key's LLM token budget ({@code tokens:} of a tier): an estimate
 * taken before the request goes upstream, corrected once the answer's usage is known.
 *
 * <p>The estimate is {@code ceil(request body bytes / 4)} (the common four-characters-per-token rule,
 * applied to the whole JSON body, so it leans high), from {@code Content-Length} before any body
 * byte is read; a body without a length is estimated at one token. It is capped at the smallest
 * budget's capacity, so a long prompt is admitted when the bucket is full rather than never.
 * {@code max_tokens} is not added: reading it would mean buffering every body on routes that
 * otherwise stream it through. The real usage is then taken (into debt when needed) or the
 * over-estimate given back, so the budget counts what the model really spent; the estimate only
 * decides whether a key with an empty budget may start another request.
 */
public final class TokenBudget {

    private final RateLimiter limiter;
    private final String keyId;
    private final List<RateLimit> budgets;
    private final long generation;
    private final long estimate;
    private boolean settled;

    private TokenBudget(RateLimiter limiter, String keyId, List<RateLimit> budgets, long generation, long estimate) {
        this.limiter = limiter;
        this.keyId = keyId;
        this.budgets = budgets;
        this.generation = generation;
        this.estimate = estimate;
    }

    /** The outcome of the check before the request: the charge when admitted, the decision either way. */
    public record Check(TokenBudget charge, RateLimiter.Decision decision) {
        public boolean allowed() {
            return decision.allowed();
        }
    }

    /**
     * Takes the estimate for a request of {@code requestBytes} bytes ({@code -1} when unknown).
     *
     * @param budgets the tier's token budgets, not empty
     * @param generation the generation of the config {@code budgets} come from: the answer is charged
     *     later, maybe after a reload ({@link RateLimiter#tryConsume(String, List, long, long)})
     */
    public static Check check(
            RateLimiter limiter, String keyId, List<RateLimit> budgets, long generation, long requestBytes) {
        long est = estimate(requestBytes, budgets);
        RateLimiter.Decision d = limiter.tryConsumeLlmTokens(keyId, budgets, est, generation);
        return new Check(d.allowed() ? new TokenBudget(limiter, keyId, budgets, generation, est) : null, d);
    }

    /** {@code ceil(bytes / 4)}, at least 1, at most the smallest budget's capacity. */
    static long estimate(long requestBytes, List<RateLimit> budgets) {
        long est = requestBytes <= 0 ? 1 : Math.max(1, (requestBytes + 3) / 4);
        for (RateLimit b : budgets) {
            est = Math.min(est, b.capacity());
        }
        return est;
    }

    public long estimate() {
        return estimate;
    }

    /**
     * Charges the real usage once (later calls do nothing): the difference to the estimate is taken
     * or given back.
     */
    public void settle(long used) {
        if (settled) {
            return;
        }
        settled = true;
        limiter.adjustLlmTokens(keyId, budgets, Math.min(Math.max(0, used), maxCharge(budgets)) - estimate, generation);
    }

    /**
     * The most one answer is charged: a thousand times the smallest budget (the key then waits a
     * thousand periods). Bucket4j refuses a debt whose refill time overflows, and an upstream's
     * absurd {@code usage} must not make the charge fail.
     */
    static long maxCharge(List<RateLimit> budgets) {
        long min = Long.MAX_VALUE;
        for (RateLimit b : budgets) {
            min = Math.min(min, b.capacity());
        }
        return min > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : min * 1000;
    }

    /** The budget after this request, for the answer's {@code RateLimit} header. */
    public RateLimiter.Decision standing() {
        return limiter.peekLlmTokens(keyId, budgets, generation);
    }
}
