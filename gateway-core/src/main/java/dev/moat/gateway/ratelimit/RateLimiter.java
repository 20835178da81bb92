package dev.moat.gateway.ratelimit;

import dev.moat.config.RateLimit;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-key token buckets (Bucket4j, greedy refill), one bucket per key holding every limit of the
 * key's tier. Bucket state is bounded: at most {@code maxTrackedKeys} keys, dropped after
 * {@code expireAfterIdle} without a request. The limiter outlives config reloads: a key whose
 * limits did not change keeps its bucket; a key whose limits changed gets a fresh one. Callers say
 * which config generation their limits come from: a request admitted before a reload and charged
 * after it (a batch's rows, an LLM answer's tokens) charges the key's bucket of the newer config,
 * where it once put back a fresh bucket of its old limits, and the next request a fresh one of the
 * new: a full bucket more for every request held across the reload.
 *
 * <p>A second, independent bucket set holds escalation throttles ("20/1m" for a suspicious key),
 * checked in addition to the tier's. A third holds LLM token budgets ({@code tokens:} of a tier), driven
 * by {@link TokenBudget}: an estimate taken before the request, corrected when the answer's usage is known.
 */
public final class RateLimiter {

    /**
     * The outcome of one consumption, enough to write Retry-After and the RateLimit fields.
     *
     * @param shared whether the shared buckets (Redis) decided, not this instance's: a token given back
     *               goes where it was taken ({@link SharedLimiter#refund})
     */
    public record Decision(
            boolean allowed,
            List<RateLimit> limits,
            int limitingIndex,
            long remaining,
            long resetSeconds,
            long retryAfterSeconds,
            boolean shared) {

        /** A decision of this instance's buckets. */
        public Decision(
                boolean allowed,
                List<RateLimit> limits,
                int limitingIndex,
                long remaining,
                long resetSeconds,
                long retryAfterSeconds) {
            this(allowed, limits, limitingIndex, remaining, resetSeconds, retryAfterSeconds, false);
        }

        /** This decision, taken by the shared buckets. */
        Decision inSharedBuckets() {
            return new Decision(allowed, limits, limitingIndex, remaining, resetSeconds, retryAfterSeconds, true);
        }

        /**
         * This decision after {@code tokens} were given back to every limit (a request refused
         * afterwards, {@link #refund}): the limiting limit holds that many more, at most its capacity,
         * so the {@code RateLimit} header a refused batch carries says what the bucket holds.
         */
        public Decision refunded(long tokens) {
            RateLimit limit = limits.get(limitingIndex);
            long left = Math.min(limit.capacity(), remaining + tokens);
            return new Decision(
                    allowed,
                    limits,
                    limitingIndex,
                    left,
                    RateLimiter.resetSeconds(limit, left),
                    retryAfterSeconds,
                    shared);
        }
    }

    private final BucketMap tierBuckets;
    private final BucketMap throttleBuckets;
    private final BucketMap tokenBuckets;
    private final LongSupplier nanoClock;
    /**
     * One (immutable) bucket configuration per distinct list of limits, shared by every bucket that
     * holds those limits: a key's bucket then keeps only its state, not its own copy of the limits
     * (168 bytes a key). Lists come from the config, so there are few; bounded all the same.
     */
    private final ConcurrentHashMap<List<RateLimit>, BucketConfiguration> configurations = new ConcurrentHashMap<>();

    private static final int MAX_CONFIGURATIONS = 1024;

    /**
     * The bucket maps do their upkeep (access order, expiry, size bound) on the thread that uses
     * them, in batches, instead of waking a common-pool thread for it every few requests (a futex
     * wake and a context switch: about one in four requests under load, 1.3-1.7 % of the CPU).
     *
     * @param nanoClock a monotonic nanosecond clock ({@code System::nanoTime} in production; tests drive it)
     */
    public RateLimiter(long maxTrackedKeys, Duration expireAfterIdle, LongSupplier nanoClock) {
        long idle = expireAfterIdle.toNanos();
        this.tierBuckets = new BucketMap(maxTrackedKeys, idle, nanoClock);
        this.throttleBuckets = new BucketMap(maxTrackedKeys, idle, nanoClock);
        this.tokenBuckets = new BucketMap(maxTrackedKeys, idle, nanoClock);
        this.nanoClock = nanoClock;
    }

