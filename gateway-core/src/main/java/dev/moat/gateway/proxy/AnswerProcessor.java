package dev.moat.gateway.proxy;

import dev.moat.config.Protocol;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.defense.CompiledPolicy;
import dev.moat.gateway.defense.Defenses;
import dev.moat.gateway.http.Problem;
import dev.moat.gateway.metrics.MoatMetrics;
import dev.moat.gateway.protocol.GuardResult;
import dev.moat.gateway.protocol.MalformedBodyException;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.runtime.Route;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The policy stage of an inspecting route, on aggregated bodies: before the upstream call it reads
 * the request's input rows (and applies the LLM rules); after, it parses the answer, hands the raw
 * predictions to the detectors, applies the policy's outputs and the ladder's perturbations, strips
 * fields, and writes the answer back in its own shape. An answer that must be transformed but
 * cannot be parsed fails closed (502) unless the route chose fail-open; both are counted.
 */
final class AnswerProcessor {

    private AnswerProcessor() {}

    /** Answers that stream (server-sent events) pass through even on inspecting routes. */
    static boolean streams(HttpResponse head) {
        String ct = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return ct != null && ct.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    /**
     * Reads the request before it goes upstream.
     *
     * @return the body to send (the same, or rewritten by the LLM rules), or {@code null} after
     *         answering the client (400)
     */
    static ByteBuf onRequest(Exchange ex, ByteBuf body) {
        Route route = ex.route();
        CompiledPolicy cp = route.compiled();
        ProtocolAdapter adapter = route.adapter();
        if (cp.llmGuard() != null && adapter.protocol() == Protocol.OPENAI) {
            GuardResult g = cp.llmGuard().checkRequest(body);
            switch (g.kind()) {
                case REJECT -> {
                    body.release();
                    ex.gateway().metrics().action("llm_reject");
                    ex.failWith(Problem.badRequest(g.problem()), "bad_request");
                    return null;
                }
                case REWRITE -> {
                    body.release();
                    body = g.body();
                    ex.gateway().metrics().action("llm_rewrite");
                }
                default -> {}
            }
        }
        try {
            double[][] rows = adapter.inputs(body);
            ex.inputs(rows);
            if (rows.length > 1 && !chargeRows(ex, rows.length)) {
                body.release();
                return null;
            }
        } catch (MalformedBodyException e) {
            if (!route.config().failOpen()) {
                body.release();
                ex.failWith(Problem.badRequest(e.getMessage()), "bad_request");
                return null;
            }
            ex.gateway().metrics().action("fail_open");
        }
        return body;
    }

    /**
     * On policy routes a batch costs one token per input row, so that batching cannot multiply a
     * tier's limit (the request itself already took one).
     */
    private static boolean chargeRows(Exchange ex, int rows) {
        ApiKey key = ex.admission().key();
        RateLimiter.Decision d =
                ex.gateway().rateLimiter().tryConsume(key.id(), ex.snapshot().limits(key), rows - 1L);
        ex.rate(d);
        if (d.allowed()) {
            return true;
        }
        ex.gateway().metrics().rateLimited();
        ex.failWith(
                Problem.rateLimited("a batch of " + rows + " rows exceeds what the tier '" + key.tier()
                        + "' allows now (every row counts)"),
                "rate_limited");
        return false;
    }

    /**
     * Runs the policy stage ({@link PolicyStage}, a pure function of the bytes) and acts on its
     * outcome: counts the actions, hands the detectors their rows, fails the exchange closed.
     *
     * @return the answer to write, or {@code null} after failing the exchange (fail closed)
     */
    static FullHttpResponse process(Exchange ex, HttpResponse head, ByteBuf body) {
        if (head.status().code() / 100 != 2) {
            return full(head, body); // an error body is not a prediction
        }
        Route route = ex.route();
        CompiledPolicy cp = route.compiled();
        ApiKey key = ex.admission().key();
        Defenses defenses = ex.gateway().defenses();
        PolicyStage.Result r = PolicyStage.answer(
                route.adapter(),
                cp,
                defenses != null && cp.detects(),
                route.config().failOpen(),
                body,
                ex.inputs(),
                ex.admission().gate().decision(),
                key.id(),
                Instant.now(),
                ThreadLocalRandom.current(),
                ex.ctx().alloc());
        if (r.detectorRows() != null) {
            defenses.observe(key, route, ex.inputs(), r.detectorRows());
        }
        MoatMetrics metrics = ex.gateway().metrics();
        for (String action : r.actions()) {
            metrics.action(action);
        }
        if (r.outcome() == PolicyStage.Outcome.FAIL_CLOSED) {
            body.release();
            ex.failWith(Problem.badGateway(r.problem()), "unsafe_answer");
            return null;
        }
        if (r.body() != body) {
            body.release();
        }
        return full(head, r.body());
    }

    private static FullHttpResponse full(HttpResponse head, ByteBuf body) {
        FullHttpResponse res = new DefaultFullHttpResponse(
                head.protocolVersion(), head.status(), body, head.headers(), EmptyHttpHeaders.INSTANCE);
        res.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        res.headers().remove(HttpHeaderNames.CONTENT_ENCODING);
        HttpUtil.setContentLength(res, body.readableBytes());
        return res;
    }
}
