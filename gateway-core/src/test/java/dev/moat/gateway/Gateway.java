package dev.moat.gateway;

import dev.moat.config.ConfigException;
import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.server.ConfigSource;
import dev.moat.gateway.server.MoatServer;
import dev.moat.gateway.state.StateStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real gateway for tests: the YAML is written to a temp file (so reload has a file to re-read),
 * both listeners bind port 0, and the buckets run on a clock the test drives.
 */
public final class Gateway implements AutoCloseable {

    /** Test secrets; the config holds only their SHA-256. */
    public static final String ALICE = "alice-secret-0123456789";

    public static final String BOB = "bob-secret-0123456789";
    public static final String ADMIN_TOKEN = "admin-token-for-tests";

    public final MoatServer server;
    public final Path configFile;
    public final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    public final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Gateway(MoatConfig config, Path file, Map<String, String> env, StateStore state, long startNanos)
            throws Exception {
        this.configFile = file;
        this.nanos.set(startNanos);
        this.server = state == null
                ? new MoatServer(config, ConfigSource.file(file, env), nanos::get).start()
                : new MoatServer(config, ConfigSource.file(file, env), nanos::get, state).start();
    }

    /**
     * Starts a gateway from YAML in which {@code ${UPSTREAM}} is the fixture's base URL and
     * {@code ${ALICE_SHA}}/{@code ${BOB_SHA}} the test keys' digests.
     */
    public static Gateway start(String yaml, URI upstream) throws Exception {
        Path dir = Files.createTempDirectory("moat-test");
        Path file = dir.resolve("moat.yaml");
        Files.writeString(file, yaml);
        MoatConfig config = ConfigLoader.load(file, env(upstream));
        return new Gateway(config, file, env(upstream), null, 1_000_000_000L);
    }

    /** As {@link #start}, with runtime state kept in {@code state} (pass the same store to restart). */
    public static Gateway start(String yaml, URI upstream, StateStore state) throws Exception {
        Path dir = Files.createTempDirectory("moat-test");
        Path file = dir.resolve("moat.yaml");
        Files.writeString(file, yaml);
        return new Gateway(ConfigLoader.load(file, env(upstream)), file, env(upstream), state, 1_000_000_000L);
    }

    /**
     * A new gateway on the same config file and state store, as after a process restart (the old
     * one must be closed first); its clock starts where this one's stood.
     */
    public Gateway restart(URI upstream, StateStore state) throws Exception {
        return new Gateway(ConfigLoader.load(configFile, env(upstream)), configFile, env(upstream), state, nanos.get());
    }

    public static Map<String, String> env(URI upstream) {
        String base = upstream.toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return Map.of(
                "UPSTREAM",
                base,
                "ALICE_SHA",
                KeyStore.sha256Hex(ALICE),
                "BOB_SHA",
                KeyStore.sha256Hex(BOB),
                "ADMIN_TOKEN",
                ADMIN_TOKEN);
    }

    /**
     * The digits model's route under the {@code guarded} policy: every per-key detector, top-3
     * outputs, and the ladder perturb at 0.5, throttle at 0.8, block at 0.95 (upstream {@code
     * ${UPSTREAM}}).
     */
    public static final String GUARDED_DIGITS = """
            upstreams:
              tf: {url: "${UPSTREAM}", protocol: tfserving}
            routes:
              - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
            policies:
              guarded:
                outputs: [{top_k: 3}]
                detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                escalation:
                  - {at: 0.5, perturb: {reverse_sigmoid: {beta: 1.0, gamma: 0.2}}}
                  - {at: 0.8, throttle: "5/1m"}
                  - {at: 0.95, block: 1h}
            """;

    /** The keys, tier and admin sections most tests share. */
    public static String common(String tierLimits) {
        return common(tierLimits, "");
    }

    /** As {@link #common(String)}, with more key entries (YAML list items) after alice and bob. */
    public static String common(String tierLimits, String extraKeys) {
        return """
                server:
                  listen: "127.0.0.1:0"
                  event_loop_threads: 2
                  limits: {max_request_bytes: 64KiB, max_header_bytes: 8KiB, max_response_bytes: 1MiB}
                  timeouts: {idle: 30s, header_read: 500ms, drain: 5s}
                admin: {listen: "127.0.0.1:0", token: "${ADMIN_TOKEN}"}
                keys:
                  - {id: alice, sha256: "${ALICE_SHA}", tier: free, tenant: acme}
                  - {id: bob, sha256: "${BOB_SHA}", tier: free}
                %stiers:
                  free: {limits: [%s]}
                """.formatted(extraKeys, tierLimits);
    }

    /**
     * YAML key entries {@code {id: PREFIX-i, sha256: ..., tier: free[, tenant: T]}} whose secrets
     * are {@code SECRET_PREFIX-i}, for {@link #common(String, String)}.
     */
    public static String keyEntries(String idPrefix, String secretPrefix, int n, String tenant) {
        StringBuilder keys = new StringBuilder();
        for (int k = 0; k < n; k++) {
            keys.append("  - {id: ")
                    .append(idPrefix)
                    .append(k)
                    .append(", sha256: \"")
                    .append(KeyStore.sha256Hex(secretPrefix + k))
                    .append("\", tier: free")
                    .append(tenant == null ? "" : ", tenant: " + tenant)
                    .append("}\n");
        }
        return keys.toString();
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    public URI admin(String path) {
        return URI.create("http://127.0.0.1:" + server.adminPort() + path);
    }

    public HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(20))
                .GET();
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String key, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> adminCall(String method, String path, String token)
            throws IOException, InterruptedException {
        return adminCall(method, path, token, null);
    }

    /** An admin call with a JSON body (null for none). */
    public HttpResponse<String> adminCall(String method, String path, String token, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(admin(path))
                .timeout(Duration.ofSeconds(20))
                .method(
                        method,
                        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public String metrics() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(admin("/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /**
     * Writes a self-signed certificate for localhost and 127.0.0.1, valid one day, and its key into
     * {@code dir} as {@code cert.pem} and {@code key.pem}, with the openssl command line.
     */
    public static void selfSignedCertificate(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-keyout",
                        dir.resolve("key.pem").toString(),
                        "-out",
                        dir.resolve("cert.pem").toString(),
                        "-days",
                        "1",
                        "-subj",
                        "/CN=localhost",
                        "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl could not make a certificate: " + out);
        }
    }

    /**
     * A config serving {@code /echo} over TLS with the certificate and key {@link
     * #selfSignedCertificate} wrote into {@code dir} (the head read allowed 2 s, for the handshake).
     */
    public static String tlsEcho(Path dir) {
        return common("\"1000/1m\"")
                        .replace(
                                "  timeouts: {idle: 30s, header_read: 500ms, drain: 5s}",
                                "  timeouts: {idle: 30s, header_read: 2s, drain: 5s}\n  tls: {certificate: \""
                                        + dir.resolve("cert.pem") + "\", private_key: \"" + dir.resolve("key.pem")
                                        + "\"}")
                + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """;
    }

    /** Rewrites the config file (for reload tests); the same variables resolve. */
    public void rewrite(String yaml) throws IOException {
        Files.writeString(configFile, yaml);
    }

    public void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Override
    public void close() {
        server.close();
    }

    static MoatConfig parse(String yaml, URI upstream) throws ConfigException {
        return ConfigLoader.parse(yaml, "test.yaml", env(upstream));
    }
}
