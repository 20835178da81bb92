package dev.moat.policies;

import dev.moat.policies.transform.Transforms;
import java.util.List;

/**
 * Output transforms applied in configured order, the composition t_n(...t_2(t_1(p))).
 *
 * <p>Built once per config load (see {@link Transforms#chain}); immutable and thread-safe. The
 * gateway applies the policy's chain and then, if the escalation ladder says so, the step's chain.
 */
public final class TransformChain {

    /** The chain that changes nothing. */
    public static final TransformChain EMPTY = new TransformChain(List.of());

    private final OutputTransform[] transforms;
    private final List<OutputTransform> list;

    public TransformChain(List<? extends OutputTransform> transforms) {
        this.list = List.copyOf(transforms);
        this.transforms = list.toArray(OutputTransform[]::new);
    }

    public List<OutputTransform> transforms() {
        return list;
    }

    public boolean isEmpty() {
        return transforms.length == 0;
    }

    /** Transforms one answer row in place; {@code ctx.input()} must already be that row's features. */
    public void apply(double[] probs, TransformContext ctx) {
        for (OutputTransform t : transforms) {
            t.apply(probs, ctx);
        }
    }

    /**
     * Transforms every row of a batch in place, pointing the context at each row's features.
     *
     * @param inputs the feature rows, parallel to {@code rows}; {@code null} (or a shorter array)
     *               when the adapter could not read features, in which case no watermark applies
     */
    public void apply(double[][] rows, double[][] inputs, TransformContext ctx) {
        for (int r = 0; r < rows.length; r++) {
            ctx.input(inputs != null && r < inputs.length ? inputs[r] : null);
            apply(rows[r], ctx);
        }
    }

    /** This chain followed by {@code next}. */
    public TransformChain then(TransformChain next) {
        if (next.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return next;
        }
        var all = new java.util.ArrayList<OutputTransform>(list);
        all.addAll(next.list);
        return new TransformChain(all);
    }

    @Override
    public String toString() {
        return list.stream().map(OutputTransform::name).toList().toString();
    }
}
