package dev.moat.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * First handler of a client connection: a request whose head (request line and headers) is not
 * complete within {@code header_read} of its first byte is cut off, so a client that trickles its
 * headers (slowloris) cannot hold a connection. The front end says when a head arrived and when
 * the next one is awaited.
 */
public final class HeadReadTimeoutHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "head-read-timeout";

    private final long timeoutNanos;
    private boolean awaitingHead = true;
    private ScheduledFuture<?> timer;

    public HeadReadTimeoutHandler(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** The front end saw a complete request head. */
    public static void headReceived(ChannelHandlerContext anyCtx) {
        HeadReadTimeoutHandler h = anyCtx.pipeline().get(HeadReadTimeoutHandler.class);
        if (h != null) {
            h.awaitingHead = false;
            h.cancel();
        }
    }

    /** The front end is ready for the next request on a kept-alive connection. */
    public static void awaitNextHead(ChannelHandlerContext anyCtx) {
        HeadReadTimeoutHandler h = anyCtx.pipeline().get(HeadReadTimeoutHandler.class);
        if (h != null) {
            h.awaitingHead = true;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && timer == null && msg instanceof ByteBuf b && b.isReadable()) {
            timer = ctx.executor()
                    .schedule(
                            () -> {
                                timer = null;
                                if (awaitingHead) {
                                    ctx.close();
                                }
                            },
                            timeoutNanos,
                            TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
