package dev.moat.gateway.proxy;

import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.Answer;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.runtime.CompiledPolicy;
import dev.moat.policies.TransformContext;
import dev.moat.policies.escalation.Decision;
import dev.moat.policies.runtime.PolicyRuntime;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The answer half of the policy stage as a pure function: answer bytes, the request's input rows,
 * the route's policy and the key's escalation decision in; the new body, the rows for the detectors,
 * the actions taken and the outcome out. It touches no channel, metric or engine:
 * {@link AnswerProcessor} acts on the result, {@code PolicyStageBenchmark} measures exactly this code,
 * and tests can run it without sockets.
 *
 * <p>Buffers: {@code answer} is neither released nor moved; a {@link Outcome#REWRITTEN} body is a
 * new buffer from {@code alloc} that the caller owns; otherwise the result's body is {@code answer}.
 */
public final class PolicyStage {

    /** What became of the answer. */
    public enum Outcome {
        /** Parsed, transformed and written anew. */
        REWRITTEN,
        /** Could not be made safe, and the route fails open: the answer passes unchanged. */
        FAIL_OPEN,
        /** Could not be made safe: the client gets a 502 ({@link Result#problem()} says why). */
        FAIL_CLOSED
    }

    /**
     * @param body          the answer to send ({@code answer} itself unless rewritten); null when failed closed
     * @param detectorRows  a copy of the raw predictions for the detectors, or null when they do not run
     * @param actions       the defence actions taken, one entry per occurrence (for metrics)
     * @param problem       why the answer failed, or null
     */
    public record Result(
            Outcome outcome, ByteBuf body, double[][] detectorRows, List<String> actions, String problem) {}

    private PolicyStage() {}

    /**
     * Runs the stage on a 2xx answer.
     *
     * @param detect   whether the detectors run for this route (rows are copied only then, and only
     *                 when the answer has one row per input row)
     * @param failOpen the route's choice when the answer cannot be made safe
     * @param asBytes  when the client asked for the protocol's byte form, the header fields that
     *                 frame it are set here ({@link ProtocolAdapter#writeAnswerAsBytes}); null: JSON
     */
    public static Result answer(
            ProtocolAdapter adapter,
            CompiledPolicy policy,
            boolean detect,
            boolean failOpen,
            ByteBuf answer,
            double[][] inputs,
            Decision decision,
            String keyId,
            String tenant,
            Instant now,
            RandomGenerator random,
            ByteBufAllocator alloc,
            HttpHeaders asBytes) {
        ArrayList<String> actions = new ArrayList<>(4);
        double[][][] observed = new double[1][][];
        try {
            ByteBuf out = transform(
                    adapter, policy, detect, answer, inputs, decision, keyId, tenant, now, random, alloc, actions,
                    observed, asBytes);
            return new Result(Outcome.REWRITTEN, out, observed[0], actions, null);
        } catch (MalformedBodyException | IllegalArgumentException e) {
            if (failOpen) {
                actions.add("fail_open");
                return new Result(Outcome.FAIL_OPEN, answer, observed[0], actions, null);
            }
            actions.add("fail_closed");
            return new Result(
                    Outcome.FAIL_CLOSED,
                    null,
                    observed[0],
                    actions,
                    "the upstream answer could not be made safe: " + e.getMessage());
        }
    }

    private static ByteBuf transform(
            ProtocolAdapter adapter,
            CompiledPolicy cp,
            boolean detect,
            ByteBuf body,
            double[][] inputs,
            Decision decision,
            String keyId,
            String tenant,
            Instant now,
            RandomGenerator random,
            ByteBufAllocator alloc,
            ArrayList<String> actions,
            double[][][] observed,
            HttpHeaders asBytes)
            throws MalformedBodyException {
        PolicyRuntime policy = cp.runtime();
        Answer answer = adapter.parseAnswer(body);
        double[][] preds = answer.predictions();
        if (detect && inputs != null) {
            observed[0] = observed(adapter.protocol(), inputs, preds);
        }
        if (adapter.protocol() == Protocol.OPENAI) {
            ByteBuf out = adapter.writeAnswer(answer, preds, strip(policy, decision), alloc);
            if (cp.llmGuard() != null) {
                try {
                    ByteBuf rounded = cp.llmGuard().applyToAnswer(out, alloc, actions::add);
                    if (rounded != out) {
                        out.release();
                        actions.add("llm_round");
                    }
                    return rounded;
                } catch (MalformedBodyException | RuntimeException e) {
                    out.release();
                    throw e;
                }
            }
            return out;
        }
        TransformContext ctx =
                new TransformContext(random, null, keyId, tenant, now).watermarkRate(decision.watermarkRate());
        policy.outputs().apply(preds, inputs, ctx);
        if (!decision.perturb().isEmpty()) {
            decision.perturb().apply(preds, inputs, ctx);
            // minimised again: the perturbation must not bring back the digits and classes the
            // policy removed (its own actions were counted in the first pass)
            // (the minimising transforms are deterministic and read neither the rate nor the random source)
            policy.minimisation().apply(preds, inputs, ctx.counting(false));
            ctx.counting(true);
        }
        int occurrences = 0;
        for (int i = 0; i < ctx.actionCount(); i++) {
            occurrences += ctx.actionTimes(i);
        }
        actions.ensureCapacity(actions.size() + occurrences); // one array, not five growths for 18 entries
        for (int i = 0; i < ctx.actionCount(); i++) {
            String action = ctx.actionName(i);
            for (int n = ctx.actionTimes(i); n > 0; n--) {
                actions.add(action);
            }
        }
        return asBytes == null
                ? adapter.writeAnswer(answer, preds, strip(policy, decision), alloc)
                : adapter.writeAnswerAsBytes(answer, preds, strip(policy, decision), alloc, asBytes);
    }

    private static List<String> strip(PolicyRuntime policy, Decision decision) {
        if (decision.strip().isEmpty()) {
            return policy.stripPointers();
        }
        List<String> all = new ArrayList<>(policy.stripPointers());
        all.addAll(decision.strip());
        return all;
    }

    /** An LLM answer's stand-in prediction when it carries no logprobs (volume and coverage still count it). */
    static final double[] NO_PREDICTION = new double[0];

    /**
     * The predictions the detectors see for one answered request, row for row with {@code inputs}.
     * When the answer's rows do not pair with the request's (a model that answers one row for a
     * batch, or a count the adapters read otherwise than the model did), each input row is still an
     * event, with an empty prediction: before, such a request reached no detector at all, so a
     * request shaped to be answered unpaired was never counted. An LLM request is one event per prompt whatever its
     * answer: a single prompt's feature row with the first generated token's distribution when the
     * answer carries logprobs, else an empty prediction; each prompt of a batch with an empty
     * prediction (which choice answers which prompt is not read).
     */
    static double[][] observed(Protocol protocol, double[][] inputs, double[][] preds) {
        if (protocol == Protocol.OPENAI) {
            return inputs.length == 1
                    ? new double[][] {preds.length > 0 ? preds[0].clone() : NO_PREDICTION}
                    : unanswered(inputs.length);
        }
        return inputs.length == preds.length && preds.length > 0 ? copy(preds) : unanswered(inputs.length);
    }

    /** {@code n} events without a prediction (volume, coverage and the input-side tests still count them). */
    static double[][] unanswered(int n) {
        double[][] rows = new double[n][];
        java.util.Arrays.fill(rows, NO_PREDICTION);
        return rows;
    }

    private static double[][] copy(double[][] rows) {
        double[][] c = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            c[i] = rows[i].clone();
        }
        return c;
    }
}
