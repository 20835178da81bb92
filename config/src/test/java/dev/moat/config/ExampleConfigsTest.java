package dev.moat.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.load.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ExampleConfigsTest {
    private static final Path EXAMPLES =
            Path.of(System.getProperty("basedir", ".")).resolve("examples");

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<Path> yaml =
                    files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertThat(yaml)
                    .extracting(p -> p.getFileName().toString())
                    .contains("quickstart.yaml", "full.yaml", "demo.yaml");
            return yaml.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyExampleLoadsWithoutError(Path example) throws ConfigException {
        MoatConfig config = ConfigLoader.load(example, Map.of());

        assertThat(config.routes()).isNotEmpty();
        assertThat(config.source()).isEqualTo(example);
        if (config.distributed().redisUrl() != null) {
            assertThat(config.state().file())
                    .as("state.file with distributed.redis is ignored, and every start warned so")
                    .isNull();
        }
    }

    @Test
    void quickstartGetsTheDocumentedDefaults() throws ConfigException {
        MoatConfig c = ConfigLoader.load(EXAMPLES.resolve("quickstart.yaml"), Map.of());

        assertThat(c.server().listen()).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(c.server().eventLoopThreads()).isZero();
        assertThat(c.server().limits()).isEqualTo(new ServerConfig.Limits(4L << 20, 16 << 10, 16L << 20, 10_000));
        assertThat(c.server().timeouts())
                .isEqualTo(new ServerConfig.Timeouts(
                        Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofSeconds(20)));
        assertThat(c.server().tls()).isNull();
        assertThat(c.admin()).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9090), "change-me", false));
        UpstreamConfig digits = c.upstreams().get("digits");
        assertThat(digits.protocol()).isEqualTo(Protocol.TFSERVING);
        assertThat(digits.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(digits.responseTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(digits.maxConnections()).isEqualTo(64);
        assertThat(c.routes()).containsExactly(new RouteConfig("/v1/models/digits", "digits", "guarded", false));
        assertThat(c.keys()).extracting(KeyConfig::id).containsExactly("alice", "bob");
        assertThat(c.tiers().get("free").limits())
                .containsExactly(
                        new RateLimit(100, Duration.ofMinutes(1), "100/1m"),
                        new RateLimit(5000, Duration.ofDays(1), "5000/1d"));
        assertThat(c.rateLimiting()).isEqualTo(new RateLimitingConfig(100_000, Duration.ofHours(1)));
        // evidence outlives a day's pause (an hour let a patient thief start over: PatientThiefTest)
        assertThat(c.detection()).isEqualTo(new DetectionConfig(1, 65_536, 100_000, Duration.ofHours(24), null));
        assertThat(c.distributed()).isEqualTo(new DistributedConfig(null, true));
        assertThat(c.audit()).isEqualTo(new AuditConfig(null));
        assertThat(c.alerts()).isEqualTo(new AlertsConfig(null, 5, Duration.ofSeconds(2)));
        assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(true, "text"));
        // the first gateway a newcomer runs defends its model: outputs, detectors, ladder
        PolicyConfig guarded = c.policies().get("guarded");
        assertThat(guarded.outputs()).isNotEmpty();
        assertThat(guarded.detectors()).containsKeys("prada", "volume", "boundary", "ood", "coverage");
        assertThat(guarded.escalation()).hasSize(3);
    }

    @Test
    void quickstartKeyHashesAreTheSha256OfTheDocumentedDemoSecrets() throws Exception {
        MoatConfig c = ConfigLoader.load(EXAMPLES.resolve("quickstart.yaml"), Map.of());

        assertThat(c.keys())
                .extracting(KeyConfig::sha256)
                .containsExactly(sha256("moat-demo-alice-secret"), sha256("moat-demo-bob-secret"));
    }

    @Test
    void fullExampleReadsEverySection() throws ConfigException {
        MoatConfig c = ConfigLoader.load(
                EXAMPLES.resolve("full.yaml"), Map.of("MOAT_WATERMARK_SECRET", "a-very-long-watermark-secret"));

        assertThat(c.upstreams().keySet()).containsExactly("digits", "triton", "llm", "scorer");
        assertThat(c.upstreams().get("scorer").generic())
                .isEqualTo(new UpstreamConfig.GenericPointers("/data", "/result/probabilities", "/result/labels"));
        assertThat(c.keys()).extracting(KeyConfig::id).containsExactly("alice", "bob", "carol", "dave");
        assertThat(c.tiers().get("partner").maxAction()).isEqualTo(TierConfig.MaxAction.PERTURB);
        assertThat(c.tiers().get("pro").maxAction()).isEqualTo(TierConfig.MaxAction.BLOCK);
        PolicyConfig standard = c.policies().get("standard");
        assertThat(standard.outputs())
                .containsExactly(
                        new OutputSpec.TopK(3),
                        new OutputSpec.Round(2),
                        new OutputSpec.Strip(List.of("/explanations")),
                        new OutputSpec.Watermark(
                                0.005, "a-very-long-watermark-secret", Path.of("/var/lib/moat/watermarks.jsonl")));
        assertThat(standard.detectors()).containsOnlyKeys(DetectorNames.ALL.toArray(String[]::new));
        assertThat(standard.detectors().get("prada")).containsEntry("delta", 0.9);
        assertThat(standard.escalation())
                .containsExactly(
                        new PolicyConfig.EscalationStep(
                                0.5, List.of(new OutputSpec.ReverseSigmoid(1.0, 0.2)), List.of(), null),
                        new PolicyConfig.EscalationStep(0.8, List.of(), List.of(RateLimit.parse("20/1m")), null),
                        new PolicyConfig.EscalationStep(0.95, List.of(), List.of(), Duration.ofHours(24)));
        assertThat(c.policies().get("llm").llm()).isEqualTo(new PolicyConfig.LlmRules(5, 2, "reject", 10));
        assertThat(c.accessLog().format()).isEqualTo("json");
    }

    @Test
    void demoHasThreeAcmeKeysAnAttackerOfItsOwnAndTheThreeStepLadder() throws ConfigException {
        MoatConfig c = ConfigLoader.load(EXAMPLES.resolve("demo.yaml"), Map.of("MOAT_DEMO_DIR", "/var/tmp"));

        assertThat(c.keys()).extracting(KeyConfig::id).containsExactly("honest-1", "honest-2", "honest-3", "attacker");
        // a tenant's pooled risk applies to all its keys: the attacker is another customer
        assertThat(c.keys()).extracting(KeyConfig::tenant).containsExactly("acme", "acme", "acme", "mallory");
        PolicyConfig guarded = c.policyOf(c.routes().get(0)).orElseThrow();
        assertThat(guarded.escalation())
                .extracting(PolicyConfig.EscalationStep::at)
                .containsExactly(0.5, 0.8, 0.95);
        assertThat(guarded.escalation().get(0).perturb()).containsExactly(new OutputSpec.ReverseSigmoid(1.0, 0.2));
        assertThat(guarded.escalation().get(2).block()).isEqualTo(Duration.ofHours(1));
        assertThat(guarded.outputs().get(2))
                .isInstanceOfSatisfying(
                        OutputSpec.Watermark.class,
                        w -> assertThat(w.ledger()).isEqualTo(Path.of("/var/tmp/moat-demo-watermarks.jsonl")));
    }

    static String sha256(String secret) throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                .digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(digest);
    }
}
