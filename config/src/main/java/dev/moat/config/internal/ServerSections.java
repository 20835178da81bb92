package dev.moat.config.internal;

import dev.moat.config.AccessLogConfig;
import dev.moat.config.AdminConfig;
import dev.moat.config.AlertsConfig;
import dev.moat.config.AuditConfig;
import dev.moat.config.DetectionConfig;
import dev.moat.config.DistributedConfig;
import dev.moat.config.HostPort;
import dev.moat.config.RateLimitingConfig;
import dev.moat.config.ServerConfig;
import dev.moat.config.StateConfig;
import dev.moat.config.TracingConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The sections that configure the process rather than traffic: {@code server}, {@code admin},
 * {@code rate_limiting}, {@code detection}, {@code distributed}, {@code audit}, {@code alerts},
 * {@code access_log}, {@code tracing}. An absent section gets every default.
 */
final class ServerSections {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    private ServerSections() {}

    static ServerConfig server(ConfigNode node) {
        Fields f = node.fields("listen", "event_loop_threads", "limits", "timeouts", "tls");
        HostPort listen = f.hostPort("listen", new HostPort("0.0.0.0", 8080));
        int threads = f.integer("event_loop_threads", 0, 4096, 0);

        Fields l = f.get("limits")
                .fields(
                        "max_request_bytes",
                        "max_header_bytes",
                        "max_response_bytes",
                        "max_connections",
                        "max_connections_per_address");
        ServerConfig.Limits limits = new ServerConfig.Limits(
                l.size("max_request_bytes", 1, Long.MAX_VALUE, 4 * MIB),
                (int) l.size("max_header_bytes", 1, Integer.MAX_VALUE, 16 * KIB),
                l.size("max_response_bytes", 1, Long.MAX_VALUE, 16 * MIB),
                l.integer("max_connections", 1, Integer.MAX_VALUE, 10_000),
                l.integer("max_connections_per_address", 0, Integer.MAX_VALUE, 64));

        Fields t = f.get("timeouts").fields("idle", "header_read", "drain", "request_read", "keep_alive");
        ServerConfig.Timeouts timeouts = new ServerConfig.Timeouts(
                t.duration("idle", Duration.ofSeconds(60)),
                t.duration("header_read", Duration.ofSeconds(10)),
                t.durationOrZero("drain", Duration.ofSeconds(20)),
                t.duration("request_read", Duration.ofSeconds(30)),
                t.duration("keep_alive", Duration.ofSeconds(15)));

        ServerConfig.TlsConfig tls = null;
        if (f.has("tls")) {
            Fields tf = f.get("tls").fields("certificate", "private_key");
            tls = new ServerConfig.TlsConfig(
                    existingFile(tf.required("certificate"), "a PEM certificate chain file"),
                    existingFile(tf.required("private_key"), "a PEM private key file"));
        }
        return new ServerConfig(listen, threads, limits, timeouts, tls);
    }

    static AdminConfig admin(ConfigNode node) {
        Fields f = node.fields("listen", "token", "per_key_metrics");
        HostPort listen = f.hostPort("listen", new HostPort("127.0.0.1", 9090));
        String token = f.get("token")
                .secret()
                .as(
                        null,
                        "a non-empty token without spaces",
                        s -> s.isEmpty() || s.chars().anyMatch(Character::isWhitespace) ? null : s);
        return new AdminConfig(listen, token, f.bool("per_key_metrics", false));
    }

    static RateLimitingConfig rateLimiting(ConfigNode node) {
        Fields f = node.fields("max_tracked_keys", "expire_after_idle");
        return new RateLimitingConfig(
                f.longValue("max_tracked_keys", 1, Long.MAX_VALUE, 100_000),
                f.duration("expire_after_idle", Duration.ofHours(1)));
    }

    static DetectionConfig detection(ConfigNode node) {
        Fields f = node.fields("workers", "queue_capacity", "max_tracked_keys", "expire_after_idle", "calibration");
        return new DetectionConfig(
                f.integer("workers", 1, 1024, 1),
                f.integer("queue_capacity", 1, Integer.MAX_VALUE, 65_536),
                f.longValue("max_tracked_keys", 1, Long.MAX_VALUE, 100_000),
                // a day, as the engine's own default: an hour let a thief pause past it and start
                // every burst on a fresh state (PatientThiefTest)
                f.duration("expire_after_idle", Duration.ofHours(24)),
                f.path("calibration"));
    }

    static DistributedConfig distributed(ConfigNode node) {
        Fields f = node.fields("redis", "fail_open", "instances", "timeout");
        // A Redis URL may carry a password, so its value is never echoed.
        String redis = f.get("redis")
                .secret()
                .as(null, "a URL like \"redis://host:port\" or \"rediss://host:port\"", s -> {
                    URI uri = uri(s);
                    boolean ok = uri != null
                            && ("redis".equals(uri.getScheme())
                                    || "rediss".equals(uri.getScheme())
                                    || "redis-sentinel".equals(uri.getScheme()))
                            && uri.getHost() != null;
                    return ok ? s : null;
                });
        return new DistributedConfig(
                redis,
                f.bool("fail_open", true),
                f.integer("instances", 1, 1024, 1),
                f.duration("timeout", DistributedConfig.DEFAULT_TIMEOUT));
    }

    static StateConfig state(ConfigNode node) {
        return new StateConfig(node.fields("file").path("file"));
    }

    static AuditConfig audit(ConfigNode node) {
        return new AuditConfig(node.fields("file").path("file"));
    }

    static AlertsConfig alerts(ConfigNode node) {
        Fields f = node.fields("webhook", "max_retries", "timeout");
        // Webhook URLs (Slack, Teams) embed their credential in the path, so the value is never echoed.
        URI webhook = httpUrl(f.get("webhook").secret());
        return new AlertsConfig(
                webhook, f.integer("max_retries", 0, 100, 5), f.duration("timeout", Duration.ofSeconds(2)));
    }

    static TracingConfig tracing(ConfigNode node) {
        Fields f = node.fields("otlp", "sample_ratio", "service_name");
        URI otlp = httpUrl(f.get("otlp"));
        double ratio = f.number("sample_ratio", 1.0, r -> r >= 0 && r <= 1, "a number from 0 to 1");
        String service = f.string("service_name", "moat");
        return new TracingConfig(otlp, ratio, service);
    }

    static AccessLogConfig accessLog(ConfigNode node) {
        Fields f = node.fields("enabled", "format");
        return new AccessLogConfig(f.bool("enabled", true), f.oneOf("format", List.of("text", "json"), "text"));
    }

    /** An absolute {@code http} or {@code https} URL with a host. */
    static URI httpUrl(ConfigNode node) {
        return node.as(null, "an absolute http:// or https:// URL with a host", s -> {
            URI uri = uri(s);
            boolean ok = uri != null
                    && uri.isAbsolute()
                    && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null
                    && !uri.getHost().isEmpty();
            return ok ? uri : null;
        });
    }

    private static URI uri(String s) {
        try {
            return new URI(s.trim());
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static Path existingFile(ConfigNode node, String expected) {
        Path p = Fields.path(node);
        if (p != null && !Files.isRegularFile(p)) {
            node.report("\"" + p + "\" does not exist or is not a file (expected " + expected + ")");
        }
        return p;
    }
}
