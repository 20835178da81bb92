package dev.moat.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.load.ConfigLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each kind of mistake is reported at the right line:col, naming the field, the value and the expectation. */
class ConfigErrorsTest {
    static final String BASE = """
            upstreams:
              digits: {url: "http://127.0.0.1:8501"}
            routes:
              - {path_prefix: /v1, upstream: digits}
            """;

    static List<String> errors(String yaml) {
        return errors(yaml, Map.of());
    }

    static List<String> errors(String yaml, Map<String, String> env) {
        try {
            ConfigLoader.parse(yaml, "test.yaml", env);
        } catch (ConfigException e) {
            assertThat(e.getMessage())
                    .isEqualTo(String.join(
                            "\n", e.errors().stream().map(ConfigError::toString).toList()));
            return e.errors().stream().map(ConfigError::toString).toList();
        }
        throw new AssertionError("expected errors in:\n" + yaml);
    }

    @Test
    void unknownUpstreamNamesTheChoices() {
        assertThat(errors("""
                upstreams:
                  digits: {url: "http://127.0.0.1:8501"}
                  llm: {url: "http://127.0.0.1:8000", protocol: openai}
                routes:
                  - {path_prefix: /a, upstream: digits}
                  - {path_prefix: /b, upstream: llm}
                  - path_prefix: /c
                    upstream: digitz
                """))
                .containsExactly("test.yaml:8:15: routes[2].upstream: \"digitz\" (expected one of: digits, llm)");
    }

    /**
     * Sign-step detectors on an LLM route are refused (session 18): its rows are hashed prompt
     * trigrams, whose differences they read as steps (every honest chat key was flagged:
     * detectors' {@code LlmPromptsTest}); the same policy on a numeric route is fine.
     */
    @Test
    void signStepDetectorsOnAnOpenAiRouteAreRefusedAtTheRoutesPolicy() {
        assertThat(errors("""
                upstreams:
                  digits: {url: "http://127.0.0.1:8501"}
                  llm: {url: "http://127.0.0.1:8000", protocol: openai}
                routes:
                  - {path_prefix: /a, upstream: digits, policy: steps}
                  - {path_prefix: /b, upstream: llm, policy: steps}
                  - {path_prefix: /c, upstream: llm, policy: pooled}
                  - {path_prefix: /d, upstream: llm, policy: chat}
                policies:
                  steps: {detectors: {cross_key: {}, volume: {}}}
                  pooled: {detectors: {volume: {}, tenant: {prada: {}}}}
                  chat: {detectors: {volume: {}, ood: {}, boundary: {}, coverage: {}, tenant: {volume: {}}}}
                """))
                .containsExactly(
                        "test.yaml:6:46: routes[1].policy: \"steps\" (expected " + ON_TEXT + ")",
                        "test.yaml:7:46: routes[2].policy: \"pooled\" (expected " + ON_TEXT + ")");
    }

    private static final String ON_TEXT =
            "a policy without prada, cross_key or a tenant-pooled prada on a route of protocol openai (its rows are hashed prompt trigrams, whose differences the sign-step tests read as steps: every honest chat key was flagged; use volume, ood, boundary, coverage and the llm rules)";

    @Test
    void everyErrorIsReportedNotJustTheFirst() {
        assertThat(errors("""
                server:
                  listen: "0.0.0.0:80800"
                  timeouts: {idle: 60}
                upstreams:
                  digits: {url: "ftp://x", protocol: grpc}
                routes:
                  - {path_prefix: v1, upstream: digits, policy: strict}
                """))
                .containsExactly(
                        "test.yaml:2:11: server.listen: \"0.0.0.0:80800\" (expected \"host:port\" with a port from 0 to 65535)",
                        "test.yaml:3:20: server.timeouts.idle: \"60\" (expected a positive duration like 500ms, 30s, 5m, 1h or 1d, at most 3650d)",
                        "test.yaml:5:17: upstreams.digits.url: \"ftp://x\" (expected an absolute http:// or https:// URL with a host)",
                        "test.yaml:5:38: upstreams.digits.protocol: \"grpc\" (expected one of: tfserving, kserve-v2, openai, generic)",
                        "test.yaml:7:19: routes[0].path_prefix: \"v1\" (expected a path starting with \"/\")",
                        "test.yaml:7:49: routes[0].policy: \"strict\" (expected a defined name (none are defined))");
    }

