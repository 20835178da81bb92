package dev.moat.gateway.runtime;

import dev.moat.config.PolicyConfig;
import dev.moat.config.RouteConfig;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.upstream.UpstreamRef;

/**
 * A compiled route: where its requests go and what applies to them.
 *
 * @param tag      the route's metrics tag (its path prefix)
 * @param policy   the route's policy, or {@code null} for a plain proxy route
 * @param compiled the policy compiled for this config load, or {@code null}
 * @param adapter  the upstream's protocol adapter
 */
public record Route(
        RouteConfig config,
        String tag,
        UpstreamRef upstream,
        PolicyConfig policy,
        CompiledPolicy compiled,
        ProtocolAdapter adapter) {

    /** True when request and answer bodies must be read (adapters, transforms, detectors). */
    public boolean inspectsBodies() {
        return compiled != null && (policy.needsResponseBody() || compiled.llmGuard() != null);
    }

    /**
     * Whether {@code path} (normalised) falls under this route's prefix, ASCII case-blind: model
     * servers may match their paths case-blind (TensorFlow Serving's REST handler matches
     * {@code (?i)/v1/models/...:predict}), so {@code /V1/MODELS/digits:predict} reaches the same
     * model as {@code /v1/models/digits:predict} and must meet the same policy, not a plain route
     * such as {@code /} ({@code EdgeBypassIT}). The target is forwarded as sent.
     */
    boolean matches(String path) {
        String prefix = config.pathPrefix();
        if (!path.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return false;
        }
        // "/v1/models/digits" matches "/v1/models/digits", "/v1/models/digits:predict" and "/v1/models/digits/..."
        // but not "/v1/models/digitsX".
        if (path.length() == prefix.length() || prefix.endsWith("/")) {
            return true;
        }
        char next = path.charAt(prefix.length());
        return next == '/' || next == ':' || next == '?';
    }
}
