package dev.moat.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.config.OutputSpec;
import dev.moat.config.PolicyConfig;
import dev.moat.config.PolicyConfig.EscalationStep;
import dev.moat.policies.runtime.PolicyRuntime;
import dev.moat.policies.transform.GaussianNoise;
import dev.moat.policies.transform.LaplaceNoise;
import dev.moat.policies.transform.Transforms;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.WatermarkLedger;
import dev.moat.policies.watermark.WatermarkLedgers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyRuntimeTest {

    private static final String SECRET = "a-watermark-secret-of-some-length";

    @TempDir
    Path dir;

    @Test
    void compilesTheDesignExamplePolicy() throws Exception {
        Path ledgerFile = dir.resolve("wm.jsonl");
        PolicyConfig config = new PolicyConfig(
                "standard",
                List.of(
                        new OutputSpec.TopK(3),
                        new OutputSpec.Round(2),
                        new OutputSpec.Strip(List.of("/explanations")),
                        new OutputSpec.Watermark(1.0, SECRET, ledgerFile)),
                Map.of(),
                List.of(new EscalationStep(0.95, List.of(), List.of(), Duration.ofHours(24))),
                new PolicyConfig.LlmRules(20, -1, "reject", 10));
        try (WatermarkLedgers ledgers = new WatermarkLedgers()) {
            PolicyRuntime runtime = PolicyRuntime.compile(config, ledgers::sinkFor);
            assertThat(runtime.name()).isEqualTo("standard");
            assertThat(runtime.outputs().transforms())
                    .extracting(OutputTransform::name)
                    .containsExactly("top_k", "round", "watermark");
            assertThat(runtime.stripPointers()).containsExactly("/explanations");
            assertThat(runtime.watermarker()).isPresent();
            assertThat(runtime.ladder().decide(0.99).action()).isEqualTo("block");
            assertThat(runtime.llm()).isPresent();

            // rate 1.0: every answer is watermarked and lands in the ledger
            double[][] rows = {{0.1, 0.6, 0.2, 0.1}, {0.7, 0.1, 0.1, 0.1}};
            double[][] inputs = {{1, 2}, {3, 4}};
            TransformContext ctx = TransformContext.seeded(1, null, "alice", Instant.parse("2025-01-01T00:00:00Z"));
            runtime.outputs().apply(rows, inputs, ctx);
            assertThat(ctx.watermarkFired()).isTrue();
            assertThat(ctx.watermarkCount()).isEqualTo(2);
            assertThat(ctx.appliedCount("watermark")).isEqualTo(2);
            assertThat(RandomDistributions.argmax(rows[0])).isNotEqualTo(1);
            ledgers.close();
            List<LedgerEntry> back = WatermarkLedger.read(ledgerFile);
            assertThat(back).hasSize(2);
            assertThat(back.get(0).input()).containsExactly(1.0, 2.0);
            assertThat(back.get(0).label()).isEqualTo(RandomDistributions.argmax(rows[0]));
            assertThat(back.get(0).classes()).isEqualTo(4);
            assertThat(back.get(0).key()).isEqualTo("alice");
        }
    }

    @Test
    void policiesNamingTheSameLedgerShareOneWriter() {
        try (WatermarkLedgers ledgers = new WatermarkLedgers()) {
            Path file = dir.resolve("shared.jsonl");
            assertThat(ledgers.sinkFor(file)).isSameAs(ledgers.sinkFor(dir.resolve("x/../shared.jsonl")));
            assertThat(ledgers.ledgers()).hasSize(1);
        }
    }

    @Test
    void buildsNoiseFromEitherScaleOrPrivacyBudget() {
        OutputTransform gaussian = Transforms.fromSpec(new OutputSpec.Noise("gaussian", 0.2, 0, 1, true), p -> null)
                .orElseThrow();
        assertThat(((GaussianNoise) gaussian).sigma()).isEqualTo(0.2);
        OutputTransform fromScale = Transforms.fromSpec(new OutputSpec.Noise("laplace", 0.3, 0, 1, false), p -> null)
                .orElseThrow();
        assertThat(((LaplaceNoise) fromScale).scale()).isEqualTo(0.3);
        OutputTransform fromBudget = Transforms.fromSpec(new OutputSpec.Noise("laplace", 0, 4.0, 2.0, true), p -> null)
                .orElseThrow();
        assertThat(((LaplaceNoise) fromBudget).scale()).isEqualTo(0.5);
        assertThatThrownBy(() -> Transforms.fromSpec(new OutputSpec.Noise("cauchy", 1, 0, 1, true), p -> null))
                .hasMessageContaining("noise.kind: \"cauchy\"");
    }

    @Test
    void stripHasNoArrayForm() {
        assertThat(Transforms.fromSpec(new OutputSpec.Strip(List.of("/a")), p -> null))
                .isEmpty();
    }

    @Test
    void aWatermarkWithoutALedgerFailsTheLoad() {
        assertThatThrownBy(() -> Transforms.fromSpec(new OutputSpec.Watermark(0.01, SECRET, null), p -> null))
                .hasMessageContaining("watermark.ledger: missing");
    }
}
