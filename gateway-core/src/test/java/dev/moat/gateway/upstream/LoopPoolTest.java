package dev.moat.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LoopPool}: the idle stack in front of Netty's fixed pool, over real loopback connections
 * to a server that accepts and holds them. It must keep the fixed pool's rules: never more than
 * {@code max_connections} per loop, a waiting acquire served by the next release, a connection
 * closed while idle never handed out, a connection never handed out twice.
 */
class LoopPoolTest {

    private ServerSocket server;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private Thread acceptor;
    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            try {
                for (; ; ) {
                    accepted.add(server.accept());
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        group = Transport.best().newGroup(1);
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        server.close();
        for (Socket s : accepted) {
            s.close();
        }
    }

    private LoopPool pool(int maxConnections, Duration responseTimeout) throws Exception {
        UpstreamConfig c = new UpstreamConfig(
                "model",
                URI.create("http://127.0.0.1:" + server.getLocalPort()),
                Protocol.values()[0],
                Duration.ofSeconds(2),
                responseTimeout,
                maxConnections,
                null,
                null);
        UpstreamRef ref = new UpstreamRef(c, Transport.best(), 8192);
        return on(() -> ref.pool(loop));
    }

    private <T> T on(Callable<T> task) throws Exception {
        return loop.submit(task).get(5, TimeUnit.SECONDS);
    }

    private Channel acquire(LoopPool p) throws Exception {
        Future<Channel> f = on(() -> {
            Channel idle = p.poll();
            return idle != null ? loop.newSucceededFuture(idle) : p.acquire();
        });
        return f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aReleasedConnectionIsReusedMostRecentFirstAndNotStackedTwice() throws Exception {
        LoopPool p = pool(4, Duration.ofSeconds(5));
        Channel a = acquire(p);
        Channel b = acquire(p);
        assertThat(a).isNotSameAs(b);
        on(() -> {
            p.release(a);
            p.release(b);
            p.release(b); // a second release: ignored, as the fixed pool refused it
            return null;
        });
        assertThat(on(p::idleCount)).isEqualTo(2);
        assertThat(acquire(p)).isSameAs(b);
        assertThat(acquire(p)).isSameAs(a);
        assertThat(on(p::poll)).as("b was stacked once, not twice").isNull();
    }

    @Test
    void aConnectionClosedWhileIdleIsNeverHandedOutAndFreesItsPlace() throws Exception {
        LoopPool p = pool(1, Duration.ofSeconds(5));
        Channel a = acquire(p);
        on(() -> {
            p.release(a);
            return null;
        });
        a.close().sync(); // e.g. the upstream closed it while it sat idle
        Channel b = acquire(p);
        assertThat(b).isNotSameAs(a);
        assertThat(b.isActive()).isTrue();
    }

    @Test
    void atMaxConnectionsAnAcquireWaitsAndTheNextReleaseServesIt() throws Exception {
        LoopPool p = pool(1, Duration.ofSeconds(5));
        Channel a = acquire(p);
        Future<Channel> waiting = on(() -> {
            Channel idle = p.poll();
            assertThat(idle).isNull();
            return p.acquire();
        });
        Thread.sleep(200);
        assertThat(waiting.isDone()).as("the bound holds: no second connection").isFalse();
        assertThat(accepted).hasSize(1);
        on(() -> {
            p.release(a);
            return null;
        });
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isSameAs(a);
        assertThat(on(p::idleCount))
                .as("handed to the waiting acquire, not stacked")
                .isZero();
        assertThat(accepted).hasSize(1);
    }

    @Test
    void aWaitingAcquireFailsAfterItsTimeout() throws Exception {
        // the acquire timeout is connect_timeout + response_timeout (2 s + 100 ms here)
        LoopPool p = pool(1, Duration.ofMillis(100));
        acquire(p);
        Future<Channel> waiting = on(p::acquire);
        assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(waiting.isSuccess()).isFalse();
    }

    @Test
    void closeClosesIdleConnectionsAndThoseReleasedAfter() throws Exception {
        LoopPool p = pool(4, Duration.ofSeconds(5));
        Channel idle = acquire(p);
        Channel busy = acquire(p);
        on(() -> {
            p.release(idle);
            return null;
        });
        p.close(); // from another thread, as a reload does
        idle.closeFuture().await(5, TimeUnit.SECONDS);
        assertThat(idle.isActive()).isFalse();
        assertThat(busy.isActive()).isTrue();
        on(() -> {
            p.release(busy);
            return null;
        });
        busy.closeFuture().await(5, TimeUnit.SECONDS);
        assertThat(busy.isActive()).isFalse();
        assertThat(on(p::idleCount)).isZero();
    }
}
