package dev.moat.config.internal;

import dev.moat.config.AccessLogConfig;
import dev.moat.config.AdminConfig;
import dev.moat.config.AlertsConfig;
import dev.moat.config.AuditConfig;
import dev.moat.config.DetectionConfig;
import dev.moat.config.DetectorCheck;
import dev.moat.config.DistributedConfig;
import dev.moat.config.HostPort;
import dev.moat.config.RateLimitingConfig;
import dev.moat.config.ServerConfig;
import dev.moat.config.StateConfig;
import dev.moat.config.TracingConfig;
import dev.moat.config.Values;
import java.net.URI;
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
    /** 16 Mi queued events: 64 MiB of slots (128 MiB without compressed references). */
    static final int MAX_QUEUE = 1 << 24;

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
                    Fields.existingFile(tf.required("certificate"), "a PEM certificate chain file"),
                    Fields.existingFile(tf.required("private_key"), "a PEM private key file"));
        }
        return new ServerConfig(listen, threads, limits, timeouts, tls);
    }

    /** @param serverListen the client listener's address, which the admin listener must not share */
    static AdminConfig admin(ConfigNode node, HostPort serverListen) {
        Fields f = node.fields("listen", "token", "per_key_metrics");
        HostPort listen = f.hostPort("listen", new HostPort("127.0.0.1", 9090));
        if (overlap(listen, serverListen)) {
            ConfigNode at = f.get("listen");
            String expected =
                    "an address other than server.listen's " + serverListen + " (two listeners cannot bind one port)";
            if (at.isAbsent()) {
                at.report("the default " + listen + " (expected " + expected + ")");
            } else {
                at.fail(expected);
            }
        }
        String token = f.get("token")
                .secret()
                .as(
                        null,
                        "a non-empty token without spaces",
                        s -> s.isEmpty() || s.chars().anyMatch(Character::isWhitespace) ? null : s);
        return new AdminConfig(listen, token, f.bool("per_key_metrics", false));
    }

    /** Whether two listeners would bind the same port: same port (not 0) on the same or a wildcard host. */
    private static boolean overlap(HostPort a, HostPort b) {
        return a.port() != 0
                && a.port() == b.port()
                && (a.host().equalsIgnoreCase(b.host()) || wildcard(a.host()) || wildcard(b.host()));
    }

    private static boolean wildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0") || host.equals("*");
    }

    static RateLimitingConfig rateLimiting(ConfigNode node) {
        Fields f = node.fields("max_tracked_keys", "expire_after_idle");
        return new RateLimitingConfig(
                f.longValue("max_tracked_keys", 1, Long.MAX_VALUE, 100_000),
                f.duration("expire_after_idle", Duration.ofHours(1)));
    }

    /** @param check the detectors' own check, run on a calibration file that exists */
    static DetectionConfig detection(ConfigNode node, DetectorCheck check) {
        Fields f = node.fields("workers", "queue_capacity", "max_tracked_keys", "expire_after_idle", "calibration");
        int workers = f.integer("workers", 1, 1024, 1);
        // the engine splits both among its workers, each queue allocated whole at start: 2^31 slots ran it out of
        // memory
        int queue = (int) atLeastWorkers(f.get("queue_capacity"), workers, MAX_QUEUE, 65_536);
        long keys = atLeastWorkers(f.get("max_tracked_keys"), workers, Long.MAX_VALUE, 100_000);
        return new DetectionConfig(
                workers,
                queue,
                keys,
                // a day, as the engine's own default: an hour let a thief pause past it and start
                // every burst on a fresh state (PatientThiefTest)
                f.duration("expire_after_idle", Duration.ofHours(24)),
                calibration(f.get("calibration"), check));
    }

    private static Path calibration(ConfigNode node, DetectorCheck check) {
        int errors = node.source().errorCount();
        Path file = Fields.existingFile(node, "a calibration file written by `moat calibrate`");
        if (file != null && node.source().errorCount() == errors) {
            try {
                check.calibration(file);
            } catch (IllegalArgumentException e) {
                // the detectors' message names the calibration file, its line and what was expected there
                node.report("cannot be used: " + e.getMessage());
            }
        }
        return file;
    }

    private static long atLeastWorkers(ConfigNode node, int workers, long max, long def) {
        String expected = "an integer of at least detection.workers (" + workers + ", one share each)"
                + (max == Long.MAX_VALUE ? "" : " and at most " + max);
        return node.as(Math.max(workers, def), expected, s -> {
            Long v = Values.integer(s);
            return v != null && v >= workers && v <= max ? v : null;
        });
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
        return new StateConfig(
                Fields.writableFile(node.fields("file").get("file"), "a file the gateway can write its state to"));
    }

    static AuditConfig audit(ConfigNode node) {
        return new AuditConfig(Fields.writableFile(
                node.fields("file").get("file"), "a file the gateway can append the audit trail to"));
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

    static final String HTTP_URL_EXPECTED = "an absolute http:// or https:// URL with a host";

    /** An absolute {@code http} or {@code https} URL with a host and, if written, a port in range. */
    static URI httpUrl(ConfigNode node) {
        return httpUrl(node, false);
    }

    /**
     * @param bare also refuse user info, a query and a fragment: an upstream's URL, of which the
     *     gateway sends only the path (credentials written there would silently go nowhere)
     */
    static URI httpUrl(ConfigNode node, boolean bare) {
        String text = node.text(HTTP_URL_EXPECTED);
        if (text == null) {
            return null;
        }
        // a URL with user info may hold a password: never echoed
        ConfigNode shown = text.contains("@") ? node.secret() : node;
        URI url = shown.as(null, HTTP_URL_EXPECTED, s -> {
            URI uri = uri(s);
            // an upstream may be named with an underscore (model_server), which the gateway's connections
            // resolve; the other URLs go to Java's HTTP client, which takes only what URI parses as a host
            String host = uri == null ? null : bare ? dev.moat.config.UpstreamConfig.hostOf(uri) : uri.getHost();
            boolean ok = uri != null
                    && uri.isAbsolute()
                    && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && host != null
                    && !host.isEmpty();
            return ok ? uri : null;
        });
        int port = url == null ? -1 : bare ? dev.moat.config.UpstreamConfig.portOf(url) : url.getPort();
        if (url != null && (port == 0 || port > 65535)) {
            shown.fail("a URL whose port is from 1 to 65535");
            return null;
        }
        if (url != null
                && bare
                && (url.getRawUserInfo() != null || url.getRawQuery() != null || url.getRawFragment() != null)) {
            shown.fail("an upstream URL without user:password@, ?query or #fragment (the gateway sends none of them)");
            return null;
        }
        return url;
    }

    private static URI uri(String s) {
        try {
            return new URI(s.trim());
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }
}
