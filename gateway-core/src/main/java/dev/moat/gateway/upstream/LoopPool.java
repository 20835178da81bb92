package dev.moat.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;

/**
 * One event loop's upstream connections: Netty's {@link FixedChannelPool} (the bound of
 * {@code max_connections}, connecting, the queue of waiting acquires and their timeout) behind a
 * stack of idle connections that the loop takes and returns without the pool's promises,
 * listeners, health-check futures and concurrent deque (1.3 % of mode a's CPU and about 300 bytes
 * per request, benchmarks/profiles/README.md). Used only on its event loop.
 * <p>
 * A connection on the stack stays acquired from the fixed pool, so it counts against
 * {@code max_connections} as it did (the fixed pool's idle connections never exceeded the bound
 * either). A connection comes back to the fixed pool instead of the stack when it is closed, when
 * an acquire is waiting in the fixed pool (which then serves it), or after {@link #close}.
 */
public final class LoopPool {

    /** Set while a connection sits on the stack: a second release of it is ignored, never stacked twice. */
    private static final AttributeKey<Boolean> IDLE = AttributeKey.newInstance("moat.upstream.idle");

    private final EventLoop loop;
    private final FixedChannelPool pool;
    /** Idle connections, the most recently used on top. */
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    /** Acquires the fixed pool has not answered yet. */
    private int waiting;

    private boolean closed;

    LoopPool(EventLoop loop, FixedChannelPool pool) {
        this.loop = loop;
        this.pool = pool;
    }

    /** An idle, open connection, now the caller's; or null (then {@link #acquire}). */
    public Channel poll() {
        Channel ch;
        while ((ch = idle.pollLast()) != null) {
            ch.attr(IDLE).set(null);
            if (ch.isActive()) {
                return ch;
            }
            pool.release(ch); // closed while idle: the fixed pool drops it and frees its place
        }
        return null;
    }

    /** A connection from the fixed pool: a new one, or one it had, or after a wait (bounded, timed). */
    public Future<Channel> acquire() {
        waiting++;
        return pool.acquire().addListener(f -> waiting--);
    }

    /** Returns a connection taken with {@link #poll} or {@link #acquire}. */
    public void release(Channel ch) {
        if (closed || waiting > 0 || !ch.isActive()) {
            if (ch.attr(IDLE).get() == null) {
                pool.release(ch);
            }
            return;
        }
        if (ch.attr(IDLE).setIfAbsent(Boolean.TRUE) != null) {
            return; // already on the stack (a second release, which the fixed pool refused too)
        }
        idle.addLast(ch);
    }

    /** Idle connections, for tests. */
    int idleCount() {
        return idle.size();
    }

    /**
     * Closes the idle connections and the fixed pool (a reload removed the upstream, or shutdown);
     * connections in use are closed as they come back. Callable from any thread.
     */
    public void close() {
        if (!loop.inEventLoop()) {
            loop.execute(this::close);
            return;
        }
        closed = true;
        Channel ch;
        while ((ch = idle.pollLast()) != null) {
            ch.attr(IDLE).set(null);
            ch.close();
            pool.release(ch);
        }
        pool.closeAsync();
    }
}
