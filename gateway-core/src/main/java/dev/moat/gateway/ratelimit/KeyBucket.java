package dev.moat.gateway.ratelimit;

import dev.moat.config.RateLimit;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.BucketExceptions;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.BucketState64BitsInteger;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.LimitChecker;
import io.github.bucket4j.VerboseResult;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * One key's bucket: Bucket4j's own state and arithmetic ({@link BucketState}, integer math, as
 * Bucket4j's {@code LockFreeBucket} holds it) behind the object's monitor. Each operation is the one
 * {@code LockFreeBucket} performs (refill to now, then consume, add or read) with the same
 * argument checks, so the decisions are the same; what it saves is LockFreeBucket's wrapper
 * (the bucket, its atomic reference and five view objects: 144 bytes a key) and the state copy
 * that bucket allocates per operation.
 */
final class KeyBucket extends BucketState64BitsInteger {
    /** The key's id (its {@link BucketMap} keeps no key apart). */
    final String key;

    final List<RateLimit> limits;

    /**
     * The newest config generation that asked for these limits (0: limits no reload changes):
     * a request of an older generation, whose key's limits changed since, charges this bucket
     * rather than putting back one of its own ({@link RateLimiter}). Written only when a newer
     * generation first uses the bucket.
     */
    private volatile long generation;

    /**
     * When the bucket was last used, on the limiter's nanosecond clock: what idle expiry and the
     * {@code max_keys} bound go by ({@link BucketMap}). Written on every use, read by sweeps.
     */
    private long accessedAt;

    private static final VarHandle ACCESSED_AT;

    static {
        try {
            ACCESSED_AT = MethodHandles.lookup().findVarHandle(KeyBucket.class, "accessedAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long accessedAt() {
        return (long) ACCESSED_AT.getOpaque(this);
    }

    void accessedAt(long nanos) {
        ACCESSED_AT.setOpaque(this, nanos);
    }

    /**
     * The state {@code BucketState.createInitialState(configuration, MathType.INTEGER_64_BITS, now)}
     * makes, with this bucket as that state (one object a key less: 24 bytes).
     */
    KeyBucket(String key, List<RateLimit> limits, long generation, BucketConfiguration configuration, long nowNanos) {
        super(configuration, nowNanos);
        this.key = key;
        this.limits = limits;
        this.generation = generation;
    }

    long generation() {
        return generation;
    }

    /**
     * A request of config {@code generation} uses this bucket with its own limits: it holds them for
     * that generation too. Of two racing writers the older generation may win; that costs at most
     * one bucket put back by a request between the two, what {@link RateLimiter} guards against.
     */
    void usedBy(long generation) {
        if (generation > this.generation) {
            this.generation = generation;
        }
    }

    /**
     * How long after its last use this bucket is full again whatever its state: its limits' longest
     * period (greedy refill brings any state to full within a period).
     */
    long fullAfterNanos() {
        long longest = 0;
        for (RateLimit l : limits) {
            longest = Math.max(longest, l.period().toNanos());
        }
        return longest;
    }

    /** {@code Bucket.tryConsumeAndReturnRemaining}. */
    synchronized ConsumptionProbe tryConsume(long tokens, long now) {
        LimitChecker.checkTokensToConsume(tokens);
        return probe(tokens, now);
    }

    /** {@code Bucket.asVerbose().tryConsumeAndReturnRemaining}: the probe and a copy of the state after it. */
    synchronized VerboseResult<ConsumptionProbe> tryConsumeVerbose(long tokens, long now) {
        LimitChecker.checkTokensToConsume(tokens);
        ConsumptionProbe p = probe(tokens, now);
        return new VerboseResult<>(now, p, copy());
    }

    private ConsumptionProbe probe(long tokens, long now) {
        refillAllBandwidth(now);
        long available = getAvailableTokens();
        if (tokens > available) {
            return ConsumptionProbe.rejected(
                    available,
                    calculateDelayNanosAfterWillBePossibleToConsume(tokens, now, true),
                    calculateFullRefillingTime(now));
        }
        consume(tokens);
        return ConsumptionProbe.consumed(available - tokens, calculateFullRefillingTime(now));
    }

    /** {@code Bucket.addTokens}. */
    synchronized void addTokens(long tokens, long now) {
        LimitChecker.checkTokensToAdd(tokens);
        refillAllBandwidth(now);
        addTokens(tokens);
    }

    /** {@code Bucket.consumeIgnoringRateLimits}. */
    synchronized void consumeIgnoringRateLimits(long tokens, long now) {
        LimitChecker.checkTokensToConsume(tokens);
        refillAllBandwidth(now);
        if (calculateDelayNanosAfterWillBePossibleToConsume(tokens, now, false) == Long.MAX_VALUE) {
            throw BucketExceptions.reservationOverflow();
        }
        consume(tokens);
    }

    /** {@code Bucket.asVerbose().getAvailableTokens}. */
    synchronized VerboseResult<Long> availableVerbose(long now) {
        refillAllBandwidth(now);
        return new VerboseResult<>(now, getAvailableTokens(), copy());
    }
}
