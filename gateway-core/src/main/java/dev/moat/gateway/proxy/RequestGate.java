package dev.moat.gateway.proxy;

import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.http.Problem;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.runtime.Route;
import dev.moat.gateway.runtime.Snapshot;
import dev.moat.gateway.server.Enforcement;
import dev.moat.gateway.server.GatewayContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Decides, before any upstream call, whether a request may pass: route, key, bucket, block, size.
 * It only decides; {@link Exchange} acts on the answer.
 */
final class RequestGate {

    /** The decision: either a problem to answer with, or the route and key to proxy for. */
    record Admission(
            Problem problem,
            String outcome,
            boolean closeAfter,
            Route route,
            ApiKey key,
            RateLimiter.Decision rate,
            long retryAfterSeconds,
            Enforcement.Gate gate) {

        boolean admitted() {
            return problem == null;
        }

        static Admission reject(Problem p, String outcome, boolean close) {
            return new Admission(p, outcome, close, null, null, null, -1, Enforcement.Gate.PASS);
        }
    }

    private RequestGate() {}

    static Admission admit(GatewayContext gw, Snapshot snap, HttpRequest req, String path) {
        HttpHeaders h = req.headers();
        if (h.contains(HttpHeaderNames.CONTENT_LENGTH) && h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            // RFC 9112 section 6.3: a sender must not send both; a proxy that picks one invites smuggling.
            return Admission.reject(
                    Problem.badRequest("both Content-Length and Transfer-Encoding present"), "bad_request", true);
        }
        if (gw.draining()) {
            return Admission.reject(Problem.unavailable("the gateway is shutting down"), "unavailable", true);
        }
        Route route = snap.route(path);
        if (route == null) {
            return Admission.reject(Problem.notFound("no route for this path"), "no_route", false);
        }
        ApiKey key = gw.keys().authenticate(KeyStore.presentedSecret(h));
        if (key == null) {
            return new Admission(
                    Problem.unauthorized("send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'"),
                    "unauthorized",
                    false,
                    route,
                    null,
                    null,
                    -1,
                    Enforcement.Gate.PASS);
        }
        Enforcement.Gate gate = gw.enforcement().check(key, route);
        if (gate.kind() == Enforcement.Kind.BLOCKED) {
            return new Admission(
                    Problem.forbidden("this key is blocked for abnormal usage"),
                    "blocked",
                    false,
                    route,
                    key,
                    null,
                    gate.retryAfterSeconds(),
                    gate);
        }
        if (gate.kind() == Enforcement.Kind.THROTTLED) {
            return new Admission(
                    Problem.throttled("this key is throttled for abnormal usage"),
                    "throttled",
                    false,
                    route,
                    key,
                    gate.throttle(),
                    gate.retryAfterSeconds(),
                    gate);
        }
        RateLimiter.Decision rate = gw.rateLimiter().tryConsume(key.id(), snap.limits(key));
        if (!rate.allowed()) {
            gw.metrics().rateLimited();
            return new Admission(
                    Problem.rateLimited("rate limit of tier '" + key.tier() + "' exceeded"),
                    "rate_limited",
                    false,
                    route,
                    key,
                    rate,
                    rate.retryAfterSeconds(),
                    gate);
        }
        long maxBody = snap.config().server().limits().maxRequestBytes();
        if (HttpUtil.getContentLength(req, -1L) > maxBody) {
            return new Admission(
                    Problem.tooLarge("the request body exceeds " + maxBody + " bytes"),
                    "too_large",
                    true,
                    route,
                    key,
                    rate,
                    -1,
                    gate);
        }
        return new Admission(null, null, false, route, key, rate, -1, gate);
    }
}
