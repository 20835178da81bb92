package dev.moat.gateway.proxy;

import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.defence.Defences;
import dev.moat.gateway.log.AccessLog;
import dev.moat.gateway.metrics.MoatMetrics;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.runtime.RuntimeHolder;
import dev.moat.gateway.upstream.Transport;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The client pipeline of a gateway on an {@link EmbeddedChannel} (driven clock, no sockets): the
 * connection limit, the read deadlines, the HTTP codec, flow control and the front end, with a
 * config whose only upstream is never reached by the requests these tests send (rejected ones).
 */
final class EmbeddedGateway implements AutoCloseable {

    static final String KEY = "embedded-secret-0123456789";

    static final String YAML = """
            server:
              listen: "127.0.0.1:0"
              limits: {max_request_bytes: 64KiB, max_header_bytes: 8KiB, max_connections_per_address: 2}
              timeouts: {header_read: 1s, request_read: 3s, keep_alive: 5s}
            admin: {listen: "127.0.0.1:0", token: "t"}
            %s
            keys:
              - {id: k, sha256: "%s", tier: free}
            tiers:
              free: {limits: ["1000/1m"]}
            """;

    /** The default upstreams and routes: one plain route, no policy. */
    static final String PLAIN_ROUTE = """
            upstreams:
              model: {url: "http://127.0.0.1:9", protocol: tfserving}
            routes:
              - {path_prefix: /v1/models, upstream: model}
            """;

    final GatewayContext gw;
    final AddressConnections perAddress = new AddressConnections();
    private final Defences defences;

    EmbeddedGateway() throws Exception {
        this(PLAIN_ROUTE, false);
    }

    /**
     * A gateway whose {@code upstreams}, {@code routes} and {@code policies} are {@code routes}
     * (YAML, the upstreams never reached), its policies compiled as the server compiles them; {@link
     * #close} stops their detection engine.
     */
    EmbeddedGateway(String routes) throws Exception {
        this(routes, true);
    }

    private EmbeddedGateway(String routes, boolean policies) throws Exception {
        String yaml = YAML.formatted(routes.strip(), KeyStore.sha256Hex(KEY));
        MoatConfig config = ConfigLoader.parse(yaml, "embedded.yaml", Map.of());
        MoatMetrics metrics = new MoatMetrics();
        metrics.bindTo(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        RateLimiter limiter = new RateLimiter(1000, java.time.Duration.ofHours(1), System::nanoTime);
        defences = policies ? new Defences(config, limiter, metrics, java.time.InstantSource.system()) : null;
        RuntimeHolder runtime =
                new RuntimeHolder(config, Transport.best(), (p, c) -> defences == null ? null : defences.compile(p));
        gw = new GatewayContext(
                runtime,
                new dev.moat.gateway.auth.KeyDirectory(
                        new dev.moat.gateway.state.InMemoryStateStore(),
                        java.time.InstantSource.system(),
                        config.keys(),
                        config.tiers().keySet()),
                limiter,
                metrics,
                new AccessLog(false, "text"),
                new DefaultChannelGroup("embedded", GlobalEventExecutor.INSTANCE),
                defences,
                false);
    }

    @Override
    public void close() {
        if (defences != null) {
            defences.close();
        }
    }

    /** A client connection from {@code ip}, its pipeline built as the gateway builds it. */
    EmbeddedChannel connect(String ip) throws Exception {
        EmbeddedChannel ch = new RemoteChannel(new InetSocketAddress(ip, 40000));
        ch.config().setAutoRead(false);
        HeadReadTimeoutHandler deadlines = new HeadReadTimeoutHandler(
                TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(3), TimeUnit.SECONDS.toNanos(5));
        // the decoder as GatewayInitializer configures it: the gateway's headers, the heads it starts counted
        io.netty.handler.codec.http.HttpDecoderConfig decoder =
                dev.moat.gateway.http.SmallTrailers.decoderConfig(4096, 8192, 8192);
        decoder.setHeadersFactory(deadlines.countingHeads(decoder.getHeadersFactory()));
        ch.pipeline()
                .addLast(
                        ConnectionLimitHandler.NAME,
                        new ConnectionLimitHandler(
                                perAddress,
                                gw.runtime()
                                        .current()
                                        .config()
                                        .server()
                                        .limits()
                                        .maxConnectionsPerAddress()))
                .addLast(HeadReadTimeoutHandler.NAME, deadlines)
                .addLast("http-codec", new HttpServerCodec(decoder))
                .addLast("flow-control", new FlowControlHandler())
                .addLast("frontend", new FrontendHandler(gw));
        ch.register(); // fires channelActive
        return ch;
    }

    /** Everything the channel has written so far, as text (each buffer read and released). */
    static String written(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            io.netty.buffer.ByteBuf b = (io.netty.buffer.ByteBuf) o;
            sb.append(b.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    /** An embedded channel with a real-looking peer address (the connection limit keys on it). */
    static final class RemoteChannel extends EmbeddedChannel {
        private final SocketAddress remote;

        RemoteChannel(SocketAddress remote) {
            super(false, false, new ChannelHandler[0]);
            this.remote = remote;
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return remote;
        }
    }
}
