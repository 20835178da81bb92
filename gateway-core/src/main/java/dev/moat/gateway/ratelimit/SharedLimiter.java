package dev.moat.gateway.ratelimit;

import dev.moat.config.RateLimit;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Token buckets shared by several gateway instances (in Redis). Unlike the local {@link RateLimiter}
 * its answers come later, on another thread: the caller resumes on its own event loop. A stage that
 * fails with {@link Unavailable} means the shared buckets could not answer and the gateway fails
 * closed (503); when failing open the stage holds a decision from local buckets instead.
 */
public interface SharedLimiter extends AutoCloseable {

    /** The shared buckets did not answer in time and {@code distributed.fail_open} is false. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** Takes {@code tokens} from the key's tier bucket. */
    CompletionStage<RateLimiter.Decision> tryConsume(String keyId, List<RateLimit> limits, long tokens);

    /**
     * Gives back {@code tokens} taken from the key's tier bucket for a request refused afterwards (a
     * batch the bucket could not pay for costs nothing), to the buckets that took them: the shared
     * ones when {@code shared} (the taking decision's {@link RateLimiter.Decision#shared()}), else
     * this instance's share. The stage completes when they hold them, or normally when they could
     * not be given back in time (then the key paid them: never an error for the request).
     */
    CompletionStage<Void> refund(String keyId, List<RateLimit> limits, long tokens, boolean shared);

    /** Takes one token from the key's escalation throttle bucket. */
    default CompletionStage<RateLimiter.Decision> tryConsumeThrottle(String keyId, List<RateLimit> limits) {
        return tryConsumeThrottle(keyId, limits, 1);
    }

    /**
     * Takes {@code tokens} from the key's escalation throttle bucket (a batch's further rows, as
     * {@link #tryConsume} takes them from the tier's).
     */
    CompletionStage<RateLimiter.Decision> tryConsumeThrottle(String keyId, List<RateLimit> limits, long tokens);

    /** As {@link #refund}, to the key's escalation throttle bucket. */
    CompletionStage<Void> refundThrottle(String keyId, List<RateLimit> limits, long tokens, boolean shared);

    /** Forgets a key's throttle everywhere (after an unblock or reset). */
    void clearThrottle(String keyId);

    /** True while the shared buckets answer. */
    boolean up();

    /**
     * True once the shared view (blocks, revocations, runtime keys) has been read: before, a key
     * unknown here may be a runtime key another instance made, and decisions fail closed.
     */
    default boolean viewRead() {
        return true;
    }

    /** Decisions taken without the shared buckets (local fallback or 503) since start. */
    long decisionsWithout();

    @Override
    void close();
}
