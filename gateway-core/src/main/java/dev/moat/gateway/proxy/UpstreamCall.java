package dev.moat.gateway.proxy;

import dev.moat.gateway.http.Problem;
import dev.moat.gateway.upstream.LoopPool;
import dev.moat.gateway.upstream.UpstreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * The upstream half of an {@link Exchange}: a pooled connection (on the client's event loop), the
 * request written to it, the answer relayed (streaming, with a read only after each successful
 * write to the client) or aggregated for the policy stage, the response timeout, and the
 * connection's return to the pool (when reusable) or close.
 */
final class UpstreamCall implements UpstreamHandler.Listener, ChannelFutureListener {

    private final Exchange ex;
    private final ChannelHandlerContext ctx;
    private Channel upstream;
    private LoopPool pool;
    private UpstreamHandler handler; // the handler of `upstream` (its response timer; looked up once, not per use)
    private HttpResponse head;
    /** The answer's head, rewritten for the client and not yet written (see {@link #relayHead}). */
    private HttpResponse pendingHead;
    /**
     * Whether the upstream keeps its connection open after this answer, read from the answer's head
     * as the upstream sent it: the head's {@code Connection} field is rewritten for the client
     * before the answer ends (hop-by-hop fields removed, {@code close} added when the client's
     * connection closes), so it no longer says what the upstream meant by then.
     */
    private boolean upstreamKeepAlive;

    private CompositeByteBuf aggregated;
    private SseEventRewriter sse;
    private long startNanos;
    private long nanos = -1;
    private boolean requestSent;
    private boolean answered;
    private boolean aborted;
    private boolean releaseWhenSent;
    private boolean skipInterimEnd;

    UpstreamCall(Exchange ex) {
        this.ex = ex;
        this.ctx = ex.ctx();
    }

    /** Acquires a connection, then sends the head (and {@code fullBody} when aggregated). */
    void start(ByteBuf fullBody) {
        pool = ex.route().upstream().pool(ctx.channel().eventLoop());
        Channel idle = pool.poll();
        if (idle != null) {
            acquired(idle, fullBody); // the common case: no future, no listener
            return;
        }
        pool.acquire().addListener((Future<Channel> f) -> {
            if (!f.isSuccess()) {
                if (fullBody != null) {
                    fullBody.release();
                }
                Throwable c = f.cause();
                boolean timeout =
                        c instanceof ConnectTimeoutException || c instanceof java.util.concurrent.TimeoutException;
                ex.failWith(
                        timeout
                                ? Problem.gatewayTimeout("the upstream did not accept a connection in time")
                                : Problem.badGateway("the upstream refused the connection"),
                        timeout ? "timeout" : "bad_gateway");
                return;
            }
            acquired(f.getNow(), fullBody);
        });
    }

    private void acquired(Channel ch, ByteBuf fullBody) {
        if (ex.finished() || !ctx.channel().isActive()) {
            if (fullBody != null) {
                fullBody.release();
            }
            ch.close(); // nobody to answer any more
            pool.release(ch);
            return;
        }
        upstream = ch;
        handler = ch.pipeline().get(UpstreamHandler.class);
        handler.bind(this);
        sendHead(fullBody);
    }

    private void sendHead(ByteBuf fullBody) {
        HttpRequest request = ex.request();
        String uri = ex.route().upstream().upstreamTarget(request.uri()); // normalised origin-form
        HttpRequest out;
        if (fullBody != null) {
            out = new DefaultFullHttpRequest(
                    HttpVersion.HTTP_1_1,
                    request.method(),
                    uri,
                    fullBody,
                    request.headers(),
                    EmptyHttpHeaders.INSTANCE);
            out.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            HttpUtil.setContentLength(out, fullBody.readableBytes());
        } else {
            out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), uri, request.headers());
            // a head whose (empty) end has not been read yet: chunked only if the client framed a
            // body; a GET sent upstream as chunked carried an empty body some servers refuse.
            // Whether the client gave a Content-Length was read once at the exchange's start; the
            // header rules never remove it (HeaderRewriter.endToEnd), and should one ever do, the
            // body is sent with that length again, so that no header rule can unframe it (a look-up,
            // no header written, when the length is there, as it always is now)
            if (ex.requestLengthGiven()) {
                if (ex.requestLength() > 0 && !out.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                    HttpUtil.setContentLength(out, ex.requestLength());
                }
            } else if (!ex.requestComplete() && ex.requestBodyFramed()) {
                HttpUtil.setTransferEncodingChunked(out, true);
            }
        }
        startNanos = System.nanoTime();
        handler.deadline(this, ex.route().upstream().config().responseTimeout().toNanos());
        boolean whole = fullBody != null || ex.requestComplete();
        if (fullBody == null && ex.requestComplete()) {
            upstream.write(out, upstream.voidPromise()); // a body-less request: the head is the whole message
            upstream.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(sent(true));
        } else if (fullBody == null) {
            // The body follows: the head waits in the outbound buffer and leaves with the first
            // piece of body, in one write to the socket. Reading that piece before the head is
            // flushed holds at most one more message: backpressure still holds. The head's write
            // needs no promise of its own: a failure reaches UpstreamHandler.exceptionCaught (the
            // void promise fires it), which reports it to this call as onClosed, as the listener
            // did; the body's writes, queued behind it, fail too and are reported by theirs.
            upstream.write(out, upstream.voidPromise());
        } else {
            upstream.writeAndFlush(out).addListener(sent(true));
        }
        upstream.read();
        if (!whole) {
            ex.readClient();
        }
    }

    /** Streams a piece of the request body; the next client read follows a successful write. */
    void forward(HttpContent content) {
        Channel ch = upstream;
        boolean last = content instanceof LastHttpContent;
        if (ch == null) {
            content.release(); // the connection is gone; the rest of the body has nowhere to go
            if (!last) {
                ex.readClient();
            }
            return;
        }
        ch.writeAndFlush(content).addListener(sent(last));
    }

    /**
     * The listener of the request's writes upstream, one per kind, made once per call (was a
     * lambda per write): a failed write ends the call (or, once the answer is out, only drops the
     * connection); the last write marks the request sent, a piece before it reads on from the client.
     */
    private ChannelFutureListener sent(boolean last) {
        RequestWritten l = last ? endWritten : pieceWritten;
        if (l == null) {
            l = new RequestWritten(last);
            if (last) {
                endWritten = l;
            } else {
                pieceWritten = l;
            }
        }
        return l;
    }

    private RequestWritten endWritten;
    private RequestWritten pieceWritten;

    private final class RequestWritten implements ChannelFutureListener {
        private final boolean last;

        RequestWritten(boolean last) {
            this.last = last;
        }

        @Override
        public void operationComplete(ChannelFuture f) {
            if (!f.isSuccess()) {
                if (answered) {
                    dropConnection(); // the answer is out; only the connection is lost
                } else {
                    onClosed(f.cause());
                }
            } else if (last) {
                requestSent();
            } else {
                ex.readClient();
            }
        }
    }

    /**
     * The whole request reached the upstream. If its answer came first (a server may answer before
     * reading the body, as nginx's {@code return} does), the connection was kept for this moment and
     * now goes back to the pool.
     */
    private void requestSent() {
        requestSent = true;
        if (releaseWhenSent) {
            releaseWhenSent = false;
            Channel ch = upstream;
            upstream = null;
            if (ch != null) {
                handler.unbind(ch);
                pool.release(ch);
            }
        }
    }

    private void dropConnection() {
        releaseWhenSent = false;
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            handler.bind(null);
            ch.close();
            pool.release(ch);
        }
    }

    /** A message from the upstream connection (via {@link UpstreamHandler}). */
    @Override
    public void onMessage(Object msg) {
        if (aborted) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (skipInterimEnd && msg instanceof HttpContent c && !(msg instanceof HttpResponse)) {
            // the (empty) end of an interim 1xx answer: nothing for the client
            ReferenceCountUtil.release(msg);
            if (c instanceof LastHttpContent) {
                skipInterimEnd = false;
            }
            upstream.read();
            return;
        }
        if (answered) {
            ReferenceCountUtil.release(msg); // nothing may follow a complete answer
            dropConnection();
            return;
        }
        if (ex.finished() || ex.responseComplete()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            onClosed(o.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse h) {
            if (h.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                onInterim(h);
                return;
            }
            head = h;
            upstreamKeepAlive = HttpUtil.isKeepAlive(h);
            ex.upstreamStatus(h.status().code());
            if (ex.tokens() != null) {
                ex.tokens().onHead(h, ex.snapshot().config().server().limits().maxResponseBytes());
            }
            if (ex.inspecting() && !AnswerProcessor.streams(h)) {
                aggregated = ctx.alloc().compositeBuffer(1024);
                if (!(h instanceof HttpContent)) {
                    upstream.read(); // the body follows
                }
            } else {
                relayHead(h);
            }
        }
        if (msg instanceof HttpContent content) {
            if (ex.tokens() != null) {
                ex.tokens().onContent(content.content()); // the usage, read as it passes
            }
            if (aggregated != null) {
                aggregate(content);
            } else {
                relayContent(content);
            }
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * An interim answer (RFC 9110 section 15.2): 101 cannot be honoured (the gateway never asks
     * for an upgrade) and fails the call; 100 answers an {@code Expect} the gateway handled itself
     * and is dropped; others (103 Early Hints) are relayed to an HTTP/1.1 client, never to an
     * HTTP/1.0 one. Then the final answer is awaited.
     */
    private void onInterim(HttpResponse h) {
        int code = h.status().code();
        if (!(h instanceof LastHttpContent)) {
            skipInterimEnd = true;
        }
        if (code == 101) {
            ReferenceCountUtil.release(h);
            onClosed(null);
            return;
        }
        if (code != 100 && ex.request().protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            FullHttpResponse interim = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, h.status());
            interim.headers().set(h.headers());
            HeaderRewriter.toClient(interim.headers(), ex.requestId());
            interim.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            ctx.write(interim);
        }
        ReferenceCountUtil.release(h);
        upstream.read();
    }

    private void relayHead(HttpResponse h) {
        if (ex.inspecting() && AnswerProcessor.streams(h) && h.status().code() / 100 == 2) {
            switch (AnswerProcessor.streamHandling(ex, h)) {
                case REWRITE_EVENTS -> {
                    if (!AnswerProcessor.onStream(ex)) { // a streamed answer is one detection event
                        ReferenceCountUtil.release(h);
                        return;
                    }
                    sse = new SseEventRewriter(ex.route().compiled().llmGuard());
                    h.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                }
                case REFUSE -> {
                    ReferenceCountUtil.release(h);
                    ex.gateway().metrics().action("fail_closed");
                    ex.failWith(
                            Problem.badGateway("the upstream answered with an event stream this route's policy"
                                    + " cannot transform"),
                            "unsafe_answer");
                    return;
                }
                case PASS -> {
                    if (!AnswerProcessor.onStream(ex)) {
                        ReferenceCountUtil.release(h);
                        return;
                    }
                    ex.gateway().metrics().action("fail_open");
                }
            }
        }
        boolean framed = h instanceof LastHttpContent || HttpUtil.isContentLengthSet(h) || !bodyAllowed(h);
        boolean http10 = ex.request().protocolVersion().equals(HttpVersion.HTTP_1_0);
        if (!framed && http10) {
            // RFC 9112 section 6.1: no chunked coding for an HTTP/1.0 recipient; the close ends the body
            ex.closeWhenAnswered();
        }
        HttpHeaderRules.prepareResponse(h, ex);
        if (!framed && !http10) {
            HttpUtil.setTransferEncodingChunked(h, true);
        }
        ex.responseStarted();
        if (!(h instanceof HttpContent)) {
            // Written with the first piece of body when that came in the same upstream read (the
            // common small answer: one write to the client, and no promise or listener for the
            // head); otherwise when the read completes, with the listener that reads on.
            pendingHead = h;
        }
    }

    /** Writes the answer's head held back by {@link #relayHead}, if any; {@code listen}: the next read follows. */
    private void writePendingHead(boolean listen) {
        HttpResponse h = pendingHead;
        if (h == null) {
            return;
        }
        pendingHead = null;
        if (listen) {
            ctx.write(h).addListener(this);
        } else {
            // a body piece is written right behind it and carries the listener; a failure of the
            // head's write reaches FrontendHandler.exceptionCaught (the void promise fires it),
            // which ends the exchange as the listener did
            ctx.write(h, ctx.voidPromise());
        }
    }

    private void relayContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (sse != null) {
            ByteBuf rewritten = sse.rewrite(content.content().retain(), ctx.alloc(), last);
            content.release();
            content = last ? new DefaultLastHttpContent(rewritten) : new DefaultHttpContent(rewritten);
        }
        ex.addBytesOut(content.content().readableBytes());
        writePendingHead(false);
        if (last) {
            done();
            ctx.writeAndFlush(content).addListener(ex);
        } else {
            ctx.write(content).addListener(this); // flushed when this upstream read is done
        }
    }

    /**
     * A relayed piece of the answer that is not its last was written: the next upstream read
     * follows (or the client is gone). The call itself is the listener, and the exchange that of
     * the last piece ({@link Exchange#operationComplete}): no listener object per write.
     */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (!f.isSuccess()) {
            ex.clientGone();
        } else if (upstream != null && !ex.finished()) {
            upstream.read();
        }
    }

    private void aggregate(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        long max = ex.snapshot().config().server().limits().maxResponseBytes();
        if (aggregated.readableBytes() + (long) content.content().readableBytes() > max) {
            content.release();
            ex.failWith(Problem.badGateway("the upstream answer exceeds " + max + " bytes"), "unsafe_answer");
            return;
        }
        aggregated.addComponent(true, content.content().retain());
        content.release();
        if (!last) {
            upstream.read();
            return;
        }
        done();
        CompositeByteBuf body = aggregated;
        aggregated = null;
        FullHttpResponse res = AnswerProcessor.process(ex, head, body);
        if (res == null) {
            return; // the policy stage failed the exchange (fail closed)
        }
        HttpHeaderRules.prepareResponse(res, ex);
        ex.addBytesOut(res.content().readableBytes());
        ex.responseStarted();
        ctx.writeAndFlush(res).addListener(ex);
    }

    /** The whole answer arrived: the connection goes back to the pool when reusable. */
    private void done() {
        cancelTimer();
        answered = true;
        nanos = System.nanoTime() - startNanos;
        ex.gateway().metrics().upstream(nanos);
        Channel ch = upstream;
        if (ch == null) {
            return;
        }
        boolean reusable = upstreamKeepAlive && ch.isActive();
        if (reusable && !requestSent) {
            releaseWhenSent = true; // keep forwarding the body; reuse the connection after
            return;
        }
        upstream = null;
        handler.unbind(ch);
        if (!reusable) {
            ch.close();
        }
        pool.release(ch);
    }

    /**
     * The upstream connection finished a read: whatever it relayed goes to the client in one flush
     * (head and body of a small answer in one write, as nginx does).
     */
    @Override
    public void onReadComplete() {
        if (!ex.finished()) {
            writePendingHead(true);
            ctx.flush();
        }
    }

    /** The upstream connection closed, failed, or sent something undecodable. */
    @Override
    public void onClosed(Throwable cause) {
        if (aborted || ex.finished() || ex.responseComplete()) {
            return;
        }
        abort();
        if (ex.hasResponseStarted()) {
            ex.cutOff(); // the client saw part of an answer; only a close tells it the rest is missing
        } else {
            ex.failWith(Problem.badGateway("the upstream closed the connection before answering"), "bad_gateway");
        }
    }

    @Override
    public void onTimeout() {
        if (aborted || ex.finished() || ex.responseComplete()) {
            return;
        }
        abort();
        if (ex.hasResponseStarted()) {
            ex.cutOff();
        } else {
            ex.failWith(
                    Problem.gatewayTimeout("the upstream did not answer within "
                            + ex.route().upstream().config().responseTimeout().toMillis() + " ms"),
                    "timeout");
        }
    }

    /** Gives the connection up (closed, never reused) and frees what is held. */
    void abort() {
        aborted = true; // what the close below reports (write failures, inactive) is not news
        cancelTimer();
        dropConnection();
        releaseBuffers();
    }

    /** Frees held buffers; a connection still finishing the request body stays until it is sent. */
    void releaseBuffers() {
        pendingHead = null; // a head is not reference-counted; one not written stays unwritten
        if (aggregated != null) {
            aggregated.release();
            aggregated = null;
        }
        if (sse != null) {
            sse.release();
            sse = null;
        }
    }

    long nanos() {
        return nanos;
    }

    private void cancelTimer() {
        if (handler != null) {
            handler.clearDeadline(this); // a no-op once the connection serves another call
        }
    }

    private boolean bodyAllowed(HttpResponse h) {
        int code = h.status().code();
        return ex.request().method() != HttpMethod.HEAD && code != 204 && code != 304;
    }
}
