package dev.moat.config.internal;

import dev.moat.config.Protocol;
import dev.moat.config.RouteConfig;
import dev.moat.config.UpstreamConfig;
import dev.moat.config.Values;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code upstreams} (model servers by name) and {@code routes} (path prefix to upstream and policy) sections. */
final class RoutingSections {
    private static final List<String> PROTOCOLS =
            Arrays.stream(Protocol.values()).map(Protocol::yamlName).toList();

    private RoutingSections() {}

    static Map<String, UpstreamConfig> upstreams(ConfigNode node) {
        Map<String, UpstreamConfig> out = new LinkedHashMap<>();
        node.entries().forEach((name, value) -> out.put(name, upstream(name, value)));
        return out;
    }

    private static UpstreamConfig upstream(String name, ConfigNode node) {
        Fields f = node.fields(
                "url",
                "protocol",
                "connect_timeout",
                "response_timeout",
                "max_connections",
                "generic",
                "prediction_output");
        URI url = ServerSections.httpUrl(f.required("url"));
        Protocol protocol = Protocol.fromYaml(f.oneOf("protocol", PROTOCOLS, Protocol.TFSERVING.yamlName()));
        Duration connect = f.duration("connect_timeout", Duration.ofSeconds(2));
        Duration response = f.duration("response_timeout", Duration.ofSeconds(30));
        int maxConnections = f.integer("max_connections", 1, Integer.MAX_VALUE, 64);

        UpstreamConfig.GenericPointers generic = null;
        ConfigNode g = f.get("generic");
        if (protocol == Protocol.GENERIC) {
            Fields gf = g.required().fields("inputs", "outputs", "labels");
            generic = new UpstreamConfig.GenericPointers(
                    pointer(gf.required("inputs")), pointer(gf.required("outputs")), pointer(gf.get("labels")));
        } else if (!g.isAbsent()) {
            g.reportAtKey("set for protocol " + protocol.yamlName() + " (expected only with protocol: generic)");
        }
        String predictionOutput = null;
        ConfigNode output = f.get("prediction_output");
        if (protocol == Protocol.KSERVE_V2 || protocol == Protocol.TFSERVING) {
            predictionOutput = output.as(
                    null, "the name of the model's output that carries the probabilities", v -> v.isBlank() ? null : v);
        } else if (!output.isAbsent()) {
            output.reportAtKey("set for protocol " + protocol.yamlName()
                    + " (expected only with protocol: kserve-v2 or tfserving)");
        }
        return new UpstreamConfig(name, url, protocol, connect, response, maxConnections, generic, predictionOutput);
    }

    static String pointer(ConfigNode node) {
        return node.as(null, "a JSON pointer starting with \"/\", e.g. \"/data\"", Values::jsonPointer);
    }

    static List<RouteConfig> routes(ConfigNode node, Set<String> upstreams, Set<String> policies) {
        List<ConfigNode> items = node.required().items("a list of routes");
        if (items.isEmpty() && !node.isAbsent()) {
            node.fail("at least one route");
        }
        List<RouteConfig> out = new ArrayList<>();
        Map<String, ConfigNode> byPrefix = new HashMap<>();
        for (ConfigNode item : items) {
            Fields f = item.fields("path_prefix", "upstream", "policy", "fail_open");
            ConfigNode prefixNode = f.required("path_prefix");
            String prefix = prefixNode.as(null, "a path starting with \"/\"", s -> s.startsWith("/") ? s : null);
            if (prefix != null) {
                ConfigNode first = byPrefix.putIfAbsent(prefix, prefixNode);
                if (first != null) {
                    prefixNode.fail("a path_prefix used by one route only; also at " + first.where());
                }
            }
            String upstream = Fields.oneOf(f.required("upstream"), upstreams, null);
            String policy = f.has("policy") ? Fields.oneOf(f.get("policy"), policies, null) : null;
            out.add(new RouteConfig(prefix, upstream, policy, f.bool("fail_open", false)));
        }
        return out;
    }
}
