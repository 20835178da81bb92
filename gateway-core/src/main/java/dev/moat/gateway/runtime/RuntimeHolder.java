package dev.moat.gateway.runtime;

import dev.moat.config.MoatConfig;
import dev.moat.config.PolicyConfig;
import dev.moat.config.UpstreamConfig;
import dev.moat.gateway.upstream.Transport;
import dev.moat.gateway.upstream.UpstreamRef;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Holds the snapshot in force and swaps it in one step on reload. Upstream pools are kept across
 * reloads for every upstream whose config did not change, and closed for the ones that went away.
 */
public final class RuntimeHolder {

    private final Transport transport;
    private final BiFunction<PolicyConfig, MoatConfig, CompiledPolicy> compiler;
    private volatile Snapshot current;
    private Map<UpstreamConfig, UpstreamRef> upstreams = Map.of();
    private long generation;

    /**
     * @param compiler compiles a policy at each config load; may throw IllegalArgumentException,
     *                 which rejects the config
     */
    public RuntimeHolder(
            MoatConfig initial, Transport transport, BiFunction<PolicyConfig, MoatConfig, CompiledPolicy> compiler) {
        this.transport = transport;
        this.compiler = compiler;
        install(initial);
    }

    public Snapshot current() {
        return current;
    }

    /**
     * Builds a snapshot of an already validated config and makes it current; nothing changes when
     * building fails.
     *
     * @throws IllegalArgumentException when a policy cannot be compiled
     */
    public synchronized Snapshot install(MoatConfig config) {
        Map<UpstreamConfig, UpstreamRef> next = new HashMap<>();
        Map<String, UpstreamRef> byName = new HashMap<>();
        int maxHeader = config.server().limits().maxHeaderBytes();
        for (UpstreamConfig u : config.upstreams().values()) {
            UpstreamRef ref = upstreams.get(u);
            if (ref == null) {
                ref = new UpstreamRef(u, transport, Math.max(8192, maxHeader));
            }
            next.put(u, ref);
            byName.put(u.name(), ref);
        }
        Snapshot snap = new Snapshot(config, generation + 1, byName::get, compiler);
        generation++;
        Map<UpstreamConfig, UpstreamRef> old = upstreams;
        upstreams = next;
        current = snap;
        for (Map.Entry<UpstreamConfig, UpstreamRef> e : old.entrySet()) {
            if (!next.containsKey(e.getKey())) {
                // In-flight requests hold their channels; FixedChannelPool.closeAsync closes idle ones
                // and released channels are closed as they come back.
                e.getValue().close();
            }
        }
        return snap;
    }

    /** Closes every upstream pool (shutdown). */
    public synchronized void closeAll() {
        for (UpstreamRef ref : upstreams.values()) {
            ref.close();
        }
    }
}
