package dev.moat.gateway.admin;

import dev.moat.gateway.console.ConsoleAssets;
import dev.moat.gateway.http.Problem;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener's last handler ({@link AdminInitializer}): {@code /metrics}, {@code /healthz},
 * {@code /readyz} and the console's static files ({@link ConsoleAssets}) open; {@code /admin/*} only
 * with the admin bearer token. Work that may block
 * (reload reads files) runs on the admin service's executor, and the answer is written back on
 * the channel's loop.
 */
public final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** An admin answer: status, content type, body and, for a 405, the methods allowed. */
    public record Reply(HttpResponseStatus status, String contentType, String body, String allow) {

        public Reply(HttpResponseStatus status, String contentType, String body) {
            this(status, contentType, body, null);
        }

        public static Reply problem(Problem p) {
            return new Reply(p.status(), Problem.CONTENT_TYPE, p.toResponseBody());
        }

        /** 405 with the {@code Allow} header RFC 9110 requires. */
        public static Reply methodNotAllowed(String allow) {
            Problem p = AdminProblems.methodNotAllowed("allowed here: " + allow);
            return new Reply(p.status(), Problem.CONTENT_TYPE, p.toResponseBody(), allow);
        }

        public static Reply json(HttpResponseStatus status, String body) {
            return new Reply(status, "application/json", body);
        }

        public static Reply text(HttpResponseStatus status, String body) {
            return new Reply(status, "text/plain; charset=utf-8", body);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);

    private final AdminService service;

    public AdminHandler(AdminService service) {
        this.service = service;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            send(ctx, problem(Problem.badRequest("the request could not be parsed")), false);
            return;
        }
        String path = AdminAccess.rawPath(req.uri());
        HttpMethod m = req.method();
        if (!AdminAccess.adminPath(path) && m != HttpMethod.GET && isOpen(path)) {
            send(ctx, Reply.methodNotAllowed("GET"), keepAlive);
        } else if (path.equals("/metrics") && m == HttpMethod.GET) {
            send(
                    ctx,
                    new Reply(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8", service.scrape()),
                    keepAlive);
        } else if (path.equals("/healthz") && m == HttpMethod.GET) {
            send(ctx, Reply.text(HttpResponseStatus.OK, "ok\n"), keepAlive);
        } else if (path.equals("/readyz") && m == HttpMethod.GET) {
            service.ready()
                    .whenComplete((r, e) -> ctx.executor()
                            .execute(() -> send(
                                    ctx,
                                    e == null ? r : Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n"),
                                    keepAlive)));
        } else if (ConsoleAssets.handles(path)) {
            boolean close = !keepAlive;
            var res = ConsoleAssets.response(path, m, ctx.alloc());
            HttpUtil.setKeepAlive(res, keepAlive);
            var f = ctx.writeAndFlush(res);
            if (close) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        } else if (AdminAccess.adminPath(path)) {
            if (!AdminAccess.enabled(service.token())) {
                // no token configured: no token can work, so say so instead of asking for one
                send(
                        ctx,
                        problem(new Problem(
                                "admin-disabled",
                                HttpResponseStatus.FORBIDDEN,
                                "Admin API disabled",
                                "this gateway has no admin.token configured, so /admin/* is disabled")),
                        keepAlive);
                return;
            }
            if (!AdminAccess.authorized(req, service.token())) {
                Reply r = problem(new Problem(
                        "unauthorized",
                        HttpResponseStatus.UNAUTHORIZED,
                        "Admin token required",
                        "send the admin token as 'Authorization: Bearer <token>'"));
                send(ctx, r, keepAlive);
                return;
            }
            CompletableFuture<Reply> reply;
            try {
                reply = service.admin(
                        AdminRequest.of(m, req.uri(), req.content().toString(StandardCharsets.UTF_8)));
            } catch (AdminProblemException e) {
                reply = CompletableFuture.completedFuture(Reply.problem(e.problem()));
            } catch (RuntimeException e) {
                // a route's bug is answered too (it went up the pipeline unanswered; the caller timed out)
                reply = CompletableFuture.failedFuture(e);
            }
            reply.whenComplete((r, e) -> ctx.executor()
                    .execute(() -> send(
                            ctx, e == null ? r : problem(AdminProblems.failed("the admin call failed")), keepAlive)));
        } else {
            send(ctx, problem(AdminProblems.notFound("no admin endpoint here")), keepAlive);
        }
    }

    /** A reset or a broken connection: nothing to answer, and nothing an outsider should fill the log with. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("admin connection {} closed on an error", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }

    static Reply problem(Problem p) {
        return Reply.problem(p);
    }

    private static boolean isOpen(String path) {
        return path.equals("/metrics") || path.equals("/healthz") || path.equals("/readyz");
    }

    private static void send(ChannelHandlerContext ctx, Reply r, boolean keepAlive) {
        byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = ctx.alloc().buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), buf);
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (r.allow() != null) {
            res.headers().set(HttpHeaderNames.ALLOW, r.allow());
        }
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