    @Test
    void unknownFieldsAreErrorsWithASuggestion() {
        assertThat(errors(BASE + """
                server:
                  lisen: "0.0.0.0:8080"
                  frobnicate: 1
                polices: {}
                """))
                .containsExactly(
                        "test.yaml:6:3: server.lisen: unknown field (did you mean listen? expected one of: listen, event_loop_threads, limits, timeouts, tls)",
                        "test.yaml:7:3: server.frobnicate: unknown field (expected one of: listen, event_loop_threads, limits, timeouts, tls)",
                        "test.yaml:8:1: polices: unknown field (did you mean policies? expected one of: server, admin, upstreams, routes, keys, "
                                + "keys_file, tiers, rate_limiting, policies, detection, distributed, state, audit, alerts, access_log, tracing)");
    }

    @Test
    void missingRequiredFieldsAreReportedAtTheirParent() {
        assertThat(errors("""
                upstreams:
                  digits: {protocol: tfserving}
                routes:
                  - {upstream: digits}
                """))
                .containsExactly(
                        "test.yaml:2:11: upstreams.digits.url: missing (expected an absolute http:// or https:// URL with a host)",
                        "test.yaml:4:5: routes[0].path_prefix: missing (expected a path starting with \"/\")");
    }

    @Test
    void atLeastOneRouteIsNeeded() {
        assertThat(errors("upstreams: {}\n"))
                .containsExactly("test.yaml:1:1: routes: missing (expected a list of routes)");
        assertThat(errors("routes: []\n"))
                .containsExactly("test.yaml:1:9: routes: an empty list (expected at least one route)");
    }

    @Test
    void wrongShapesAreNamed() {
        assertThat(errors(BASE + """
                server: "0.0.0.0:8080"
                tiers:
                  free: {limits: "lots"}
                """))
                .containsExactly(
                        "test.yaml:5:9: server: \"0.0.0.0:8080\" (expected a mapping)",
                        "test.yaml:7:18: tiers.free.limits: \"lots\" (expected a rate like \"100/1m\", \"5000/1d\" or \"10/s\": at most one per nanosecond, over at most 3650d)");
    }

    @Test
    void tierTokenBudgetsAreReadAndCheckedWithTheirPosition() {
        assertThat(errors(BASE + """
                tiers:
                  llm: {limits: ["10/s"], tokens: ["100000/1m", "lots"]}
                  bad: {limits: ["10/s"], tokns: ["1/s"]}
                """))
                .containsExactly(
                        "test.yaml:6:49: tiers.llm.tokens[1]: \"lots\" (expected a rate like \"100/1m\", \"5000/1d\" or \"10/s\": at most one per nanosecond, over at most 3650d)",
                        "test.yaml:7:27: tiers.bad.tokns: unknown field (did you mean tokens? expected one of: limits, tokens, max_action)");
    }

    @Test
    void tierMaxActionIsOneOfTheLadderLevels() throws ConfigException {
        assertThat(errors(BASE + """
                tiers:
                  partner: {limits: ["10/s"], max_action: throttel}
                """))
                .containsExactly(
                        "test.yaml:6:43: tiers.partner.max_action: \"throttel\" (expected one of: none, perturb, throttle, block)");
        MoatConfig c = ConfigLoader.parse(BASE + """
                tiers:
                  partner: {limits: ["10/s"], max_action: perturb}
                  free: {limits: ["10/s"]}
                """, "test.yaml", Map.of());
        assertThat(c.tiers().get("partner").maxAction()).isEqualTo(TierConfig.MaxAction.PERTURB);
        assertThat(c.tiers().get("free").maxAction()).isEqualTo(TierConfig.MaxAction.BLOCK);
    }

