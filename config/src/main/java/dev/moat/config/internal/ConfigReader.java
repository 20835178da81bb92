package dev.moat.config.internal;

import dev.moat.config.AccessLogConfig;
import dev.moat.config.AdminConfig;
import dev.moat.config.AlertsConfig;
import dev.moat.config.AuditConfig;
import dev.moat.config.ConfigError;
import dev.moat.config.ConfigException;
import dev.moat.config.DetectionConfig;
import dev.moat.config.DetectorCheck;
import dev.moat.config.DistributedConfig;
import dev.moat.config.KeyConfig;
import dev.moat.config.MoatConfig;
import dev.moat.config.PolicyConfig;
import dev.moat.config.RateLimitingConfig;
import dev.moat.config.RouteConfig;
import dev.moat.config.ServerConfig;
import dev.moat.config.StateConfig;
import dev.moat.config.TierConfig;
import dev.moat.config.TracingConfig;
import dev.moat.config.UpstreamConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads a whole config: composes the YAML, reads every section (named sections first, so routes and
 * keys can be checked against them), and either returns the config or throws every error found.
 * Use {@link dev.moat.config.load.ConfigLoader}; this is its engine.
 */
public final class ConfigReader {
    private static final String[] SECTIONS = {
        "server",
        "admin",
        "upstreams",
        "routes",
        "keys",
        "keys_file",
        "tiers",
        "rate_limiting",
        "policies",
        "detection",
        "distributed",
        "state",
        "audit",
        "alerts",
        "access_log",
        "tracing",
    };

    private ConfigReader() {}

    /**
     * @param name    the file name errors carry
     * @param source  recorded in {@link MoatConfig#source()}, may be null
     * @param baseDir the directory relative paths resolve against
     * @param detectors the detectors' own check of each policy's detectors, after the loader's
     */
    public static MoatConfig read(
            String yaml, String name, Path source, Path baseDir, Map<String, String> env, DetectorCheck detectors)
            throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        Source src = new Source(name, baseDir, env, errors);
        Node rootNode = YamlDocuments.compose(yaml, src);
        if (rootNode == null) {
            throw new ConfigException(errors);
        }
        Fields top = ConfigNode.root(src, rootNode, "").fields(SECTIONS);

        Map<String, UpstreamConfig> upstreams = RoutingSections.upstreams(top.get("upstreams"));
        Map<String, TierConfig> tiers = KeySections.tiers(top.get("tiers"));
        Map<String, PolicyConfig> policies = PolicySection.policies(top.get("policies"), detectors);
        List<RouteConfig> routes = RoutingSections.routes(top.get("routes"), upstreams, policies);
        List<KeyConfig> keys = KeySections.keys(top.get("keys"), top.get("keys_file"), tiers.keySet());

        ServerConfig server = ServerSections.server(top.get("server"));
        AdminConfig admin = ServerSections.admin(top.get("admin"), server.listen());
        RateLimitingConfig rateLimiting = ServerSections.rateLimiting(top.get("rate_limiting"));
        DetectionConfig detection = ServerSections.detection(top.get("detection"), detectors);
        DistributedConfig distributed = ServerSections.distributed(top.get("distributed"));
        StateConfig state = ServerSections.state(top.get("state"));
        AuditConfig audit = ServerSections.audit(top.get("audit"));
        AlertsConfig alerts = ServerSections.alerts(top.get("alerts"));
        AccessLogConfig accessLog = ServerSections.accessLog(top.get("access_log"));
        TracingConfig tracing = ServerSections.tracing(top.get("tracing"));
        if (!errors.isEmpty()) {
            throw new ConfigException(sorted(errors, name));
        }
        return new MoatConfig(
                source,
                server,
                admin,
                upstreams,
                routes,
                keys,
                tiers,
                policies,
                rateLimiting,
                detection,
                distributed,
                audit,
                alerts,
                accessLog,
                state,
                tracing);
    }

    /** The main file first, then referenced files by name; within a file by line and column. */
    private static List<ConfigError> sorted(List<ConfigError> errors, String mainFile) {
        List<ConfigError> out = new ArrayList<>(errors);
        out.sort(Comparator.comparing((ConfigError e) -> !e.file().equals(mainFile))
                .thenComparing(ConfigError::file)
                .thenComparingInt(ConfigError::line)
                .thenComparingInt(ConfigError::column));
        return out;
    }
}
