package dev.moat.config;

/**
 * The admin listener: {@code /metrics}, {@code /healthz}, {@code /readyz} open; {@code /admin/*} only
 * with {@code Authorization: Bearer <token>}.
 *
 * @param token {@code null} disables {@code /admin/*} entirely (every call answers 403, type {@code admin-disabled})
 * @param perKeyMetrics adds a {@code key} tag to request meters; off by default (cardinality)
 */
public record AdminConfig(HostPort listen, String token, boolean perKeyMetrics) {}