    @Test
    void yamlSyntaxErrorsCarryTheirPosition() {
        assertThat(errors("routes:\n  - {path_prefix: /v1\nupstreams: [\n"))
                .hasSize(1)
                .first()
                .asString()
                .startsWith("test.yaml:3:")
                .contains("YAML syntax");
    }

    @Test
    void duplicateFieldsAreErrors() {
        assertThat(errors(BASE + """
                admin:
                  listen: "127.0.0.1:9090"
                  listen: "127.0.0.1:9091"
                """))
                .containsExactly(
                        "test.yaml:7:3: admin.listen: duplicate field (expected each name once; first at 6:3)");
    }

    @Test
    void keysAreCheckedForShapeUniquenessAndTier() {
        String sha = "a".repeat(64);
        assertThat(errors(BASE + """
                tiers:
                  free: {limits: ["10/s"]}
                keys:
                  - {id: alice, sha256: "%s", tier: free}
                  - {id: alice, sha256: "%s", tier: fre}
                  - {id: "bad id", sha256: "%s", tier: free}
                """.formatted(sha, sha.toUpperCase(), "b".repeat(64))))
                .containsExactly(
                        "test.yaml:9:10: keys[1].id: \"alice\" (expected a unique id; \"alice\" is already at test.yaml:8:10)",
                        "test.yaml:9:25: keys[1].sha256: (value hidden) (expected a unique sha256; key \"alice\" has the same one)",
                        "test.yaml:9:99: keys[1].tier: \"fre\" (expected one of: free)",
                        "test.yaml:10:10: keys[2].id: \"bad id\" (expected a key id of letters, digits, '.', '_' or '-')");
    }

    @Test
    void policyOutputsAndEscalationAreValidated() {
        assertThat(errors(BASE + """
                policies:
                  p:
                    outputs:
                      - top_k: 0
                      - {round: 2, top_k: 3}
                      - noise: {kind: laplace}
                      - watermark: {rate: 0.9, secret: "short"}
                      - strip: ["explanations"]
                      - topk: 3
                    detectors: {prada: {delta: 1.5, min_distances: 2}, volum: {}}
                    escalation:
                      - {at: 0.8, throttle: "20/1m"}
                      - {at: 0.5, block: 1h}
                      - {at: 0.9}
                    llm: {logit_bias_with_logprobs: ignore}
                """))
                .containsExactly(
                        "test.yaml:8:16: policies.p.outputs[0].top_k: \"0\" (expected an integer >= 1)",
                        "test.yaml:9:9: policies.p.outputs[1]: a map with top_k, round (expected one transform per list entry)",
                        "test.yaml:10:16: policies.p.outputs[2].noise.epsilon: missing (expected epsilon > 0 (or scale > 0) for laplace noise)",
                        "test.yaml:11:27: policies.p.outputs[3].watermark.rate: \"0.9\" (expected a number in (0, 0.5])",
                        "test.yaml:11:40: policies.p.outputs[3].watermark.secret: (value hidden) (expected a secret of at least 16 characters)",
                        "test.yaml:12:17: policies.p.outputs[4].strip[0]: \"explanations\" (expected a JSON pointer starting with \"/\", e.g. \"/data\")",
                        "test.yaml:13:9: policies.p.outputs[5].topk: unknown field (did you mean top_k? expected one of: top_k, round, "
                                + "label_only, noise, reverse_sigmoid, strip, watermark)",
                        "test.yaml:14:32: policies.p.detectors.prada.delta: \"1.5\" (expected a number in [0, 1])",
                        "test.yaml:14:52: policies.p.detectors.prada.min_distances: \"2\" (expected a whole number in [3, 4000])",
                        "test.yaml:14:56: policies.p.detectors.volum: unknown detector (did you mean volume? expected one of: "
                                + "boundary, coverage, cross_key, ood, prada, tenant, volume)",
                        "test.yaml:17:14: policies.p.escalation[1].at: \"0.5\" (expected a risk above the previous step's 0.8 (steps ascend strictly by at))",
                        "test.yaml:18:9: policies.p.escalation[2]: a mapping (expected at least one action: perturb, throttle, block or watermark)",
                        "test.yaml:19:37: policies.p.llm.logit_bias_with_logprobs: \"ignore\" (expected one of: reject, neutralise)");
    }

