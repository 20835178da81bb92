package dev.moat.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Last handler of an upstream connection's pipeline (after the HTTP client codec). While the
 * connection serves a call it hands everything to it; while it idles in the pool a read is
 * kept pending so that the upstream closing it is noticed, and anything it sends unasked is a
 * protocol error that closes it.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    /** The call a connection serves: it takes every message, read completion and close. */
    public interface Listener {
        /** A message from the upstream; the listener owns it (forwards or releases it). */
        void onMessage(Object msg);

        void onReadComplete();

        /** The connection closed (cause null) or failed. */
        void onClosed(Throwable cause);
    }

    private Listener call;

    /** Binds the connection to a call (on the connection's event loop); null unbinds it. */
    public void bind(Listener call) {
        this.call = call;
    }

    /** Unbinds it before it goes back to the pool, and keeps a read pending to notice a close. */
    public void unbind(Channel ch) {
        this.call = null;
        ch.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Listener c = call;
        if (c == null) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        c.onMessage(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Listener c = call;
        if (c != null) {
            c.onReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Listener c = call;
        call = null;
        if (c != null) {
            c.onClosed(null);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Listener c = call;
        call = null;
        ctx.close();
        if (c != null) {
            c.onClosed(cause);
        }
    }
}
