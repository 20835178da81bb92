package dev.moat.gateway.proxy;

import dev.moat.gateway.ratelimit.RateLimitHeaders;
import dev.moat.gateway.runtime.Route;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Applies {@link HeaderRewriter} and the gateway's own fields to both directions of an exchange. */
final class HttpHeaderRules {

    private HttpHeaderRules() {}

    static void prepareRequest(
            HttpRequest req,
            Route route,
            CharSequence clientIp,
            boolean tls,
            CharSequence requestId,
            boolean inspecting) {
        HeaderRewriter.toUpstream(req.headers(), route.upstream().authorityHeader(), clientIp, tls, requestId);
        req.headers().remove(HttpHeaderNames.EXPECT);
        if (inspecting) {
            // The answer is parsed: ask for it uncompressed rather than inflate it here.
            req.headers().set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        }
    }

    static void prepareResponse(HttpResponse res, Exchange ex) {
        HeaderRewriter.toClient(res.headers(), ex.requestIdValue());
        RequestGate.Admission a = ex.admission();
        if (a != null && ex.rate() != null && a.key() != null) {
            RateLimitHeaders.write(res.headers(), ex.rate(), ex.snapshot().policyHeader(a.key()));
            if (ex.tokens() != null) {
                ex.tokens().writeHeaders(res.headers());
            }
        }
        connectionField(res, ex);
    }

    /**
     * The answer's {@code Connection} field: {@code close} when the connection closes after it;
     * {@code keep-alive} for an HTTP/1.0 client whose connection stays open (RFC 9112 section
     * 9.3: an HTTP/1.0 connection persists only when both sides say so); none otherwise.
     */
    static void connectionField(HttpResponse res, Exchange ex) {
        if (ex.closeAfter()) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (ex.request().protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            res.headers().remove(HttpHeaderNames.CONNECTION);
        }
    }

    static String clientIp(Channel ch) {
        SocketAddress a = ch.remoteAddress();
        if (a instanceof InetSocketAddress isa) {
            return isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
        }
        return "unknown";
    }
}
