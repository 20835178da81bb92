package dev.moat.policies.watermark;

import dev.moat.policies.OutputTransform;
import dev.moat.policies.TransformContext;

/**
 * The {@code watermark} output transform: asks the {@link Watermarker} whether this query is
 * watermarked, rewrites the answer if so, marks the context and records the answer in the ledger.
 * An answer without an input row (the adapter could not read features) is never watermarked:
 * there would be nothing to verify it with.
 *
 * <p>The watermark label is derived from the top-1 the answer has when this transform runs, so
 * put it after transforms that keep the top-1 (all of them do, except noise with
 * {@code keep_top1: false}); otherwise a repeated query could be given a different label.
 *
 * <p>The label is keyed by the key id, the tenant or nobody ({@link Attribution}); the rate is the
 * context's {@link TransformContext#watermarkRate()} when an escalation step raised it for this key.
 */
public final class WatermarkTransform implements OutputTransform {

    public static final String NAME = "watermark";

    /** What the watermark label is keyed by. */
    public enum Attribution {
        /** The API key id (the default): a copy's matches name the key. */
        KEY,
        /** The key's tenant (the key id when it has none): a copy's matches name the tenant. */
        TENANT,
        /** Nobody: one label per input for everyone, as in DAWN. */
        NONE;

        public static Attribution fromYaml(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }
    }

    private final Watermarker watermarker;
    private final WatermarkSink sink;
    private final Attribution attribution;

    public WatermarkTransform(Watermarker watermarker, WatermarkSink sink) {
        this(watermarker, sink, Attribution.NONE);
    }

    public WatermarkTransform(Watermarker watermarker, WatermarkSink sink, Attribution attribution) {
        this.watermarker = watermarker;
        this.sink = sink;
        this.attribution = attribution;
    }

    public Attribution attribution() {
        return attribution;
    }

    public Watermarker watermarker() {
        return watermarker;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void apply(double[] probs, TransformContext ctx) {
        double[] input = ctx.input();
        if (input == null) {
            return;
        }
        String owner = switch (attribution) {
            case KEY -> ctx.keyId();
            case TENANT -> ctx.tenant() != null ? ctx.tenant() : ctx.keyId();
            case NONE -> null;
        };
        int label = watermarker.apply(probs, input, owner, ctx.watermarkRate());
        if (label >= 0) {
            ctx.watermarked();
            sink.record(
                    new LedgerEntry(input, label, Math.max(2, probs.length), ctx.keyId(), ctx.tenant(), ctx.time()));
        }
    }
}
