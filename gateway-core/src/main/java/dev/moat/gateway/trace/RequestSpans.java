package dev.moat.gateway.trace;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.common.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The spans of one request: a server span from its head to the last byte of its answer, and a
 * client span for the upstream call, whose context goes upstream as {@code traceparent} (replacing
 * the client's, which is this span's ancestor). Used on the request's event loop only; Moat never
 * makes a span current, so nothing leaks between requests sharing a thread.
 */
public final class RequestSpans {

    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("moat.request_id");
    static final AttributeKey<String> KEY_ID = AttributeKey.stringKey("moat.key.id");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("moat.outcome");
    static final AttributeKey<String> RISK_LEVEL = AttributeKey.stringKey("moat.risk.level");
    static final AttributeKey<Double> RISK = AttributeKey.doubleKey("moat.risk");
    static final AttributeKey<String> UPSTREAM = AttributeKey.stringKey("moat.upstream");

    private static final TextMapGetter<HttpHeaders> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private static final TextMapSetter<HttpHeaders> SETTER = (carrier, key, value) -> carrier.set(key, value);

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final Span server;
    private final Context serverContext;
    private final String method;
    private Span client;
    private long clientStartEpochNanos;

    RequestSpans(Tracer tracer, TextMapPropagator propagator, HttpRequest request, String path, String requestId) {
        this.tracer = tracer;
        this.propagator = propagator;
        Context parent = propagator.extract(Context.root(), request.headers(), GETTER);
        this.method = request.method().name();
        this.server = tracer.spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(METHOD, method)
                .setAttribute(PATH, path)
                .setAttribute(REQUEST_ID, requestId)
                .startSpan();
        this.serverContext = parent.with(server);
    }

    /**
     * Opens the client span for the upstream call and writes its context into the request headers
     * that go upstream.
     */
    public void upstreamCall(HttpHeaders outbound, String upstream) {
        if (client != null) {
            return;
        }
        clientStartEpochNanos = Clock.getDefault().now();
        client = tracer.spanBuilder(method + " upstream")
                .setParent(serverContext)
                .setStartTimestamp(clientStartEpochNanos, TimeUnit.NANOSECONDS)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(UPSTREAM, upstream)
                .startSpan();
        outbound.remove("traceparent");
        outbound.remove("tracestate");
        propagator.inject(serverContext.with(client), outbound, SETTER);
    }

    /**
     * Ends both spans with what the request came to.
     *
     * @param route         the route's tag, or null when none matched
     * @param keyId         the key's id, or null when unauthenticated
     * @param riskLevel     the key's detection level ({@code ok}, {@code suspicious}, ...), or null
     * @param upstreamNanos how long the upstream call took, or 0 or less when unknown
     */
    public void finish(
            String route, String keyId, String outcome, int status, String riskLevel, double risk, long upstreamNanos) {
        if (client != null) {
            client.setAttribute(STATUS, (long) status);
            if (status >= 500 || "timeout".equals(outcome) || "bad_gateway".equals(outcome)) {
                client.setStatus(StatusCode.ERROR, outcome);
            }
            if (upstreamNanos > 0) {
                client.end(clientStartEpochNanos + upstreamNanos, TimeUnit.NANOSECONDS);
            } else {
                client.end();
            }
        }
        if (route != null) {
            server.setAttribute(ROUTE, route);
            server.updateName(method + " " + route);
        }
        if (keyId != null) {
            server.setAttribute(KEY_ID, keyId);
        }
        if (riskLevel != null) {
            server.setAttribute(RISK_LEVEL, riskLevel);
            server.setAttribute(RISK, risk);
        }
        server.setAttribute(OUTCOME, outcome);
        server.setAttribute(STATUS, (long) status);
        if (status >= 500) {
            server.setStatus(StatusCode.ERROR, outcome);
        }
        server.end();
    }

    /** For tests: the trace this request belongs to. */
    public String traceId() {
        return server.getSpanContext().getTraceId();
    }
}
