package dev.moat.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.policies.transform.GaussianNoise;
import dev.moat.policies.transform.LabelOnly;
import dev.moat.policies.transform.ReverseSigmoid;
import dev.moat.policies.transform.Round;
import dev.moat.policies.transform.TopK;
import dev.moat.policies.watermark.WatermarkSink;
import dev.moat.policies.watermark.WatermarkTransform;
import dev.moat.policies.watermark.Watermarker;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What each output defence costs honest users, measured on the honest split with the real sample
 * model: top-1 agreement with the raw model and mean L1 change of the probabilities. The README's
 * "Output defences" table comes from this test's output.
 */
class HonestCostTest {

    @Test
    void honestUsersKeepTheirTop1UnderEveryTop1PreservingDefence() {
        double[][] xs = Digits.get().honest().x();
        DigitsModel model = DigitsModel.get();
        WatermarkSink discard = entry -> {};
        Map<String, TransformChain> defences = new LinkedHashMap<>();
        defences.put("top_k: 3", new TransformChain(List.of(new TopK(3))));
        defences.put("round: 2", new TransformChain(List.of(new Round(2))));
        defences.put("top_k: 3 + round: 2", new TransformChain(List.of(new TopK(3), new Round(2))));
        defences.put("label_only", new TransformChain(List.of(new LabelOnly())));
        defences.put("noise: gaussian 0.05", new TransformChain(List.of(new GaussianNoise(0.05, true))));
        defences.put("reverse_sigmoid: 1.0, 0.2", new TransformChain(List.of(new ReverseSigmoid(1.0, 0.2))));
        defences.put(
                "watermark: 0.005",
                new TransformChain(List.of(new WatermarkTransform(
                        new Watermarker("honest-cost-secret".getBytes(StandardCharsets.UTF_8), 0.005), discard))));
        System.out.println("| defence | top-1 agreement | mean L1 change |");
        System.out.println("|---|---|---|");
        for (Map.Entry<String, TransformChain> e : defences.entrySet()) {
            UtilityStats stats = new UtilityStats();
            for (int i = 0; i < xs.length; i++) {
                double[] raw = model.predict(xs[i]);
                double[] out = raw.clone();
                e.getValue()
                        .apply(
                                out,
                                TransformContext.seeded(i, xs[i], "honest", Instant.EPOCH)
                                        .input(xs[i]));
                stats.add(raw, out);
            }
            System.out.printf("| %s | %.2f%% | %.4f |%n", e.getKey(), 100 * stats.top1Agreement(), stats.meanL1());
            if (e.getKey().startsWith("watermark")) {
                assertThat(stats.top1Agreement())
                        .isGreaterThanOrEqualTo(0.98); // it changes ~0.5% of answers on purpose
            } else {
                assertThat(stats.top1Agreement()).as(e.getKey()).isGreaterThanOrEqualTo(0.995);
            }
        }
    }
}
