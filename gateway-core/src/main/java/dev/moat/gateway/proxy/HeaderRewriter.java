package dev.moat.gateway.proxy;

import dev.moat.gateway.http.GatewayHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Header rules for a hop (RFC 9110 section 7.6.1): connection-specific fields, and every field the
 * {@code Connection} header names, are removed before a message is forwarded; then the proxy adds
 * what it owes the next hop ({@code Via}, {@code X-Forwarded-*}, {@code X-Request-Id}).
 */
public final class HeaderRewriter {

    public static final AsciiString X_REQUEST_ID = GatewayHeaders.X_REQUEST_ID;
    public static final AsciiString X_FORWARDED_FOR = GatewayHeaders.X_FORWARDED_FOR;
    public static final AsciiString X_FORWARDED_PROTO = GatewayHeaders.X_FORWARDED_PROTO;
    public static final AsciiString X_API_KEY = AsciiString.cached("x-api-key");
    public static final AsciiString X_FORWARDED_HOST = GatewayHeaders.X_FORWARDED_HOST;
    static final String VIA_VALUE = "1.1 moat";
    // values set on every request as AsciiStrings: the encoder copies their bytes
    private static final AsciiString VIA_ONLY = AsciiString.cached(VIA_VALUE);
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private static final List<AsciiString> HOP_BY_HOP = List.of(
            HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION,
            HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION,
            HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER,
            HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE);

    private HeaderRewriter() {}

    /**
     * Removes hop-by-hop fields. {@code Transfer-Encoding} goes too: Netty's codec re-frames the
     * body for the next hop and sets it again when the body is chunked.
     */
    public static void stripHopByHop(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.CONNECTION)) {
            for (AsciiString h : HOP_BY_HOP) {
                headers.remove(h);
            }
            return;
        }
        List<String> named = headers.getAll(HttpHeaderNames.CONNECTION);
        for (String value : named) {
            if (value.indexOf(',') < 0) { // one option ("keep-alive", "close"): no split, same result
                String name = value.trim();
                if (!name.isEmpty()) {
                    headers.remove(name);
                }
                continue;
            }
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    headers.remove(name);
                }
            }
        }
        for (AsciiString h : HOP_BY_HOP) {
            headers.remove(h);
        }
    }

    /**
     * Prepares a client request's headers for the upstream: hop-by-hop removed, the API key removed
     * (the model server has no use for the gateway's secrets), {@code Host} set to the upstream's
     * authority, forwarding fields added.
     */
    public static void toUpstream(
            HttpHeaders headers,
            CharSequence upstreamAuthority,
            CharSequence clientIp,
            boolean tls,
            CharSequence requestId) {
        String originalHost = headers.get(HttpHeaderNames.HOST);
        stripHopByHop(headers);
        headers.remove(HttpHeaderNames.AUTHORIZATION);
        headers.remove(X_API_KEY);
        headers.set(HttpHeaderNames.HOST, upstreamAuthority);
        if (originalHost != null) {
            headers.set(X_FORWARDED_HOST, originalHost);
        }
        String prior = headers.get(X_FORWARDED_FOR);
        headers.set(X_FORWARDED_FOR, prior == null || prior.isBlank() ? clientIp : prior + ", " + clientIp);
        headers.set(X_FORWARDED_PROTO, tls ? HTTPS : HTTP);
        appendVia(headers);
        headers.set(X_REQUEST_ID, requestId);
    }

    /** Prepares an upstream answer's headers for the client. */
    public static void toClient(HttpHeaders headers, CharSequence requestId) {
        stripHopByHop(headers);
        appendVia(headers);
        headers.set(X_REQUEST_ID, requestId);
    }

    private static void appendVia(HttpHeaders headers) {
        String via = headers.get(HttpHeaderNames.VIA);
        headers.set(HttpHeaderNames.VIA, via == null ? VIA_ONLY : via + ", " + VIA_VALUE);
    }
}
