package dev.moat.gateway.proxy;

import dev.moat.config.Protocol;
import dev.moat.config.RateLimit;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.defence.Enforcement;
import dev.moat.gateway.http.Problem;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.ratelimit.SharedLimiter;
import dev.moat.gateway.ratelimit.TokenBudget;
import dev.moat.gateway.runtime.Route;
import dev.moat.gateway.runtime.Snapshot;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides, before any upstream call, whether a request may pass: route, key, bucket, block, size.
 * It only decides; {@link Exchange} acts on the answer.
 *
 * <p>With local buckets the whole decision is synchronous. With shared buckets (Redis) every check
 * but the buckets' is made at once; {@link #admit} then answers {@link Admission#pending()} and
 * {@link #consumeShared} takes the tokens (throttle, then tier) without blocking; the exchange
 * resumes on its event loop when that answers.
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

        /** Marks an admission still waiting for the shared buckets (never answered to a client). */
        private static final Problem PENDING = Problem.unavailable("pending");

        boolean admitted() {
            return problem == null;
        }

        /** True when the shared buckets must still be asked ({@link #consumeShared}). */
        boolean pending() {
            return problem == PENDING;
        }

        static Admission reject(Problem p, String outcome, boolean close) {
            return new Admission(p, outcome, close, null, null, null, -1, Enforcement.Gate.PASS);
        }
    }

    private RequestGate() {}

    static Admission admit(GatewayContext gw, Snapshot snap, HttpRequest req, String path) {
        HttpHeaders h = req.headers();
        // Transfer-Encoding first: it is rarely there, and a name that is absent costs no name comparison
        if (h.contains(HttpHeaderNames.TRANSFER_ENCODING) && h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
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
        String secret = KeyStore.presentedSecret(h);
        ApiKey key = gw.keys().authenticate(secret);
        if (key == null
                && secret != null
                && gw.sharedLimiter() != null
                && !gw.sharedLimiter().viewRead()) {
            // a runtime key (made through the admin API, kept in Redis) is unknown here until the shared
            // view is read: the 503 every known key gets then, which a load balancer retries, not a 401
            return new Admission(
                    Problem.unavailable("the shared state has not been read from Redis yet; try again shortly"),
                    "shared_state_unavailable",
                    false,
                    route,
                    null,
                    null,
                    1,
                    Enforcement.Gate.PASS);
        }
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
        List<RateLimit> limits = snap.limitsOrNull(key);
        if (limits == null) {
            // the moment of a reload between the config's install and the key directory's: answered, and
            // retried under the config that follows (never served without limits, never a 500)
            return new Admission(
                    Problem.unavailable("the gateway's configuration is being reloaded; try again"),
                    "unavailable",
                    false,
                    route,
                    key,
                    null,
                    1,
                    Enforcement.Gate.PASS);
        }
        Enforcement.Gate gate = gw.enforcement().check(key, route, snap.maxAction(key));
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
        if (gw.sharedLimiter() != null) {
            return new Admission(Admission.PENDING, "pending", false, route, key, null, -1, gate);
        }
        return afterRate(
                gw, snap, req, route, key, gate, gw.rateLimiter().tryConsume(key.id(), limits, 1, snap.generation()));
    }

    /**
     * Takes the pending admission's tokens from the shared buckets: the escalation throttle's (when
     * the ladder throttles the key) then the tier's. Completes on a Redis or timer thread; never
     * fails (an unreachable Redis when failing closed is a 503 admission).
     */
    static CompletionStage<Admission> consumeShared(
            GatewayContext gw, Snapshot snap, HttpRequest req, Admission pending) {
        SharedLimiter shared = gw.sharedLimiter();
        ApiKey key = pending.key();
        Enforcement.Gate gate = pending.gate();
        CompletionStage<RateLimiter.Decision> throttle = gate.decision().throttles()
                ? shared.tryConsumeThrottle(key.id(), gate.decision().throttle())
                : CompletableFuture.completedFuture(null);
        return throttle.thenCompose(t -> {
                    if (t != null && !t.allowed()) {
                        gw.metrics().action("throttle");
                        Enforcement.Gate g = new Enforcement.Gate(
                                Enforcement.Kind.THROTTLED, gate.decision(), t.retryAfterSeconds(), t);
                        return CompletableFuture.completedFuture(new Admission(
                                Problem.throttled("this key is throttled for abnormal usage"),
                                "throttled",
                                false,
                                pending.route(),
                                key,
                                t,
                                t.retryAfterSeconds(),
                                g));
                    }
                    // the throttle's decision goes with the gate: a batch's further rows are charged where
                    // the request's token was taken (BatchCharge)
                    Enforcement.Gate passed =
                            t == null ? gate : new Enforcement.Gate(gate.kind(), gate.decision(), 0, t);
                    return shared.tryConsume(key.id(), snap.limits(key), 1)
                            .thenApply(rate -> afterRate(gw, snap, req, pending.route(), key, passed, rate));
                })
                .exceptionally(e -> new Admission(
                        Problem.unavailable("shared rate-limit state is unreachable; try again shortly"),
                        "shared_state_unavailable",
                        false,
                        pending.route(),
                        key,
                        null,
                        1,
                        gate));
    }

    /**
     * The LLM token pre-check of an admitted request: on routes with {@code protocol: openai} whose
     * key's tier has {@code tokens:} budgets, takes the prompt's estimate ({@link TokenBudget}).
     * Token budgets are local to this instance even with shared buckets (see the README).
     *
     * @return {@code null} when no budget applies
     */
    static TokenBudget.Check checkTokens(GatewayContext gw, Snapshot snap, HttpRequest req, Admission a) {
        if (a.route().adapter().protocol() != Protocol.OPENAI) {
            return null;
        }
        List<RateLimit> budgets = snap.tokenBudgets(a.key());
        if (budgets.isEmpty()) {
            return null;
        }
        return TokenBudget.check(
                gw.rateLimiter(), a.key().id(), budgets, snap.generation(), HttpUtil.getContentLength(req, -1L));
    }

    /** The rejection of a request whose key's token budget cannot cover its estimate. */
    static Admission tokensExhausted(Admission a, RateLimiter.Decision tokens) {
        return new Admission(
                Problem.rateLimited("LLM token budget of tier '" + a.key().tier() + "' exhausted"),
                "rate_limited",
                false,
                a.route(),
                a.key(),
                a.rate(),
                tokens.retryAfterSeconds(),
                a.gate());
    }

    /**
     * The detail of the 429 for a key's tier bucket that cannot pay for a request now: one wording
     * for one cause, whether admission refused the request's own token or {@link BatchCharge} refused
     * a batch's further rows (then it says what the batch costs).
     */
    static String tierExceeded(ApiKey key, int rows) {
        return "rate limit of tier '" + key.tier() + "' exceeded" + batchCost(rows);
    }

    /** What a batch costs, said after the bucket's refusal: nothing for one row, every row a token. */
    static String batchCost(int rows) {
        return rows > 1 ? ": a batch of " + rows + " rows costs " + rows + " tokens" : "";
    }

    private static Admission afterRate(
            GatewayContext gw,
            Snapshot snap,
            HttpRequest req,
            Route route,
            ApiKey key,
            Enforcement.Gate gate,
            RateLimiter.Decision rate) {
        if (!rate.allowed()) {
            gw.metrics().rateLimited();
            return new Admission(
                    Problem.rateLimited(tierExceeded(key, 1)),
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
