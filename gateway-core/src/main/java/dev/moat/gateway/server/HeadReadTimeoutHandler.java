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
 *
 * <p>One timer per connection, re-armed lazily (as Netty's {@code IdleStateHandler} does): a head's
 * first byte only records the time; the timer, when it fires, closes the connection if a head is
 * still incomplete past its deadline, re-arms itself for the deadline of a head in progress, and
 * otherwise stops. A kept-alive connection therefore schedules at most one task per
 * {@code header_read} period instead of a schedule and a cancel per request (profile: 1.1 % of
 * mode a's CPU and 3 % of its allocation, benchmarks/profiles/README.md).
 */
public final class HeadReadTimeoutHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "head-read-timeout";

    private final long timeoutNanos;
    private boolean awaitingHead = true;
    /** When the first byte of the awaited head arrived; -1 before it did. */
    private long headStartNanos = -1;

    private ScheduledFuture<?> timer;

    public HeadReadTimeoutHandler(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** The front end saw a complete request head. */
    public static void headReceived(ChannelHandlerContext anyCtx) {
        HeadReadTimeoutHandler h = anyCtx.pipeline().get(HeadReadTimeoutHandler.class);
        if (h != null) {
            h.awaitingHead = false;
            h.headStartNanos = -1;
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
        if (awaitingHead && headStartNanos < 0 && msg instanceof ByteBuf b && b.isReadable()) {
            headStartNanos = System.nanoTime();
            if (timer == null) {
                arm(ctx, timeoutNanos);
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void arm(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> fire(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void fire(ChannelHandlerContext ctx) {
        timer = null;
        if (!awaitingHead || headStartNanos < 0 || !ctx.channel().isActive()) {
            return; // no head in progress: the next head's first byte arms the timer again
        }
        long left = headStartNanos + timeoutNanos - System.nanoTime();
        if (left <= 0) {
            ctx.close();
        } else {
            arm(ctx, left);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }
}
