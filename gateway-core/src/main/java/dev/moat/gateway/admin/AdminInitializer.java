package dev.moat.gateway.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin connection's pipeline:
 * <pre>
 * http-codec -> body-gate -> aggregator (64 KiB) -> read-deadline -> admin
 * </pre>
 * At most {@link #MAX_CONNECTIONS} admin connections are open at once; one more is closed as it
 * opens. With the gate (no body is buffered without the token) and the deadline (a whole request
 * within 30 s), whoever can reach the port holds a bounded amount of the gateway's memory and file
 * descriptors, and for a bounded time.
 */
public final class AdminInitializer extends ChannelInitializer<Channel> {

    /**
     * Open admin connections at most: the console (a browser opens up to 6), the CLI, a Prometheus
     * scraper and health probes need a few each.
     */
    public static final int MAX_CONNECTIONS = 64;

    public static final String HTTP_CODEC = "http-codec";
    public static final String BODY_GATE = "body-gate";
    public static final String AGGREGATOR = "aggregator";
    public static final String READ_DEADLINE = "read-deadline";
    public static final String ADMIN = "admin";

    static final int MAX_BODY_BYTES = 64 * 1024;

    private final AdminService service;
    private final AtomicInteger open = new AtomicInteger();

    public AdminInitializer(AdminService service) {
        this.service = service;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (open.incrementAndGet() > MAX_CONNECTIONS) {
            open.decrementAndGet();
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        ch.pipeline()
                .addLast(HTTP_CODEC, new HttpServerCodec())
                .addLast(BODY_GATE, new AdminBodyGate(service))
                .addLast(AGGREGATOR, new HttpObjectAggregator(MAX_BODY_BYTES))
                .addLast(READ_DEADLINE, new AdminReadDeadline())
                .addLast(ADMIN, new AdminHandler(service));
    }
}
