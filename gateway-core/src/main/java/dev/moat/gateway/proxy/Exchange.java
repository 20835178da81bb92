package dev.moat.gateway.proxy;

import dev.moat.detectors.Verdict;
import dev.moat.gateway.http.Problem;
import dev.moat.gateway.log.AccessLog;
import dev.moat.gateway.ratelimit.RateLimitHeaders;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.ratelimit.TokenBudget;
import dev.moat.gateway.runtime.Route;
import dev.moat.gateway.runtime.Snapshot;
import dev.moat.gateway.trace.RequestSpans;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * One request's life on the client side, from its head to the last byte of its answer. Runs
 * entirely on the client connection's event loop (its {@link UpstreamCall} lives on the same loop),
 * so it needs no locks.
 *
 * <p>Plain routes stream: the request body goes upstream as it arrives and the answer comes back
 * the same way. Routes whose policy reads bodies aggregate the request (up to its limit), run the
 * policy stage ({@link AnswerProcessor}) on it, and later on the answer. Rejected requests are
 * answered at once; when their body is still to come the answer says {@code Connection: close}
 * and the connection closes (after a short lingering read, {@link FrontendHandler#lingerThenClose}),
 * so no client can hold a connection by trickling a body the gateway would discard. The
 * exchange is done when the request was fully read and the answer fully written; then the front
 * end reads the next request or closes.
 */
public final class Exchange implements ChannelFutureListener {

    private final GatewayContext gw;
    private final Snapshot snap;
    private final FrontendHandler front;
    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    /** The request id: an {@code AsciiString} when generated, the client's {@code String} when given. */
    private final CharSequence requestId;

    private final String path;
    private final long startNanos;
    private final boolean clientKeepAlive;
    private final RequestSpans spans; // null unless tracing is on

    private RequestGate.Admission admission;
    private Route route;
    private boolean inspecting;
    private double[][] inputs;
    private boolean answerAsBytes;
    private RateLimiter.Decision rate;
    private LlmTokens tokens;
    private CompositeByteBuf requestBody;
    private UpstreamCall upstream;
    private long bytesIn;
    private long bytesOut;
    private int status;
    private String outcome = "ok";
    private boolean requestComplete;
    /** Whether the client's head announced a body (Transfer-Encoding or a non-zero Content-Length), as sent. */
    private boolean requestBodyFramed;
    /**
     * Whether the client's head carried a {@code Content-Length} field, read once at the start
     * (nothing on the way upstream adds or removes it): the upstream head is then framed by it.
     */
    /** The request's Content-Length as read at the start, or -1. */
    private long requestLength = -1;

    private boolean responseStarted;
    private boolean responseComplete;
    private boolean discarding;
    private boolean closeAfter;
    private boolean abrupt;
    private boolean finished;

    Exchange(
            GatewayContext gw,
            Snapshot snap,
            FrontendHandler front,
            ChannelHandlerContext ctx,
            HttpRequest request,
            CharSequence requestId,
            String path) {
        this.gw = gw;
        this.snap = snap;
        this.front = front;
        this.ctx = ctx;
        this.request = request;
        this.requestId = requestId;
        this.path = path;
        this.startNanos = System.nanoTime();
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.spans = gw.tracing().start(request, path, requestId);
    }

    /** The client asked {@code Expect: 100-continue}: answered once the request is admitted. */
    private boolean continueOnceAdmitted;

    void continueOnceAdmitted() {
        continueOnceAdmitted = true;
    }

    /** Decides, then either answers at once or starts the upstream call. */
    void start() {
        if (request instanceof LastHttpContent) {
            requestComplete = true;
        }
        long length = HttpUtil.getContentLength(request, -1L);
        requestLength = length;
        requestBodyFramed = request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING) || length > 0;
        RequestGate.Admission a = RequestGate.admit(gw, snap, request, path);
        if (a.pending()) { // shared buckets: resume on this channel's loop when Redis (or the timeout) answers
            admission = a;
            RequestGate.consumeShared(gw, snap, request, a)
                    .whenComplete((done, e) -> ctx.executor().execute(() -> admitted(done)));
            return;
        }
        admitted(a);
    }

    private void admitted(RequestGate.Admission a) {
        if (finished) {
            return; // the client went away while the shared buckets answered
        }
        admission = a;
        route = admission.route();
        rate = admission.rate();
        if (admission.key() != null) {
            if (snap.config().admin().perKeyMetrics()) {
                // counted when decided, before any answer byte can reach the client
                gw.metrics().keyRequest(admission.key().id());
            }
        }
        if (!admission.admitted()) {
            reject(admission);
            return;
        }
        TokenBudget.Check tc = RequestGate.checkTokens(gw, snap, request, admission);
        if (tc != null && !tc.allowed()) {
            gw.metrics().rateLimited();
            reject(RequestGate.tokensExhausted(admission, tc.decision()), tc.decision());
            return;
        }
        if (continueOnceAdmitted && !requestComplete && requestBodyFramed) {
            // admitted: the body is wanted now (what Netty's HttpServerExpectContinueHandler did)
            ctx.writeAndFlush(FrontendHandler.CONTINUE.retainedDuplicate())
                    .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        inspecting = route.inspectsBodies() && !statusRead(request);
        HttpHeaderRules.prepareRequest(request, route, front.clientIp(ctx), gw.tls(), requestId, inspecting);
        if (tc != null) {
            tokens = new LlmTokens(tc.charge(), tc.decision());
            // the answer's usage is read as it passes: ask for it uncompressed
            request.headers().set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        }
        if (!inspecting) {
            callUpstream(null);
        } else {
            requestBody = ctx.alloc().compositeBuffer(1024);
            if (requestComplete) {
                inspectThenCall();
            } else {
                readClient();
            }
        }
    }

    /**
     * A bodyless GET or HEAD without a query (model status, metadata) passes a policy route
     * uninspected: it carries no input, so it can get no prediction. Anything with a body, or a
     * query an upstream could read inputs from, goes through the policy stage.
     */
    static boolean statusRead(HttpRequest req) {
        HttpMethod m = req.method();
        return (m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD))
                && !req.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
                && HttpUtil.getContentLength(req, 0L) == 0
                && req.uri().indexOf('?') < 0;
    }

    private void reject(RequestGate.Admission a) {
        reject(a, null);
    }

    private void reject(RequestGate.Admission a, RateLimiter.Decision tokenDecision) {
        refusedBeforeUpstream();
        // a body the gateway would only discard is not waited for: answer, then close
        boolean bodyToCome = !requestComplete && requestBodyFramed;
        closeAfter = closeAfter || a.closeAfter() || bodyToCome;
        discarding = true;
        Problem p = a.problem();
        FullHttpResponse res = p.toResponse(ctx.alloc(), requestId());
        if (p.status().code() == 401) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        if (a.rate() != null) {
            RateLimitHeaders.write(res.headers(), a.rate(), a.key() == null ? null : snap.policyHeader(a.key()));
        }
        if (tokenDecision != null) {
            RateLimitHeaders.writeTokens(res.headers(), tokenDecision);
        }
        if (a.retryAfterSeconds() > 0) {
            res.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(a.retryAfterSeconds()));
        }
        outcome = a.outcome();
        writeFinal(res);
        if (!requestComplete && !closeAfter) {
            readClient(); // the (empty) end of a bodyless request
        }
    }

    /** A read deadline passed before the request was complete: 408 when nothing was answered yet, and close. */
    void readTimedOut() {
        abrupt = true;
        if (finished || responseStarted) {
            ctx.close();
            return;
        }
        failWith(
                new Problem(
                        "request-timeout",
                        HttpResponseStatus.REQUEST_TIMEOUT,
                        "Request timeout",
                        "the request was not read completely in time"),
                "client_timeout");
    }

    /** A piece of the request body, delivered one per read by the flow-control handler. */
    void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        bytesIn += content.content().readableBytes();
        if (last) {
            requestComplete = true;
        }
        if (discarding || finished) {
            content.release();
            if (last) {
                maybeDone();
            } else {
                readClient();
            }
            return;
        }
        long max = snap.config().server().limits().maxRequestBytes();
        if (bytesIn > max) {
            content.release();
            closeAfter = true;
            failWith(Problem.tooLarge("the request body exceeds " + max + " bytes"), "too_large");
            return;
        }
        if (!inspecting) {
            if (last && !((LastHttpContent) content).trailingHeaders().isEmpty()) {
                // request trailers are not forwarded: they could carry the API key past the header rules
                content = new DefaultLastHttpContent(content.content());
            }
            upstream.forward(content);
            if (last) {
                maybeDone(); // the answer may already be out (an early answer)
            }
            return;
        }
        requestBody.addComponent(true, content.content().retain());
        content.release();
        if (last) {
            inspectThenCall();
        } else {
            readClient();
        }
    }

    /** Inspecting routes: the whole request is here; read it (policy stage), then call upstream. */
    private void inspectThenCall() {
        CompositeByteBuf body = requestBody;
        requestBody = null;
        ByteBuf outbound = AnswerProcessor.onRequest(this, body);
        if (outbound != null) {
            callUpstream(outbound);
        }
    }

    /**
     * A request refused before any upstream call: its connection counts against its address
     * again ({@link ConnectionLimitHandler#refused}), and closes after the answer when that is
     * over the cap, so that refusals (cheap 429s, a key at its limit or blocked) cannot hold a
     * socket outside the cap.
     */
    private void refusedBeforeUpstream() {
        if (!ConnectionLimitHandler.refused(ctx)) {
            closeAfter = true;
        }
    }

    /** Sends the (inspected) request upstream. */
    void callUpstream(ByteBuf outbound) {
        // a request that reaches the upstream (a valid key, admitted, its batch and budget paid)
        // takes its connection out of the per-address cap
        ConnectionLimitHandler.authenticated(ctx);
        if (spans != null) {
            spans.upstreamCall(request.headers(), route.config().upstream());
        }
        upstream = new UpstreamCall(this);
        upstream.start(outbound);
    }

    /** Answers with a problem (only before any answer byte was written). */
    void failWith(Problem p, String outcomeTag) {
        if (finished || responseStarted) {
            return;
        }
        if (upstream != null) {
            upstream.abort();
        } else {
            refusedBeforeUpstream();
        }
        outcome = outcomeTag;
        if (!requestComplete) {
            closeAfter = true; // the rest of the request body would be read as a new request
        }
        discarding = true;
        FullHttpResponse res = p.toResponse(ctx.alloc(), requestId());
        if (p.status().code() == 503) {
            res.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        }
        if (p.status().code() == 415) {
            // the codings a request body may have (RFC 7694 section 3)
            res.headers().set(HttpHeaderNames.ACCEPT_ENCODING, RequestCoding.ACCEPTED);
        }
        if (p.status().code() == 429 && rate != null && admission.key() != null) {
            RateLimitHeaders.write(res.headers(), rate, snap.policyHeader(admission.key()));
            if (tokens != null) {
                tokens.writeHeaders(res.headers());
            }
        }
        writeFinal(res);
    }

    private void writeFinal(FullHttpResponse res) {
        status = res.status().code();
        closeAfter = closeAfter();
        HttpHeaderRules.connectionField(res, this);
        res.headers().set(HeaderRewriter.X_REQUEST_ID, requestId);
        bytesOut = res.content().readableBytes();
        responseStarted = true;
        ctx.writeAndFlush(res).addListener(this);
    }

    /**
     * The answer's last write completed (a problem answer's or a relayed answer's last piece): the
     * exchange is its own listener, so that write needs no listener object.
     */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (!f.isSuccess()) {
            clientGone();
        } else {
            answerWritten();
        }
    }

    /** The last byte of the answer was written. */
    void answerWritten() {
        responseComplete = true;
        maybeDone();
    }

    private void maybeDone() {
        if (finished || !responseComplete) {
            return;
        }
        if (!requestComplete) {
            if (closeAfter) {
                if (abrupt) {
                    ctx.close();
                } else {
                    front.lingerThenClose(ctx);
                }
                finish();
            }
            return; // an early answer: the body still streams upstream (within request_read)
        }
        finish();
        front.exchangeDone(this, !closeAfter());
    }

    /** The answer was cut off midway (upstream failed or timed out after the head was sent). */
    void cutOff() {
        closeAfter = true;
        ctx.close();
        finish();
    }

    /**
     * A fault of the gateway's own whose answer could not be made or written either: the exchange
     * ends unanswered, counted under {@code outcomeTag} (status 500, as it would have been), and its
     * connection closes.
     */
    void unanswered(String outcomeTag) {
        if (finished) {
            return;
        }
        status = 500;
        outcome = outcomeTag;
        clientGone();
    }

    /** The client connection closed or a write to it failed. */
    void clientGone() {
        if (finished) {
            return;
        }
        if (upstream != null) {
            upstream.abort();
        }
        if (status == 0) {
            status = 499;
            outcome = "client_closed";
        }
        ctx.close();
        finish();
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (tokens != null) {
            tokens.settle();
        }
        if (requestBody != null) {
            requestBody.release();
            requestBody = null;
        }
        if (upstream != null) {
            if (requestComplete) {
                upstream.releaseBuffers(); // a connection still sending the body's tail is released after it
            } else {
                upstream.abort(); // the body will never be complete: the connection cannot be reused
            }
        }
        long total = System.nanoTime() - startNanos;
        String routeTag = route == null ? "none" : route.tag();
        String keyId = admission == null || admission.key() == null
                ? null
                : admission.key().id();
        gw.metrics().request(routeTag, outcome, total);
        if (gw.accessLog().enabled()) {
            gw.accessLog()
                    .log(new AccessLog.Entry(
                            requestId(),
                            request.method().name(),
                            path,
                            keyId,
                            route == null ? null : route.tag(),
                            status,
                            bytesIn,
                            bytesOut,
                            upstream == null ? -1 : upstream.nanos(),
                            total,
                            outcome));
        }
        if (spans != null) {
            Verdict v = keyId == null || gw.defences() == null
                    ? null
                    : gw.defences().engine().verdict(keyId);
            spans.finish(
                    routeTag.equals("none") ? null : routeTag,
                    keyId,
                    outcome,
                    status,
                    v == null ? null : v.level().jsonName(),
                    v == null ? 0 : v.risk(),
                    upstream == null ? -1 : upstream.nanos());
        }
        gw.requestFinished();
    }

    // --- what the upstream call, the header rules and the policy stage read or report

    void readClient() {
        front.read(ctx);
    }

    void upstreamStatus(int code) {
        status = code;
        outcome = code >= 500 ? "upstream_error" : code >= 400 ? "upstream_client_error" : "ok";
    }

    void responseStarted() {
        responseStarted = true;
    }

    void addBytesOut(long n) {
        bytesOut += n;
    }

    boolean hasResponseStarted() {
        return responseStarted;
    }

    boolean responseComplete() {
        return responseComplete;
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** Whether the client's request head announced a body; a request without one has none (RFC 9112 6.3). */
    boolean requestBodyFramed() {
        return requestBodyFramed;
    }

    /** Whether the client's head carried a {@code Content-Length} field (read once, at the start). */
    long requestLength() {
        return requestLength;
    }

    boolean requestLengthGiven() {
        return requestLength >= 0;
    }

    boolean finished() {
        return finished;
    }

    boolean inspecting() {
        return inspecting;
    }

    /** The request id as a {@code String} (an {@code AsciiString} keeps the one it makes). */
    String requestId() {
        return requestId.toString();
    }

    /** The request id as header value: the {@code AsciiString} the encoder copies in one go. */
    CharSequence requestIdValue() {
        return requestId;
    }

    Snapshot snapshot() {
        return snap;
    }

    Route route() {
        return route;
    }

    /** The request's path as routed (normalised by {@code RequestTarget}, no query). */
    String path() {
        return path;
    }

    RequestGate.Admission admission() {
        return admission;
    }

    double[][] inputs() {
        return inputs;
    }

    void inputs(double[][] rows) {
        this.inputs = rows;
    }

    /** Whether the client asked for its answer in the protocol's byte form (Triton's binary outputs). */
    boolean answerAsBytes() {
        return answerAsBytes;
    }

    void answerAsBytes(boolean asked) {
        this.answerAsBytes = asked;
    }

    /** The tier bucket's latest state (for the RateLimit fields). */
    RateLimiter.Decision rate() {
        return rate;
    }

    void rate(RateLimiter.Decision d) {
        this.rate = d;
    }

    /** The exchange's LLM token budget, or {@code null} when none applies. */
    LlmTokens tokens() {
        return tokens;
    }

    HttpRequest request() {
        return request;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    GatewayContext gateway() {
        return gw;
    }

    /** The answer's end is marked by closing the connection (an unframed body for an HTTP/1.0 client). */
    void closeWhenAnswered() {
        closeAfter = true;
    }

    boolean closeAfter() {
        return closeAfter || !clientKeepAlive || gw.draining();
    }
}
