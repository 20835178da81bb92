package dev.moat.gateway.proxy;

import dev.moat.gateway.http.Problem;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Iterator;
import java.util.Set;

/**
 * What a request head must be before anything else looks at it (it only decides):
 * <ul>
 *   <li>the method is one a model API uses: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.
 *       CONNECT (a tunnel would turn a pooled upstream connection into someone's pipe) and TRACE
 *       (it echoes the request, credentials included) are refused with 405 and {@code Allow};
 *       any other method with 501. A refused method is never forwarded;</li>
 *   <li>exactly one {@code Host} field (RFC 9112 section 3.2: 400 when an HTTP/1.1 request has
 *       none, or when any request has more than one), holding one authority;</li>
 *   <li>the request target normalises ({@link RequestTarget}).</li>
 * </ul>
 */
final class RequestHeadCheck {

    static final String ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    private static final Set<HttpMethod> ACCEPTED = Set.of(
            HttpMethod.GET,
            HttpMethod.HEAD,
            HttpMethod.POST,
            HttpMethod.PUT,
            HttpMethod.PATCH,
            HttpMethod.DELETE,
            HttpMethod.OPTIONS);

    /** The verdict: the normalised target, or the problem to answer with. */
    record Verdict(RequestTarget.Result target, Problem problem) {}

    private RequestHeadCheck() {}

    static Verdict check(HttpRequest req) {
        HttpMethod m = req.method();
        if (!ACCEPTED.contains(m)) {
            boolean known = m.equals(HttpMethod.CONNECT) || m.equals(HttpMethod.TRACE);
            return new Verdict(
                    null,
                    known
                            ? new Problem(
                                    "method-not-allowed",
                                    HttpResponseStatus.METHOD_NOT_ALLOWED,
                                    "Method not allowed",
                                    "the gateway does not accept " + m.name())
                            : new Problem(
                                    "not-implemented",
                                    HttpResponseStatus.NOT_IMPLEMENTED,
                                    "Method not implemented",
                                    "the gateway accepts only " + ALLOW));
        }
        // an iterator over the Host values, not getAll's list (two objects per request)
        Iterator<? extends CharSequence> hosts = req.headers().valueCharSequenceIterator(HttpHeaderNames.HOST);
        CharSequence host = hosts.hasNext() ? hosts.next() : null;
        if (host != null && hosts.hasNext()) {
            return new Verdict(null, Problem.badRequest("the request has more than one Host field"));
        }
        if (host == null && !req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            return new Verdict(null, Problem.badRequest("the request has no Host field"));
        }
        if (host != null && !saneHost(host)) {
            return new Verdict(null, Problem.badRequest("the Host field is not one authority"));
        }
        RequestTarget.Result t = RequestTarget.normalise(req.uri());
        if (!t.ok()) {
            return new Verdict(null, Problem.badRequest(t.problem()));
        }
        return new Verdict(t, null);
    }

    private static boolean saneHost(CharSequence host) {
        if (host.length() > 255) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == ',' || c == '/' || c == '\\' || c == '@') {
                return false;
            }
        }
        return true;
    }
}
