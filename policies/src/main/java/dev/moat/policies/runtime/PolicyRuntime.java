package dev.moat.policies.runtime;

import dev.moat.config.PolicyConfig;
import dev.moat.policies.LlmGuard;
import dev.moat.policies.TransformChain;
import dev.moat.policies.escalation.EscalationLadder;
import dev.moat.policies.transform.LabelOnly;
import dev.moat.policies.transform.Round;
import dev.moat.policies.transform.TopK;
import dev.moat.policies.transform.Transforms;
import dev.moat.policies.watermark.WatermarkSink;
import dev.moat.policies.watermark.WatermarkTransform;
import dev.moat.policies.watermark.Watermarker;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One {@link PolicyConfig} compiled for serving: its output chain, the JSON pointers to strip, its
 * watermarker (if any), its escalation ladder and its LLM rules. Built once per config load, so a
 * bad spec fails the load rather than a request; immutable and shared by all event loops.
 */
public final class PolicyRuntime {

    private final PolicyConfig config;
    private final TransformChain outputs;
    private final TransformChain minimisation;
    private final List<String> stripPointers;
    private final Watermarker watermarker;
    private final EscalationLadder ladder;
    private final LlmGuard llm;

    private PolicyRuntime(PolicyConfig config, Function<Path, ? extends WatermarkSink> ledgers) {
        this.config = config;
        this.outputs = Transforms.chain(config.outputs(), ledgers);
        this.minimisation = new TransformChain(outputs.transforms().stream()
                .filter(t -> t instanceof TopK || t instanceof LabelOnly || t instanceof Round)
                .toList());
        this.stripPointers = Transforms.stripPointers(config.outputs());
        this.watermarker = outputs.transforms().stream()
                .filter(WatermarkTransform.class::isInstance)
                .map(t -> ((WatermarkTransform) t).watermarker())
                .findFirst()
                .orElse(null);
        this.ladder = EscalationLadder.from(config.escalation(), ledgers);
        this.llm = config.llm() == null ? null : new LlmGuard(config.llm());
    }

    /**
     * @param ledgers where watermark specs record, normally {@code WatermarkLedgers::sinkFor}
     * @throws IllegalArgumentException naming the field when a spec cannot be built
     */
    public static PolicyRuntime compile(PolicyConfig config, Function<Path, ? extends WatermarkSink> ledgers) {
        return new PolicyRuntime(config, ledgers);
    }

    public String name() {
        return config.name();
    }

    public PolicyConfig config() {
        return config;
    }

    /** The always-on transforms, in configured order, strips left out. */
    public TransformChain outputs() {
        return outputs;
    }

    /**
     * The policy's minimising transforms ({@code top_k}, {@code label_only}, {@code round}, in
     * configured order): deterministic and idempotent, applied again after an escalation step's
     * perturbation so that a flagged key's answers are no richer than an honest key's (reverse
     * sigmoid after {@code round} would otherwise send every probability at full precision, and
     * give the classes {@code top_k} had zeroed a value again).
     */
    public TransformChain minimisation() {
        return minimisation;
    }

    /** JSON pointers the gateway removes from every answer. */
    public List<String> stripPointers() {
        return stripPointers;
    }

    /** The policy's watermarker, for verification tooling. */
    public Optional<Watermarker> watermarker() {
        return Optional.ofNullable(watermarker);
    }

    public EscalationLadder ladder() {
        return ladder;
    }

    /** The LLM request rules, when the policy has an {@code llm} section. */
    public Optional<LlmGuard> llm() {
        return Optional.ofNullable(llm);
    }
}
