package dev.moat.gateway.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The per-address connection cap ({@code server.limits.max_connections_per_address}): a client
 * address may hold that many connections that have not yet carried an authenticated request. One
 * host opening a thousand slow or idle sockets therefore takes at most that many of the gateway's
 * {@code max_connections}; a connection leaves the count as soon as a request on it presents a
 * valid key and goes upstream (so many clients behind one NAT address, once authenticated, are not
 * capped by it), and counts again after a request refused before the upstream ({@link #refused}).
 *
 * <p>This handler only decides: an over-cap connection is marked ({@link #overCap}) and the front
 * end answers it 429 and closes it without reading anything.
 */
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "connection-limit";

    private static final AttributeKey<Boolean> OVER_CAP = AttributeKey.valueOf("moat.overAddressCap");

    private final AddressConnections counts;
    private final int maxPerAddress;
    private InetAddress counted;
    /** The client's address (null when it has none); counted again after a refused request. */
    private InetAddress address;

    public ConnectionLimitHandler(AddressConnections counts, int maxPerAddress) {
        this.counts = counts;
        this.maxPerAddress = maxPerAddress;
    }

    /** True when the connection's address was over its cap when it opened. */
    public static boolean overCap(ChannelHandlerContext anyCtx) {
        return Boolean.TRUE.equals(anyCtx.channel().attr(OVER_CAP).get());
    }

    /**
     * A request on this connection presented a valid key, was admitted and went upstream: the
     * connection no longer counts against its address.
     */
    public static void authenticated(ChannelHandlerContext anyCtx) {
        ConnectionLimitHandler h = anyCtx.pipeline().get(ConnectionLimitHandler.class);
        if (h != null) {
            h.release();
        }
    }

    /**
     * A request on this connection was refused before any upstream call (no or unknown key, no
     * route, key blocked, throttled or over its limits, batch or token budget refused, malformed
     * body, read deadline): the connection counts against its address
     * again, so that refused requests cannot keep a socket out of the cap (one key at its limit,
     * or blocked, held every one of {@code max_connections} with cheap 429s; {@code
     * ConnectionHoardBypassIT}).
     *
     * @return false when the address is over its cap: the connection must close after the answer
     */
    public static boolean refused(ChannelHandlerContext anyCtx) {
        ConnectionLimitHandler h = anyCtx.pipeline().get(ConnectionLimitHandler.class);
        return h == null || h.recount();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress isa && isa.getAddress() != null) {
            address = isa.getAddress();
            if (counts.tryAcquire(address, maxPerAddress)) {
                counted = address;
            } else {
                ctx.channel().attr(OVER_CAP).set(Boolean.TRUE);
            }
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private boolean recount() {
        if (counted != null || address == null) {
            return true;
        }
        if (counts.tryAcquire(address, maxPerAddress)) {
            counted = address;
            return true;
        }
        return false;
    }

    private void release() {
        if (counted != null) {
            counts.release(counted);
            counted = null;
        }
    }
}
