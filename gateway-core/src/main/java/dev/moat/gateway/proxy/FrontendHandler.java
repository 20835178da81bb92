package dev.moat.gateway.proxy;

import dev.moat.gateway.http.HeaderValues;
import dev.moat.gateway.http.Problem;
import dev.moat.gateway.log.AccessLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The client connection's last handler (after the HTTP codec and the flow-control handler, so each
 * {@code read()} delivers one message). Starts an {@link Exchange} per request, one at a time, and
 * reads the next request only when the previous exchange is done: a pipelined request waits in the
 * socket, which is what backpressure wants.
 */
public final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FrontendHandler.class);

    /** The interim answer to {@code Expect: 100-continue} (as Netty's expect-continue handler sends it). */
    static final FullHttpResponse CONTINUE;

    static {
        CONTINUE =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER);
        CONTINUE.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
    }

    private final GatewayContext gw;
    /** How long a connection whose answer is out keeps discarding an unread request body. */
    static final long LINGER_MILLIS = 2_000;

    /**
     * The same for a connection refused over a cap: long enough to discard what the client sent
     * before it was accepted (so the 429/503 is not lost to a reset), short enough not to hold
     * the place it was refused.
     */
    static final long REFUSED_LINGER_MILLIS = 200;

    private Exchange current;
    private CharSequence clientIp; // the peer's address as X-Forwarded-For gets it, once per connection
    private boolean readWanted;
    private boolean lingering;
    /** The connection's read deadlines, looked up once (was a pipeline walk at each of three calls per request). */
    private HeadReadTimeoutHandler deadlines;

    private boolean deadlinesLooked;

    public FrontendHandler(GatewayContext gw) {
        this.gw = gw;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        gw.clientChannels().add(ctx.channel());
        if (ConnectionLimitHandler.overCap(ctx)) {
            // this address holds too many unauthenticated connections: say so once and close
            gw.metrics().request("none", "overloaded", 0);
            FullHttpResponse res = new Problem(
                            "too-many-connections",
                            HttpResponseStatus.TOO_MANY_REQUESTS,
                            "Too many connections",
                            "this address holds too many connections that have not authenticated")
                    .toResponse(ctx.alloc(), null);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            res.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
            // a graceful close: bytes the client already sent must not turn the close into a reset
            ctx.writeAndFlush(res)
                    .addListener((ChannelFutureListener) f -> lingerThenClose(ctx, REFUSED_LINGER_MILLIS));
            return;
        }
        int max = gw.runtime().current().config().server().limits().maxConnections();
        if (max > 0 && gw.clientChannels().size() > max) {
            // over the connection limit: say so once and close, without reading anything
            gw.metrics().request("none", "overloaded", 0);
            FullHttpResponse res = Problem.unavailable("the gateway is at its connection limit")
                    .toResponse(ctx.alloc(), null);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            res.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        read(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readWanted = false;
        if (lingering) {
            ReferenceCountUtil.release(msg); // the answer is out; what still comes is discarded
            read(ctx);
            return;
        }
        if (msg instanceof HttpRequest req) {
            HeadReadTimeoutHandler d = deadlines(ctx);
            if (d != null) {
                d.headReceived();
                if (msg instanceof LastHttpContent) {
                    d.requestRead();
                }
            }
            if (current != null) {
                // cannot happen with one read per message; refuse rather than interleave
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            if (req.decoderResult().isFailure()) {
                rejectUndecodable(ctx, req, req.decoderResult().cause());
                ReferenceCountUtil.release(msg);
                return;
            }
            RequestHeadCheck.Verdict v = RequestHeadCheck.check(req);
            if (v.problem() != null) {
                ReferenceCountUtil.release(msg);
                refuseHead(ctx, req, v.problem());
                return;
            }
            req.setUri(v.target().target()); // routed and forwarded alike
            // Expect: 100-continue is answered once the request is admitted (Exchange#admitted): a
            // head refused by its checks, its key, its limits or its size gets its final answer
            // without inviting the body first (session 42's audit: a keyless request, or one over
            // max_request_bytes, got 100 Continue, then 401 or 413)
            boolean expectsContinue = HttpUtil.is100ContinueExpected(req);
            if (expectsContinue) {
                req.headers().remove(HttpHeaderNames.EXPECT);
            }
            gw.requestStarted();
            CharSequence requestId = requestId(req);
            current = new Exchange(
                    gw,
                    gw.runtime().current(),
                    this,
                    ctx,
                    req,
                    requestId,
                    v.target().path());
            if (expectsContinue) {
                current.continueOnceAdmitted();
            }
            current.start();
        } else if (msg instanceof HttpContent content) {
            if (content instanceof LastHttpContent) {
                HeadReadTimeoutHandler d = deadlines(ctx);
                if (d != null) {
                    d.requestRead();
                }
            }
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

    private HeadReadTimeoutHandler deadlines(ChannelHandlerContext ctx) {
        if (!deadlinesLooked) {
            deadlines = HeadReadTimeoutHandler.of(ctx);
            deadlinesLooked = true;
        }
        return deadlines;
    }

    /** The client's IP address as text (computed once per connection: it was a new string per request). */
    CharSequence clientIp(ChannelHandlerContext ctx) {
        CharSequence ip = clientIp;
        if (ip == null) {
            ip = HeaderValues.ascii(HttpHeaderRules.clientIp(ctx.channel()));
            clientIp = ip;
        }
        return ip;
    }

    /** Called by the exchange when its answer is written and its request fully read. */
    void exchangeDone(Exchange ex, boolean keepAlive) {
        if (current != ex) {
            return;
        }
        current = null;
        ChannelHandlerContext ctx = ex.ctx();
        if (keepAlive && ctx.channel().isActive()) {
            HeadReadTimeoutHandler d = deadlines(ctx);
            if (d != null) {
                d.awaitNextHead();
            }
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

    /**
     * The answer is out but the request body was not read: half-close (the client sees the answer
     * and EOF), discard what still arrives for at most {@link #LINGER_MILLIS}, then close. Closing
     * at once with unread bytes in the socket would send a reset that can destroy the answer
     * before the client reads it.
     */
    void lingerThenClose(ChannelHandlerContext ctx) {
        lingerThenClose(ctx, LINGER_MILLIS);
    }

    private void lingerThenClose(ChannelHandlerContext ctx, long millis) {
        if (lingering) {
            return;
        }
        lingering = true;
        ctx.executor().schedule(() -> ctx.close(), millis, TimeUnit.MILLISECONDS);
        if (ctx.channel() instanceof DuplexChannel d && ctx.pipeline().get(SslHandler.class) == null) {
            d.shutdownOutput();
        }
        read(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == HeadReadTimeoutHandler.TIMED_OUT) {
            Exchange ex = current;
            if (ex != null && !lingering) {
                ex.readTimedOut();
            } else if (ex == null && !lingering && headInProgress(ctx)) {
                refuseUnfinishedHead(ctx);
            } else {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Exchange ex = current;
        if (!clientFault(cause)) {
            // not the client's connection failing but a fault of the gateway's own: logged where an
            // operator sees it, and a request not yet answered gets a 500 (then the close) instead of
            // a connection cut without a word
            LOG.warn("request handling failed on {}", ctx.channel(), cause);
            if (ex != null && !ex.finished() && !ex.hasResponseStarted()) {
                try {
                    ex.closeWhenAnswered();
                    ex.failWith(
                            Problem.internalError("the gateway failed while handling this request"), "internal_error");
                    return;
                } catch (Throwable answerFailed) {
                    // the 500 could not be made either (no memory for it): the connection still closes
                    LOG.warn("the answer to a failed request could not be sent on {}", ctx.channel(), answerFailed);
                    current = null;
                    ex.unanswered("internal_error");
                    ctx.close();
                    return;
                }
            }
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("client connection {} failed", ctx.channel(), cause);
        }
        current = null;
        if (ex != null) {
            ex.clientGone();
        }
        ctx.close();
    }

    /**
     * Whether an exception is the client's connection failing rather than a fault of the gateway's
     * own: an I/O error, or a decoder's complaint about the client's bytes (Netty wraps what a
     * decoder throws in a {@code DecoderException}: the {@code SSLException} of a TLS record that is
     * not one, or fails its MAC; a corrupted or too long frame). Those any remote client can cause
     * at will, once per connection: at WARN with a stack trace they were a log flood, and the
     * plaintext one's message hex-dumps what the client sent (its API key included). A decoder's
     * own bug (anything else it throws, wrapped) is still the gateway's fault.
     */
    static boolean clientFault(Throwable cause) {
        if (cause instanceof java.io.IOException) {
            return true;
        }
        return cause instanceof DecoderException
                && (cause.getCause() == null || cause.getCause() instanceof java.io.IOException);
    }

    /** Whether part of a request head has arrived and the rest has not (not a connection idle between requests). */
    private boolean headInProgress(ChannelHandlerContext ctx) {
        HeadReadTimeoutHandler d = deadlines(ctx);
        return d != null && d.state() == HeadReadTimeoutHandler.State.HEAD;
    }

    /**
     * A head not complete within {@code header_read} (a client trickling its headers, as slowloris
     * does): answered 408 and logged as the other refused heads are, then closed. It was closed
     * without a word: the client could not tell a timeout from a crash, and the log had no trace.
     */
    private void refuseUnfinishedHead(ChannelHandlerContext ctx) {
        gw.metrics().request("none", "client_timeout", 0);
        Problem p = new Problem(
                "request-timeout",
                HttpResponseStatus.REQUEST_TIMEOUT,
                "Request timeout",
                "the request head was not read completely in time");
        CharSequence id = newRequestId();
        FullHttpResponse res = p.toResponse(ctx.alloc(), null);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        res.headers().set(HeaderRewriter.X_REQUEST_ID, id);
        logRefused(id, "-", "-", p, "client_timeout");
        // what still arrives is discarded (a head completed while the 408 is written starts nothing)
        lingering = true;
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /** A head that fails {@link RequestHeadCheck}: answered, never forwarded, and the connection closes. */
    private void refuseHead(ChannelHandlerContext ctx, HttpRequest req, Problem p) {
        String outcome = p.status().code() == 400 ? "bad_request" : "method_refused";
        gw.metrics().request("none", outcome, 0);
        CharSequence id = requestId(req);
        FullHttpResponse res = p.toResponse(ctx.alloc(), null);
        if (p.status().code() == 405) {
            res.headers().set(HttpHeaderNames.ALLOW, RequestHeadCheck.ALLOW);
        }
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        res.headers().set(HeaderRewriter.X_REQUEST_ID, id);
        logRefused(id, printable(cut(req.method().name(), 32)), printable(pathOf(req.uri())), p, outcome);
        ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> lingerThenClose(ctx));
    }

    /**
     * An access line for a request refused by its head alone (no route, no key, nothing read of
     * its body): a scanner's TRACE, a smuggling attempt, an oversized head are seen in the log, not
     * only in the metrics. The method and path are as sent, or {@code -} when the head could not be read.
     */
    private void logRefused(CharSequence id, String method, String path, Problem p, String outcome) {
        if (gw.accessLog().enabled()) {
            gw.accessLog()
                    .log(new AccessLog.Entry(
                            id.toString(), method, path, null, null, p.status().code(), 0, 0, -1, 0, outcome));
        }
    }

    /** A refused head's target without its query (as the access log writes every path), at most 256 characters. */
    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return cut(q < 0 ? uri : uri.substring(0, q), 256);
    }

    /** At most {@code max} characters of {@code s}: a refused head's method and target are as long as the client made them. */
    private static String cut(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }

    /**
     * A refused head's method or path with every character outside printable ASCII as {@code ?}: the
     * head failed the gateway's checks, so it may carry what a log reader's terminal would act on.
     */
    static String printable(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                if (out == null) {
                    out = new StringBuilder(s.length()).append(s, 0, i);
                }
                out.append('?');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    private void rejectUndecodable(ChannelHandlerContext ctx, HttpRequest req, Throwable cause) {
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
        // the decoder's placeholder method and target say nothing of what was sent: none logged
        CharSequence id = requestId(req);
        FullHttpResponse res = p.toResponse(ctx.alloc(), null);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        res.headers().set(HeaderRewriter.X_REQUEST_ID, id);
        logRefused(id, "-", "-", p, "bad_request");
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The client's {@code X-Request-Id} when sane, else 128 random bits as 32 hex digits in an
     * {@code AsciiString} over one array: set on the upstream request and on the answer without a
     * {@code String} (and its copy of the array), which only the access log and problem bodies make.
     */
    private static CharSequence requestId(HttpRequest req) {
        String given = req.headers().get(HeaderRewriter.X_REQUEST_ID);
        if (given != null && isSaneId(given)) {
            return given;
        }
        return newRequestId();
    }

    /** 128 random bits as 32 hex digits, in an {@code AsciiString} over one array. */
    private static CharSequence newRequestId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] id = new byte[32]; // 128 random bits as 32 hex digits, one array (was two strings and a concat)
        hex(r.nextLong(), id, 0);
        hex(r.nextLong(), id, 16);
        return new AsciiString(id, false);
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
}
