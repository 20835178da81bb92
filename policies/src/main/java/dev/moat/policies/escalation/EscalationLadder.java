package dev.moat.policies.escalation;

import dev.moat.config.PolicyConfig.EscalationStep;
import dev.moat.config.RateLimit;
import dev.moat.config.TierConfig;
import dev.moat.policies.TransformChain;
import dev.moat.policies.transform.Transforms;
import dev.moat.policies.watermark.WatermarkSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Turns a key's risk (0..1, from the detection engine) into a {@link Decision}: the step with the
 * highest {@code at} that is at most the risk, or {@link Decision#NONE} below the first step.
 *
 * <p>Steps accumulate, as an operator reading {@code 0.5: perturb, 0.8: throttle} expects: a key
 * at 0.85 is perturbed <em>and</em> throttled. A step's decision holds the perturbations of every
 * step up to it (in ladder order), its strip pointers likewise, the throttle of the highest step
 * that lists one, the watermark rate of the highest step that raises it, and its own block. A NaN risk (a bug
 * upstream) decides {@code NONE} rather than blocking honest traffic. Immutable; built once per
 * config load; {@link #decide} does not allocate.
 */
public final class EscalationLadder {

    private static final EscalationLadder EMPTY = new EscalationLadder(new double[0], new Decision[0]);

    private final double[] at;
    private final Decision[] decisions;
    /** The decisions without their blocks (a tier's {@code max_action: throttle}). */
    private final Decision[] unblocked;
    /** The decisions without their blocks and throttles ({@code max_action: perturb}). */
    private final Decision[] perturbOnly;

    private EscalationLadder(double[] at, Decision[] decisions) {
        this.at = at;
        this.decisions = decisions;
        this.unblocked = new Decision[decisions.length];
        this.perturbOnly = new Decision[decisions.length];
        for (int i = 0; i < decisions.length; i++) {
            Decision d = decisions[i];
            unblocked[i] = d.blocks()
                    ? new Decision(d.at(), d.perturb(), d.strip(), d.throttle(), null, d.watermarkRate())
                    : d;
            perturbOnly[i] = d.blocks() || d.throttles()
                    ? new Decision(d.at(), d.perturb(), d.strip(), List.of(), null, d.watermarkRate())
                    : d;
        }
    }

    /** A ladder whose steps may not contain {@code watermark} specs (they need a ledger). */
    public static EscalationLadder from(List<EscalationStep> steps) {
        return from(steps, path -> {
            throw new IllegalArgumentException("escalation perturb: watermark needs a ledger sink");
        });
    }

    /**
     * @param ledgers where a {@code watermark} spec in a step's {@code perturb} records
     * @throws IllegalArgumentException on a NaN or repeated {@code at}, or a spec that cannot be built
     */
    public static EscalationLadder from(List<EscalationStep> steps, Function<Path, ? extends WatermarkSink> ledgers) {
        if (steps.isEmpty()) {
            return EMPTY;
        }
        List<EscalationStep> sorted = new ArrayList<>(steps);
        sorted.sort(Comparator.comparingDouble(EscalationStep::at));
        double[] at = new double[sorted.size()];
        Decision[] decisions = new Decision[sorted.size()];
        for (int i = 0; i < at.length; i++) {
            EscalationStep s = sorted.get(i);
            if (Double.isNaN(s.at()) || (i > 0 && s.at() == at[i - 1])) {
                throw new IllegalArgumentException(
                        "escalation[" + i + "].at: " + s.at() + " (expected: a number, each step at a different risk)");
            }
            at[i] = s.at();
            TransformChain perturb = Transforms.chain(s.perturb(), ledgers);
            List<String> strip = new ArrayList<>(Transforms.stripPointers(s.perturb()));
            List<RateLimit> throttle = s.throttle();
            double watermarkRate = s.watermarkRate();
            if (i > 0) {
                if (Double.isNaN(watermarkRate)) {
                    watermarkRate = decisions[i - 1].watermarkRate();
                }
                Decision below = decisions[i - 1];
                perturb = below.perturb().then(perturb);
                List<String> all = new ArrayList<>(below.strip());
                for (String ptr : strip) {
                    if (!all.contains(ptr)) {
                        all.add(ptr);
                    }
                }
                strip = all;
                if (throttle.isEmpty()) {
                    throttle = below.throttle();
                }
            }
            decisions[i] = new Decision(s.at(), perturb, strip, throttle, s.block(), watermarkRate);
        }
        return new EscalationLadder(at, decisions);
    }

    /** The decision in force at this risk. */
    public Decision decide(double risk) {
        return decide(risk, TierConfig.MaxAction.BLOCK);
    }

    /**
     * The decision in force at this risk for a key whose tier allows at most {@code most}: the same
     * step without the actions above it ({@code throttle}: no block; {@code perturb}: no throttle or
     * block; {@code none}: {@link Decision#NONE}). Allocates nothing.
     */
    public Decision decide(double risk, TierConfig.MaxAction most) {
        int step = -1;
        for (int i = 0; i < at.length && risk >= at[i]; i++) {
            step = i;
        }
        if (step < 0) {
            return Decision.NONE;
        }
        return switch (most) {
            case BLOCK -> decisions[step];
            case THROTTLE -> unblocked[step];
            case PERTURB -> perturbOnly[step];
            case NONE -> Decision.NONE;
        };
    }

    /** The decisions, lowest step first. */
    public List<Decision> steps() {
        return List.of(decisions);
    }
}
