package dev.moat.gateway.proxy;

import dev.moat.gateway.http.Problem;
import dev.moat.gateway.server.GatewayContext;
import dev.moat.gateway.server.HeadReadTimeoutHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client connection's last handler (after the HTTP codec and the flow-control handler, so each
 * {@code read()} delivers one message). Starts an {@link Exchange} per request, one at a time, and
 * reads the next request only when the previous exchange is done: a pipelined request waits in the
 * socket, which is what backpressure wants.
 */
public final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FrontendHandler.class);

    private final GatewayContext gw;
    private Exchange current;
    private boolean readWanted;

    public FrontendHandler(GatewayContext gw) {
        this.gw = gw;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        gw.clientChannels().add(ctx.channel());
        int max = gw.runtime().current().config().server().limits().maxConnections();
        if (max > 0 && gw.clientChannels().size() > max) {
            // over the connection limit: say so once and close, without reading anything
            gw.metrics().request("none", "overloaded", 0);
            FullHttpResponse res = Problem.unavailable("the gateway is at its connection limit")
                    .toResponse(ctx.alloc(), null);
            res.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            res.headers().set(io.netty.handler.codec.http.HttpHeaderNames.RETRY_AFTER, "1");
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        read(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readWanted = false;
        if (msg instanceof HttpRequest req) {
            HeadReadTimeoutHandler.headReceived(ctx);
            if (current != null) {
                // cannot happen with one read per message; refuse rather than interleave
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            if (req.decoderResult().isFailure()) {
                rejectUndecodable(ctx, req.decoderResult().cause());
                ReferenceCountUtil.release(msg);
                return;
            }
            gw.requestStarted();
            String requestId = requestId(req);
            current = new Exchange(gw, gw.runtime().current(), this, ctx, req, requestId, pathOf(req.uri()));
            current.start();
        } else if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                content.release();
                Exchange ex = current;
                if (ex != null) {
                    ex.failWith(Problem.badRequest("the request body is malformed"), "bad_request");
                }
                ctx.close();
                return;
            }
            if (current != null) {
                current.onRequestContent(content);
            } else {
                content.release();
                read(ctx);
            }
        } else {
            ReferenceCountUtil.release(msg);
            read(ctx);
        }
    }

    /**
     * Asks for the next message. The flow-control handler may answer a read with a read-complete
     * and no message (the socket had only part of one); then the read is asked for again.
     */
    void read(ChannelHandlerContext ctx) {
        readWanted = true;
        ctx.read();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readWanted) {
            ctx.read();
        }
    }

    /** Called by the exchange when its answer is written and its request fully read. */
    void exchangeDone(Exchange ex, boolean keepAlive) {
        if (current != ex) {
            return;
        }
        current = null;
        ChannelHandlerContext ctx = ex.ctx();
        if (keepAlive && ctx.channel().isActive()) {
            HeadReadTimeoutHandler.awaitNextHead(ctx);
            read(ctx);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Exchange ex = current;
        current = null;
        if (ex != null) {
            ex.clientGone();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (current == null) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("client connection {} failed", ctx.channel(), cause);
        }
        Exchange ex = current;
        current = null;
        if (ex != null) {
            ex.clientGone();
        }
        ctx.close();
    }

    private void rejectUndecodable(ChannelHandlerContext ctx, Throwable cause) {
        Problem p;
        if (cause instanceof TooLongHttpHeaderException) {
            p = Problem.headersTooLarge("the request headers exceed the gateway's limit");
        } else if (cause instanceof TooLongHttpLineException) {
            p = new Problem(
                    "uri-too-long",
                    HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "Request line too long",
                    "the request line exceeds the gateway's limit");
        } else if (cause instanceof TooLongFrameException) {
            p = Problem.headersTooLarge("the request head exceeds the gateway's limit");
        } else {
            p = Problem.badRequest("the request could not be parsed as HTTP/1.1");
        }
        gw.metrics().request("none", "bad_request", 0);
        FullHttpResponse res = p.toResponse(ctx.alloc(), null);
        res.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    private static String requestId(HttpRequest req) {
        String given = req.headers().get(HeaderRewriter.X_REQUEST_ID);
        if (given != null && isSaneId(given)) {
            return given;
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] id = new byte[32]; // 128 random bits as 32 hex digits, one array (was two strings and a concat)
        hex(r.nextLong(), id, 0);
        hex(r.nextLong(), id, 16);
        return new String(id, StandardCharsets.ISO_8859_1);
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    private static void hex(long v, byte[] out, int at) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }

    static boolean isSaneId(String id) {
        if (id.isEmpty() || id.length() > 128) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    static String pathOf(String uri) {
        int start = 0;
        if (!uri.startsWith("/")) {
            // absolute-form (RFC 9112 section 3.2.2): skip scheme and authority
            int scheme = uri.indexOf("://");
            if (scheme > 0) {
                int slash = uri.indexOf('/', scheme + 3);
                if (slash < 0) {
                    return "/";
                }
                start = slash;
            }
        }
        int q = uri.indexOf('?', start);
        int h = uri.indexOf('#', start);
        int end = q < 0 ? (h < 0 ? uri.length() : h) : (h < 0 ? q : Math.min(q, h));
        return uri.substring(start, end);
    }

    /** The origin form (RFC 9112 section 3.2.1) of a request target: path and query, no scheme or authority. */
    static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        int scheme = uri.indexOf("://");
        if (scheme > 0) {
            int slash = uri.indexOf('/', scheme + 3);
            if (slash < 0) {
                int q = uri.indexOf('?', scheme + 3);
                return q < 0 ? "/" : "/" + uri.substring(q);
            }
            return uri.substring(slash);
        }
        return uri;
    }
}
