package dev.moat.gateway.defence;

import dev.moat.config.TierConfig;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.runtime.Route;
import dev.moat.policies.escalation.Decision;

/**
 * The policy gate: what the detectors' verdict means for a key's next request. The escalation
 * ladder decides; this is only the O(1) read the request path makes before calling upstream.
 */
public interface Enforcement {

    /** What the gate says about one request. */
    enum Kind {
        PASS,
        BLOCKED,
        THROTTLED
    }

    /**
     * @param decision          the ladder step in force (its perturbations apply to the answer)
     * @param retryAfterSeconds for BLOCKED and THROTTLED: when to come back
     * @param throttle          when the ladder throttles the key: the throttle bucket's state after the
     *                          request's token (refused for THROTTLED), for the RateLimit fields and for
     *                          charging a batch's further rows where that token was taken
     */
    record Gate(Kind kind, Decision decision, long retryAfterSeconds, RateLimiter.Decision throttle) {
        public static final Gate PASS = new Gate(Kind.PASS, Decision.NONE, 0, null);
    }

    /** No detection: every key passes untouched. */
    Enforcement NONE = (key, route, most) -> Gate.PASS;

    /**
     * The gate for one request of {@code key} to {@code route}; {@code most} is the most the ladder
     * may do to the key (its tier's {@code max_action}).
     */
    Gate check(ApiKey key, Route route, TierConfig.MaxAction most);
}
