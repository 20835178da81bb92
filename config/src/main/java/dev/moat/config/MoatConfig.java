package dev.moat.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole, validated, immutable gateway configuration. A reload builds a new instance, validates it
 * whole, and the gateway swaps one reference: nothing here ever changes after construction.
 *
 * @param source     the file it was loaded from (for messages), or {@code null} when built in code
 * @param upstreams  by name, in file order
 * @param routes     in file order; the longest matching {@code path_prefix} wins
 * @param keys       from {@code keys} and {@code keys_file} together; ids are unique
 * @param tiers      by name
 * @param policies   by name
 * @param state      the local state file (section {@code state})
 * @param tracing    OpenTelemetry spans; {@link TracingConfig#OFF} when the section is absent
 */
public record MoatConfig(
        Path source,
        ServerConfig server,
        AdminConfig admin,
        Map<String, UpstreamConfig> upstreams,
        List<RouteConfig> routes,
        List<KeyConfig> keys,
        Map<String, TierConfig> tiers,
        Map<String, PolicyConfig> policies,
        RateLimitingConfig rateLimiting,
        DetectionConfig detection,
        DistributedConfig distributed,
        AuditConfig audit,
        AlertsConfig alerts,
        AccessLogConfig accessLog,
        StateConfig state,
        TracingConfig tracing) {

    public MoatConfig {
        state = state == null ? StateConfig.NONE : state;
        upstreams = orderedCopy(upstreams);
        routes = List.copyOf(routes);
        keys = List.copyOf(keys);
        tiers = orderedCopy(tiers);
        policies = orderedCopy(policies);
    }

    /** Like {@link Map#copyOf} (unmodifiable, no nulls) but keeping the iteration order: file order. */
    private static <K, V> Map<K, V> orderedCopy(Map<K, V> map) {
        Map<K, V> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(Objects.requireNonNull(k), Objects.requireNonNull(v)));
        return Collections.unmodifiableMap(copy);
    }

    /** The policy a route names, if any: a route without one is a plain proxy. */
    public Optional<PolicyConfig> policyOf(RouteConfig route) {
        return route.policy() == null ? Optional.empty() : Optional.ofNullable(policies.get(route.policy()));
    }
}
