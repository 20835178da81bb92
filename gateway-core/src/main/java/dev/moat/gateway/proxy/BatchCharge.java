package dev.moat.gateway.proxy;

import dev.moat.config.RateLimit;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.defence.Enforcement;
import dev.moat.gateway.http.Problem;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.ratelimit.SharedLimiter;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Charges a batch's further rows once the policy stage has read the request ({@link
 * AnswerProcessor#onRequest}), before the upstream call: one token per input row (or per LLM
 * completion asked for) beyond the request's own, to the key's escalation throttle when the ladder
 * throttles it, then to its tier bucket. So batching multiplies neither: a key throttled to 20/1m
 * gets 20 rows a minute, not 20 batches. A refused batch costs nothing (every token it took, the
 * request's own included, is given back where it was taken), and a batch larger than the smaller
 * bucket can ever hold gets 429 without {@code Retry-After}. The throttle's refusal is its own
 * 429 ({@code abnormal-usage-detected}, outcome {@code throttled}), as at admission.
 */
final class BatchCharge {

    private BatchCharge() {}

    /** Charges the batch to this instance's buckets; false after answering the client (429). */
    static boolean charge(Exchange ex, int rows) {
        ApiKey key = ex.admission().key();
        Enforcement.Gate gate = ex.admission().gate();
        List<RateLimit> limits = ex.snapshot().limits(key);
        RateLimiter limiter = ex.gateway().rateLimiter();
        List<RateLimit> throttle = gate.decision().throttles() ? gate.decision().throttle() : null;
        if (throttle != null) {
            RateLimiter.Decision t = rows > capacity(throttle)
                    ? neverPasses(gate.throttle())
                    : limiter.tryConsumeThrottle(key.id(), throttle, rows - 1L);
            if (t == null || !t.allowed()) {
                limiter.refundThrottle(key.id(), throttle, 1);
                limiter.refund(key.id(), limits, 1);
                refuseThrottled(ex, t, rows, throttle);
                return false;
            }
        }
        long capacity = capacity(limits);
        RateLimiter.Decision d;
        String why;
        if (rows > capacity) {
            d = neverPasses(ex.rate());
            why = RequestGate.tierExceeded(key, 1) + ": a batch of " + rows + " rows can never pass (at most "
                    + capacity + " rows per request)";
        } else {
            d = limiter.tryConsume(key.id(), limits, rows - 1L, ex.snapshot().generation());
            if (d.allowed()) {
                ex.rate(d);
                return true;
            }
            why = RequestGate.tierExceeded(key, rows);
        }
        limiter.refund(key.id(), limits, 1);
        if (throttle != null) {
            limiter.refundThrottle(key.id(), throttle, rows);
        }
        if (d != null) {
            ex.rate(d.refunded(1));
        }
        refuse(ex, why);
        return false;
    }

    /**
     * As {@link #charge}, from the shared buckets: resumes on the exchange's event loop, then calls
     * upstream with {@code body} or answers the client (and releases it).
     */
    static void chargeShared(Exchange ex, int rows, ByteBuf body) {
        Enforcement.Gate gate = ex.admission().gate();
        if (!gate.decision().throttles()) {
            chargeTierShared(ex, rows, body, null);
            return;
        }
        ApiKey key = ex.admission().key();
        List<RateLimit> throttle = gate.decision().throttle();
        RateLimiter.Decision admitted = gate.throttle();
        // where the request's own throttle token was taken (Redis, or this instance's share)
        boolean takenShared = admitted == null || admitted.shared();
        if (rows > capacity(throttle)) {
            refuseThrottledShared(ex, rows, body, neverPasses(admitted), takenShared);
            return;
        }
        SharedLimiter shared = ex.gateway().sharedLimiter();
        onLoop(ex, body, shared.tryConsumeThrottle(key.id(), throttle, rows - 1L), t -> {
            if (!t.allowed()) {
                refuseThrottledShared(ex, rows, body, t, takenShared);
                return;
            }
            // a batch the tier then refuses gives the throttle its rows back, each where it was taken
            chargeTierShared(
                    ex,
                    rows,
                    body,
                    () -> CompletableFuture.allOf(
                            shared.refundThrottle(key.id(), throttle, rows - 1L, t.shared())
                                    .toCompletableFuture(),
                            shared.refundThrottle(key.id(), throttle, 1, takenShared)
                                    .toCompletableFuture()));
        });
    }

    /**
     * The tier's part of {@link #chargeShared}; {@code throttleRefund}, when the throttle took the
     * batch's rows, gives them back if the tier refuses it.
     */
    private static void chargeTierShared(
            Exchange ex, int rows, ByteBuf body, Supplier<CompletableFuture<Void>> throttleRefund) {
        ApiKey key = ex.admission().key();
        SharedLimiter shared = ex.gateway().sharedLimiter();
        List<RateLimit> limits = ex.snapshot().limits(key);
        // where the request's own token was taken at admission (Redis, or this instance's share)
        RateLimiter.Decision admitted = ex.rate();
        boolean takenShared = admitted == null || admitted.shared();
        onLoop(ex, body, shared.tryConsume(key.id(), limits, rows - 1L), d -> {
            if (!d.allowed()) {
                // as locally: the request's own token given back before the 429, which says so
                body.release();
                CompletableFuture<Void> back =
                        shared.refund(key.id(), limits, 1, takenShared).toCompletableFuture();
                if (throttleRefund != null) {
                    back = CompletableFuture.allOf(back, throttleRefund.get());
                }
                back.whenComplete((v, refundFailed) -> ex.ctx().executor().execute(() -> {
                    if (ex.finished()) {
                        return;
                    }
                    ex.rate(d.refunded(1));
                    refuse(ex, RequestGate.tierExceeded(key, rows));
                }));
                return;
            }
            ex.rate(d);
            ex.callUpstream(body);
        });
    }

    /** The throttle refused the batch (shared buckets): its request's tokens given back, then the 429. */
    private static void refuseThrottledShared(
            Exchange ex, int rows, ByteBuf body, RateLimiter.Decision t, boolean throttleTakenShared) {
        body.release();
        ApiKey key = ex.admission().key();
        SharedLimiter shared = ex.gateway().sharedLimiter();
        List<RateLimit> throttle = ex.admission().gate().decision().throttle();
        RateLimiter.Decision admitted = ex.rate();
        CompletionStage<Void> tier =
                shared.refund(key.id(), ex.snapshot().limits(key), 1, admitted == null || admitted.shared());
        CompletionStage<Void> own = shared.refundThrottle(key.id(), throttle, 1, throttleTakenShared);
        CompletableFuture.allOf(tier.toCompletableFuture(), own.toCompletableFuture())
                .whenComplete((v, e) -> ex.ctx().executor().execute(() -> {
                    if (!ex.finished()) {
                        refuseThrottled(ex, t, rows, throttle);
                    }
                }));
    }

    /** The 429 of a batch the throttle cannot pay for, with the throttle's state after its request's token came back. */
    private static void refuseThrottled(Exchange ex, RateLimiter.Decision t, int rows, List<RateLimit> throttle) {
        ex.rate(t == null ? null : t.refunded(1));
        ex.gateway().metrics().action("throttle");
        long capacity = capacity(throttle);
        ex.failWith(
                Problem.throttled(
                        rows > capacity
                                ? "this key is throttled for abnormal usage: a batch of " + rows
                                        + " rows can never pass (at most " + capacity + " rows per request)"
                                : "this key is throttled for abnormal usage" + RequestGate.batchCost(rows)),
                "throttled");
    }

    /**
     * Resumes on the exchange's event loop with a shared bucket's answer: gone if the exchange has
     * finished meanwhile, 503 if Redis failed (the request's body released either way), else {@code then}.
     */
    private static void onLoop(
            Exchange ex,
            ByteBuf body,
            CompletionStage<RateLimiter.Decision> answer,
            java.util.function.Consumer<RateLimiter.Decision> then) {
        answer.whenComplete((d, e) -> ex.ctx().executor().execute(() -> {
            if (ex.finished()) {
                body.release();
                return;
            }
            if (e != null) {
                body.release();
                unavailable(ex);
                return;
            }
            then.accept(d);
        }));
    }

    private static void refuse(Exchange ex, String why) {
        ex.gateway().metrics().rateLimited();
        ex.failWith(Problem.rateLimited(why), "rate_limited");
    }

    private static void unavailable(Exchange ex) {
        ex.failWith(
                Problem.unavailable("shared rate-limit state is unreachable; try again shortly"),
                "shared_state_unavailable");
    }

    /**
     * {@code now} (the bucket's state after the request's token) as the refusal of a batch larger than
     * the bucket can ever hold: no {@code Retry-After}; null when there is no such state.
     */
    private static RateLimiter.Decision neverPasses(RateLimiter.Decision now) {
        return now == null
                ? null
                : new RateLimiter.Decision(
                        false, now.limits(), now.limitingIndex(), now.remaining(), now.resetSeconds(), 0, now.shared());
    }

    /** The most tokens the smallest of {@code limits} can hold: the largest batch that can ever pass. */
    private static long capacity(List<RateLimit> limits) {
        long capacity = Long.MAX_VALUE;
        for (RateLimit l : limits) {
            capacity = Math.min(capacity, l.capacity());
        }
        return capacity;
    }
}
