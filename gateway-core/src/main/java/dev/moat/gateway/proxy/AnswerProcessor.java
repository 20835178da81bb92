package dev.moat.gateway.proxy;

import dev.moat.config.Protocol;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.defence.Defences;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.http.Problem;
import dev.moat.gateway.metrics.MoatMetrics;
import dev.moat.gateway.protocol.GuardResult;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.runtime.CompiledPolicy;
import dev.moat.gateway.runtime.Route;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
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

    /** What becomes of a 2xx event stream on an inspecting route. */
    enum StreamHandling {
        /** Each event goes through the LLM rules (OpenAI routes with {@code llm} rules, identity coding). */
        REWRITE_EVENTS,
        /** Passed as it is: the route chose fail-open. */
        PASS,
        /** Refused (502): a stream the route's adapter cannot transform would leak raw predictions. */
        REFUSE
    }

    /**
     * Classifies a streamed answer by what the route's adapter can do with it: only the OpenAI
     * adapter's LLM rules rewrite events, and only when they can read the bytes (no content
     * coding). Anything else that must be transformed fails closed, as an unparsable answer does.
     */
    static StreamHandling streamHandling(Exchange ex, HttpResponse head) {
        Route route = ex.route();
        if (route.adapter().protocol() == Protocol.OPENAI && route.compiled().llmGuard() != null && !encoded(head)) {
            return StreamHandling.REWRITE_EVENTS;
        }
        return route.config().failOpen() ? StreamHandling.PASS : StreamHandling.REFUSE;
    }

    /** Triton's binary tensor data extension: the length of the JSON header that opens a body. */
    private static final String TRITON_JSON_LENGTH = "Inference-Header-Content-Length";

    /**
     * True for a path of OpenAI's Responses API ({@code .../responses} and what lies under it), in any
     * case: routes match case-blind (Route#matches), so a case-blind upstream must not be sent {@code
     * /v1/Responses} either.
     */
    static boolean responsesApi(String path) {
        int n = RESPONSES.length();
        for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
            if (path.regionMatches(true, i, RESPONSES, 0, n) && (i + n == path.length() || path.charAt(i + n) == '/')) {
                return true;
            }
        }
        return false;
    }

    private static final String RESPONSES = "/responses";

    /** True when the body carries a content coding (gzip, br, ...) other than identity. */
    static boolean encoded(HttpResponse head) {
        String ce = head.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        return ce != null && !ce.isBlank() && !ce.trim().equalsIgnoreCase("identity");
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
        if (adapter.protocol() == Protocol.OPENAI
                && responsesApi(ex.path())
                && !route.config().failOpen()) {
            // its request shape is not read (an `input` would pass for an embeddings request, and its
            // answer, which carries top_logprobs, would fail closed only after the model ran)
            body.release();
            ex.failWith(
                    Problem.badRequest("the Responses API is not read on a policy route: use /v1/chat/completions"
                            + " or /v1/completions"),
                    "bad_request");
            return null;
        }
        String coding = ex.request().headers().get(HttpHeaderNames.CONTENT_ENCODING);
        if (RequestCoding.coded(coding)) {
            // read, and sent upstream, decoded: the detectors and the model read the same bytes
            try {
                ByteBuf decoded = RequestCoding.decode(
                        coding,
                        body,
                        ex.snapshot().config().server().limits().maxRequestBytes(),
                        ex.ctx().alloc());
                body.release();
                body = decoded;
                ex.request().headers().remove(HttpHeaderNames.CONTENT_ENCODING);
            } catch (RequestCoding.Refused e) {
                body.release();
                ex.failWith(e.problem, e.problem.status().code() == 413 ? "too_large" : "bad_request");
                return null;
            }
        }
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
            ProtocolAdapter.Inbound in =
                    adapter.read(body, ex.request().headers(), ex.ctx().alloc());
            if (in.body() != body) { // rewritten for upstream (an ask for a binary answer taken out)
                body.release();
                body = in.body();
            }
            double[][] rows = in.rows();
            ex.inputs(rows);
            ex.answerAsBytes(in.answerAsBytes());
            int asked = in.answersAsked(); // rows, or an LLM's prompts x n
            // every row beyond the first costs a token, of the tier and of the ladder's throttle
            if (asked > 1 && ex.gateway().sharedLimiter() != null) {
                BatchCharge.chargeShared(ex, asked, body);
                return null; // the exchange calls upstream once the shared buckets answered
            }
            if (asked > 1 && !BatchCharge.charge(ex, asked)) {
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
     * Runs the policy stage ({@link PolicyStage}, a pure function of the bytes) and acts on its
     * outcome: counts the actions, hands the detectors their rows, fails the exchange closed.
     *
     * @return the answer to write, or {@code null} after failing the exchange (fail closed)
     */
    static FullHttpResponse process(Exchange ex, HttpResponse head, ByteBuf body) {
        if (head.status().code() / 100 != 2) {
            return full(head, body, false); // an error body is not a prediction: passed as it came
        }
        Route route = ex.route();
        MoatMetrics metrics = ex.gateway().metrics();
        if (encoded(head)) {
            // the gateway asked for identity; a coded prediction cannot be read, so it is not let through
            if (route.config().failOpen()) {
                metrics.action("fail_open");
                return full(head, body, false);
            }
            body.release();
            metrics.action("fail_closed");
            ex.failWith(
                    Problem.badGateway("the upstream answer could not be made safe: the answer has Content-Encoding "
                            + head.headers().get(HttpHeaderNames.CONTENT_ENCODING)),
                    "unsafe_answer");
            return null;
        }
        CompiledPolicy cp = route.compiled();
        ApiKey key = ex.admission().key();
        Defences defences = ex.gateway().defences();
        // asked for as bytes (Triton's clients do by default): the fields that frame the byte form
        HttpHeaders framing = ex.answerAsBytes() ? new DefaultHttpHeaders() : null;
        PolicyStage.Result r = PolicyStage.answer(
                route.adapter(),
                cp,
                defences != null && cp.detects(),
                route.config().failOpen(),
                body,
                ex.inputs(),
                ex.admission().gate().decision(),
                key.id(),
                key.tenant(),
                Instant.now(),
                ThreadLocalRandom.current(),
                ex.ctx().alloc(),
                framing);
        boolean scored = r.detectorRows() == null || defences.observe(key, route, ex.inputs(), r.detectorRows());
        for (String action : r.actions()) {
            metrics.action(action);
        }
        if (r.outcome() == PolicyStage.Outcome.FAIL_CLOSED) {
            body.release();
            ex.failWith(Problem.badGateway(r.problem()), "unsafe_answer");
            return null;
        }
        if (!scored && !unscoredMayPass(ex)) {
            if (r.body() != body) {
                r.body().release();
            }
            body.release();
            return null;
        }
        if (r.body() != body) {
            body.release();
        }
        boolean rewritten = r.outcome() == PolicyStage.Outcome.REWRITTEN;
        if (rewritten) {
            // the upstream's framing of a body that is no longer its own; a byte form sets it anew
            head.headers().remove(TRITON_JSON_LENGTH);
            if (framing != null) {
                head.headers().setAll(framing); // each field replaced (Content-Type), not added beside it
            }
        }
        return full(head, r.body(), rewritten);
    }

    /**
     * Whether an answer the detectors could not take (their queue was full) may still leave: only
     * on a route that fails open (counted as {@code fail_open}); otherwise the exchange is failed
     * with 503 {@code detection-overloaded} (counted as {@code fail_closed}, outcome
     * {@code overloaded}). A thief who floods the detectors until they drop events gets refusals,
     * not unscored answers.
     */
    private static boolean unscoredMayPass(Exchange ex) {
        MoatMetrics metrics = ex.gateway().metrics();
        if (ex.route().config().failOpen()) {
            metrics.action("fail_open");
            return true;
        }
        metrics.action("fail_closed");
        ex.failWith(Problem.detectionOverloaded(), "overloaded");
        return false;
    }

    /**
     * A streamed LLM answer passes through as it comes: its request is one detection event per
     * prompt, with the prompt's features and no prediction (the stream's logprobs are not read).
     *
     * @return false after failing the exchange because the detectors could not take the event
     *     (see {@link #unscoredMayPass}); the caller then relays nothing
     */
    static boolean onStream(Exchange ex) {
        Route route = ex.route();
        CompiledPolicy cp = route.compiled();
        Defences defences = ex.gateway().defences();
        double[][] inputs = ex.inputs();
        if (defences != null
                && cp != null
                && cp.detects()
                && inputs != null
                && inputs.length > 0
                && route.adapter().protocol() == Protocol.OPENAI) {
            return defences.observe(ex.admission().key(), route, inputs, PolicyStage.unanswered(inputs.length))
                    || unscoredMayPass(ex);
        }
        return true;
    }

    /** @param rewritten the body was re-serialised (identity coding); otherwise it is the upstream's, coding and all */
    private static FullHttpResponse full(HttpResponse head, ByteBuf body, boolean rewritten) {
        FullHttpResponse res = new DefaultFullHttpResponse(
                head.protocolVersion(), head.status(), body, head.headers(), EmptyHttpHeaders.INSTANCE);
        res.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (rewritten) {
            res.headers().remove(HttpHeaderNames.CONTENT_ENCODING);
        }
        HttpUtil.setContentLength(res, body.readableBytes());
        return res;
    }
}