    /** Takes one token from the key's tier bucket, for limits no config reload changes (generation 0). */
    public Decision tryConsume(String keyId, List<RateLimit> limits) {
        return consume(tierBuckets, keyId, limits, 1, 0);
    }

    /** {@link #tryConsume(String, List, long, long)} for limits no config reload changes (generation 0). */
    public Decision tryConsume(String keyId, List<RateLimit> limits, long tokens) {
        return consume(tierBuckets, keyId, limits, tokens, 0);
    }

    /**
     * Takes {@code tokens} from the key's tier bucket (a request's one, then, on policy routes, one
     * per further input row of a batch).
     *
     * @param generation the generation of the config {@code limits} come from ({@code
     *     Snapshot#generation}): when the key's bucket is a newer config's, that bucket is charged,
     *     and the decision carries its limits
     */
    public Decision tryConsume(String keyId, List<RateLimit> limits, long tokens, long generation) {
        return consume(tierBuckets, keyId, limits, tokens, generation);
    }

    /**
     * Gives back {@code tokens} taken from the key's tier bucket for a request that was refused
     * afterwards (a batch too large for the bucket costs nothing). No-op when the bucket is gone
     * or its limits changed meanwhile.
     */
    public void refund(String keyId, List<RateLimit> limits, long tokens) {
        long now = nanoClock.getAsLong();
        KeyBucket kb = tierBuckets.get(keyId, now);
        if (kb != null && kb.limits.equals(limits) && tokens > 0) {
            kb.addTokens(tokens, now);
        }
    }

    /** Takes one token from the key's escalation throttle bucket. */
    public Decision tryConsumeThrottle(String keyId, List<RateLimit> limits) {
        return consume(throttleBuckets, keyId, limits, 1, 0);
    }

    /**
     * Takes {@code tokens} from the key's escalation throttle bucket: a throttled key's request takes
     * one, then, on policy routes, one per further input row of a batch, as its tier bucket does.
     */
    public Decision tryConsumeThrottle(String keyId, List<RateLimit> limits, long tokens) {
        return consume(throttleBuckets, keyId, limits, tokens, 0);
    }

    /**
     * Gives back {@code tokens} taken from the key's throttle bucket for a request refused afterwards
     * (a batch the throttle or the tier could not pay for costs nothing). No-op when the bucket is
     * gone or holds another throttle now.
     */
    public void refundThrottle(String keyId, List<RateLimit> limits, long tokens) {
        long now = nanoClock.getAsLong();
        KeyBucket kb = throttleBuckets.get(keyId, now);
        if (kb != null && kb.limits.equals(limits) && tokens > 0) {
            kb.addTokens(tokens, now);
        }
    }

    /**
     * Takes {@code tokens} LLM tokens (an estimate) from the key's token bucket, if it holds them.
     *
     * @param generation as for {@link #tryConsume(String, List, long, long)}
     */
    public Decision tryConsumeLlmTokens(String keyId, List<RateLimit> budgets, long tokens, long generation) {
        return consume(tokenBuckets, keyId, budgets, tokens, generation);
    }

    /**
     * Corrects an estimate once the real usage is known: a positive {@code delta} is taken even when
     * the bucket goes into debt (the tokens were spent; later requests wait for the refill), a
     * negative one is given back (never above the bucket's capacity).
     */
    public void adjustLlmTokens(String keyId, List<RateLimit> budgets, long delta, long generation) {
        if (delta == 0) {
            return;
        }
        KeyBucket b = bucket(tokenBuckets, keyId, budgets, generation);
        if (delta > 0) {
            b.consumeIgnoringRateLimits(delta, nanoClock.getAsLong());
        } else {
            b.addTokens(-delta, nanoClock.getAsLong());
        }
    }

    /** The key's token budget as it stands, for the {@code RateLimit} header of an answer. */
    public Decision peekLlmTokens(String keyId, List<RateLimit> budgets, long generation) {
        KeyBucket b = bucket(tokenBuckets, keyId, budgets, generation);
        VerboseResult<Long> r = b.availableVerbose(nanoClock.getAsLong());
        return decide(b.limits, r.getDiagnostics().getAvailableTokensPerEachBandwidth(), true, 0);
    }

    /** Forgets a key's throttle (after an unblock or reset). */
    public void clearThrottle(String keyId) {
        throttleBuckets.remove(keyId);
    }

