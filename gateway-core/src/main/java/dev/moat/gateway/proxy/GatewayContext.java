package dev.moat.gateway.proxy;

import dev.moat.gateway.auth.KeyDirectory;
import dev.moat.gateway.defence.Defences;
import dev.moat.gateway.defence.Enforcement;
import dev.moat.gateway.log.AccessLog;
import dev.moat.gateway.metrics.MoatMetrics;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.ratelimit.SharedLimiter;
import dev.moat.gateway.runtime.RuntimeHolder;
import dev.moat.gateway.trace.Tracing;
import io.netty.channel.group.ChannelGroup;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The long-lived services every connection shares. Built once by {@code MoatServer}; outlives reloads.
 */
public final class GatewayContext {

    private final RuntimeHolder runtime;
    private final KeyDirectory keys;
    private final RateLimiter rateLimiter;
    private final SharedLimiter sharedLimiter;
    private final MoatMetrics metrics;
    private final AccessLog accessLog;
    private final ChannelGroup clientChannels;
    private final Enforcement enforcement;
    private final Defences defences;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final boolean tls;
    private volatile Tracing tracing = Tracing.OFF;

    public GatewayContext(
            RuntimeHolder runtime,
            KeyDirectory keys,
            RateLimiter rateLimiter,
            MoatMetrics metrics,
            AccessLog accessLog,
            ChannelGroup clientChannels,
            Defences defences,
            boolean tls) {
        this(runtime, keys, rateLimiter, null, metrics, accessLog, clientChannels, defences, tls);
    }

    /** @param sharedLimiter buckets shared with other instances (Redis), or null for local buckets only */
    public GatewayContext(
            RuntimeHolder runtime,
            KeyDirectory keys,
            RateLimiter rateLimiter,
            SharedLimiter sharedLimiter,
            MoatMetrics metrics,
            AccessLog accessLog,
            ChannelGroup clientChannels,
            Defences defences,
            boolean tls) {
        this.runtime = runtime;
        this.keys = keys;
        this.rateLimiter = rateLimiter;
        this.sharedLimiter = sharedLimiter;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.clientChannels = clientChannels;
        this.defences = defences;
        this.enforcement = defences == null ? Enforcement.NONE : defences;
        this.tls = tls;
    }

    public RuntimeHolder runtime() {
        return runtime;
    }

    /** The keys in force (YAML plus the runtime overlay); authenticate here, not on the snapshot. */
    public KeyDirectory keys() {
        return keys;
    }

    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    /** The buckets shared with other instances (Redis), or null: then {@link #rateLimiter()} decides alone. */
    public SharedLimiter sharedLimiter() {
        return sharedLimiter;
    }

    public MoatMetrics metrics() {
        return metrics;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    public ChannelGroup clientChannels() {
        return clientChannels;
    }

    public Enforcement enforcement() {
        return enforcement;
    }

    /** The detection engine and the rest of the defences, or null when built without them. */
    public Defences defences() {
        return defences;
    }

    /** The request tracer ({@link Tracing#OFF} unless {@code tracing.otlp} is set). */
    public Tracing tracing() {
        return tracing;
    }

    public void tracing(Tracing t) {
        this.tracing = t;
    }

    public boolean tls() {
        return tls;
    }

    public boolean draining() {
        return draining.get();
    }

    public void startDraining() {
        draining.set(true);
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    public void requestFinished() {
        inFlight.decrementAndGet();
    }

    public int inFlight() {
        return inFlight.get();
    }
}
