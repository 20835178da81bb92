package dev.moat.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.RateLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Buckets share one configuration per list of limits, never their state. */
class RateLimiterTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final RateLimiter limiter = new RateLimiter(1000, Duration.ofHours(1), nanos::get);

    @Test
    void keysWithEqualLimitsKeepTheirOwnTokens() {
        List<RateLimit> limits = List.of(RateLimit.parse("3/1m"), RateLimit.parse("100/1d"));
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryConsume("a", limits).allowed()).isTrue();
        }
        assertThat(limiter.tryConsume("a", limits).allowed()).isFalse();
        // an equal list built elsewhere (a reload) finds the same configuration but a fresh bucket for b
        List<RateLimit> equal = new ArrayList<>(List.of(RateLimit.parse("3/1m"), RateLimit.parse("100/1d")));
        RateLimiter.Decision b = limiter.tryConsume("b", equal);
        assertThat(b.allowed()).isTrue();
        assertThat(b.remaining()).isEqualTo(2);
        assertThat(limiter.tryConsume("a", equal).allowed()).isFalse();
        // refilled greedily: 20 s later one token (3 per minute) is back for a
        nanos.addAndGet(Duration.ofSeconds(20).toNanos());
        assertThat(limiter.tryConsume("a", limits).allowed()).isTrue();
        assertThat(limiter.tryConsume("a", limits).allowed()).isFalse();
    }

    /**
     * Limits of an older config generation (a request admitted before a reload, charged after it)
     * charge the key's bucket of the newer one, its tier's and LLM token budget's alike, and never
     * put a bucket of their own back; limits of a newer generation, a reload's reverting one
     * included, replace the bucket.
     */
    @Test
    void limitsOfAnOlderConfigChargeTheNewerConfigsBucket() {
        List<RateLimit> free = List.of(RateLimit.parse("10/1m"));
        List<RateLimit> pro = List.of(RateLimit.parse("5/1m"));
        assertThat(limiter.tryConsume("a", free, 1, 1).remaining()).isEqualTo(9);
        assertThat(limiter.tryConsume("a", pro, 1, 2).remaining()).isEqualTo(4); // reloaded: a fresh bucket
        RateLimiter.Decision stale = limiter.tryConsume("a", free, 1, 1);
        assertThat(stale.remaining()).isEqualTo(3);
        assertThat(stale.limits()).isEqualTo(pro);
        limiter.refund("a", free, 1); // nothing of free's to give back: its bucket is gone
        assertThat(limiter.tryConsume("a", pro, 1, 2).remaining()).isEqualTo(2);
        // generation 3 reverts to free: a fresh bucket, which generation 2's requests now charge
        assertThat(limiter.tryConsume("a", free, 1, 3).remaining()).isEqualTo(9);
        assertThat(limiter.tryConsume("a", pro, 1, 2).remaining()).isEqualTo(8);
        // and generation 4, free unchanged, keeps it: a stale request of 3 or 2 still charges it
        assertThat(limiter.tryConsume("a", free, 1, 4).remaining()).isEqualTo(7);
        assertThat(limiter.tryConsume("a", pro, 1, 2).remaining()).isEqualTo(6);

        List<RateLimit> small = List.of(RateLimit.parse("100/1m"));
        List<RateLimit> large = List.of(RateLimit.parse("1000/1m"));
        assertThat(limiter.tryConsumeLlmTokens("a", small, 10, 1).remaining()).isEqualTo(90);
        assertThat(limiter.tryConsumeLlmTokens("a", large, 10, 2).remaining()).isEqualTo(990);
        limiter.adjustLlmTokens("a", small, 40, 1); // the answer of a request admitted under generation 1
        assertThat(limiter.peekLlmTokens("a", large, 2).remaining()).isEqualTo(950);
    }

    @Test
    void changedLimitsGiveAFreshBucket() {
        List<RateLimit> small = List.of(RateLimit.parse("1/1m"));
        assertThat(limiter.tryConsume("a", small).allowed()).isTrue();
        assertThat(limiter.tryConsume("a", small).allowed()).isFalse();
        List<RateLimit> larger = List.of(RateLimit.parse("5/1m"));
        RateLimiter.Decision d = limiter.tryConsume("a", larger);
        assertThat(d.allowed()).isTrue();
        assertThat(d.remaining()).isEqualTo(4);
    }

    @Test
    void anIdleKeysBucketIsFreshAgainAtExactlyItsIdleTimeAndIsSwept() {
        List<RateLimit> perMinute = List.of(RateLimit.parse("1/1m"));
        assertThat(limiter.tryConsume("a", perMinute).allowed()).isTrue();
        for (int k = 0; k < 50; k++) {
            limiter.tryConsume("other-" + k, perMinute);
        }
        assertThat(limiter.tryConsume("a", perMinute).allowed()).isFalse();
        nanos.addAndGet(Duration.ofHours(1).toNanos() - 1);
        assertThat(limiter.trackedKeys()).isEqualTo(51);
        nanos.addAndGet(Duration.ofHours(1).toNanos() - 1);
        assertThat(limiter.trackedKeys()).isEqualTo(51);
        nanos.addAndGet(1);
        // an hour after its last use: a fresh bucket (full, as the old one would be); the use sweeps
        // (half an idle time since the last sweep) and drops the others, idle for two hours
        assertThat(limiter.tryConsume("a", perMinute).allowed()).isTrue();
        assertThat(limiter.trackedKeys()).isEqualTo(1);
    }

    /**
     * A daily limit emptied, then an hour's wait (expire_after_idle): the bucket was dropped as idle
     * and the key started on a full one, so a patient key got a day's requests every hour. A bucket
     * now stays until its longest period has passed as well (by then it is full anyway).
     */
    @Test
    void waitingOutTheIdleTimeDoesNotRefillADailyLimitBypass() {
        List<RateLimit> daily = List.of(RateLimit.parse("100/1m"), RateLimit.parse("5/1d"));
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryConsume("patient", daily).allowed()).isTrue();
        }
        assertThat(limiter.tryConsume("patient", daily).allowed()).isFalse();
        nanos.addAndGet(Duration.ofHours(1).toNanos() + 1);
        limiter.tryConsume("someone-else", daily); // a sweep runs
        assertThat(limiter.tryConsume("patient", daily).allowed())
                .as("a day's limit back after an hour idle")
                .isFalse();
        nanos.addAndGet(Duration.ofHours(22).toNanos());
        assertThat(limiter.tryConsume("patient", daily).allowed()).isTrue(); // refilled: about 4.8 tokens by now
        nanos.addAndGet(Duration.ofHours(25).toNanos());
        limiter.tryConsume("someone-else", daily); // a sweep: both idle for more than a day
        assertThat(limiter.trackedKeys()).isEqualTo(1);
    }

    /**
     * An evicted bucket comes back full: a key that keeps sending must keep its (empty) bucket while
     * a flood of new keys passes {@code max_keys}, or the flood would refill it.
     */
    @Test
    void aFloodOfNewKeysDoesNotRefillABusyKeysBucketBypass() {
        List<RateLimit> daily = List.of(RateLimit.parse("5/1d"));
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryConsume("busy", daily).allowed()).isTrue();
        }
        for (int k = 0; k < 10_000; k++) {
            nanos.addAndGet(1_000);
            assertThat(limiter.tryConsume("new-" + k, daily).allowed()).isTrue();
            if (k % 50 == 0) {
                assertThat(limiter.tryConsume("busy", daily).allowed())
                        .as("after %d new keys", k)
                        .isFalse();
            }
            assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(1000);
        }
        assertThat(limiter.trackedKeys()).isGreaterThan(900);
        // the keys least recently used went first
        assertThat(limiter.tryConsume("new-0", daily).remaining()).isEqualTo(4);
        assertThat(limiter.tryConsume("new-9999", daily).remaining()).isEqualTo(3);
    }
    /**
     * Event loops consume concurrently while new keys are inserted and the table resizes under them
     * (16 -> 131,072 slots): a key's bucket is never replaced by a fresh (full) one, so it grants its
     * capacity once. (No eviction here: past {@code max_keys} the least recently used bucket goes, and
     * on a loaded machine a thread descheduled while the others insert a sixteenth of {@code max_keys}
     * new keys is the least recent; {@link #aFloodOfNewKeysDoesNotRefillABusyKeysBucketBypass} checks
     * eviction order.)
     */
    @Test
    void concurrentInsertsAndResizesNeverRefillALiveBucketBypass() throws Exception {
        RateLimiter shared = new RateLimiter(100_000, Duration.ofHours(1), nanos::get);
        List<RateLimit> daily = List.of(RateLimit.parse("100/1d"));
        int threads = 3;
        java.util.concurrent.atomic.AtomicLongArray granted = new java.util.concurrent.atomic.AtomicLongArray(threads);
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            running.add(new Thread(() -> {
                for (int i = 0; i < 30_000; i++) {
                    // the hot key, then a new key: a new key every other request keeps the table growing
                    if (shared.tryConsume("hot-" + id, daily).allowed()) {
                        granted.incrementAndGet(id);
                    }
                    // a nanosecond clock: ties in access time are rare (with ties the oldest go in any order)
                    nanos.incrementAndGet();
                    shared.tryConsume("new-" + id + "-" + i, daily);
                }
            }));
        }
        running.forEach(Thread::start);
        for (Thread t : running) {
            t.join();
        }
        for (int t = 0; t < threads; t++) {
            assertThat(granted.get(t)).as("hot-%d", t).isEqualTo(100);
        }
        assertThat(shared.trackedKeys()).isEqualTo(threads * 30_001L);
    }
}
