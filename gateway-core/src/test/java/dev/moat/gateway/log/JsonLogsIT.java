package dev.moat.gateway.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import dev.moat.gateway.auth.KeyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code access_log.format: json} on a real {@code moat run} in its own JVM: every line it writes,
 * on stdout (access log) and stderr (application log, including a multi-line reload error), parses
 * as one JSON object (with tracing on, towards an endpoint that refuses: the exporter's failures
 * must not print plain text either).
 */
class JsonLogsIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING =
            Pattern.compile("moat listening on \\\\?/[\\d.]+:(\\d+) \\(admin \\\\?/[\\d.]+:(\\d+)\\)");

    @TempDir
    Path dir;

    @Test
    void everyLineOfARunIsOneJsonObject() throws Exception {
        String base = upstream.baseUri().toString().replaceAll("/$", "");
        String yaml = """
                server: {listen: "127.0.0.1:0", event_loop_threads: 1, timeouts: {drain: 1s}}
                admin: {listen: "127.0.0.1:0", token: "t0ken"}
                upstreams:
                  model: {url: "%s"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                keys:
                  - {id: alice, sha256: "%s", tier: free}
                tiers:
                  free: {limits: ["2/1m"]}
                access_log: {format: json}
                tracing: {otlp: "http://127.0.0.1:%d/v1/traces"}
                """.formatted(base, KeyStore.sha256Hex(Gateway.ALICE), closedPort());
        Path config = dir.resolve("moat.yaml");
        Files.writeString(config, yaml);
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        Process moat = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.moat.gateway.cli.MoatCli",
                        "run",
                        "--config",
                        config.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            int[] ports = awaitPorts(err, moat);
            HttpClient http = HttpClient.newHttpClient();
            String gw = "http://127.0.0.1:" + ports[0];
            for (String key : new String[] {Gateway.ALICE, Gateway.ALICE, Gateway.ALICE, "wrong\"key"}) {
                http.send(
                        HttpRequest.newBuilder(URI.create(gw + "/echo?q=%22quoted%22"))
                                .header("Authorization", "Bearer " + key)
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            Files.writeString(config, yaml.replace("tiers:", "tiers:\n  broken: {limits: [\"x/y\"]}\n  x: 1\n"));
            HttpResponse<String> reload = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[1] + "/admin/reload"))
                            .header("Authorization", "Bearer t0ken")
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(reload.statusCode()).isEqualTo(422);
        } finally {
            moat.destroy(); // SIGTERM: the shutdown hook drains and flushes the async appenders
            assertThat(moat.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        List<JsonNode> access = parseEveryLine(out);
        List<JsonNode> app = parseEveryLine(err);
        assertThat(access).hasSize(4);
        assertThat(access).allSatisfy(line -> {
            assertThat(line.path("loggerName").asText()).isEqualTo("moat.access");
            assertThat(line.path("timestamp").isNumber()).isTrue();
        });
        List<String> statuses = new ArrayList<>();
        for (JsonNode line : access) {
            statuses.add(kvp(line, "status"));
            assertThat(kvp(line, "path")).isEqualTo("/echo"); // the query is never logged
        }
        assertThat(statuses).containsExactly("200", "200", "429", "401");
        assertThat(kvp(access.get(0), "outcome")).isEqualTo("ok");
        assertThat(kvp(access.get(0), "key")).isEqualTo("alice");
        // the 401 has no key: no pair, rather than the string "null" Logback's encoder would write
        assertThat(access.get(3).path("kvpList").findValues("key"))
                .as(access.get(3).toString())
                .isEmpty();
        assertThat(access)
                .allSatisfy(line -> assertThat(line.path("kvpList").toString()).doesNotContain(":\"null\""));
        assertThat(app)
                .anySatisfy(line ->
                        assertThat(line.path("formattedMessage").asText()).startsWith("moat listening on"));
        assertThat(app)
                .anySatisfy(line -> assertThat(line.path("formattedMessage").asText())
                        .contains("config reload rejected")
                        .contains("\n"));
        assertThat(app)
                .anySatisfy(line ->
                        assertThat(line.path("formattedMessage").asText()).isEqualTo("moat stopped"));
        assertThat(Files.readString(out) + Files.readString(err)).doesNotContain(Gateway.ALICE);
    }

    /** A port nothing listens on: the span exporter's calls fail and it says so in the log. */
    private static int closedPort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static List<JsonNode> parseEveryLine(Path file) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            assertThat(node.isObject()).as(line).isTrue();
            lines.add(node);
        }
        assertThat(lines).as(file.toString()).isNotEmpty();
        return lines;
    }

    /** Logback's JsonEncoder writes key-value pairs as {@code "kvpList": [{"k": "v"}, ...]}. */
    private static String kvp(JsonNode line, String key) {
        for (JsonNode pair : line.path("kvpList")) {
            if (pair.has(key)) {
                return pair.get(key).asText();
            }
        }
        throw new AssertionError("no " + key + " in " + line);
    }

    private static int[] awaitPorts(Path err, Process moat) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline && moat.isAlive()) {
            Matcher m = LISTENING.matcher(Files.readString(err));
            if (m.find()) {
                return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
            }
            Thread.sleep(50);
        }
        throw new AssertionError("moat did not start: " + Files.readString(err));
    }
}
