package dev.moat.gateway.server;

import dev.moat.config.ConfigException;
import dev.moat.config.UpstreamConfig;
import dev.moat.gateway.admin.AdminHandler.Reply;
import dev.moat.gateway.admin.AdminProblemException;
import dev.moat.gateway.admin.AdminProblems;
import dev.moat.gateway.admin.AdminRequest;
import dev.moat.gateway.admin.AdminService;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.http.Json;
import dev.moat.gateway.runtime.Snapshot;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin API of a running {@link MoatServer}: readiness probes, reload, and the key endpoints
 * ({@link KeysAdmin}). {@link dev.moat.gateway.admin.AdminHandler} authorises and writes answers.
 */
final class GatewayAdmin implements AdminService {

    private final MoatServer server;
    private final ExecutorService worker;
    private final EventLoopGroup probeGroup;
    private final KeysAdmin keys;

    /** How long one readiness probe's answer serves {@code /readyz} (on the server's clock). */
    static final Duration READY_PROBE_REUSE = Duration.ofSeconds(1);

    private CompletableFuture<List<String>> probe;
    private long probedAt;

    GatewayAdmin(MoatServer server, ExecutorService worker, EventLoopGroup probeGroup) {
        this.server = server;
        this.worker = worker;
        this.probeGroup = probeGroup;
        this.keys = new KeysAdmin(server);
    }

    @Override
    public String scrape() {
        return server.registry().scrape();
    }

    @Override
    public String token() {
        return server.snapshot().config().admin().token();
    }

    @Override
    public CompletableFuture<Reply> ready() {
        if (server.draining()) {
            return CompletableFuture.completedFuture(Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "draining\n"));
        }
        String redis = server.redisState();
        String redisLine = redis == null ? "" : "redis: " + redis + "\n";
        if (redis != null && redis.contains("failing closed")) {
            return CompletableFuture.completedFuture(
                    Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n" + redisLine));
        }
        return unreachableUpstreams()
                .thenApply(down -> down.isEmpty()
                        ? Reply.text(HttpResponseStatus.OK, "ready\n" + redisLine)
                        : Reply.text(
                                HttpResponseStatus.SERVICE_UNAVAILABLE, "upstreams not reachable: " + down + "\n"));
    }

    /**
     * The upstreams that did not accept a TCP connection, from a probe at most {@link
     * #READY_PROBE_REUSE} old (or still running): {@code /readyz} is open to whoever reaches the
     * port, and a probe per call let them make the gateway open a connection per upstream per call.
     */
    private synchronized CompletableFuture<List<String>> unreachableUpstreams() {
        long now = server.clock().millis();
        if (probe == null || (probe.isDone() && now - probedAt >= READY_PROBE_REUSE.toMillis())) {
            probe = probe(new ArrayList<>(server.snapshot().config().upstreams().values()));
            probedAt = now;
        }
        return probe;
    }

    private CompletableFuture<List<String>> probe(List<UpstreamConfig> ups) {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        if (ups.isEmpty()) {
            result.complete(List.of());
            return result;
        }
        AtomicInteger pending = new AtomicInteger(ups.size());
        List<String> down = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (UpstreamConfig u : ups) {
            ChannelFuture f = new Bootstrap()
                    .group(probeGroup)
                    .channel(server.transport().socketChannel())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                            Math.min(2000, u.connectTimeout().toMillis()))
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(u.host(), u.port());
            f.addListener(cf -> {
                if (cf.isSuccess()) {
                    f.channel().close();
                } else {
                    down.add(u.name());
                }
                if (pending.decrementAndGet() == 0) {
                    result.complete(List.copyOf(down));
                }
            });
        }
        return result;
    }

    /**
     * Routes an authorised call: {@code /admin/reload}, {@code /admin/keys...} ({@link KeysAdmin});
     * everything else is a 404 problem. Handlers run on the admin worker, never on the loop.
     */
    @Override
    public CompletableFuture<Reply> admin(AdminRequest req) {
        String path = req.path();
        if (path.equals("/admin/reload")) {
            if (req.method() != HttpMethod.POST) {
                return done(Reply.methodNotAllowed("POST"));
            }
            return CompletableFuture.supplyAsync(this::reload, worker);
        }
        String rest = path.startsWith("/admin/keys/") ? path.substring("/admin/keys/".length()) : "";
        if (rest.endsWith("/history")) { // "/admin/keys/history" is the key named history, not its history
            String id = rest.substring(0, rest.length() - "/history".length());
            if (!id.isEmpty() && !id.contains("/")) {
                return history(req, id);
            }
        }
        if (path.equals("/admin/keys") || path.startsWith("/admin/keys/")) {
            return CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return keys.handle(req);
                        } catch (AdminProblemException e) {
                            return Reply.problem(e.problem());
                        }
                    },
                    worker);
        }
        return done(Reply.problem(AdminProblems.notFound("no admin endpoint " + path)));
    }

    /** {@code GET /admin/keys/{id}/history}: the console's per-key risk samples and events. */
    private CompletableFuture<Reply> history(AdminRequest req, String id) {
        if (req.method() != HttpMethod.GET) {
            return done(Reply.methodNotAllowed("GET"));
        }
        return CompletableFuture.supplyAsync(
                () -> {
                    ApiKey key = server.keys().current().byId(id);
                    return key == null
                            ? Reply.problem(AdminProblems.notFound("unknown key id '" + id + "'"))
                            : server.consoleHistory().describe(key);
                },
                worker);
    }

    private Reply reload() {
        try {
            Snapshot s = server.reload();
            StringBuilder body = new StringBuilder("{\"result\":\"ok\",\"generation\":")
                    .append(s.generation())
                    .append(",\"restart_needed\":[");
            List<String> waiting = server.restartNeeded();
            for (int i = 0; i < waiting.size(); i++) {
                if (i > 0) {
                    body.append(',');
                }
                Json.quote(body, waiting.get(i));
            }
            return Reply.json(HttpResponseStatus.OK, body.append("]}").toString());
        } catch (ConfigException e) {
            // a problem with the config's errors as an extension member (RFC 9457 section 3.2)
            String problem = AdminProblems.invalid("the new config was rejected; the old one keeps serving")
                    .toResponseBody();
            StringBuilder sb = new StringBuilder(problem.substring(0, problem.length() - 1))
                    .append(",\"result\":\"rejected\",\"errors\":[");
            for (int i = 0; i < e.errors().size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                Json.quote(sb, e.errors().get(i).toString());
            }
            return new Reply(
                    HttpResponseStatus.UNPROCESSABLE_ENTITY,
                    dev.moat.gateway.http.Problem.CONTENT_TYPE,
                    sb.append("]}").toString());
        } catch (RuntimeException e) {
            return Reply.problem(
                    AdminProblems.failed("the reload failed: " + e.getClass().getSimpleName()));
        }
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
