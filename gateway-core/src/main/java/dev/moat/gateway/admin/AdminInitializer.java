package dev.moat.gateway.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin connection's pipeline:
 * <pre>
 * http-codec -> body-gate -> aggregator (64 KiB) -> read-deadline -> admin
 * </pre>
 * At most {@link #MAX_CONNECTIONS} admin connections are open at once, and at most
 * {@link #MAX_CONNECTIONS_PER_ADDRESS} of them from one remote address; one more is closed as it
 * opens. With the gate (no body is buffered without the token) and the deadline (a whole request
 * within 30 s), whoever can reach the port holds a bounded amount of the gateway's memory and file
 * descriptors, and for a bounded time; and one address cannot hold every connection and lock the
 * operator out.
 */
public final class AdminInitializer extends ChannelInitializer<Channel> {

    /**
     * Open admin connections at most: the console (a browser opens up to 6), the CLI, a Prometheus
     * scraper and health probes need a few each.
     */
    public static final int MAX_CONNECTIONS = 64;

    /**
     * Open admin connections at most from one remote address: a quarter of {@link #MAX_CONNECTIONS},
     * room for a browser's 6, the CLI and a scraper behind one address, while it takes four
     * addresses to fill the listener. Before, one address could open all 64 (each held up to 30 s by
     * a head sent a byte at a time) and the operator's console and CLI got no connection.
     */
    public static final int MAX_CONNECTIONS_PER_ADDRESS = 16;

    public static final String HTTP_CODEC = "http-codec";
    public static final String BODY_GATE = "body-gate";
    public static final String AGGREGATOR = "aggregator";
    public static final String READ_DEADLINE = "read-deadline";
    public static final String ADMIN = "admin";

    static final int MAX_BODY_BYTES = 64 * 1024;

    private final AdminService service;
    private final AtomicInteger open = new AtomicInteger();
    /** Open connections per remote address; an entry only while its count is positive. */
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    public AdminInitializer(AdminService service) {
        this.service = service;
    }

    @Override
    protected void initChannel(Channel ch) {
        InetAddress from = ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        if (from != null && !tryAcquire(from)) {
            ch.close();
            return;
        }
        if (open.incrementAndGet() > MAX_CONNECTIONS) {
            open.decrementAndGet();
            release(from);
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> {
            open.decrementAndGet();
            release(from);
        });
        ch.pipeline()
                .addLast(HTTP_CODEC, new HttpServerCodec())
                .addLast(BODY_GATE, new AdminBodyGate(service))
                .addLast(AGGREGATOR, new HttpObjectAggregator(MAX_BODY_BYTES))
                .addLast(READ_DEADLINE, new AdminReadDeadline())
                .addLast(ADMIN, new AdminHandler(service));
    }

    /** Counts one more connection from {@code from}, unless it holds {@link #MAX_CONNECTIONS_PER_ADDRESS}. */
    private boolean tryAcquire(InetAddress from) {
        boolean[] counted = {false};
        perAddress.compute(from, (a, n) -> {
            int held = n == null ? 0 : n;
            if (held >= MAX_CONNECTIONS_PER_ADDRESS) {
                return n;
            }
            counted[0] = true;
            return held + 1;
        });
        return counted[0];
    }

    private void release(InetAddress from) {
        if (from != null) {
            perAddress.computeIfPresent(from, (a, n) -> n <= 1 ? null : n - 1);
        }
    }
}