    @Test
    void crossKeyParametersAreValidatedAtTheirLine() {
        assertThat(errors(BASE + """
                policies:
                  p:
                    detectors: {cross_key: {store_size: 3, step_high: 1.5, storesize: 10}}
                """))
                .containsExactly(
                        "test.yaml:7:41: policies.p.detectors.cross_key.store_size: \"3\" (expected a whole number in [16, 1000000])",
                        "test.yaml:7:55: policies.p.detectors.cross_key.step_high: \"1.5\" (expected a number in [0, 1])",
                        "test.yaml:7:60: policies.p.detectors.cross_key.storesize: unknown parameter (did you mean store_size? "
                                + "expected one of: coordinates, max_keys, min_hits, sample, sample_seed, search_all_rows, "
                                + "step_high, step_low, step_min_fraction, store_size, window)");
    }

    @Test
    void oodParametersAreValidatedAtTheirLine() {
        assertThat(errors(BASE + """
                policies:
                  p:
                    detectors: {ood: {max_widening: 0.5, window: 5, d_low: 0.3, d_high: 0.2, maxwidening: 2, input_near: 11, input_seed: 0.5, spread_max_width: -1, spread_wide_floor: 1.2}}
                """))
                .containsExactly(
                        "test.yaml:7:37: policies.p.detectors.ood.max_widening: \"0.5\" (expected a number in [1, 10])",
                        "test.yaml:7:50: policies.p.detectors.ood.window: \"5\" (expected a whole number in [10, 100000])",
                        "test.yaml:7:73: policies.p.detectors.ood.d_high: \"0.2\" (expected a number greater than d_low (0.3))",
                        "test.yaml:7:78: policies.p.detectors.ood.maxwidening: unknown parameter (did you mean max_widening? "
                                + "expected one of: alpha, d_high, d_low, input_near, input_seed, max_widening, min_keys, "
                                + "min_queries, reference_confidences, rough_share, run_near, run_seed, spread_margin, spread_max_width, "
                                + "spread_wide_floor, spread_width, window)",
                        "test.yaml:7:106: policies.p.detectors.ood.input_near: \"11\" (expected a number in [0, 10])",
                        "test.yaml:7:122: policies.p.detectors.ood.input_seed: \"0.5\" (expected a whole number)",
                        "test.yaml:7:145: policies.p.detectors.ood.spread_max_width: \"-1\" (expected a whole number in [0, 65536])",
                        "test.yaml:7:168: policies.p.detectors.ood.spread_wide_floor: \"1.2\" (expected 0 (off) or a number in [1.5, 1000])");
    }

