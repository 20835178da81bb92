package dev.moat.gateway.state;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's connections to Redis and what it knows of Redis' health. Three connections: one for
 * buckets (Bucket4j; commands time out after the request timeout), one for the state store (longer
 * timeout; never used on the event loop) and one subscribed to the change channel. Lettuce
 * reconnects established connections on its own (every 250 ms); a monitor thread connects when the
 * first attempt failed, and pings every 200 ms: Redis is {@link #up()} when all three connections are
 * open and the last ping answered within the request timeout (a refused ping or a closed connection
 * marks it down at once, late pings on the second in a row; a request's own failed or late call at
 * once). The change connection is pinged too, and made again when two checks in a row find its ping
 * unanswered (open but deaf: a flow dropped on the way). The request path reads only that flag.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
    private static final Duration STORE_TIMEOUT = Duration.ofSeconds(1);
    private static final int SLOW_PINGS_FOR_DOWN = 2;

    private final ClientResources resources;
    private final RedisClient bucketClient;
    private final RedisClient storeClient;
    private final Duration timeout;
    private final int database;
    private final ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "moat-redis-monitor");
        t.setDaemon(true);
        return t;
    });
    private final List<Runnable> onUp = new CopyOnWriteArrayList<>();
    private final AtomicLong downEvents = new AtomicLong();
    /** Each failed attempt to connect (every 20 ms at start, then every check): one line per 30 s. */
    private final RepeatedWarning unreachable = new RepeatedWarning(LOG, Duration.ofSeconds(30), System::nanoTime);

    private volatile StatefulRedisConnection<String, byte[]> buckets;
    private volatile StatefulRedisConnection<String, String> store;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile boolean up;
    private volatile boolean closed;
    private final AtomicInteger slowPings = new AtomicInteger(); // late pings in a row
    private java.util.concurrent.CompletableFuture<String> listenPing; // the change connection's last ping
    private int deafChecks; // checks in a row that found it unanswered

    /**
     * @param url     {@code redis://}, {@code rediss://} or {@code redis-sentinel://} (Lettuce's URI syntax)
     * @param timeout how long a request waits for Redis
     */
    public RedisLink(String url, Duration timeout) {
        this.timeout = timeout;
        this.database = RedisURI.create(url).getDatabase();
        this.resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.constant(Duration.ofMillis(250)))
                .build();
        this.bucketClient = client(url, timeout);
        this.storeClient = client(url, STORE_TIMEOUT);
    }

    private RedisClient client(String url, Duration commandTimeout) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(commandTimeout);
        RedisClient c = RedisClient.create(resources, uri);
        c.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // while disconnected, commands fail at once instead of queueing behind the reconnect
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .build());
        return c;
    }

    /** Connects (waiting up to a few seconds) and starts the monitor. False when Redis could not be reached yet. */
    public boolean start() {
        boolean ok = tryConnect();
        monitor.scheduleWithFixedDelay(this::check, 200, 200, TimeUnit.MILLISECONDS);
        return ok;
    }

    private synchronized boolean tryConnect() {
        if (closed) {
            return false;
        }
        try {
            if (store == null) {
                store = storeClient.connect();
            }
            if (buckets == null) {
                buckets = bucketClient.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            }
            if (pubSub == null) {
                StatefulRedisPubSubConnection<String, String> ps = storeClient.connectPubSub();
                pubSub = ps;
                subscribeAll(ps);
            }
            unreachable.reset();
            return true;
        } catch (RuntimeException e) {
            unreachable.warn("Redis not reachable yet: " + e.getMessage());
            return false;
        }
    }

    private final List<java.util.function.Consumer<StatefulRedisPubSubConnection<String, String>>> subscribers =
            new CopyOnWriteArrayList<>();

    private void subscribeAll(StatefulRedisPubSubConnection<String, String> ps) {
        subscribers.forEach(s -> s.accept(ps));
    }

    /**
     * Subscribes to {@code channel} again on the change connection and waits for Redis to confirm
     * (SUBSCRIBE is idempotent). After an outage the change connection reconnects on its own
     * schedule, apart from the command connections; a resync that re-read the shared view before this
     * connection listened again could miss a change another instance published in between. Waits up
     * to two seconds for the connection; never called on an event loop. False when it cannot now.
     */
    public boolean confirmSubscribed(String channel) {
        StatefulRedisPubSubConnection<String, String> ps = pubSub;
        if (ps == null) {
            return false;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        try {
            while (!ps.isOpen() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            ps.sync().subscribe(channel);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            LOG.warn("change channel not confirmed after Redis came back: {}", e.toString());
            return false;
        }
    }

    /** Subscribes now if connected, and on the first connection otherwise (Lettuce resubscribes after reconnects). */
    public synchronized void subscribe(java.util.function.Consumer<StatefulRedisPubSubConnection<String, String>> s) {
        subscribers.add(s);
        if (pubSub != null) {
            s.accept(pubSub);
        }
    }

    private synchronized void check() {
        if (closed) {
            return;
        }
        if (buckets == null || store == null || pubSub == null) {
            if (!tryConnect()) {
                markDown();
                return;
            }
        }
        if (!buckets.isOpen() || !store.isOpen() || !pubSub.isOpen()) {
            // each connection reconnects on its own schedule: "up" with one still closed would run the
            // resync (onUp) into a refused command, which marks Redis down again
            slowPings.set(0);
            markDown();
            return;
        }
        if (!listening()) {
            return;
        }
        boolean ok = false;
        boolean slow = false;
        try {
            ok = "PONG".equals(buckets.async().ping().get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            slow = true;
        } catch (ExecutionException e) {
            // Lettuce's own command timeout (the same duration) may fire first; anything else is a refusal
            slow = e.getCause() instanceof RedisCommandTimeoutException;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            // refused (disconnected: commands are rejected at once)
        }
        if (ok) {
            slowPings.set(0);
            if (!up) {
                LOG.info("Redis is reachable: shared state resumes");
                up = true;
                for (Runnable r : onUp) {
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        LOG.warn("after Redis came back: {}", e.toString());
                    }
                }
            }
        } else if (!slow || slowPings.incrementAndGet() >= SLOW_PINGS_FOR_DOWN) {
            // a refused or failed ping is down at once; one late ping can be this process' own
            // pause (GC, a busy core), so it takes two in a row. A request whose own call is late
            // still marks Redis down at once (markDown), so a Redis that is really slow is seen
            // by the first request that waits on it.
            markDown();
        }
    }

    /**
     * Pings the change connection (it only listens, so nothing else would find it dead): false, after
     * closing it to be made again by the next check, when two checks in a row found its ping
     * unanswered. A flow dropped on the way (a NAT's or a firewall's idle timeout) leaves it open and
     * deaf, while the other connections answer: no outage, no re-read, and no change from another
     * instance heard again. The one made again subscribes anew, and the re-read after it (Redis is
     * down meanwhile) brings what was missed.
     */
    private boolean listening() {
        var last = listenPing;
        boolean answered = last == null || (last.isDone() && !last.isCompletedExceptionally());
        if (answered) {
            deafChecks = 0;
        } else if (++deafChecks >= SLOW_PINGS_FOR_DOWN) {
            LOG.warn("Redis' change connection does not answer: making it again");
            StatefulRedisPubSubConnection<String, String> deaf = pubSub;
            pubSub = null;
            listenPing = null;
            deafChecks = 0;
            deaf.closeAsync();
            slowPings.set(0);
            markDown();
            return false;
        }
        if (last == null || last.isDone()) {
            listenPing = pubSub.async().ping().toCompletableFuture();
        }
        return true;
    }

    /** Called when an operation failed or timed out: the request path serves without Redis until a ping answers. */
    public void markDown() {
        if (up) {
            up = false;
            downEvents.incrementAndGet();
            LOG.warn("Redis is unreachable or slow (> {} ms): serving without it", timeout.toMillis());
        }
    }

    /** True while the last ping answered within the timeout. */
    public boolean up() {
        return up;
    }

    /** Sets {@code up} when the first ping succeeds (for {@link #start()} callers that need it at once). */
    public boolean awaitUp(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!up && System.nanoTime() < deadline) {
            check();
            if (!up) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return up;
    }

    /** Runs on the monitor thread each time Redis becomes reachable (after an outage, and the first time). */
    public void onUp(Runnable r) {
        onUp.add(r);
    }

    /** How many "Redis not reachable yet" lines were logged (the rest of the attempts are counted in them). */
    public long unreachableLines() {
        return unreachable.lines();
    }

    /** How many times Redis went from reachable to unreachable. */
    public long downEvents() {
        return downEvents.get();
    }

    public Duration timeout() {
        return timeout;
    }

    /** The database number of the URL (0 when it names none). */
    public int database() {
        return database;
    }

    /** The buckets' connection (String keys, byte[] values), or null before the first connection. */
    public StatefulRedisConnection<String, byte[]> buckets() {
        return buckets;
    }

    /** The state store's connection, or null before the first connection. Never used on the event loop. */
    public StatefulRedisConnection<String, String> store() {
        return store;
    }

    @Override
    public void close() {
        closed = true;
        monitor.shutdownNow();
        for (AutoCloseable c : new AutoCloseable[] {pubSub, buckets, store}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing a Redis connection", e);
                }
            }
        }
        bucketClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        storeClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
