package dev.moat.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * First handler of a client connection (after TLS): the read deadlines, so that a client that sends
 * slowly, or not at all, cannot hold a connection:
 * <ul>
 *   <li>{@code keep_alive}: a connection that starts no request this long after it opened, or
 *       after its previous answer, is closed;</li>
 *   <li>{@code header_read}: a request whose head is not complete this long after its first byte
 *       is cut off (slowloris); a head whose first part came in behind the previous request, and
 *       waits in the HTTP decoder, runs from when that request's answer is out;</li>
 *   <li>{@code request_read}: a request whose body is not complete this long after its first byte
 *       is cut off (slow body).</li>
 *   <li>{@code idle}: a connection with no request in progress that reads nothing for this long is
 *       closed (before a request and within a head: it shortens {@code keep_alive} and, when it is
 *       the shorter, cuts a head off that long after the head's last byte). This was Netty's
 *       {@code IdleStateHandler}, whose event the front end acted on only between exchanges; that
 *       handler added a listener to every write and read the clock at every read.</li>
 * </ul>
 * Once the request is fully read the connection has no read deadline: the upstream's
 * {@code response_timeout} bounds the wait for the answer. This handler only decides: when a
 * deadline passes it fires {@link #TIMED_OUT} and the front end answers (408) or closes.
 */
public final class HeadReadTimeoutHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "head-read-timeout";

    /** The user event fired when a read deadline passed. */
    public static final Object TIMED_OUT = new Object() {
        @Override
        public String toString() {
            return "READ_DEADLINE_PASSED";
        }
    };

    /** Where the connection is in its request cycle. */
    enum State {
        /** No request byte yet (just opened, or after an answer). */
        WAITING,
        /** Part of a head. */
        HEAD,
        /** The head is here, the body is not complete. */
        BODY,
        /** The request is fully read; no read deadline. */
        READ
    }

    private final long headNanos;
    private final long requestNanos;
    private final long keepAliveNanos;
    private final long idleNanos;
    /** {@code keep_alive} or {@code idle}, whichever is shorter: the deadline of a connection waiting for a head. */
    private final long waitNanos;
    /** {@code header_read} or {@code request_read}, whichever is shorter: a head's deadline from its first byte. */
    private final long headSpan;
    /** {@code idle} is shorter than {@link #headSpan}: each read within a head moves its deadline. */
    private final boolean idleBindsHead;
    /** The longest a timer is armed ahead: the shortest of the deadlines. */
    private final long period;

    private State state = State.WAITING;
    private long requestStart;
    /** When the current state's read deadline passes (event loop clock), or {@link #NONE}. */
    private long deadline = NONE;

    private ScheduledFuture<?> timer;
    /** This handler's context while it is in a pipeline. */
    private ChannelHandlerContext ctx;

    private long timerAt;

    /** What the decoder holds of the next request, when the codec was built with {@link #countingHeads}. */
    private DecoderBacklog backlog;

    /** The connection's HTTP codec, whose decoder may hold part of a pipelined head. */
    private ChannelHandler codec;

    private boolean codecLooked;

    private static final long NONE = Long.MAX_VALUE;

    /** The read deadlines without an {@code idle} timeout. */
    public HeadReadTimeoutHandler(long headNanos, long requestNanos, long keepAliveNanos) {
        this(headNanos, requestNanos, keepAliveNanos, NO_IDLE);
    }

    public HeadReadTimeoutHandler(long headNanos, long requestNanos, long keepAliveNanos, long idleNanos) {
        this.headNanos = headNanos;
        this.requestNanos = requestNanos;
        this.keepAliveNanos = keepAliveNanos;
        this.idleNanos = idleNanos > 0 ? idleNanos : NO_IDLE;
        this.waitNanos = Math.min(keepAliveNanos, this.idleNanos);
        this.headSpan = Math.min(headNanos, requestNanos);
        this.idleBindsHead = this.idleNanos < headSpan;
        this.period = Math.max(1, Math.min(waitNanos, Math.min(headSpan, this.idleNanos)));
    }

    /** No {@code idle} timeout: far enough that adding it to a clock reading cannot overflow. */
    private static final long NO_IDLE = Long.MAX_VALUE / 4;

    /**
     * The handler in {@code anyCtx}'s pipeline, or null (a pipeline walk: the front end looks it up
     * once per connection, not at each of the three calls per request).
     */
    public static HeadReadTimeoutHandler of(ChannelHandlerContext anyCtx) {
        return anyCtx.pipeline().get(HeadReadTimeoutHandler.class);
    }

    /** The front end saw a complete request head. */
    public static void headReceived(ChannelHandlerContext anyCtx) {
        HeadReadTimeoutHandler h = of(anyCtx);
        if (h != null) {
            h.headReceived();
        }
    }

    /** The front end read the request's last byte. */
    public static void requestRead(ChannelHandlerContext anyCtx) {
        HeadReadTimeoutHandler h = of(anyCtx);
        if (h != null) {
            h.requestRead();
        }
    }

    /** The front end is ready for the next request on a kept-alive connection. */
    public static void awaitNextHead(ChannelHandlerContext anyCtx) {
        HeadReadTimeoutHandler h = of(anyCtx);
        if (h != null) {
            h.awaitNextHead();
        }
    }

    /** As {@link #headReceived(ChannelHandlerContext)}, on this handler. */
    public void headReceived() {
        if (backlog != null) {
            backlog.headReceived();
        }
        ChannelHandlerContext ctx = this.ctx;
        if (ctx == null) {
            return;
        }
        if (state == State.WAITING) {
            requestStart = now(ctx); // a pipelined head, already buffered by the codec
        }
        enter(ctx, State.BODY);
    }

    /** As {@link #requestRead(ChannelHandlerContext)}, on this handler. */
    public void requestRead() {
        if (ctx != null) {
            enter(ctx, State.READ);
        }
    }

    /**
     * As {@link #awaitNextHead(ChannelHandlerContext)}, on this handler. Part of the next head may
     * already be here, read with the end of the previous request and held by the HTTP decoder (a
     * pipelining client that stalls): then the head is in progress from now, under
     * {@code header_read}, and answered 408 as a first head would be. It waited under
     * {@code keep_alive} (15 s), then was closed without a word.
     */
    public void awaitNextHead() {
        ChannelHandlerContext ctx = this.ctx;
        if (ctx == null) {
            return;
        }
        if (backlog != null && backlog.holdsAHead(codec(ctx))) {
            requestStart = now(ctx);
            enter(ctx, State.HEAD);
        } else {
            enter(ctx, State.WAITING);
        }
    }

    /**
     * The headers factory for this connection's request decoder: {@code heads}, also counting the
     * heads the decoder starts, so that a head it holds in part after a complete request is seen
     * ({@link DecoderBacklog}). Without it, such a head waits under {@code keep_alive}.
     */
    public HttpHeadersFactory countingHeads(HttpHeadersFactory heads) {
        backlog = new DecoderBacklog(heads);
        return backlog;
    }

    /** The HTTP codec after this handler, looked up at the first kept-alive request, or null. */
    private ChannelHandler codec(ChannelHandlerContext ctx) {
        if (!codecLooked) {
            codec = ctx.pipeline().get(HttpServerCodec.class);
            codecLooked = true;
        }
        return codec;
    }

    State state() {
        return state;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            enter(ctx, State.WAITING);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        enter(ctx, State.WAITING);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.WAITING) {
            if (msg instanceof ByteBuf b && b.isReadable()) {
                requestStart = now(ctx);
                enter(ctx, State.HEAD);
            }
        } else if (idleBindsHead && state == State.HEAD && msg instanceof ByteBuf b && b.isReadable()) {
            // idle is the shorter: the head's deadline is idle after its last byte, within its span
            deadline = Math.min(requestStart + headSpan, now(ctx) + idleNanos);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        this.ctx = null;
        cancel();
    }

    /**
     * Moves to {@code next} and sets its deadline. No timer is scheduled or cancelled here (that was
     * three schedules and three cancels per request): one timer per connection re-arms itself,
     * never further ahead than {@link #period}, and checks the deadline in force when it fires.
     * Every deadline a state sets is at least {@code period} away from the moment it is set (or
     * later than the one before it), so the timer can never be armed past the deadline.
     */
    private void enter(ChannelHandlerContext ctx, State next) {
        state = next;
        deadline = switch (next) {
            case WAITING -> now(ctx) + waitNanos;
            case HEAD -> requestStart + Math.min(headSpan, idleNanos);
            case BODY -> requestStart + requestNanos;
            case READ -> NONE;
        };
        if (timer == null) {
            arm(ctx, now(ctx));
        } else if (deadline != NONE && deadline - timerAt < 0) {
            cancel(); // cannot happen with the deadlines above; kept so that a change to them stays correct
            arm(ctx, now(ctx));
        }
    }

    private void arm(ChannelHandlerContext ctx, long now) {
        long delay = deadline == NONE ? period : Math.max(0, Math.min(period, deadline - now));
        timerAt = now + delay;
        timer = ctx.executor().schedule(() -> fire(ctx), delay, TimeUnit.NANOSECONDS);
    }

    private void fire(ChannelHandlerContext ctx) {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = now(ctx);
        if (deadline != NONE && now - deadline >= 0) {
            deadline = NONE; // fired once; the next state change arms the timer again
            ctx.fireUserEventTriggered(TIMED_OUT);
            return;
        }
        arm(ctx, now);
    }

    /** The event loop's clock (driven by tests on an embedded channel). */
    private static long now(ChannelHandlerContext ctx) {
        return ctx.executor() instanceof AbstractScheduledEventExecutor loop
                ? loop.ticker().nanoTime()
                : System.nanoTime();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