    @Test
    void coverageParametersAreValidatedAtTheirLine() {
        assertThat(errors(BASE + """
                policies:
                  p:
                    detectors: {coverage: {peer_margin: 1.5, min_keys: 0, novelty_low: 0.5, novelty_high: 0.4, reference_novelty: 2, peermargin: 0.1}}
                """))
                .containsExactly(
                        "test.yaml:7:41: policies.p.detectors.coverage.peer_margin: \"1.5\" (expected a number in [0, 1])",
                        "test.yaml:7:56: policies.p.detectors.coverage.min_keys: \"0\" (expected a whole number in [1, 100000])",
                        "test.yaml:7:91: policies.p.detectors.coverage.novelty_high: \"0.4\" (expected a number greater than novelty_low (0.5))",
                        "test.yaml:7:115: policies.p.detectors.coverage.reference_novelty: \"2\" (expected a number in [0, 1])",
                        "test.yaml:7:118: policies.p.detectors.coverage.peermargin: unknown parameter (did you mean peer_margin? "
                                + "expected one of: bits, cell_mads, cells, min_keys, min_queries, novelty_high, novelty_low, "
                                + "peer_margin, reference_novelty, run_near, run_seed, seed, warmup, window)");
        assertThat(errors(BASE + """
                policies:
                  p:
                    detectors: {coverage: {cells: hexagons, cell_mads: 0, run_near: 11, run_seed: x}}
                """))
                .containsExactly(
                        "test.yaml:7:35: policies.p.detectors.coverage.cells: \"hexagons\" (expected sign or fixed)",
                        "test.yaml:7:56: policies.p.detectors.coverage.cell_mads: \"0\" (expected a number in [0.01, 1000])",
                        "test.yaml:7:69: policies.p.detectors.coverage.run_near: \"11\" (expected a number in [0, 10])",
                        "test.yaml:7:83: policies.p.detectors.coverage.run_seed: \"x\" (expected a whole number)");
    }

    /**
     * Regression: only prada (two parameters), cross_key, ood and coverage were checked, so {@code
     * boundary: {bogus: 1}}, {@code boundary: {max_widening: 50}} and {@code volume: {bogus: 3}}
     * loaded and failed only when the gateway built the detectors, with no file or line.
     */
    @Test
    void everyDetectorsParametersAreValidatedAtTheirLine() {
        assertThat(errors(BASE + """
                policies:
                  p:
                    detectors:
                      boundary: {bogus: 1, max_widening: 50, z_low: 9}
                      volume: {bogus: 3, z_high: 2}
                      prada: {step_low: 0.2}
                      tenant: {use: "prada,ood", prada: {delt: 0.9}, volume: 5}
                      cross_key: {min_hits: 300}
                      ood: {reference_confidences: "0.5, 2"}
                """))
                .containsExactly(
                        "test.yaml:8:18: policies.p.detectors.boundary.bogus: unknown parameter (expected one of: "
                                + "default_share, margin, max_widening, min_keys, min_queries, reference_share, run_near, "
                                + "run_seed, tolerance, window, z_high, z_low)",
                        "test.yaml:8:42: policies.p.detectors.boundary.max_widening: \"50\" (expected a number in [1, 10])",
                        "test.yaml:8:53: policies.p.detectors.boundary.z_low: \"9\" (expected a number below z_high (8))",
                        "test.yaml:9:16: policies.p.detectors.volume.bogus: unknown parameter (expected one of: "
                                + "daily_budget, half_life_minutes, max_score, min_keys, z_high, z_low)",
                        "test.yaml:9:34: policies.p.detectors.volume.z_high: \"2\" (expected a number greater than z_low (3))",
                        "test.yaml:10:25: policies.p.detectors.prada.step_low: \"0.2\" (expected a number below step_high (0.15))",
                        "test.yaml:11:21: policies.p.detectors.tenant.use: \"prada,ood\" (expected a comma-separated subset of "
                                + "coverage, prada, volume)",
                        "test.yaml:11:42: policies.p.detectors.tenant.prada.delt: unknown parameter (did you mean delta? "
                                + "expected one of: delta, max_distances, max_set_size, min_distances, projection_dims, ramp, "
                                + "seed, step_coordinates, step_evidence, step_high, step_low, step_min_fraction, "
                                + "step_min_queries, step_recent_rows, step_sample_seed, step_window, test_every, w_max_score)",
                        "test.yaml:11:62: policies.p.detectors.tenant.volume: \"5\" (expected a mapping of volume's parameters)",
                        "test.yaml:12:29: policies.p.detectors.cross_key.min_hits: \"300\" (expected a number at most window (200))",
                        "test.yaml:13:36: policies.p.detectors.ood.reference_confidences: \"0.5, 2\" (expected comma-separated "
                                + "confidences in [0, 1], as a string)");
    }

