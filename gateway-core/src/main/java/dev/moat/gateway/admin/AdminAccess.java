package dev.moat.gateway.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Who may do what on the admin listener, decided on a request's head alone (so that the body gate
 * and the handler decide alike): which targets are the admin API, whether it is enabled, and
 * whether a request carries the token.
 */
final class AdminAccess {

    private AdminAccess() {}

    /** The path of a request target, without its query, as sent (not decoded). */
    static String rawPath(String uri) {
        int q = uri.indexOf('?');
        return q >= 0 ? uri.substring(0, q) : uri;
    }

    /** True for {@code /admin} and {@code /admin/...}: the targets that need the token. */
    static boolean adminPath(String rawPath) {
        return rawPath.startsWith("/admin/") || rawPath.equals("/admin");
    }

    /**
     * True when a token is configured. An empty one counts as none: with it, an empty bearer
     * ({@code Authorization: Bearer }) matched and opened the API to anyone (a config built in code
     * skips the YAML's check for an empty token).
     */
    static boolean enabled(String token) {
        return token != null && !token.isEmpty();
    }

    /** True when the request carries {@code Authorization: Bearer <token>}, compared in constant time. */
    static boolean authorized(HttpRequest req, String token) {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (!enabled(token) || auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = auth.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8));
    }
}
