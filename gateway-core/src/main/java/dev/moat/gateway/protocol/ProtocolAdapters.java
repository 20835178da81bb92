package dev.moat.gateway.protocol;

import dev.moat.config.UpstreamConfig;

/** Picks the {@link ProtocolAdapter} for an upstream's {@code protocol}. */
public final class ProtocolAdapters {

    private static final ProtocolAdapter TFSERVING = new TfServingAdapter();
    private static final ProtocolAdapter KSERVE_V2 = new KServeV2Adapter();
    private static final ProtocolAdapter OPENAI = new OpenAiAdapter();

    private ProtocolAdapters() {}

    /**
     * The adapter for {@code upstream}; stateless ones are shared, a {@code generic} one is built
     * from the upstream's pointers and one with a {@code prediction_output} from its name.
     *
     * @throws IllegalArgumentException for a {@code generic} upstream without pointers (config
     *                                  validation prevents it)
     */
    public static ProtocolAdapter forUpstream(UpstreamConfig upstream) {
        return switch (upstream.protocol()) {
            case TFSERVING ->
                upstream.predictionOutput() == null
                        ? TFSERVING
                        : new TfServingAdapter(PredictionOutput.of(upstream.name(), upstream.predictionOutput()));
            case KSERVE_V2 ->
                upstream.predictionOutput() == null
                        ? KSERVE_V2
                        : new KServeV2Adapter(PredictionOutput.of(upstream.name(), upstream.predictionOutput()));
            case OPENAI -> OPENAI;
            case GENERIC -> {
                if (upstream.generic() == null) {
                    throw new IllegalArgumentException(
                            "upstreams." + upstream.name() + ": generic protocol without pointers");
                }
                yield new GenericAdapter(upstream.generic());
            }
        };
    }
}
