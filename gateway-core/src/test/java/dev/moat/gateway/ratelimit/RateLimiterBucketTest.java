package dev.moat.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.config.RateLimit;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketListener;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.MathType;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LockFreeBucket;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The limiter's own bucket (Bucket4j's state behind a lock, without Bucket4j's LockFreeBucket
 * wrapper) decides exactly as a LockFreeBucket on the same configuration and clock: every decision,
 * remaining count, reset and Retry-After over long random sequences of consumptions, refunds,
 * debts and peeks, for one limit, two and three, at random times (including long idle gaps).
 */
class RateLimiterBucketTest {

    private final AtomicLong nanos = new AtomicLong(5_000_000_000L);

    private final TimeMeter meter = new TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return nanos.get();
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    };

    @Test
    void decidesAsBucket4jsLockFreeBucket() {
        List<List<RateLimit>> lists = List.of(
                List.of(RateLimit.parse("3/1s")),
                List.of(RateLimit.parse("100/1m"), RateLimit.parse("5000/1d")),
                List.of(RateLimit.parse("7/10s"), RateLimit.parse("20/1m"), RateLimit.parse("1000/1h")),
                List.of(RateLimit.parse("1000000/1d")));
        SplittableRandom r = new SplittableRandom(42);
        for (List<RateLimit> limits : lists) {
            for (int run = 0; run < 20; run++) {
                RateLimiter limiter = new RateLimiter(100, Duration.ofDays(30), nanos::get);
                Bucket reference = new LockFreeBucket(
                        RateLimiter.configuration(limits), MathType.INTEGER_64_BITS, meter, BucketListener.NOPE);
                for (int op = 0; op < 2_000; op++) {
                    int kind = r.nextInt(10);
                    long tokens =
                            1 + (r.nextInt(4) == 0 ? r.nextLong(limits.get(0).capacity() * 2) : r.nextInt(3));
                    if (kind < 6) {
                        RateLimiter.Decision got = limiter.tryConsume("k", limits, tokens);
                        RateLimiter.Decision want = limits.size() == 1
                                ? single(limits, reference.tryConsumeAndReturnRemaining(tokens))
                                : RateLimiter.decide(
                                        limits, reference.asVerbose().tryConsumeAndReturnRemaining(tokens));
                        assertThat(got)
                                .as("run %d op %d consume %d", run, op, tokens)
                                .isEqualTo(want);
                    } else if (kind == 6) {
                        limiter.refund("k", limits, tokens);
                        reference.addTokens(tokens);
                    } else if (kind == 7) {
                        limiter.adjustLlmTokens("t", limits, tokens, 0);
                        limiter.adjustLlmTokens("t", limits, -r.nextLong(1, tokens + 1), 0);
                        RateLimiter.Decision peek = limiter.peekLlmTokens("t", limits, 0);
                        assertThat(peek.remaining()).isGreaterThanOrEqualTo(0);
                    } else {
                        // time passes: short steps, and now and then a long idle gap
                        nanos.addAndGet(
                                r.nextInt(20) == 0 ? r.nextLong(1, 3_600_000_000_000L) : r.nextLong(1, 400_000_000L));
                    }
                }
            }
        }
    }

    @Test
    void llmTokenDebtAndPeekAsBucket4j() {
        List<RateLimit> budgets = List.of(RateLimit.parse("1000/1m"), RateLimit.parse("20000/1d"));
        RateLimiter limiter = new RateLimiter(100, Duration.ofDays(30), nanos::get);
        Bucket reference = new LockFreeBucket(
                RateLimiter.configuration(budgets), MathType.INTEGER_64_BITS, meter, BucketListener.NOPE);
        SplittableRandom r = new SplittableRandom(7);
        for (int op = 0; op < 5_000; op++) {
            long t = 1 + r.nextInt(600);
            switch (r.nextInt(4)) {
                case 0 ->
                    assertThat(limiter.tryConsumeLlmTokens("k", budgets, t, 0))
                            .isEqualTo(RateLimiter.decide(
                                    budgets, reference.asVerbose().tryConsumeAndReturnRemaining(t)));
                case 1 -> {
                    limiter.adjustLlmTokens("k", budgets, t, 0);
                    reference.consumeIgnoringRateLimits(t);
                }
                case 2 -> {
                    limiter.adjustLlmTokens("k", budgets, -t, 0);
                    reference.addTokens(t);
                }
                default -> nanos.addAndGet(r.nextLong(1, 2_000_000_000L));
            }
            var want = reference.asVerbose().getAvailableTokens();
            RateLimiter.Decision peek = limiter.peekLlmTokens("k", budgets, 0);
            assertThat(peek.remaining())
                    .isEqualTo(Math.max(
                            0, want.getDiagnostics().getAvailableTokensPerEachBandwidth()[peek.limitingIndex()]));
        }
    }

    @Test
    void nonPositiveTokensAreRefusedAsBucket4jRefusesThem() {
        RateLimiter limiter = new RateLimiter(100, Duration.ofDays(30), nanos::get);
        List<RateLimit> limits = List.of(RateLimit.parse("3/1s"));
        assertThatThrownBy(() -> limiter.tryConsume("k", limits, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> limiter.tryConsume("k", limits, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static RateLimiter.Decision single(List<RateLimit> limits, ConsumptionProbe p) {
        return RateLimiter.decide(limits, 0, p.getRemainingTokens(), p.isConsumed(), p.getNanosToWaitForRefill());
    }
}
