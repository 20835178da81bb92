package dev.moat.gateway.ratelimit;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Keys' buckets, used by every event loop at once: at most {@code maxKeys} of them, each dropped
 * once idle for {@code idleNanos}. A bucket carries its own access time, so a key costs a hash-map
 * node and no more; the Caffeine cache this replaces kept a node of its own per key besides (the
 * key, the value, the access time, two access-order links, a queue type: 40 bytes).
 *
 * <p>An idle bucket reads as absent at once ({@link #get}); sweeps free the memory: one thread at a
 * time (the others go on), every half idle time, and whenever an insert takes the map past {@code
 * maxKeys}, then down to {@code maxKeys} less a sixteenth by dropping the least recently used (so a
 * flood of new keys sweeps once per {@code maxKeys / 16} of them, not at every insert; Caffeine
 * evicted one at a time, by frequency). A key still sending is the last to go.
 */
final class BucketMap {

    private final ConcurrentHashMap<String, KeyBucket> buckets = new ConcurrentHashMap<>();
    private final long maxKeys;
    private final long idleNanos;
    private final LongSupplier nanoClock;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile long nextSweepAt;

    BucketMap(long maxKeys, long idleNanos, LongSupplier nanoClock) {
        this.maxKeys = Math.max(1, maxKeys);
        this.idleNanos = idleNanos;
        this.nanoClock = nanoClock;
        this.nextSweepAt = nanoClock.getAsLong() + sweepEvery();
    }

    private long sweepEvery() {
        return Math.max(1, idleNanos / 2);
    }

    /** The key's bucket unless idle past expiry; a use (it stays for another idle time). */
    KeyBucket get(String keyId, long now) {
        if (now - nextSweepAt >= 0) {
            sweep(now);
        }
        KeyBucket b = buckets.get(keyId);
        if (b == null || now - b.accessedAt() >= idleNanos) {
            return null;
        }
        b.accessedAt(now);
        return b;
    }

    /**
     * Puts {@code fresh} unless a live bucket holding {@code fresh}'s limits is there (another
     * thread's, just made); returns the bucket now in the map.
     */
    KeyBucket putIfStale(String keyId, KeyBucket fresh, long now) {
        fresh.accessedAt(now);
        KeyBucket b = buckets.compute(
                keyId,
                (k, old) -> old == null || now - old.accessedAt() >= idleNanos || !old.limits.equals(fresh.limits)
                        ? fresh
                        : old);
        if (b == fresh && buckets.mappingCount() > maxKeys) {
            sweep(now);
        }
        return b;
    }

    void remove(String keyId) {
        buckets.remove(keyId);
    }

    /** Buckets in the map, idle ones not yet swept included. */
    long size() {
        return buckets.mappingCount();
    }

    /** Drops idle buckets, then the least recently used past {@code maxKeys}; skipped if another thread sweeps. */
    void sweep(long now) {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            nextSweepAt = now + sweepEvery();
            buckets.values().removeIf(b -> now - b.accessedAt() >= idleNanos);
            long excess = buckets.mappingCount() - maxKeys;
            if (excess <= 0) {
                return;
            }
            // down to maxKeys less a sixteenth: the oldest access times go
            long[] times =
                    buckets.values().stream().mapToLong(KeyBucket::accessedAt).toArray();
            int drop = (int) Math.min(times.length, excess + maxKeys / 16);
            if (drop <= 0) {
                return;
            }
            Arrays.sort(times);
            long cutoff = times[drop - 1];
            int[] left = {drop};
            buckets.values().removeIf(b -> left[0] > 0 && b.accessedAt() <= cutoff && left[0]-- > 0);
        } finally {
            sweeping.set(false);
        }
    }
}
