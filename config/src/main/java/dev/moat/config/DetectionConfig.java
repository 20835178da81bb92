package dev.moat.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The detection engine (YAML section {@code detection}).
 *
 * @param workers         detection threads, each owning a shard of keys (default 1)
 * @param queueCapacity   events waiting per worker; when full, events are dropped and counted
 * @param maxTrackedKeys  per-key detector state kept at most
 * @param expireAfterIdle per-key state dropped after this long without a query
 * @param calibration     a file written by {@code moat calibrate}, or {@code null} to learn online
 */
public record DetectionConfig(
        int workers, int queueCapacity, long maxTrackedKeys, Duration expireAfterIdle, Path calibration) {}
