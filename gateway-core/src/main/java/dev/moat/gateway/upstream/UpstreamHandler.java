package dev.moat.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

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

        /** The deadline set with {@link #deadline} passed while the call was still bound. */
        void onTimeout();
    }

    private static final long NONE = Long.MAX_VALUE;

    private Listener call;
    private ChannelHandlerContext ctx;
    /** The bound call's response deadline (the event loop's clock), or {@link #NONE}. */
    private long deadline = NONE;

    private ScheduledFuture<?> timer;
    private long timerAt;

    /** Binds the connection to a call (on the connection's event loop); null unbinds it. */
    public void bind(Listener call) {
        this.call = call;
        this.deadline = NONE;
    }

    /** Unbinds it before it goes back to the pool, and keeps a read pending to notice a close. */
    public void unbind(Channel ch) {
        this.call = null;
        this.deadline = NONE;
        ch.read();
    }

    /**
     * Sets the bound call's response deadline, {@code timeoutNanos} from now. The connection keeps
     * one timer, re-armed lazily: a call that finishes in time only clears its deadline, and the
     * next call on the connection finds the timer still armed (at most one schedule per timeout
     * period per connection instead of a schedule and a cancel per request). A timer that finds no
     * deadline stops; one that finds a later deadline re-arms for it.
     */
    public void deadline(Listener owner, long timeoutNanos) {
        if (call != owner || ctx == null) {
            return;
        }
        long now = now();
        deadline = now + timeoutNanos;
        if (timer == null) {
            arm(now);
        } else if (deadline - timerAt < 0) { // a shorter timeout than the armed timer's (a reload)
            timer.cancel(false);
            arm(now);
        }
    }

    /** Clears the deadline of {@code owner} if it is still the bound call. */
    public void clearDeadline(Listener owner) {
        if (call == owner) {
            deadline = NONE;
        }
    }

    private void arm(long now) {
        long delay = Math.max(0, deadline - now);
        timerAt = now + delay;
        timer = ctx.executor().schedule(this::fire, delay, TimeUnit.NANOSECONDS);
    }

    private void fire() {
        timer = null;
        if (deadline == NONE || !ctx.channel().isActive()) {
            return;
        }
        long now = now();
        if (now - deadline < 0) {
            arm(now); // a later call's deadline
            return;
        }
        deadline = NONE;
        Listener c = call;
        if (c != null) {
            c.onTimeout();
        }
    }

    /** The event loop's clock (its ticker), the one its timers run on. */
    private long now() {
        return ctx.executor() instanceof AbstractScheduledEventExecutor loop
                ? loop.ticker().nanoTime()
                : System.nanoTime();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
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
        cancelTimer();
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