    @Test
    void crossKeySamplingIsValidatedAtItsLine() {
        assertThat(errors(BASE + """
                policies:
                  p:
                    detectors: {cross_key: {sample: 0, search_all_rows: -1}}
                """))
                .containsExactly(
                        "test.yaml:7:37: policies.p.detectors.cross_key.sample: \"0\" (expected a whole number in [1, 1000000])",
                        "test.yaml:7:57: policies.p.detectors.cross_key.search_all_rows: \"-1\" (expected a whole number in [0, 1000000000])");
    }

    @Test
    void watermarkAttributionRotationAndEscalatedRateAreValidated() {
        assertThat(errors(BASE + """
                policies:
                  p:
                    outputs:
                      - watermark: {rate: 0.005, secret: "0123456789abcdef", ledger: wm.jsonl, attribution: user, ledger_max_size: 1KB, ledger_max_files: 0}
                    escalation:
                      - {at: 0.5, watermark: {rate: 0.001}}
                      - {at: 0.6, watermark: {rate: 0.9}}
                      - {at: 0.7, watermark: {speed: 2}}
                  q:
                    escalation:
                      - {at: 0.5, watermark: {rate: 0.05}}
                """))
                .containsExactly(
                        "test.yaml:8:93: policies.p.outputs[0].watermark.attribution: \"user\" (expected one of: key, tenant, none)",
                        "test.yaml:8:116: policies.p.outputs[0].watermark.ledger_max_size: \"1KB\" (expected a positive size"
                                + " like 512, 16KiB, 4MiB, 1GiB or 10MB up to 1099511627776 bytes)",
                        "test.yaml:8:139: policies.p.outputs[0].watermark.ledger_max_files: \"0\" (expected an integer from 1 to 10000)",
                        "test.yaml:10:37: policies.p.escalation[0].watermark.rate: \"0.001\" (expected " + RAISE + ")",
                        "test.yaml:11:37: policies.p.escalation[1].watermark.rate: \"0.9\" (expected " + RAISE + ")",
                        "test.yaml:12:30: policies.p.escalation[2].watermark.rate: missing (expected " + RAISE + ")",
                        "test.yaml:12:31: policies.p.escalation[2].watermark.speed: unknown field (expected one of: rate)",
                        "test.yaml:15:19: policies.q.escalation[0].watermark: watermark step without a watermark in the"
                                + " policy's outputs (expected: a watermark output whose rate this step raises)");
    }

    private static final String RAISE =
            "a number from the outputs' watermark rate 0.005 to 0.5 (a step raises a suspicious key's rate, never lowers it)";

    @Test
    void genericProtocolNeedsItsPointers() {
        assertThat(errors("""
                upstreams:
                  g: {url: "http://h:1", protocol: generic, generic: {inputs: data}}
                  t: {url: "http://h:2", generic: {inputs: /data, outputs: /out}}
                routes:
                  - {path_prefix: /, upstream: g}
                """))
                .containsExactly(
                        "test.yaml:2:54: upstreams.g.generic.outputs: missing (expected a JSON pointer starting with \"/\", e.g. \"/data\")",
                        "test.yaml:2:63: upstreams.g.generic.inputs: \"data\" (expected a JSON pointer starting with \"/\", e.g. \"/data\")",
                        "test.yaml:3:26: upstreams.t.generic: set for protocol tfserving (expected only with protocol: generic)");
    }

