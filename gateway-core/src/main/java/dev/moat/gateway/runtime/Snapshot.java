package dev.moat.gateway.runtime;

import dev.moat.config.MoatConfig;
import dev.moat.config.PolicyConfig;
import dev.moat.config.RateLimit;
import dev.moat.config.RouteConfig;
import dev.moat.config.TierConfig;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.http.HeaderValues;
import dev.moat.gateway.protocol.ProtocolAdapters;
import dev.moat.gateway.ratelimit.RateLimitHeaders;
import dev.moat.gateway.upstream.UpstreamRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One config, compiled for the request path: routes sorted longest prefix first, keys by digest,
 * tiers by name. Immutable. A request captures the snapshot in force when it starts and finishes
 * under it, whatever reloads happen meanwhile.
 */
public final class Snapshot {

    private final MoatConfig config;
    private final long generation;
    private final KeyStore keys; // the YAML keys only: the request path authenticates through KeyDirectory
    private final Route[] routes;
    private final Map<String, List<RateLimit>> tierLimits;
    private final Map<String, CharSequence> tierPolicyHeaders;
    private final Map<String, List<RateLimit>> tierTokens;
    private final Map<String, TierConfig.MaxAction> tierMaxAction;
    private final Map<String, CompiledPolicy> policies;

    Snapshot(
            MoatConfig config,
            long generation,
            Function<String, UpstreamRef> upstreams,
            BiFunction<PolicyConfig, MoatConfig, CompiledPolicy> compiler) {
        this.config = config;
        this.generation = generation;
        this.keys = new KeyStore(config.keys());
        Map<String, CompiledPolicy> compiled = new HashMap<>();
        for (PolicyConfig p : config.policies().values()) {
            compiled.put(p.name(), compiler.apply(p, config));
        }
        List<Route> rs = new ArrayList<>();
        for (RouteConfig rc : config.routes()) {
            UpstreamRef up = upstreams.apply(rc.upstream());
            PolicyConfig policy = rc.policy() == null ? null : config.policies().get(rc.policy());
            rs.add(new Route(
                    rc,
                    rc.pathPrefix(),
                    up,
                    policy,
                    policy == null ? null : compiled.get(policy.name()),
                    ProtocolAdapters.forUpstream(up.config())));
        }
        this.policies = Map.copyOf(compiled);
        // longest prefix first; of prefixes that differ only in case (matching is case-blind),
        // one with a policy first
        rs.sort(Comparator.comparingInt((Route r) -> r.config().pathPrefix().length())
                .reversed()
                .thenComparing(r -> r.policy() == null));
        this.routes = rs.toArray(new Route[0]);
        Map<String, List<RateLimit>> limits = new HashMap<>();
        Map<String, CharSequence> headers = new HashMap<>();
        Map<String, List<RateLimit>> tokens = new HashMap<>();
        Map<String, TierConfig.MaxAction> most = new HashMap<>();
        for (TierConfig t : config.tiers().values()) {
            most.put(t.name(), t.maxAction());
            limits.put(t.name(), t.limits());
            tokens.put(t.name(), t.tokens());
            headers.put(t.name(), HeaderValues.ascii(RateLimitHeaders.policy(t.limits())));
        }
        this.tierLimits = Map.copyOf(limits);
        this.tierPolicyHeaders = Map.copyOf(headers);
        this.tierTokens = Map.copyOf(tokens);
        this.tierMaxAction = Map.copyOf(most);
    }

    public MoatConfig config() {
        return config;
    }

    public long generation() {
        return generation;
    }

    public KeyStore keys() {
        return keys;
    }

    /** The longest-prefix route for a path (without its query), or null. */
    public Route route(String path) {
        for (Route r : routes) {
            if (r.matches(path)) {
                return r;
            }
        }
        return null;
    }

    /**
     * The most the escalation ladder may do to the key ({@code max_action} of its tier; {@code block},
     * everything, for a tier the config no longer has).
     */
    public TierConfig.MaxAction maxAction(ApiKey key) {
        return key == null
                ? TierConfig.MaxAction.BLOCK
                : tierMaxAction.getOrDefault(key.tier(), TierConfig.MaxAction.BLOCK);
    }

    /**
     * The limits of the key's tier, or {@code null} when this config does not have that tier. A
     * reload installs the config before the key directory, so for a moment a key authenticated
     * against the old directory may name a tier the new config dropped (or the reverse): such a
     * request has no limits to be charged against. One lookup answers both (it was a
     * {@code knowsTier} check, then this lookup, per request).
     */
    public List<RateLimit> limitsOrNull(ApiKey key) {
        return tierLimits.get(key.tier());
    }

    /** The limits of the key's tier, empty when this config does not have that tier. */
    public List<RateLimit> limits(ApiKey key) {
        return tierLimits.getOrDefault(key.tier(), List.of());
    }

    /** Compiled policies by name. */
    public Map<String, CompiledPolicy> policies() {
        return policies;
    }

    /** The key's tier's LLM token budgets ({@code tokens:}), empty when it has none. */
    public List<RateLimit> tokenBudgets(ApiKey key) {
        return tierTokens.getOrDefault(key.tier(), List.of());
    }

    /** The key's tier's {@code RateLimit-Policy} value, rendered once (an {@code AsciiString} when ASCII). */
    public CharSequence policyHeader(ApiKey key) {
        return tierPolicyHeaders.get(key.tier());
    }
}
