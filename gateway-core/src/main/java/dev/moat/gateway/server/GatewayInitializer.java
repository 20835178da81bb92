package dev.moat.gateway.server;

import dev.moat.config.ServerConfig;
import dev.moat.gateway.http.SmallTrailers;
import dev.moat.gateway.proxy.AddressConnections;
import dev.moat.gateway.proxy.ConnectionLimitHandler;
import dev.moat.gateway.proxy.FrontendHandler;
import dev.moat.gateway.proxy.GatewayContext;
import dev.moat.gateway.proxy.HeadReadTimeoutHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.SslContext;

/**
 * Builds a client connection's pipeline, in named stages:
 * <pre>
 * connection-limit -> [tls] -> head-read-timeout -> http-codec -> flow-control
 *   -> frontend
 * </pre>
 * The {@code idle} timeout is one of the read deadlines ({@link HeadReadTimeoutHandler}), not a
 * handler of its own; the front end answers {@code Expect: 100-continue} (curl sends it for
 * bodies over 1 KiB) once the head passed its checks.
 * The codec's limits, the read deadlines and the per-address cap come from the config in force
 * when the connection opened.
 */
public final class GatewayInitializer extends ChannelInitializer<SocketChannel> {

    public static final String TLS = "tls";
    public static final String HTTP_CODEC = "http-codec";
    public static final String FLOW_CONTROL = "flow-control";
    public static final String FRONTEND = "frontend";

    private final GatewayContext gw;
    private final SslContext ssl;
    private final AddressConnections perAddress = new AddressConnections();

    public GatewayInitializer(GatewayContext gw, SslContext ssl) {
        this.gw = gw;
        this.ssl = ssl;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ServerConfig server = gw.runtime().current().config().server();
        ChannelPipeline p = ch.pipeline();
        HeadReadTimeoutHandler deadlines = addTransportHandlers(p, ch, server);
        addHttp1Handlers(p, server, deadlines);
    }

    private HeadReadTimeoutHandler addTransportHandlers(ChannelPipeline p, SocketChannel ch, ServerConfig server) {
        p.addLast(
                ConnectionLimitHandler.NAME,
                new ConnectionLimitHandler(perAddress, server.limits().maxConnectionsPerAddress()));
        if (ssl != null) {
            p.addLast(TLS, ssl.newHandler(ch.alloc()));
        }
        HeadReadTimeoutHandler deadlines = new HeadReadTimeoutHandler(
                server.timeouts().headerRead().toNanos(),
                server.timeouts().requestRead().toNanos(),
                server.timeouts().keepAlive().toNanos(),
                server.timeouts().idle().toNanos());
        p.addLast(HeadReadTimeoutHandler.NAME, deadlines);
        return deadlines;
    }

    private void addHttp1Handlers(ChannelPipeline p, ServerConfig server, HeadReadTimeoutHandler deadlines) {
        int maxHeader = server.limits().maxHeaderBytes();
        HttpDecoderConfig decoder = SmallTrailers.decoderConfig(Math.min(8192, maxHeader), maxHeader, 8192);
        // the deadlines count the heads the decoder starts: part of one behind a request is a head in progress
        decoder.setHeadersFactory(deadlines.countingHeads(decoder.getHeadersFactory()));
        p.addLast(HTTP_CODEC, new HttpServerCodec(decoder));
        if (Boolean.getBoolean("moat.debug.pipeline")) {
            p.addLast(
                    "debug-1",
                    new io.netty.handler.logging.LoggingHandler("wire1", io.netty.handler.logging.LogLevel.INFO));
        }
        p.addLast(FLOW_CONTROL, new FlowControlHandler());
        if (Boolean.getBoolean("moat.debug.pipeline")) {
            p.addLast(
                    "debug-2",
                    new io.netty.handler.logging.LoggingHandler("wire2", io.netty.handler.logging.LogLevel.INFO));
        }
        p.addLast(FRONTEND, new FrontendHandler(gw));
    }
}
