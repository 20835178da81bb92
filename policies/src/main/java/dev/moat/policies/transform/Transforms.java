package dev.moat.policies.transform;

import dev.moat.config.OutputSpec;
import dev.moat.policies.OutputTransform;
import dev.moat.policies.TransformChain;
import dev.moat.policies.watermark.WatermarkSink;
import dev.moat.policies.watermark.WatermarkTransform;
import dev.moat.policies.watermark.Watermarker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Builds transforms from the config's {@link OutputSpec}s. {@code strip} has no array form (the
 * gateway removes JSON pointers from the body), so it yields no transform; its pointers come from
 * {@link #stripPointers}.
 */
public final class Transforms {

    private Transforms() {}

    /**
     * The transform for one spec, or empty for {@code strip}.
     *
     * @param ledgers the sink for a watermark's ledger path (e.g. {@code WatermarkLedgers::sinkFor});
     *                only called for {@code watermark} specs
     * @throws IllegalArgumentException naming the field when a spec cannot be built
     */
    public static Optional<OutputTransform> fromSpec(OutputSpec spec, Function<Path, ? extends WatermarkSink> ledgers) {
        if (spec instanceof OutputSpec.TopK s) {
            return Optional.of(new TopK(s.k()));
        } else if (spec instanceof OutputSpec.Round s) {
            return Optional.of(new Round(s.decimals()));
        } else if (spec instanceof OutputSpec.LabelOnly) {
            return Optional.of(new LabelOnly());
        } else if (spec instanceof OutputSpec.Noise s) {
            return Optional.of(noise(s));
        } else if (spec instanceof OutputSpec.ReverseSigmoid s) {
            return Optional.of(new ReverseSigmoid(s.beta(), s.gamma()));
        } else if (spec instanceof OutputSpec.Strip) {
            return Optional.empty();
        } else if (spec instanceof OutputSpec.Watermark s) {
            return Optional.of(watermark(s, ledgers));
        }
        throw new IllegalArgumentException("unknown output spec " + spec);
    }

    /** The transforms of {@code specs} in order, strips left out. */
    public static TransformChain chain(List<OutputSpec> specs, Function<Path, ? extends WatermarkSink> ledgers) {
        List<OutputTransform> out = new ArrayList<>();
        for (OutputSpec spec : specs) {
            fromSpec(spec, ledgers).ifPresent(out::add);
        }
        return new TransformChain(out);
    }

    /** Every JSON pointer the {@code strip} specs remove, in order. */
    public static List<String> stripPointers(List<OutputSpec> specs) {
        List<String> out = new ArrayList<>();
        for (OutputSpec spec : specs) {
            if (spec instanceof OutputSpec.Strip s) {
                out.addAll(s.pointers());
            }
        }
        return List.copyOf(out);
    }

    private static OutputTransform noise(OutputSpec.Noise s) {
        return switch (s.kind()) {
            case "gaussian" -> new GaussianNoise(s.scale(), s.keepTop1());
            case "laplace" ->
                s.scale() > 0
                        ? new LaplaceNoise(s.scale(), s.keepTop1())
                        : LaplaceNoise.fromPrivacy(s.epsilon(), s.sensitivity(), s.keepTop1());
            default ->
                throw new IllegalArgumentException(
                        "noise.kind: \"" + s.kind() + "\" (expected one of: gaussian, laplace)");
        };
    }

    private static OutputTransform watermark(OutputSpec.Watermark s, Function<Path, ? extends WatermarkSink> ledgers) {
        if (s.ledger() == null) {
            throw new IllegalArgumentException(
                    "watermark.ledger: missing (expected: a file path; without a ledger a watermark can never be verified)");
        }
        byte[] secret = s.secret() == null ? new byte[0] : s.secret().getBytes(StandardCharsets.UTF_8);
        return new WatermarkTransform(
                new Watermarker(secret, s.rate()),
                ledgers.apply(s.ledger()),
                s.attribution() == null
                        ? WatermarkTransform.Attribution.KEY
                        : WatermarkTransform.Attribution.fromYaml(s.attribution()));
    }
}
