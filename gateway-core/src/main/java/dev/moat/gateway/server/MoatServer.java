package dev.moat.gateway.server;

import dev.moat.config.ConfigError;
import dev.moat.config.ConfigException;
import dev.moat.config.DistributedConfig;
import dev.moat.config.HostPort;
import dev.moat.config.MoatConfig;
import dev.moat.config.ServerConfig;
import dev.moat.gateway.admin.AdminInitializer;
import dev.moat.gateway.auth.KeyDirectory;
import dev.moat.gateway.console.KeyHistory;
import dev.moat.gateway.defence.Defences;
import dev.moat.gateway.log.AccessLineAppender;
import dev.moat.gateway.log.AccessLog;
import dev.moat.gateway.metrics.MoatMetrics;
import dev.moat.gateway.metrics.NettyAllocatorMeters;
import dev.moat.gateway.proxy.GatewayContext;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.ratelimit.RedisLimiter;
import dev.moat.gateway.ratelimit.SharedLimiter;
import dev.moat.gateway.runtime.RuntimeHolder;
import dev.moat.gateway.runtime.Snapshot;
import dev.moat.gateway.state.FileStateStore;
import dev.moat.gateway.state.InMemoryStateStore;
import dev.moat.gateway.state.RedisLink;
import dev.moat.gateway.state.RedisStateStore;
import dev.moat.gateway.state.StateStore;
import dev.moat.gateway.trace.Tracing;
import dev.moat.gateway.upstream.Transport;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: the client listener, the admin listener, the shared services, reload and
 * graceful shutdown. {@link #close()} stops accepting, answers new requests on open connections
 * with 503, lets in-flight requests finish for up to {@code server.timeouts.drain}, then closes.
 */
public final class MoatServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MoatServer.class);

    private final ConfigSource configSource;
    /** The config the gateway started with: what {@link StartupOnly} fields hold until a restart. */
    private final MoatConfig started;

    private final Transport transport = Transport.best();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MoatMetrics metrics = new MoatMetrics();
    private final ExecutorService adminWorker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "moat-admin-worker");
        t.setDaemon(true);
        return t;
    });
    private final RuntimeHolder runtime;
    private final Defences defences;
    private final RedisLink redis;
    private final SharedLimiter shared;
    private final StateStore store;
    private final InstantSource clock;
    private final KeyDirectory keys;
    private final ConsoleHistory consoleHistory;
    private final GatewayContext gw;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup clients = new DefaultChannelGroup("moat-clients", GlobalEventExecutor.INSTANCE);
    private Channel serverChannel;
    private Channel adminChannel;
    private volatile boolean closed;

    /**
     * @param configSource where reloads read from, or null when the config was built in code
     * @param nanoClock  the monotonic clock for buckets and detectors ({@code System::nanoTime})
     */
    public MoatServer(MoatConfig config, ConfigSource configSource, LongSupplier nanoClock) {
        this(config, configSource, nanoClock, null);
    }

    /**
     * @param state where blocks and runtime key changes live (keys made, rotated, revoked at runtime),
     *              or null to build it from the config (Redis, the state file, or memory); the server
     *              closes it on {@link #close()}
     */
    public MoatServer(MoatConfig config, ConfigSource configSource, LongSupplier nanoClock, StateStore state) {
        this.configSource = configSource;
        this.started = config;
        // process_cpu_time_ns_total and system_cpu_count break Prometheus naming rules (promtool
        // check metrics): process_cpu_usage and the JVM's own count say the same.
        registry.config()
                .meterFilter(MeterFilter.deny(id ->
                        id.getName().equals("process.cpu.time") || id.getName().equals("system.cpu.count")));
        metrics.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new NettyAllocatorMeters().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        RateLimiter limiter = new RateLimiter(
                config.rateLimiting().maxTrackedKeys(), config.rateLimiting().expireAfterIdle(), nanoClock);
        this.clock = instantSource(nanoClock);
        DistributedConfig dc = config.distributed();
        if (dc.redisUrl() != null) {
            this.redis = new RedisLink(dc.redisUrl(), dc.timeout());
            if (!redis.start()) {
                // failing open or not: with no block read yet, serving would serve every blocked key
                LOG.warn("Redis unreachable at start: answering 503 until it answers and the shared state is read");
            }
            RedisStateStore rs = new RedisStateStore(redis, clock);
            this.store = rs;
            redis.awaitUp(Duration.ofSeconds(2));
            rs.loadNow();
            RedisLimiter buckets =
                    new RedisLimiter(redis, limiter, dc.instances(), dc.failOpen(), dc.timeout(), rs::viewRead);
            // before traffic: a fresh process's first calls to Redis are slow enough to look like an outage
            buckets.warmUp();
            this.shared = buckets;
            if (config.state().file() != null) {
                LOG.warn("state.file is ignored with distributed.redis: Redis keeps the shared state");
            }
        } else {
            this.redis = null;
            this.shared = null;
            this.store = state != null
                    ? state
                    : config.state().file() == null
                            ? new InMemoryStateStore(clock)
                            : FileStateStore.open(config.state().file(), clock);
        }
        this.defences = new Defences(config, limiter, shared, store, metrics, clock);
        try {
            this.runtime = new RuntimeHolder(
                    config,
                    transport,
                    (p, c) -> defences.compile(p, c.detection().calibration()));
        } catch (RuntimeException e) {
            defences.close();
            closeState();
            throw e;
        }
        metrics.knownRoutes(routeTags(config));
        this.keys = new KeyDirectory(store, clock, config.keys(), config.tiers().keySet());
        this.gw = new GatewayContext(
                runtime,
                keys,
                limiter,
                shared,
                metrics,
                new AccessLog(config.accessLog().enabled(), config.accessLog().format()),
                clients,
                defences,
                config.server().tls() != null);
        gw.tracing(Tracing.create(config.tracing()));
        this.consoleHistory = new ConsoleHistory(new KeyHistory(clock, 2000, 480, 200), defences, keys, runtime, clock);
        metrics.gauge(
                MoatMetrics.KEYS_TRACKED, "Keys with rate-limit state in memory", limiter, RateLimiter::trackedKeys);
        metrics.gauge(MoatMetrics.ACTIVE_CONNECTIONS, "Open client connections", clients, ChannelGroup::size);
        int threads = config.server().eventLoopThreads() > 0
                ? config.server().eventLoopThreads()
                : Runtime.getRuntime().availableProcessors();
        for (String warning : StartupWarnings.check(config)) {
            LOG.warn(warning);
        }
        if (redis != null) {
            metrics.gauge(
                    MoatMetrics.REDIS_UP,
                    "1 while Redis answers within distributed.timeout",
                    redis,
                    r -> r.up() ? 1 : 0);
            metrics.functionCounter(
                    MoatMetrics.REDIS_DECISIONS_WITHOUT,
                    "Rate-limit decisions taken without Redis (local fallback or 503)",
                    shared,
                    SharedLimiter::decisionsWithout);
            metrics.functionCounter(
                    MoatMetrics.REDIS_OUTAGES,
                    "Times Redis went from reachable to unreachable",
                    redis,
                    r -> r.downEvents());
        }
        // the access log's own writer drops lines only when stdout stalls with 8 MiB waiting: counted,
        // never silent (0 when the log is off or an operator's logback.xml uses other appenders)
        metrics.functionCounter(
                MoatMetrics.ACCESS_LOG_DROPPED,
                "Access-log lines dropped because stdout did not keep up",
                AccessLineAppender.class,
                c -> AccessLineAppender.droppedLines());
        this.bossGroup = transport.newGroup(1);
        this.workerGroup = transport.newGroup(threads);
    }

    /** Binds both listeners; returns when they accept connections. */
    public MoatServer start() throws Exception {
        MoatConfig config = runtime.current().config();
        ServerConfig sc = config.server();
        SslContext ssl = sc.tls() == null
                ? null
                : SslContextBuilder.forServer(
                                sc.tls().certificate().toFile(),
                                sc.tls().privateKey().toFile())
                        .build();
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new GatewayInitializer(gw, ssl));
        serverChannel = bind(b, sc.listen(), "server.listen");
        ServerBootstrap admin = new ServerBootstrap()
                .group(bossGroup, bossGroup)
                .channel(transport.serverChannel())
                .childHandler(new AdminInitializer(new GatewayAdmin(this, adminWorker, bossGroup)));
        adminChannel = bind(admin, config.admin().listen(), "admin.listen");
        LOG.info(
                "moat listening on {} (admin {}), transport {}, {} event loop(s)",
                serverChannel.localAddress(),
                adminChannel.localAddress(),
                transport.name(),
                sc.eventLoopThreads() > 0
                        ? sc.eventLoopThreads()
                        : Runtime.getRuntime().availableProcessors());
        return this;
    }

    /** Binds {@code address}; a failure names the field and the address (it was Netty's stack trace). */
    private static Channel bind(ServerBootstrap bootstrap, HostPort address, String field) throws IOException {
        try {
            return bootstrap.bind(address.host(), address.port()).sync().channel();
        } catch (Exception e) { // sync() rethrows the cause as is, checked or not
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException(field + " " + address + " cannot be bound: " + e.getMessage(), e);
        }
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public int adminPort() {
        return ((InetSocketAddress) adminChannel.localAddress()).getPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public MoatMetrics metrics() {
        return metrics;
    }

    public GatewayContext context() {
        return gw;
    }

    public Snapshot snapshot() {
        return runtime.current();
    }

    /**
     * Re-reads the config file, validates it whole and swaps it in; a bad file changes nothing.
     *
     * @throws ConfigException with every error when the new config is rejected
     */
    public synchronized Snapshot reload() throws ConfigException {
        if (configSource == null) {
            throw new IllegalStateException("no config file to reload from");
        }
        MoatConfig next = null;
        try {
            next = configSource.load();
            Snapshot s = runtime.install(next);
            metrics.knownRoutes(routeTags(next));
            keys.install(next.keys(), next.tiers().keySet());
            metrics.reload(true);
            defences.audit("reload", null, "generation " + s.generation());
            LOG.info("config reloaded (generation {})", s.generation());
            List<String> waiting = restartNeeded();
            if (!waiting.isEmpty()) {
                LOG.warn(
                        "config reloaded, but these take effect only at a restart and keep their values from the"
                                + " start: {}",
                        String.join(", ", waiting));
            }
            return s;
        } catch (ConfigException e) {
            metrics.reload(false);
            LOG.warn("config reload rejected, the old config keeps serving:\n{}", e.getMessage());
            throw e;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            metrics.reload(false);
            // a policy the loader passed but that cannot be compiled, or a watermark ledger this process cannot
            // open (it was a 500 "reload failed" and a stack trace): the file is known, not the line; the
            // message names the field
            String message = e instanceof UncheckedIOException io && io.getCause() != null
                    ? e.getMessage() + " (" + io.getCause().getClass().getSimpleName() + ": "
                            + io.getCause().getMessage() + ")"
                    : e.getMessage();
            LOG.warn("config reload rejected, the old config keeps serving: {}", message);
            String file = next == null || next.source() == null
                    ? "config"
                    : next.source().toString();
            throw new ConfigException(List.of(new ConfigError(file, 0, 0, "", message)));
        } catch (RuntimeException e) {
            metrics.reload(false);
            LOG.warn("config reload failed, the old config keeps serving", e);
            throw e;
        }
    }

    /** The fields of the config in force that differ from the start's and wait for a restart ({@link StartupOnly}). */
    public List<String> restartNeeded() {
        return StartupOnly.changed(started, runtime.current().config());
    }

    /** Graceful shutdown: stop accepting, drain in-flight requests, then close everything. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        gw.startDraining();
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        Duration drain = runtime.current().config().server().timeouts().drain();
        long deadline = System.nanoTime() + drain.toNanos();
        while (gw.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (gw.inFlight() > 0) {
            LOG.warn("drain timeout: closing {} request(s) still in flight", gw.inFlight());
        }
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (adminChannel != null) {
            adminChannel.close().syncUninterruptibly();
        }
        runtime.closeAll();
        defences.close();
        gw.tracing().close();
        consoleHistory.close();
        closeState();
        // Bounded waits: a loop that does not terminate in time must not hang the shutdown (seen
        // once in the evaluation with epoll: a loop parked in epoll_wait after shutdownGracefully).
        if (!workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            LOG.warn("event loops did not stop within 5 s; going on");
        }
        if (!bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            LOG.warn("acceptor loop did not stop within 5 s; going on");
        }
        adminWorker.shutdownNow();
        LOG.info("moat stopped");
    }

    public Defences defences() {
        return defences;
    }

    /** The keys in force: YAML plus the runtime overlay. */
    ConsoleHistory consoleHistory() {
        return consoleHistory;
    }

    public KeyDirectory keys() {
        return keys;
    }

    /** Blocks, unblock marks, revocations, runtime keys and shared risks (memory, state file or Redis). */
    public StateStore stateStore() {
        return store;
    }

    /**
     * Redis' state for /readyz: null without Redis, else {@code up} or {@code down} with what the
     * gateway does meanwhile.
     */
    public String redisState() {
        if (redis == null) {
            return null;
        }
        if (store instanceof RedisStateStore rs && !rs.viewRead()) {
            return (redis.up() ? "up" : "down")
                    + " (shared state not read yet: failing closed, new requests answered 503)";
        }
        if (redis.up()) {
            return "up";
        }
        DistributedConfig dc = runtime.current().config().distributed();
        return dc.failOpen()
                ? "down (failing open: local buckets at limit/" + dc.instances() + ")"
                : "down (failing closed: new requests answered 503)";
    }

    private void closeState() {
        store.close(); // the state file's last write
        if (shared != null) {
            shared.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    public InstantSource clock() {
        return clock;
    }

    private static List<String> routeTags(MoatConfig config) {
        return config.routes().stream().map(r -> r.pathPrefix()).toList();
    }

    /** Wall time that advances with the given monotonic clock (so tests drive both together). */
    static InstantSource instantSource(LongSupplier nanoClock) {
        long originMillis = System.currentTimeMillis();
        long originNanos = nanoClock.getAsLong();
        return new InstantSource() {
            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(millis());
            }

            @Override
            public long millis() {
                return originMillis + (nanoClock.getAsLong() - originNanos) / 1_000_000L;
            }
        };
    }

    Transport transport() {
        return transport;
    }

    boolean draining() {
        return gw.draining();
    }

    RuntimeHolder runtime() {
        return runtime;
    }
}
