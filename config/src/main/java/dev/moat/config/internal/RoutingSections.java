package dev.moat.config.internal;

import dev.moat.config.PolicyConfig;
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
import java.util.Locale;
import java.util.Map;

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
        URI url = ServerSections.httpUrl(f.required("url"), true);
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

    /**
     * What a route of {@code protocol: openai} must not be given (issue 9, session 18): an LLM route's
     * detection rows are its prompts' hashed character trigrams (L2-normalised, 256 wide), and two
     * prompts differ by a fraction of a count in most buckets, one magnitude both ways: the sign-step
     * tests' equal shape. Sixteen honest chat keys (a system prompt and 3-27 words of a support
     * vocabulary each, a 40-way first-token answer) were all EXTRACTING within 8-31 rows under every
     * detector, by {@code prada} and {@code cross_key}; without them none was past its first 111
     * rows ({@code detectors/.../LlmPromptsTest}). Gradient sign steps are no way to steal a language
     * model either: its extraction goes through logprobs and {@code logit_bias} (the policy's {@code
     * llm} rules) and volume.
     */
    static final String SIGN_STEPS_ON_TEXT = "a policy without prada, cross_key or a tenant-pooled prada"
            + " on a route of protocol openai (its rows are hashed prompt trigrams, whose differences the"
            + " sign-step tests read as steps: every honest chat key was flagged; use volume, ood, boundary,"
            + " coverage and the llm rules)";

    private static boolean signSteps(PolicyConfig policy) {
        Map<String, Map<String, Object>> d = policy.detectors();
        Map<String, Object> tenant = d.get("tenant");
        return d.containsKey("prada") || d.containsKey("cross_key") || (tenant != null && tenant.containsKey("prada"));
    }

    /** What a {@code path_prefix} must be: what a normalised request path can start with. */
    static final String PATH_PREFIX_EXPECTED = "a path in the form requests are matched in: no \"//\", \".\" or"
            + " \"..\" segment, no %, ?, #, ;, \\, space or non-ASCII character (no request would reach the route)";

    /**
     * Whether {@code p} is a path a normalised request target can start with ({@code RequestTarget}
     * in gateway-core: decoded, no empty or dot segment, only characters a path may hold literally).
     * Any other prefix matches no request, and the traffic meant for its policy takes another route.
     */
    static boolean normalPath(String p) {
        if (!p.startsWith("/")) {
            return false;
        }
        int segment = 1;
        for (int i = 1; i <= p.length(); i++) {
            if (i == p.length() || p.charAt(i) == '/') {
                String s = p.substring(segment, i);
                boolean trailing = i == p.length();
                if ((s.isEmpty() && !trailing) || s.equals(".") || s.equals("..")) {
                    return false;
                }
                segment = i + 1;
            } else if (!literalInPath(p.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** pchar (RFC 3986 section 3.3) minus pct-encoded and ';', as the gateway's request normaliser. */
    private static boolean literalInPath(char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return "-._~!$&'()*+,=:@".indexOf(c) >= 0;
    }

    static String pointer(ConfigNode node) {
        return node.as(null, "a JSON pointer starting with \"/\", e.g. \"/data\"", Values::jsonPointer);
    }

    static List<RouteConfig> routes(
            ConfigNode node, Map<String, UpstreamConfig> upstreams, Map<String, PolicyConfig> policies) {
        List<ConfigNode> items = node.required().items("a list of routes");
        if (items.isEmpty() && node.isSequence()) {
            node.fail("at least one route");
        }
        List<RouteConfig> out = new ArrayList<>();
        Map<String, ConfigNode> byPrefix = new HashMap<>();
        for (ConfigNode item : items) {
            Fields f = item.fields("path_prefix", "upstream", "policy", "fail_open");
            ConfigNode prefixNode = f.required("path_prefix");
            String prefix = prefixNode.as(null, "a path starting with \"/\"", s -> s.startsWith("/") ? s : null);
            if (prefix != null && !normalPath(prefix)) {
                prefixNode.fail(PATH_PREFIX_EXPECTED);
                prefix = null;
            }
            if (prefix != null) {
                // the router matches prefixes ASCII case-blind (EdgeBypassIT): /V1 is /v1 to it
                ConfigNode first = byPrefix.putIfAbsent(prefix.toLowerCase(Locale.ROOT), prefixNode);
                if (first != null) {
                    prefixNode.fail(
                            "a path_prefix used by one route only (routes match case-blind); also at " + first.where());
                }
            }
            String upstream = Fields.oneOf(f.required("upstream"), upstreams.keySet(), null);
            String policy = f.has("policy") ? Fields.oneOf(f.get("policy"), policies.keySet(), null) : null;
            UpstreamConfig up = upstream == null ? null : upstreams.get(upstream);
            PolicyConfig pc = policy == null ? null : policies.get(policy);
            if (up != null && up.protocol() == Protocol.OPENAI && pc != null && signSteps(pc)) {
                f.get("policy").fail(SIGN_STEPS_ON_TEXT);
            }
            out.add(new RouteConfig(prefix, upstream, policy, f.bool("fail_open", false)));
        }
        return out;
    }
}