    public long trackedKeys() {
        return tierBuckets.size();
    }

    private Decision consume(BucketMap cache, String keyId, List<RateLimit> limits, long tokens, long generation) {
        KeyBucket b = bucket(cache, keyId, limits, generation);
        List<RateLimit> held = b.limits; // limits, or a newer config's for a request of an older one
        if (held.size() == 1) {
            // one limit: the plain probe's remaining tokens are that limit's; no verbose result
            // (a copy of the bucket state and an array per request)
            ConsumptionProbe p = b.tryConsume(tokens, nanoClock.getAsLong());
            return decide(held, 0, p.getRemainingTokens(), p.isConsumed(), p.getNanosToWaitForRefill());
        }
        return decide(held, b.tryConsumeVerbose(tokens, nanoClock.getAsLong()));
    }

    /**
     * The key's bucket for {@code limits} of config {@code generation}: the one in place when it holds
     * them, or when it is a newer config's (the request was admitted before a reload changed the
     * key's limits: one bucket a key, the newer config's); else a fresh one.
     */
    private KeyBucket bucket(BucketMap cache, String keyId, List<RateLimit> limits, long generation) {
        long now = nanoClock.getAsLong();
        KeyBucket kb = cache.get(keyId, now);
        if (kb != null) {
            if (kb.limits.equals(limits)) {
                kb.usedBy(generation);
                return kb;
            }
            if (generation < kb.generation()) {
                return kb;
            }
        }
        return cache.putIfStale(new KeyBucket(keyId, limits, generation, configurationOf(limits), now), now);
    }

    /** The decision, Retry-After and RateLimit fields for one consumption from a bucket holding {@code limits}. */
    static Decision decide(List<RateLimit> limits, VerboseResult<ConsumptionProbe> result) {
        ConsumptionProbe probe = result.getValue();
        return decide(
                limits,
                result.getDiagnostics().getAvailableTokensPerEachBandwidth(),
                probe.isConsumed(),
                probe.getNanosToWaitForRefill());
    }

    private static Decision decide(List<RateLimit> limits, long[] available, boolean consumed, long wait) {
        int limiting = 0;
        double lowest = Double.MAX_VALUE;
        for (int i = 0; i < available.length && i < limits.size(); i++) {
            double share = (double) available[i] / limits.get(i).capacity();
            if (share < lowest) {
                lowest = share;
                limiting = i;
            }
        }
        return decide(limits, limiting, available[limiting], consumed, wait);
    }

    /** The decision when limit {@code limiting} is the one closest to empty, {@code available} tokens left in it. */
    static Decision decide(List<RateLimit> limits, int limiting, long available, boolean consumed, long wait) {
        RateLimit limit = limits.get(limiting);
        long remaining = Math.max(0, available);
        long resetSeconds = resetSeconds(limit, remaining);
        // more tokens than a bucket holds can never be granted: no Retry-After then (0)
        long retryAfter = consumed || wait == Long.MAX_VALUE ? 0 : Math.max(1, ceilSeconds(wait));
        return new Decision(consumed, limits, limiting, remaining, resetSeconds, retryAfter);
    }

    /** Seconds until {@code limit}'s bucket, holding {@code remaining}, is full again (refilled greedily). */
    static long resetSeconds(RateLimit limit, long remaining) {
        long missing = limit.capacity() - remaining;
        return ceilSeconds((long) Math.ceil((double) missing * limit.period().toNanos() / limit.capacity()));
    }

    /** A bucket configuration holding every limit, refilled greedily. */
    static io.github.bucket4j.BucketConfiguration configuration(List<RateLimit> limits) {
        var builder = io.github.bucket4j.BucketConfiguration.builder();
        for (RateLimit l : limits) {
            builder.addLimit(Bandwidth.builder()
                    .capacity(l.capacity())
                    .refillGreedy(l.capacity(), l.period())
                    .build());
        }
        return builder.build();
    }

    /** The shared configuration for a list of limits. */
    private BucketConfiguration configurationOf(List<RateLimit> limits) {
        BucketConfiguration c = configurations.get(limits);
        if (c == null) {
            if (configurations.size() >= MAX_CONFIGURATIONS) {
                configurations.clear();
            }
            c = configurations.computeIfAbsent(List.copyOf(limits), RateLimiter::configuration);
        }
        return c;
    }

    static long ceilSeconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
