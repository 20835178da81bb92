package dev.moat.gateway.proxy;

import dev.moat.gateway.http.GatewayHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

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

    /** The hop-by-hop names; {@link #hopByHopIndex} knows their lengths and order. */
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
     *
     * <p>One pass over the fields finds which hop-by-hop names are present and the {@code
     * Connection} value; only those are removed (was: a removal, i.e. a hash look-up, for each of
     * the nine names and a list of the {@code Connection} values, on each message in each direction).
     */
    public static void stripHopByHop(HttpHeaders headers) {
        int seen = 0; // bit i: a field named HOP_BY_HOP[i] is present
        CharSequence connection = null; // the first Connection value
        boolean moreConnections = false;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            int i = hopByHopIndex(e.getKey());
            if (i < 0) {
                continue;
            }
            seen |= 1 << i;
            if (i == CONNECTION_INDEX) {
                if (connection == null) {
                    connection = e.getValue();
                } else {
                    moreConnections = true;
                }
            }
        }
        if (seen == 0) {
            return;
        }
        if (moreConnections) {
            for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
                removeNamed(headers, value);
            }
        } else if (connection != null) {
            removeNamed(headers, connection.toString());
        }
        for (int i = 0; i < HOP_BY_HOP.size(); i++) {
            if ((seen & (1 << i)) != 0) {
                headers.remove(HOP_BY_HOP.get(i));
            }
        }
    }

    /**
     * Removes the fields a {@code Connection} value names; a name that is itself hop-by-hop is left
     * to the caller, which removes it when present.
     */
    private static void removeNamed(HttpHeaders headers, String value) {
        if (value.indexOf(',') < 0) { // one option ("keep-alive", "close"): no split, same result
            removeNamedOne(headers, value.trim());
            return;
        }
        for (String token : value.split(",")) {
            removeNamedOne(headers, token.trim());
        }
    }

    private static void removeNamedOne(HttpHeaders headers, String name) {
        if (!name.isEmpty() && hopByHopIndex(name) < 0 && !endToEnd(name)) {
            headers.remove(name);
        }
    }

    /**
     * Fields no {@code Connection} option removes: the message's framing, target and representation
     * ({@code Content-Type}, {@code Content-Encoding}: a body whose coding is hidden from the
     * upstream is read as something it is not), meant for every recipient (RFC 9110 section 7.6.1: a sender must not name such a field). {@code Connection:
     * Content-Length} took the length off a plain route's forwarded head, so the body went upstream
     * unframed and the upstream read a request smuggled in it as the next one on the connection
     * (session 42, {@code EdgeBypassIT}); the gateway frames what it forwards itself, whatever the
     * client names.
     */
    private static boolean endToEnd(String name) {
        return HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.CONTENT_TYPE.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.CONTENT_ENCODING.contentEqualsIgnoreCase(name);
    }

    private static final int CONNECTION_INDEX = 0;

    /** The index of {@code name} in {@link #HOP_BY_HOP} (any case), or -1. */
    static int hopByHopIndex(CharSequence name) {
        switch (name.length()) {
            case 2:
                return is(name, 5);
            case 7:
                return Math.max(is(name, 6), is(name, 8));
            case 10:
                return Math.max(is(name, 0), is(name, 1));
            case 16:
                return is(name, 2);
            case 17:
                return is(name, 7);
            case 18:
                return is(name, 3);
            case 19:
                return is(name, 4);
            default:
                return -1;
        }
    }

    private static int is(CharSequence name, int i) {
        return AsciiString.contentEqualsIgnoreCase(name, HOP_BY_HOP.get(i)) ? i : -1;
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
        } else {
            // an HTTP/1.0 request may come without Host: the client's own X-Forwarded-Host would reach
            // the upstream as if this gateway had set it (session 42's review)
            headers.remove(X_FORWARDED_HOST);
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
