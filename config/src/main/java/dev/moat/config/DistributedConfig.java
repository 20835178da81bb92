package dev.moat.config;

import java.time.Duration;

/**
 * Optional shared state across instances (YAML section {@code distributed}).
 *
 * @param redisUrl  {@code redis://[:password@]host:port[/db]}, {@code rediss://...} (TLS) or
 *                  {@code redis-sentinel://...}; {@code null} for a single instance
 * @param failOpen  when Redis is unreachable or slow: {@code true} serves from local buckets at
 *                  {@code limit / instances} (counted), {@code false} answers 503 for new decisions
 * @param instances how many gateway instances share the limits (divides a tier's limit while failing open)
 * @param timeout   how long a request waits for Redis before it counts as down (default 50 ms)
 */
public record DistributedConfig(String redisUrl, boolean failOpen, int instances, Duration timeout) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(50);

    /** A single instance with the defaults (no Redis). */
    public DistributedConfig(String redisUrl, boolean failOpen) {
        this(redisUrl, failOpen, 1, DEFAULT_TIMEOUT);
    }
}
