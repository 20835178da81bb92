package dev.moat.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.RateLimit;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The hash in a shared bucket's Redis key ({@code moat:bucket:ID:HASH}): of the limits, not of how
 * they were written, and fixed, since every instance must compute the same one and a change to it
 * refills every key's shared buckets. The reference values are Python's
 * {@code hashlib.sha256(b"100:60000000000").hexdigest()[:16]} and the same for the two limits.
 */
class RedisBucketKeyTest {

    @Test
    void aLimitHashesTheSameHoweverItIsWritten() {
        String oneMinute = RedisLimiter.limitsHash(List.of(RateLimit.parse("100/1m")));
        assertThat(RedisLimiter.limitsHash(List.of(RateLimit.parse("100/60s")))).isEqualTo(oneMinute);
        assertThat(RedisLimiter.limitsHash(List.of(RateLimit.parse("100/60000ms"))))
                .isEqualTo(oneMinute);
        assertThat(oneMinute).isEqualTo("266595b73b0496bc");
        assertThat(RedisLimiter.limitsHash(List.of(RateLimit.parse("100/1m"), RateLimit.parse("5000/1d"))))
                .isEqualTo("c9588bcd42e2c2d7")
                .isEqualTo(RedisLimiter.limitsHash(List.of(RateLimit.parse("100/60s"), RateLimit.parse("5000/24h"))));
    }

    @Test
    void anotherLimitHashesOtherwise() {
        String oneMinute = RedisLimiter.limitsHash(List.of(RateLimit.parse("100/1m")));
        assertThat(RedisLimiter.limitsHash(List.of(RateLimit.parse("101/1m")))).isNotEqualTo(oneMinute);
        assertThat(RedisLimiter.limitsHash(List.of(RateLimit.parse("100/1h")))).isNotEqualTo(oneMinute);
        assertThat(RedisLimiter.limitsHash(List.of(RateLimit.parse("100/1m"), RateLimit.parse("5000/1d"))))
                .isNotEqualTo(oneMinute);
    }
}
