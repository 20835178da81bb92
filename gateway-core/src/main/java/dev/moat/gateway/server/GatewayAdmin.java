package dev.moat.gateway.server;

import dev.moat.config.ConfigException;
import dev.moat.config.UpstreamConfig;
import dev.moat.gateway.admin.AdminHandler.Reply;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/** The admin API of a running {@link MoatServer}. */
final class GatewayAdmin implements AdminService {

    private final MoatServer server;
    private final ExecutorService worker;
    private final EventLoopGroup probeGroup;

    GatewayAdmin(MoatServer server, ExecutorService worker, EventLoopGroup probeGroup) {
        this.server = server;
        this.worker = worker;
        this.probeGroup = probeGroup;
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
        List<UpstreamConfig> ups =
                new ArrayList<>(server.snapshot().config().upstreams().values());
        CompletableFuture<Reply> result = new CompletableFuture<>();
        if (ups.isEmpty()) {
            result.complete(Reply.text(HttpResponseStatus.OK, "ready\n" + redisLine));
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
                    result.complete(
                            down.isEmpty()
                                    ? Reply.text(HttpResponseStatus.OK, "ready\n" + redisLine)
                                    : Reply.text(
                                            HttpResponseStatus.SERVICE_UNAVAILABLE,
                                            "upstreams not reachable: " + down + "\n"));
                }
            });
        }
        return result;
    }

    @Override
    public CompletableFuture<Reply> admin(HttpMethod method, String path) {
        if (path.equals("/admin/reload")) {
            if (method != HttpMethod.POST) {
                return done(methodNotAllowed());
            }
            return CompletableFuture.supplyAsync(this::reload, worker);
        }
        if (path.startsWith("/admin/keys/")) {
            String rest = path.substring("/admin/keys/".length());
            String[] parts = rest.split("/");
            Snapshot snap = server.snapshot();
            ApiKey key = parts.length == 0 ? null : snap.keys().byId(parts[0]);
            if (key == null) {
                return done(Reply.json(HttpResponseStatus.NOT_FOUND, "{\"error\":\"unknown key id\"}"));
            }
            if (parts.length == 1 && method == HttpMethod.GET) {
                return done(Reply.json(
                        HttpResponseStatus.OK,
                        KeyReport.describe(
                                key, snap, server.defenses(), server.context().rateLimiter())));
            }
            if (parts.length == 2 && method == HttpMethod.POST && parts[1].equals("unblock")) {
                return CompletableFuture.supplyAsync(
                        () -> {
                            server.defenses().unblock(key.id());
                            return Reply.json(HttpResponseStatus.OK, "{\"result\":\"unblocked\"}");
                        },
                        worker);
            }
            if (parts.length == 2 && method == HttpMethod.POST && parts[1].equals("reset")) {
                return CompletableFuture.supplyAsync(
                        () -> {
                            server.defenses().reset(key.id()); // waits for the detection worker: not on the loop
                            return Reply.json(HttpResponseStatus.OK, "{\"result\":\"reset\"}");
                        },
                        worker);
            }
        }
        return done(Reply.json(HttpResponseStatus.NOT_FOUND, "{\"error\":\"no such admin endpoint\"}"));
    }

    private Reply reload() {
        try {
            Snapshot s = server.reload();
            return Reply.json(HttpResponseStatus.OK, "{\"result\":\"ok\",\"generation\":" + s.generation() + "}");
        } catch (ConfigException e) {
            StringBuilder sb = new StringBuilder("{\"result\":\"rejected\",\"errors\":[");
            for (int i = 0; i < e.errors().size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                Json.quote(sb, e.errors().get(i).toString());
            }
            return Reply.json(
                    HttpResponseStatus.UNPROCESSABLE_ENTITY, sb.append("]}").toString());
        } catch (RuntimeException e) {
            return Reply.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, "{\"result\":\"failed\"}");
        }
    }

    private static Reply methodNotAllowed() {
        return Reply.json(HttpResponseStatus.METHOD_NOT_ALLOWED, "{\"error\":\"method not allowed\"}");
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
