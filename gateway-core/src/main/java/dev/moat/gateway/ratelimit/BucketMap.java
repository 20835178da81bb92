package dev.moat.gateway.ratelimit;

import dev.moat.config.RateLimit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Keys' buckets, used by every event loop at once: at most {@code maxKeys} of them, each dropped
 * once idle for {@code idleNanos}. A bucket carries its key and its access time, so a key costs
 * one reference in an open-addressing table and no more; the Caffeine cache this replaces kept a
 * node of its own per key (the key, the value, the access time, two access-order links, a queue
 * type: 40 bytes) and a hash-map node (32 bytes).
 *
 * <p>Lookups take no lock: a removal leaves a tombstone (skipped by lookups, reused by inserts), a
 * bucket replaced (expired, or its limits changed) is swapped in its slot, and a resize builds a
 * new array that is published whole, so a lookup racing a writer finds every key present
 * throughout. Writers (a key's first request, removals, sweeps) take the map's lock.
 *
 * <p>A bucket idle for the idle time and for its limits' longest period (when it would be full
 * again) reads as absent at once ({@link #get}); sweeps free the memory: one thread at a
 * time (the others go on), every half idle time, and whenever an insert takes the map past {@code
 * maxKeys}, then down to {@code maxKeys} less a sixteenth by dropping the least recently used (so a
 * flood of new keys sweeps once per {@code maxKeys / 16} of them, not at every insert; Caffeine
 * evicted one at a time, by frequency). A key still sending is the last to go.
 */
final class BucketMap {

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(KeyBucket[].class);
    /** A removed slot: lookups probe past it. */
    private static final KeyBucket TOMBSTONE =
            new KeyBucket("\0tombstone", List.of(), 0, RateLimiter.configuration(List.of(RateLimit.parse("1/1s"))), 0);

    private static final int MIN_CAPACITY = 16;

    private final long maxKeys;
    private final long idleNanos;
    private final LongSupplier nanoClock;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile long nextSweepAt;

    private volatile KeyBucket[] slots = new KeyBucket[MIN_CAPACITY];
    /** Live buckets (read without the lock by gauges). */
    private volatile int size;
    /** Live buckets plus tombstones: what lengthens probes. */
    private int used;

    BucketMap(long maxKeys, long idleNanos, LongSupplier nanoClock) {
        this.maxKeys = Math.max(1, maxKeys);
        this.idleNanos = idleNanos;
        this.nanoClock = nanoClock;
        this.nextSweepAt = nanoClock.getAsLong() + sweepEvery();
    }

    /**
     * Whether b may go: unused for the idle time and for as long as its limits take to refill
     * completely (their longest period), so that a fresh bucket is the same as the one dropped. Only
     * the idle time, and a key could empty a daily limit, wait an hour ({@code expire_after_idle}'s
     * default) and start on a full one: 24 days' worth a day. The limits are read only past the idle
     * time.
     */
    private boolean idle(KeyBucket b, long now) {
        long quiet = now - b.accessedAt();
        return quiet >= idleNanos && quiet >= b.fullAfterNanos();
    }

    private long sweepEvery() {
        return Math.max(1, idleNanos / 2);
    }

    /** The key's bucket unless idle past expiry; a use (it stays for another idle time). */
    KeyBucket get(String keyId, long now) {
        if (now - nextSweepAt >= 0) {
            sweep(now);
        }
        KeyBucket b = find(slots, keyId);
        if (b == null || idle(b, now)) {
            return null;
        }
        b.accessedAt(now);
        return b;
    }

    /**
     * Puts {@code fresh} unless a live bucket holding {@code fresh}'s limits is there (another
     * thread's, just made), or one of a newer config generation (a request of an older one must not
     * put its limits back); returns the bucket now in the map.
     */
    KeyBucket putIfStale(KeyBucket fresh, long now) {
        fresh.accessedAt(now);
        boolean over;
        synchronized (this) {
            KeyBucket[] t = slots;
            int mask = t.length - 1;
            int reuse = -1;
            int i = index(fresh.key, mask);
            for (KeyBucket s; (s = (KeyBucket) SLOTS.getAcquire(t, i)) != null; i = (i + 1) & mask) {
                if (s == TOMBSTONE) {
                    reuse = reuse < 0 ? i : reuse;
                } else if (s.key.equals(fresh.key)) {
                    if (!idle(s, now) && (s.limits.equals(fresh.limits) || s.generation() > fresh.generation())) {
                        s.accessedAt(now);
                        return s;
                    }
                    SLOTS.setRelease(t, i, fresh);
                    return fresh;
                }
            }
            if (used + 1 > t.length - (t.length >>> 2)) {
                // past 3/4 full: double when live keys fill half, else just drop the tombstones
                t = rehash(size + 1 > t.length >>> 1 ? t.length << 1 : t.length);
                mask = t.length - 1;
                for (i = index(fresh.key, mask); t[i] != null; i = (i + 1) & mask) {}
                used++;
            } else if (reuse >= 0) {
                i = reuse;
            } else {
                used++;
            }
            SLOTS.setRelease(t, i, fresh);
            size++;
            over = size > maxKeys;
        }
        if (over) {
            sweep(now);
        }
        return fresh;
    }

    synchronized void remove(String keyId) {
        KeyBucket[] t = slots;
        int mask = t.length - 1;
        for (int i = index(keyId, mask); ; i = (i + 1) & mask) {
            KeyBucket s = (KeyBucket) SLOTS.getAcquire(t, i);
            if (s == null) {
                return;
            }
            if (s != TOMBSTONE && s.key.equals(keyId)) {
                SLOTS.setRelease(t, i, TOMBSTONE);
                size--;
                return;
            }
        }
    }

    /** Buckets in the map, idle ones not yet swept included. */
    long size() {
        return size;
    }

    /** Drops idle buckets, then the least recently used past {@code maxKeys}; skipped if another thread sweeps. */
    void sweep(long now) {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            nextSweepAt = now + sweepEvery();
            synchronized (this) {
                KeyBucket[] t = slots;
                for (int i = 0; i < t.length; i++) {
                    KeyBucket s = t[i];
                    if (s != null && s != TOMBSTONE && idle(s, now)) {
                        SLOTS.setRelease(t, i, TOMBSTONE);
                        size--;
                    }
                }
                long excess = size - maxKeys;
                if (excess > 0) {
                    // down to maxKeys less a sixteenth: the oldest access times go
                    long[] times = new long[size];
                    int n = 0;
                    for (KeyBucket s : t) {
                        if (s != null && s != TOMBSTONE) {
                            times[n++] = s.accessedAt();
                        }
                    }
                    int drop = (int) Math.min(n, excess + maxKeys / 16);
                    Arrays.sort(times, 0, n);
                    long cutoff = times[drop - 1];
                    for (int i = 0; i < t.length && drop > 0; i++) {
                        KeyBucket s = t[i];
                        if (s != null && s != TOMBSTONE && s.accessedAt() <= cutoff) {
                            SLOTS.setRelease(t, i, TOMBSTONE);
                            size--;
                            drop--;
                        }
                    }
                }
                if (used - size > t.length >>> 2) {
                    rehash(t.length);
                }
            }
        } finally {
            sweeping.set(false);
        }
    }

    private static KeyBucket find(KeyBucket[] t, String keyId) {
        int mask = t.length - 1;
        for (int i = index(keyId, mask); ; i = (i + 1) & mask) {
            KeyBucket s = (KeyBucket) SLOTS.getAcquire(t, i);
            if (s == null) {
                return null;
            }
            if (s != TOMBSTONE && (s.key == keyId || s.key.equals(keyId))) {
                return s;
            }
        }
    }

    /** Copies the live buckets into a fresh array of {@code capacity} slots, publishes it and returns it. */
    private KeyBucket[] rehash(int capacity) {
        KeyBucket[] old = slots;
        KeyBucket[] fresh = new KeyBucket[Math.max(MIN_CAPACITY, capacity)];
        int mask = fresh.length - 1;
        for (KeyBucket s : old) {
            if (s != null && s != TOMBSTONE) {
                int i = index(s.key, mask);
                while (fresh[i] != null) {
                    i = (i + 1) & mask;
                }
                fresh[i] = s;
            }
        }
        used = size;
        slots = fresh;
        return fresh;
    }

    private static int index(String keyId, int mask) {
        int h = keyId.hashCode();
        h = (h ^ (h >>> 16)) * 0x85EBCA6B;
        h = (h ^ (h >>> 13)) * 0xC2B2AE35;
        return (h ^ (h >>> 16)) & mask;
    }
}
