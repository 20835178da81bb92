package dev.moat.bench.eval;

import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import dev.moat.detectors.Verdict;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.server.MoatServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A real Moat gateway for one evaluation run: both listeners on port 0 of 127.0.0.1, the given
 * preset in front of the sample model, and every time-based part of the gateway (token buckets,
 * the detection engine's clock and risk decay, block expiry) on a clock the harness drives.
 */
final class EvalGateway implements AutoCloseable {

    /** An API key of the run. */
    record Key(String id, String tenant) {
        String secret() {
            return "eval-secret-" + id;
        }
    }

    static final String ROUTE = "/v1/models/digits";
    static final String PREDICT = ROUTE + ":predict";
    static final String ADMIN_TOKEN = "eval-admin-token-0001";
    /** The LLM route, under its own policy ({@code chat}): what the cross-policy attacker calls between rows. */
    static final String CHAT = "/v1/chat/completions";

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final long originNanos = nanos.get();
    private final MoatServer server;
    private final Path ledger;
    private final String route;

    EvalGateway(Preset preset, List<Key> keys, URI upstream, Path workDir) throws Exception {
        this(preset, keys, upstream, workDir, ROUTE);
    }

    /** A gateway whose classifier route is {@code route} (e.g. {@code /v1/models/digits32}). */
    EvalGateway(Preset preset, List<Key> keys, URI upstream, Path workDir, String route) throws Exception {
        this.ledger = workDir.resolve("watermarks.jsonl");
        this.route = route;
        String yaml = yaml(preset, keys, upstream, ledger, route);
        Files.writeString(workDir.resolve("eval.yaml"), yaml);
        MoatConfig config = ConfigLoader.parse(yaml, "eval-" + preset.name() + ".yaml", Map.of());
        this.server = new MoatServer(config, null, nanos::get).start();
    }

    /** The config a run uses (public so the report can show it). */
    static String yaml(Preset preset, List<Key> keys, URI upstream, Path ledger) {
        return yaml(preset, keys, upstream, ledger, ROUTE);
    }

    static String yaml(Preset preset, List<Key> keys, URI upstream, Path ledger, String route) {
        String base = upstream.toString().replaceAll("/+$", "");
        StringBuilder y = new StringBuilder();
        y.append("""
                server:
                  listen: "127.0.0.1:0"
                  event_loop_threads: 1
                admin: {listen: "127.0.0.1:0", token: "%s"}
                upstreams:
                  digits: {url: "%s", protocol: tfserving}
                  llm: {url: "%s", protocol: openai}
                routes:
                  - {path_prefix: %s, upstream: digits%s}
                  - {path_prefix: %s, upstream: llm, policy: chat}
                tiers:
                  t: {limits: [%s]}
                  bulk: {limits: ["1000000/1s"]}
                detection: {workers: 1}
                access_log: {enabled: false}
                keys:
                """.formatted(
                        ADMIN_TOKEN,
                        base,
                        base,
                        route,
                        preset.policyYaml() == null ? "" : ", policy: eval",
                        CHAT,
                        preset.tierLimits().stream().map(l -> "\"" + l + "\"").collect(Collectors.joining(", "))));
        for (Key k : keys) {
            y.append("  - {id: ")
                    .append(k.id())
                    .append(", sha256: \"")
                    .append(KeyStore.sha256Hex(k.secret()))
                    .append(HonestUser.bulk(k.id()) ? "\", tier: bulk" : "\", tier: t")
                    .append(k.tenant() == null ? "" : ", tenant: " + k.tenant())
                    .append("}\n");
        }
        // the chat route has its own policy with a detector, so a chat request is a detection event
        // under another profile than the classifier's (the cross-policy attacker's lever)
        y.append("policies:\n  chat:\n    llm: ").append(LlmProbe.GUARD).append("\n    detectors: {volume: {}}\n");
        if (preset.policyYaml() != null) {
            y.append("  eval:\n");
            String body =
                    preset.policyYaml().replace("${LEDGER}", ledger.toString().replace("\\", "/"));
            body.lines().forEach(l -> y.append("    ").append(l).append('\n'));
        }
        return y.toString();
    }

    URI predictUri() {
        return URI.create("http://127.0.0.1:" + server.port() + route + ":predict");
    }

    URI chatUri() {
        return URI.create("http://127.0.0.1:" + server.port() + CHAT);
    }

    URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + server.adminPort() + path);
    }

    /** Simulated seconds since the gateway started. */
    double now() {
        return (nanos.get() - originNanos) / 1e9;
    }

    /** Moves the driven clock forward to {@code seconds} after start (never backwards). */
    void advanceTo(double seconds) {
        long target = originNanos + Math.round(seconds * 1e9);
        nanos.accumulateAndGet(target, Math::max);
    }

    /** Waits for the detectors to process everything submitted so far (deterministic verdicts). */
    void settle() {
        if (!server.defences().engine().awaitIdle(Duration.ofSeconds(30))) {
            throw new IllegalStateException("detection engine did not catch up within 30 s");
        }
    }

    Verdict verdict(String keyId) {
        return server.defences().engine().verdict(keyId);
    }

    long droppedEvents() {
        return server.defences().engine().dropped();
    }

    Path ledger() {
        return ledger;
    }

    /**
     * Stops the gateway; the watermark ledger is complete on disk afterwards. MoatServer.close()
     * sometimes never returns: its last step, the worker event loop's graceful shutdown, waits on
     * a loop thread parked in epollWait (seen on Netty 4.2 with the epoll transport, after the
     * ledgers and the detection engine are already closed). The harness gives it
     * {@value #CLOSE_TIMEOUT_SECONDS} s and goes on; EvalMain exits the JVM at the end.
     */
    @Override
    public void close() {
        Thread closer = new Thread(server::close, "eval-gateway-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(CLOSE_TIMEOUT_SECONDS * 1_000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            STUCK_CLOSES.incrementAndGet();
            org.slf4j.LoggerFactory.getLogger(EvalGateway.class)
                    .warn(
                            "MoatServer.close() did not return within {} s (stuck in the event loop's graceful"
                                    + " shutdown); going on",
                            CLOSE_TIMEOUT_SECONDS);
        }
    }

    static final int CLOSE_TIMEOUT_SECONDS = 10;
    /** How many gateways did not close in time (reported with the results). */
    static final AtomicLong STUCK_CLOSES = new AtomicLong();
}
