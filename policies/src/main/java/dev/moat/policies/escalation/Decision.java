package dev.moat.policies.escalation;

import dev.moat.config.RateLimit;
import dev.moat.policies.TransformChain;
import java.time.Duration;
import java.util.List;

/**
 * What the escalation ladder says to do with a key at its current risk: the step in force. The
 * ladder decides; the gateway acts (extra transforms after the policy's outputs, a tighter bucket,
 * a block). One instance per step, built at config load and shared, so deciding allocates nothing.
 *
 * @param at       the risk at which this step starts ({@code NaN} for {@link #NONE})
 * @param perturb  transforms to apply after the policy's outputs (may be empty)
 * @param strip    JSON pointers to remove in addition to the policy's (from {@code strip} specs)
 * @param throttle tighter limits for the key, empty when none
 * @param block    how long to block the key, or {@code null} when this step does not block
 * @param watermarkRate the key's watermark rate from this step on, or NaN for the policy's base rate
 */
public record Decision(
        double at,
        TransformChain perturb,
        List<String> strip,
        List<RateLimit> throttle,
        Duration block,
        double watermarkRate) {

    /** Below the first step: act normally. */
    public static final Decision NONE =
            new Decision(Double.NaN, TransformChain.EMPTY, List.of(), List.of(), null, Double.NaN);

    public Decision {
        strip = List.copyOf(strip);
        throttle = List.copyOf(throttle);
    }

    /** A step that leaves the watermark rate alone. */
    public Decision(double at, TransformChain perturb, List<String> strip, List<RateLimit> throttle, Duration block) {
        this(at, perturb, strip, throttle, block, Double.NaN);
    }

    /**
     * The most severe action of the step, for metrics and logs: {@code block}, else
     * {@code throttle}, else {@code perturb}, else {@code none}.
     */
    public String action() {
        if (blocks()) {
            return "block";
        }
        if (throttles()) {
            return "throttle";
        }
        return perturbs() ? "perturb" : "none";
    }

    public boolean blocks() {
        return block != null;
    }

    public boolean throttles() {
        return !throttle.isEmpty();
    }

    public boolean perturbs() {
        return !perturb.isEmpty() || !strip.isEmpty() || !Double.isNaN(watermarkRate);
    }
}
