package dev.moat.config;

import static dev.moat.config.ConfigErrorsTest.BASE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.load.ConfigLoader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyParsingTest {

    private static PolicyConfig policy(String body) throws ConfigException {
        return ConfigLoader.parse(BASE + "policies:\n  p:\n" + body.indent(4), "test.yaml", Map.of())
                .policies()
                .get("p");
    }

    @Test
    void everyOutputKindWithItsDefaults() throws ConfigException {
        PolicyConfig p = policy("""
                outputs:
                  - label_only: true
                  - noise: {kind: gaussian, scale: 0.05}
                  - noise: {kind: laplace, epsilon: 2.0, sensitivity: 1.0, keep_top1: false}
                  - reverse_sigmoid: {}
                  - strip: "/explanations"
                  - watermark: {secret: "0123456789abcdef"}
                """);

        assertThat(p.outputs())
                .containsExactly(
                        new OutputSpec.LabelOnly(),
                        new OutputSpec.Noise("gaussian", 0.05, 0, 1.0, true),
                        new OutputSpec.Noise("laplace", 0.5, 2.0, 1.0, false),
                        new OutputSpec.ReverseSigmoid(1.0, 0.2),
                        new OutputSpec.Strip(List.of("/explanations")),
                        new OutputSpec.Watermark(0.005, "0123456789abcdef", null));
        assertThat(p.llm()).isNull();
        assertThat(p.needsResponseBody()).isTrue();
    }

    @Test
    void escalationActionsAcceptOneOrMany() throws ConfigException {
        PolicyConfig p = policy("""
                escalation:
                  - at: 0
                    perturb: {round: 1}
                  - at: 0.7
                    perturb: [{top_k: 1}, {round: 0}]
                    throttle: ["20/1m", "100/1h"]
                    block: 30m
                llm: {}
                """);

        assertThat(p.escalation())
                .containsExactly(
                        new PolicyConfig.EscalationStep(0, List.of(new OutputSpec.Round(1)), List.of(), null),
                        new PolicyConfig.EscalationStep(
                                0.7,
                                List.of(new OutputSpec.TopK(1), new OutputSpec.Round(0)),
                                List.of(RateLimit.parse("20/1m"), RateLimit.parse("100/1h")),
                                Duration.ofMinutes(30)));
        assertThat(p.llm()).isEqualTo(new PolicyConfig.LlmRules(5, 2, "reject", 10));
    }

    @Test
    void yamlAnchorsAndMergeKeysWork() throws ConfigException {
        MoatConfig c = ConfigLoader.parse("""
                upstreams:
                  a: &defaults {url: "http://127.0.0.1:1", response_timeout: 5s}
                  b:
                    <<: *defaults
                    url: "http://127.0.0.1:2"
                routes:
                  - {path_prefix: /a, upstream: a}
                  - {path_prefix: /b, upstream: b}
                """, "test.yaml", Map.of());

        assertThat(c.upstreams().get("b").url()).hasToString("http://127.0.0.1:2");
        assertThat(c.upstreams().get("b").responseTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void upstreamsTiersAndPoliciesKeepFileOrder() throws ConfigException {
        MoatConfig c = ConfigLoader.parse("""
                upstreams:
                  zeta: {url: "http://z:1"}
                  alpha: {url: "http://a:1"}
                  mid: {url: "http://m:1"}
                routes: [{path_prefix: /, upstream: mid}]
                """, "test.yaml", Map.of());

        assertThat(c.upstreams().keySet()).containsExactly("zeta", "alpha", "mid");
    }
}
