package dev.moat.gateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.moat.config.RateLimit;
import dev.moat.gateway.state.RedisLink;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Tier buckets and escalation throttles in Redis, through Bucket4j's Lettuce proxy manager (its
 * compare-and-swap protocol; no limiter script of ours). Every consumption is one asynchronous
 * Bucket4j call, bounded by {@code distributed.timeout}; it never runs on, nor waits on, the event
 * loop.
 *
 * <p>When Redis is down ({@link RedisLink#up()} false) or a call fails or times out: failing open,
 * the key's local bucket answers, holding {@code limit / instances} of each limit (at least 1), so
 * N instances cut off from Redis admit at most the tier's limit between them; failing closed, the
 * stage fails with {@link SharedLimiter.Unavailable}. Either way the decision is counted.
 *
 * <p>Bucket4j's batching optimisation is on: requests for one key that arrive while a Redis call
 * for that key is in flight are merged into one compare-and-swap. It costs no accuracy (every token
 * is still taken in Redis before its request is admitted) and removes the compare-and-swap retry
 * storm of many concurrent requests on one hot key (measured: 90 concurrent requests on one key
 * took over 2 s without it). Delaying and predicting are off: they admit from a local estimate
 * and sync later, so N instances could admit more than the limit.
 *
 * <p>Keys: {@code moat:bucket:ID:HASH} (HASH of the tier's limits, as counts and periods, not as
 * written: a changed tier starts a fresh bucket, as locally, while {@code 100/1m} and
 * {@code 100/60s} are one) and {@code moat:throttle:ID:HASH} (HASH of the throttle's: a key
 * escalated to a tighter throttle meets it); both expire once they would be full again.
 */
public final class RedisLimiter implements SharedLimiter {

    private final RedisLink link;
    private final RateLimiter local;
    private final int instances;
    private final boolean failOpen;
    private final long timeoutNanos;
    private final Cache<String, AsyncBucketProxy> proxies =
            Caffeine.newBuilder().maximumSize(100_000).build();
    private final ConcurrentHashMap<List<RateLimit>, BucketConfiguration> configs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<RateLimit>, List<RateLimit>> shares = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<RateLimit>, String> hashes = new ConcurrentHashMap<>();
    private final LongAdder without = new LongAdder();
    private final BooleanSupplier viewRead;
    private volatile AsyncProxyManager<String> manager;

    /**
     * @param local    the local buckets used while Redis is unreachable (failing open)
     * @param viewRead whether the shared view (blocks, revocations, runtime keys) has been read from
     *                 Redis yet: until it has, every decision fails closed, failing open or not, since
     *                 this instance knows no block to keep applying (a gateway started while Redis
     *                 was down served every blocked key from its local buckets)
     */
    public RedisLimiter(
            RedisLink link,
            RateLimiter local,
            int instances,
            boolean failOpen,
            Duration timeout,
            BooleanSupplier viewRead) {
        this.viewRead = viewRead;
        this.link = link;
        this.local = local;
        this.instances = Math.max(1, instances);
        this.failOpen = failOpen;
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public boolean viewRead() {
        return viewRead.getAsBoolean();
    }

    private AsyncProxyManager<String> manager() {
        AsyncProxyManager<String> m = manager;
        if (m == null && link.buckets() != null) {
            synchronized (this) { // once, off the hot path in practice (the first request after connecting)
                if (manager == null) {
                    manager = Bucket4jLettuce.casBasedBuilder(link.buckets())
                            .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                                    Duration.ofSeconds(10)))
                            .build()
                            .asAsync();
                }
                m = manager;
            }
        }
        return m;
    }

    @Override
    public CompletionStage<RateLimiter.Decision> tryConsume(String keyId, List<RateLimit> limits, long tokens) {
        return consume(bucketKey(keyId, limits), limits, tokens, () -> local.tryConsume(keyId, share(limits), tokens));
    }

    private String bucketKey(String keyId, List<RateLimit> limits) {
        return "moat:bucket:" + keyId + ":" + hashOf(limits);
    }

    /**
     * The hash in a bucket's key: of the limits themselves, each its capacity and its period in
     * nanoseconds, in order ({@code 100:60000000000,5000:86400000000000}), the first 8 bytes of
     * its SHA-256 in hex. It was the limits' {@code hashCode()}, which includes how each was
     * written: {@code 100/1m} in one gateway's config and {@code 100/60s} in another's were two
     * buckets, each with the whole limit. The same on every instance and every JVM (a record's
     * {@code hashCode()} is not specified to be).
     */
    static String limitsHash(List<RateLimit> limits) {
        StringBuilder canonical = new StringBuilder();
        for (RateLimit l : limits) {
            if (!canonical.isEmpty()) {
                canonical.append(',');
            }
            canonical.append(l.capacity()).append(':').append(l.period().toNanos());
        }
        byte[] sha;
        try {
            sha = MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        return HexFormat.of().formatHex(sha, 0, 8);
    }

    /** {@link #limitsHash} of each list of limits met (a tier's, a throttle's): few, computed once each. */
    private String hashOf(List<RateLimit> limits) {
        return hashes.computeIfAbsent(limits, RedisLimiter::limitsHash);
    }

    /**
     * One throttle bucket per key and throttle, as for tier buckets: Bucket4j keeps the configuration
     * a bucket was made with, so a bucket per key alone (it was {@code moat:throttle:ID}) held a key
     * escalated to a tighter throttle to the looser one it met first.
     */
    private String throttleKey(String keyId, List<RateLimit> limits) {
        return THROTTLE + keyId + ":" + hashOf(limits);
    }

    private static final String THROTTLE = "moat:throttle:";

    @Override
    public CompletionStage<Void> refund(String keyId, List<RateLimit> limits, long tokens, boolean shared) {
        if (!shared) {
            // taken from this instance's share of the limits (failing open): given back there
            local.refund(keyId, share(limits), tokens);
            return CompletableFuture.completedFuture(null);
        }
        return addBack(bucketKey(keyId, limits), limits, tokens);
    }

    @Override
    public CompletionStage<Void> refundThrottle(String keyId, List<RateLimit> limits, long tokens, boolean shared) {
        if (!shared) {
            local.refundThrottle(keyId, share(limits), tokens);
            return CompletableFuture.completedFuture(null);
        }
        return addBack(throttleKey(keyId, limits), limits, tokens);
    }

    /** Gives {@code tokens} back to a bucket in Redis; completes normally, given back or not. */
    private CompletionStage<Void> addBack(String redisKey, List<RateLimit> limits, long tokens) {
        AsyncProxyManager<String> m = link.up() ? manager() : null;
        if (m == null) {
            // taken from Redis, which does not answer now: the key paid it (never a token the local share
            // did not take; session 42's review found refunds landing in the store that had not taken them)
            return CompletableFuture.completedFuture(null);
        }
        return bucket(m, redisKey, limits)
                .addTokens(tokens)
                .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
                .exceptionally(e -> null);
    }

    @Override
    public CompletionStage<RateLimiter.Decision> tryConsumeThrottle(String keyId, List<RateLimit> limits, long tokens) {
        return consume(
                throttleKey(keyId, limits),
                limits,
                tokens,
                () -> local.tryConsumeThrottle(keyId, share(limits), tokens));
    }

    private CompletionStage<RateLimiter.Decision> consume(
            String redisKey,
            List<RateLimit> limits,
            long tokens,
            java.util.function.Supplier<RateLimiter.Decision> fb) {
        AsyncProxyManager<String> m = link.up() && viewRead.getAsBoolean() ? manager() : null;
        if (m == null) {
            return fallback(fb);
        }
        return bucket(m, redisKey, limits)
                .asVerbose()
                .tryConsumeAndReturnRemaining(tokens)
                .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
                .handle((r, e) -> {
                    if (e == null) {
                        return CompletableFuture.completedFuture(
                                RateLimiter.decide(limits, r).inSharedBuckets());
                    }
                    link.markDown();
                    return fallback(fb);
                })
                .thenCompose(s -> s);
    }

    private AsyncBucketProxy bucket(AsyncProxyManager<String> m, String redisKey, List<RateLimit> limits) {
        BucketConfiguration config = configs.computeIfAbsent(limits, RateLimiter::configuration);
        return proxies.get(
                redisKey,
                k -> m.builder()
                        .withOptimization(Optimizations.batching())
                        .build(k, () -> CompletableFuture.completedFuture(config)));
    }

    private CompletableFuture<RateLimiter.Decision> fallback(java.util.function.Supplier<RateLimiter.Decision> fb) {
        without.increment();
        if (!failOpen || !viewRead.getAsBoolean()) {
            return CompletableFuture.failedFuture(new Unavailable("shared rate-limit state (Redis) unavailable"));
        }
        return CompletableFuture.completedFuture(fb.get());
    }

    /** This instance's share of each limit while cut off from Redis. */
    List<RateLimit> share(List<RateLimit> limits) {
        if (instances == 1) {
            return limits;
        }
        return shares.computeIfAbsent(limits, ls -> {
            List<RateLimit> out = new ArrayList<>(ls.size());
            for (RateLimit l : ls) {
                long c = Math.max(1, l.capacity() / instances);
                out.add(new RateLimit(
                        c, l.period(), c + "/" + l.text().substring(l.text().indexOf('/') + 1)));
            }
            return List.copyOf(out);
        });
    }

    /** Calls made on the warm-up bucket at start. */
    static final int WARM_UP_CALLS = 32;

    /** The warm-up bucket: no key id holds a colon, so no key's bucket is named so. */
    static final String WARM_UP_KEY = "moat:bucket::warm-up";

    /**
     * Takes tokens from a bucket of its own a few times, waiting for each, before the gateway serves:
     * the first calls of a fresh process load Bucket4j's script into Redis and its classes into the
     * JVM, and took more than {@code distributed.timeout} (50 ms). Every fresh gateway marked Redis
     * down on its first burst of requests, counted an outage and served those from local shares
     * (found in a two-instance trial, 2026-12-02). Returns how many calls answered.
     */
    public int warmUp() {
        AsyncProxyManager<String> m = link.up() && viewRead.getAsBoolean() ? manager() : null;
        if (m == null) {
            return 0;
        }
        List<RateLimit> limits = List.of(new RateLimit(1_000_000, Duration.ofSeconds(1), "1000000/1s"));
        int answered = 0;
        try {
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                bucket(m, WARM_UP_KEY, limits).tryConsume(1).get(2, TimeUnit.SECONDS);
                answered++;
            }
        } catch (Exception e) {
            // Redis went away meanwhile: the monitor sees it; requests fall back as always
        } finally {
            proxies.invalidate(WARM_UP_KEY);
            var c = link.store();
            if (c != null) {
                c.async().del(WARM_UP_KEY);
            }
        }
        return answered;
    }

    @Override
    public void clearThrottle(String keyId) {
        local.clearThrottle(keyId);
        String prefix = THROTTLE + keyId + ":";
        proxies.asMap().keySet().removeIf(k -> k.startsWith(prefix));
        var c = link.up() ? link.store() : null;
        if (c != null) {
            // the key's throttle buckets, one per throttle it met (ids hold no glob characters); on the
            // store's connection: a scan of a large keyspace is not queued before requests' calls
            deleteMatching(c.async(), prefix + "*", ScanCursor.INITIAL);
        }
    }

    private static void deleteMatching(RedisAsyncCommands<String, String> r, String pattern, ScanCursor cursor) {
        r.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000)).thenAccept(page -> {
            if (!page.getKeys().isEmpty()) {
                r.del(page.getKeys().toArray(String[]::new));
            }
            if (!page.isFinished()) {
                deleteMatching(r, pattern, page);
            }
        });
    }

    @Override
    public boolean up() {
        return link.up();
    }

    @Override
    public long decisionsWithout() {
        return without.sum();
    }

    @Override
    public void close() {}
}
