package dev.moat.bench;

import dev.moat.config.RateLimit;
import dev.moat.gateway.ratelimit.RateLimiter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Rate limiting: {@link RateLimiter#tryConsume} for {@value #KEYS} keys in turn, each with a tier
 * of two limits, on the production clock ({@code System::nanoTime}) and a limiter sized for
 * 100,000 keys. Two tiers: {@code free} ("100/1m", "5000/1d"), whose buckets run dry during the
 * run, so it measures mostly rejections (which also compute Retry-After); and {@code roomy}, whose
 * buckets never run dry, so every call is an admission.
 *
 * <p><b>Budget: 1 us per consumption</b> (one Caffeine lookup and one lock-free Bucket4j update).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RateLimitBenchmark {

    static final int KEYS = 10_000;

    @Param({"free", "roomy"})
    public String tier;

    RateLimiter limiter;
    List<RateLimit> limits;
    String[] keyIds;
    int next;

    @Setup
    public void setUp() {
        String[] texts =
                "free".equals(tier) ? new String[] {"100/1m", "5000/1d"} : new String[] {"1000000/1s", "1000000000/1d"};
        limits = Arrays.stream(texts).map(RateLimit::parse).toList();
        limiter = new RateLimiter(100_000, Duration.ofHours(1), System::nanoTime);
        keyIds = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keyIds[i] = "key-" + i;
            limiter.tryConsume(keyIds[i], limits); // buckets exist before measuring, as for keys already seen
        }
    }

    @Benchmark
    public RateLimiter.Decision tryConsume() {
        String key = keyIds[next];
        next = next + 1 == KEYS ? 0 : next + 1;
        return limiter.tryConsume(key, limits);
    }
}
