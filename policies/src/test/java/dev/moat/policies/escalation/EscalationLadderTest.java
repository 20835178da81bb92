package dev.moat.policies.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.config.OutputSpec;
import dev.moat.config.PolicyConfig.EscalationStep;
import dev.moat.config.RateLimit;
import dev.moat.config.TierConfig;
import dev.moat.policies.OutputTransform;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EscalationLadderTest {

    private static final RateLimit TWENTY_A_MINUTE = new RateLimit(20, Duration.ofMinutes(1), "20/1m");

    /** The ladder of DESIGN.md's example config. */
    private static List<EscalationStep> designExample() {
        return List.of(
                new EscalationStep(0.5, List.of(new OutputSpec.ReverseSigmoid(1.0, 0.2)), List.of(), null),
                new EscalationStep(0.8, List.of(), List.of(TWENTY_A_MINUTE), null),
                new EscalationStep(0.95, List.of(), List.of(), Duration.ofHours(24)));
    }

    @Test
    void theStepInForceIsTheHighestAtNotAboveTheRisk() {
        EscalationLadder ladder = EscalationLadder.from(designExample());
        assertThat(ladder.decide(0.0)).isSameAs(Decision.NONE);
        assertThat(ladder.decide(0.49)).isSameAs(Decision.NONE);
        assertThat(ladder.decide(0.5).action()).isEqualTo("perturb");
        assertThat(ladder.decide(0.79).action()).isEqualTo("perturb");
        assertThat(ladder.decide(0.8).action()).isEqualTo("throttle");
        assertThat(ladder.decide(0.95).action()).isEqualTo("block");
        assertThat(ladder.decide(1.0).action()).isEqualTo("block");
        assertThat(Decision.NONE.action()).isEqualTo("none");
    }

    @Test
    void decisionsCarryTheStepsActions() {
        EscalationLadder ladder = EscalationLadder.from(designExample());
        Decision perturb = ladder.decide(0.6);
        assertThat(perturb.perturb().transforms())
                .extracting(OutputTransform::name)
                .containsExactly("reverse_sigmoid");
        assertThat(perturb.throttle()).isEmpty();
        assertThat(perturb.block()).isNull();
        Decision throttle = ladder.decide(0.9);
        assertThat(throttle.throttle()).containsExactly(TWENTY_A_MINUTE);
        // steps accumulate: a throttled key is still perturbed, a blocked one would be too
        assertThat(throttle.perturb().transforms())
                .extracting(OutputTransform::name)
                .containsExactly("reverse_sigmoid");
        Decision block = ladder.decide(0.99);
        assertThat(block.block()).isEqualTo(Duration.ofHours(24));
        assertThat(block.throttle()).containsExactly(TWENTY_A_MINUTE);
        assertThat(block.perturb().transforms())
                .extracting(OutputTransform::name)
                .containsExactly("reverse_sigmoid");
    }

    /** A tier's {@code max_action}: the same step without the actions above the cap, shared (no allocation). */
    @Test
    void aTiersMaxActionLeavesTheActionsAboveItOut() {
        EscalationLadder ladder = EscalationLadder.from(designExample());
        Decision throttleCap = ladder.decide(0.99, TierConfig.MaxAction.THROTTLE);
        assertThat(throttleCap.action()).isEqualTo("throttle");
        assertThat(throttleCap.block()).isNull();
        assertThat(throttleCap.throttle()).containsExactly(TWENTY_A_MINUTE);
        Decision perturbCap = ladder.decide(0.99, TierConfig.MaxAction.PERTURB);
        assertThat(perturbCap.action()).isEqualTo("perturb");
        assertThat(perturbCap.throttle()).isEmpty();
        assertThat(perturbCap.perturb().transforms())
                .extracting(OutputTransform::name)
                .containsExactly("reverse_sigmoid");
        assertThat(ladder.decide(0.9, TierConfig.MaxAction.PERTURB).action()).isEqualTo("perturb");
        assertThat(ladder.decide(0.99, TierConfig.MaxAction.NONE)).isSameAs(Decision.NONE);
        assertThat(ladder.decide(0.99, TierConfig.MaxAction.BLOCK)).isSameAs(ladder.decide(0.99));
        assertThat(ladder.decide(0.6, TierConfig.MaxAction.PERTURB)).isSameAs(ladder.decide(0.6));
        assertThat(ladder.decide(0.97, TierConfig.MaxAction.PERTURB))
                .isSameAs(ladder.decide(0.99, TierConfig.MaxAction.PERTURB));
        assertThat(ladder.decide(0.4, TierConfig.MaxAction.PERTURB)).isSameAs(Decision.NONE);
    }

    @Test
    void decidingReturnsTheSharedDecisionOfTheStep() {
        EscalationLadder ladder = EscalationLadder.from(designExample());
        assertThat(ladder.decide(0.6)).isSameAs(ladder.decide(0.7));
        assertThat(ladder.decide(0.97)).isSameAs(ladder.steps().get(2));
    }

    @Test
    void unsortedStepsAreSortedAndDuplicatesRejected() {
        List<EscalationStep> reversed = new java.util.ArrayList<>(designExample());
        java.util.Collections.reverse(reversed);
        assertThat(EscalationLadder.from(reversed).decide(0.85).action()).isEqualTo("throttle");
        assertThatThrownBy(() -> EscalationLadder.from(List.of(
                        new EscalationStep(0.5, List.of(), List.of(TWENTY_A_MINUTE), null),
                        new EscalationStep(0.5, List.of(), List.of(), Duration.ofHours(1)))))
                .hasMessageContaining("escalation[1].at: 0.5");
    }

    @Test
    void aNaNRiskDecidesNoneAndAnEmptyLadderAlwaysNone() {
        assertThat(EscalationLadder.from(designExample()).decide(Double.NaN)).isSameAs(Decision.NONE);
        assertThat(EscalationLadder.from(List.of()).decide(1.0)).isSameAs(Decision.NONE);
    }

    @Test
    void aStepThatPerturbsAndThrottlesReportsTheMoreSevereAction() {
        EscalationLadder ladder = EscalationLadder.from(List.of(new EscalationStep(
                0.3,
                List.of(new OutputSpec.TopK(1), new OutputSpec.Strip(List.of("/explanations"))),
                List.of(TWENTY_A_MINUTE),
                null)));
        Decision d = ladder.decide(0.3);
        assertThat(d.action()).isEqualTo("throttle");
        assertThat(d.perturbs()).isTrue();
        assertThat(d.strip()).containsExactly("/explanations");
    }

    @Test
    void aWatermarkInAStepNeedsALedger() {
        List<EscalationStep> steps = List.of(new EscalationStep(
                0.5,
                List.of(new OutputSpec.Watermark(0.01, "0123456789abcdef0123", java.nio.file.Path.of("x.jsonl"))),
                List.of(),
                null));
        assertThatThrownBy(() -> EscalationLadder.from(steps)).hasMessageContaining("ledger");
        assertThat(EscalationLadder.from(steps, p -> e -> {})
                        .decide(0.6)
                        .perturb()
                        .transforms())
                .extracting(OutputTransform::name)
                .containsExactly("watermark");
    }

    @Test
    void aRaisedWatermarkRateHoldsFromItsStepUpUntilAHigherStepSetsAnother() {
        EscalationLadder ladder = EscalationLadder.from(List.of(
                new EscalationStep(0.3, List.of(), List.of(TWENTY_A_MINUTE), null),
                new EscalationStep(0.5, List.of(), List.of(), null, 0.05),
                new EscalationStep(0.8, List.of(), List.of(), Duration.ofHours(1)),
                new EscalationStep(0.9, List.of(), List.of(), null, 0.2)));
        assertThat(ladder.decide(0.1).watermarkRate()).isNaN();
        assertThat(ladder.decide(0.4).watermarkRate()).isNaN();
        assertThat(ladder.decide(0.5).watermarkRate()).isEqualTo(0.05);
        assertThat(ladder.decide(0.5).perturbs()).isTrue();
        assertThat(ladder.decide(0.85).watermarkRate()).isEqualTo(0.05);
        assertThat(ladder.decide(0.95).watermarkRate()).isEqualTo(0.2);
    }
}
