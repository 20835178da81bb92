package dev.moat.gateway.upstream;

import dev.moat.config.UpstreamConfig;
import dev.moat.gateway.http.HeaderValues;
import dev.moat.gateway.http.SmallTrailers;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/**
 * One upstream's connection pools: one bounded pool per event loop, so an upstream connection
 * always lives on the same event loop as the client connection it serves and the two need no locks
 * (Netty's proxy example). Survives reloads as long as the upstream's config does not change.
 */
public final class UpstreamRef {

    /** Name of the upstream channel's HTTP codec and exchange handler. */
    public static final String CODEC = "upstream-codec";

    public static final String HANDLER = "upstream-handler";

    private final UpstreamConfig config;
    private final Transport transport;
    private final FastThreadLocal<LoopPool> pools = new FastThreadLocal<>();
    private final List<LoopPool> allPools = new ArrayList<>();
    private final int maxResponseHeaderBytes;
    private final String authority;
    private final CharSequence authorityHeader;
    private final String basePath;

    public UpstreamRef(UpstreamConfig config, Transport transport, int maxResponseHeaderBytes) {
        this.config = config;
        this.transport = transport;
        this.maxResponseHeaderBytes = maxResponseHeaderBytes;
        this.authority = config.authority();
        this.authorityHeader = HeaderValues.ascii(authority);
        this.basePath = config.basePath();
    }

    public UpstreamConfig config() {
        return config;
    }

    /** {@link UpstreamConfig#authority()}, built once (it was a concatenation per request). */
    public String authority() {
        return authority;
    }

    /** The same as the {@code Host} value the encoder writes (an {@code AsciiString} when ASCII). */
    public CharSequence authorityHeader() {
        return authorityHeader;
    }

    /** {@link UpstreamConfig#basePath()}, computed once. */
    public String basePath() {
        return basePath;
    }

    /** The target to send upstream: the base path before the normalised origin-form target. */
    public String upstreamTarget(String target) {
        return basePath.isEmpty() ? target : basePath + target;
    }

    /** The pool for the calling event loop; created on first use. Call only on {@code loop}. */
    public LoopPool pool(EventLoop loop) {
        LoopPool pool = pools.get();
        if (pool == null) {
            pool = new LoopPool(loop, newPool(loop));
            pools.set(pool);
            synchronized (allPools) {
                allPools.add(pool);
            }
        }
        return pool;
    }

    private FixedChannelPool newPool(EventLoop loop) {
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .remoteAddress(config.host(), config.port())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
        AbstractChannelPoolHandler handler = new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                ch.pipeline()
                        .addLast(
                                CODEC,
                                new HttpClientCodec(
                                        SmallTrailers.decoderConfig(4096, maxResponseHeaderBytes, 8192), false, false));
                ch.pipeline().addLast(HANDLER, new UpstreamHandler());
            }
        };
        long acquireTimeout =
                config.connectTimeout().toMillis() + config.responseTimeout().toMillis();
        return new FixedChannelPool(
                b,
                handler,
                ChannelHealthChecker.ACTIVE,
                FixedChannelPool.AcquireTimeoutAction.FAIL,
                acquireTimeout,
                config.maxConnections(),
                4 * config.maxConnections() + 64,
                true,
                true);
    }

    /** Closes every pool (after a reload removed this upstream, or on shutdown). */
    public void close() {
        synchronized (allPools) {
            for (LoopPool p : allPools) {
                p.close();
            }
            allPools.clear();
        }
    }
}
