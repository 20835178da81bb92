package dev.moat.gateway.admin;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * After the admin connection's aggregator: a connection must deliver a whole request, head and
 * body, within {@link #DEADLINE_SECONDS} of opening or of its last answer, or it is closed.
 * While a request is being answered there is no read deadline. This replaced a 60 s read timeout
 * that each byte restarted, with which a client sending a byte a minute held a connection for good.
 */
final class AdminReadDeadline extends ChannelDuplexHandler {

    /** How long a connection may take to send one whole request, or stay idle between requests. */
    static final long DEADLINE_SECONDS = 30;

    private Future<?> timer;

    /** Requests read and not yet answered (a client may pipeline). */
    private int unanswered;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
            unanswered++;
            disarm();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && unanswered > 0 && --unanswered == 0) {
            arm(ctx); // the last answer's end: the next request has its own deadline
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    private void arm(ChannelHandlerContext ctx) {
        disarm();
        timer = ctx.executor().schedule(() -> ctx.channel().close(), DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