    @Test
    void predictionOutputOnlyWhereAnAnswerHasNamedOutputs() throws Exception {
        assertThat(errors("""
                upstreams:
                  llm: {url: "http://h:1", protocol: openai, prediction_output: probs}
                  t: {url: "http://h:2", protocol: kserve-v2, prediction_output: ""}
                routes:
                  - {path_prefix: /, upstream: t}
                """))
                .containsExactly(
                        "test.yaml:2:46: upstreams.llm.prediction_output: set for protocol openai (expected only with"
                                + " protocol: kserve-v2 or tfserving)",
                        "test.yaml:3:66: upstreams.t.prediction_output: \"\" (expected the name of the model's output"
                                + " that carries the probabilities)");
        MoatConfig c = ConfigLoader.parse("""
                upstreams:
                  t: {url: "http://h:2", protocol: kserve-v2, prediction_output: scores}
                  tf: {url: "http://h:3"}
                routes:
                  - {path_prefix: /, upstream: t}
                """, "test.yaml", Map.of());
        assertThat(c.upstreams().get("t").predictionOutput()).isEqualTo("scores");
        assertThat(c.upstreams().get("tf").predictionOutput()).isNull();
    }

    @Test
    void tlsFilesMustExist() {
        assertThat(errors(BASE + """
                server:
                  tls: {certificate: /nonexistent/moat/chain.pem}
                """))
                .containsExactly(
                        "test.yaml:6:8: server.tls.private_key: missing (expected a file path)",
                        "test.yaml:6:22: server.tls.certificate: \"/nonexistent/moat/chain.pem\" does not exist "
                                + "(expected a PEM certificate chain file)");
    }

    @Test
    void secretsAreNeverEchoed() {
        List<String> errors = errors(BASE + """
                admin: {token: "hunter2 with spaces"}
                distributed: {redis: "http://:s3cr3t-pass@redis:6379"}
                alerts: {webhook: "hooks.slack.example/T000/B000/XXXXSECRETXXXX"}
                policies:
                  p:
                    outputs:
                      - watermark: {secret: "tiny-secret"}
                """);

        assertThat(errors)
                .hasSize(4)
                .allSatisfy(e -> assertThat(e)
                        .contains("(value hidden)")
                        .doesNotContain("hunter2")
                        .doesNotContain("s3cr3t")
                        .doesNotContain("XXXXSECRETXXXX")
                        .doesNotContain("tiny-secret"));
    }

    @Test
    void aSecretPastedIntoSha256IsNotEchoed() {
        assertThat(errors(BASE + """
                tiers: {free: {limits: ["1/s"]}}
                keys: [{id: a, sha256: "sk-live-my-real-secret", tier: free}]
                """))
                .containsExactly(
                        "test.yaml:6:24: keys[0].sha256: (value hidden) (expected 64 hex digits, the SHA-256 of the secret (`moat keys new` prints it))");
    }

    @Test
    void yamlSyntaxErrorsDoNotQuoteTheLine() {
        assertThat(errors("admin: {token: \"my-admin-secret\" oops: [}\n"))
                .hasSize(1)
                .allSatisfy(e -> assertThat(e).doesNotContain("my-admin-secret"));
    }

    @Test
    void emptyFileIsAnError() {
        assertThat(errors("# nothing\n"))
                .containsExactly("test.yaml:1:1: the file is empty (expected a YAML document)");
    }

    @Test
    void tracingNeedsAnHttpEndpointAndARatio() {
        assertThat(errors(BASE + """
                tracing: {otlp: "grpc://collector:4317", sample_ratio: 2}
                """))
                .hasSize(2)
                .allSatisfy(e -> assertThat(e).startsWith("test.yaml:5:"))
                .anySatisfy(e -> assertThat(e).contains("tracing.otlp").contains("http"))
                .anySatisfy(e -> assertThat(e).contains("tracing.sample_ratio").contains("0 to 1"));
    }

    @Test
    void tracingIsOffWithoutTheSection() throws ConfigException {
        MoatConfig c = ConfigLoader.parse(BASE, "test.yaml", Map.of());
        assertThat(c.tracing().enabled()).isFalse();
        MoatConfig on =
                ConfigLoader.parse(BASE + "tracing: {otlp: \"http://c:4318/v1/traces\"}\n", "test.yaml", Map.of());
        assertThat(on.tracing().otlp()).hasToString("http://c:4318/v1/traces");
        assertThat(on.tracing().sampleRatio()).isEqualTo(1.0);
    }
}
