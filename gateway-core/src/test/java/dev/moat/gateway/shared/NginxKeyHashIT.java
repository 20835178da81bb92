package dev.moat.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment of the README's "Running several instances", run natively: nginx hashing the
 * API key (the secret taken from the Authorization or X-API-Key header, {@code hash $moat_key
 * consistent;}) over two gateways sharing one redis-server. Each key meets one gateway (so one detector); when that gateway dies its keys move
 * to the other, and the tier limit still holds because the buckets are in Redis.
 */
class NginxKeyHashIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @RegisterExtension
    static final RedisServerExtension redis = new RedisServerExtension();

    static final int KEYS = 10;

    @TempDir
    Path dir;

    final List<Gateway> gateways = new ArrayList<>();
    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Process nginx;
    int port;

    @BeforeEach
    void start() throws Exception {
        Path bin = Path.of("/usr/sbin/nginx");
        if (!Files.isExecutable(bin) && System.getenv("MOAT_REQUIRE_NGINX") != null) {
            throw new IllegalStateException("nginx is not installed (apt-get install nginx-light)");
        }
        assumeTrue(Files.isExecutable(bin), "nginx not installed (.ci/run installs it and sets MOAT_REQUIRE_NGINX)");
        String yaml = Gateway.common("\"12/1h\"", Gateway.keyEntries("k", "key-secret-", KEYS, null))
                + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                distributed: {redis: "%s", instances: 2, timeout: 1s}
                """.formatted(redis.url());
        gateways.add(Gateway.start(yaml, upstream.baseUri()));
        gateways.add(Gateway.start(yaml, upstream.baseUri()));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("nginx.conf"), """
                daemon off;
                master_process off;
                worker_processes 1;
                error_log %1$s/error.log warn;
                pid %1$s/nginx.pid;
                events { worker_connections 256; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                  map $http_x_api_key $moat_api_key {
                    "~^\\s*(?<k>\\S+)\\s*$" $k;
                    default $http_x_api_key;
                  }
                  map $http_authorization $moat_key {
                    "~*^\\s*bearer\\s+(?<k>\\S+)\\s*$" $k;
                    default $moat_api_key;
                  }
                  upstream moat {
                    hash $moat_key consistent;
                    server 127.0.0.1:%2$d max_fails=1 fail_timeout=10s;
                    server 127.0.0.1:%3$d max_fails=1 fail_timeout=10s;
                    keepalive 16;
                  }
                  server {
                    listen 127.0.0.1:%4$d;
                    location / {
                      proxy_pass http://moat;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      %5$s
                    }
                  }
                }
                """.formatted(
                dir, gateways.get(0).server.port(), gateways.get(1).server.port(), port, shippedNextUpstream()));
        nginx = new ProcessBuilder(
                        bin.toString(),
                        "-p",
                        dir.toString(),
                        "-c",
                        dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile())
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                send("Authorization", "Bearer not-a-key"); // 401: nginx and a gateway answer; no bucket touched
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !nginx.isAlive()) {
                    throw new IllegalStateException(
                            "nginx did not start: " + Files.readString(dir.resolve("nginx.out")));
                }
                Thread.sleep(20);
            }
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor();
        }
        gateways.forEach(Gateway::close);
    }

    /** The {@code proxy_next_upstream} line of the shipped {@code docker/nginx-keyhash.conf}: tested as shipped. */
    static String shippedNextUpstream() throws IOException {
        return Files.readAllLines(Path.of("..", "docker", "nginx-keyhash.conf")).stream()
                .map(String::strip)
                .filter(l -> l.startsWith("proxy_next_upstream "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no proxy_next_upstream in docker/nginx-keyhash.conf"));
    }

    HttpResponse<String> post(int key) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo"))
                        .header("Authorization", "Bearer key-secret-" + key)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [[1, 2]]}"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A draining gateway's 503 on a POST (every predict call is one) is retried by nginx on the next
     * gateway. nginx retries a non-idempotent request only when {@code proxy_next_upstream} lists
     * {@code non_idempotent}, which the shipped conf did not: the client got the 503.
     */
    @Test
    void aPostAnsweredByADrainingGatewayIsRetriedOnTheOther() throws Exception {
        double[] before = {requests(gateways.get(0)), requests(gateways.get(1))};
        assertThat(post(3).statusCode()).isEqualTo(200);
        double[] first = counted(before[0], before[1], 1);
        int home = first[0] == 1 ? 0 : 1;
        gateways.get(home).server.context().startDraining();
        HttpResponse<String> r = post(3);
        assertThat(r.statusCode())
                .as("a POST whose gateway drains: %s", r.body())
                .isEqualTo(200);
    }

    int send(int key) throws IOException, InterruptedException {
        return send("Authorization", "Bearer key-secret-" + key);
    }

    int send(String header, String value) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo"))
                                .header(header, value)
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /**
     * The bypass: the same key spelled differently ("bearer", extra spaces, X-API-Key) must not reach
     * another gateway, or its queries would be split over two detectors.
     */
    @Test
    void spellingTheKeyDifferentlyDoesNotMoveItToAnotherGateway() throws Exception {
        double[] before = {requests(gateways.get(0)), requests(gateways.get(1))};
        assertThat(send(3)).isEqualTo(200);
        double[] first = counted(before[0], before[1], 1);
        int home = first[0] == 1 ? 0 : 1;
        double a0 = before[0] + first[0];
        double b0 = before[1] + first[1];
        assertThat(send("Authorization", "bearer   key-secret-3")).isEqualTo(200);
        assertThat(send("X-API-Key", "key-secret-3")).isEqualTo(200);
        assertThat(send("Authorization", "BEARER key-secret-3 ")).isEqualTo(200);
        double[] ab = counted(a0, b0, 3);
        double a = ab[0];
        double b = ab[1];
        assertThat(home == 0 ? a : b).as("all spellings on the key's gateway").isEqualTo(3);
        assertThat(home == 0 ? b : a).isZero();
    }

    /**
     * The bypass: a request the balancer hashes by one secret and a gateway authenticates by
     * another, so that a client chooses its gateway per request: its queries split over two
     * detectors, and its LLM token budget, kept per instance, doubles. Moat took the key from
     * {@code X-API-Key} whenever {@code Authorization} did not begin with {@code "Bearer "} (one
     * space), where the balancer's map read a bearer token after any whitespace ({@code
     * "Bearer<TAB>junk"}); the map did not allow whitespace before the scheme, which the gateway's
     * HTTP decoder strips ({@code "<TAB>Bearer key"} with {@code X-API-Key: junk}); it hashed an
     * {@code X-API-Key} with the tabs after it; and nginx from 1.23 joins two {@code X-API-Key}
     * headers where the gateway read the first.
     */
    @Test
    void aSecretTheBalancerReadsDifferentlyDoesNotReachAnotherGatewayBypass() throws Exception {
        double[] before = {authenticated(gateways.get(0)), authenticated(gateways.get(1))};
        assertThat(send(3)).isEqualTo(200);
        double[] first = reached(before, 1);
        int home = first[0] == 1 ? 0 : 1;
        List<String> variants = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            variants.add("Authorization: Bearer\tjunk-" + i + "\r\nX-API-Key: key-secret-3");
            variants.add("Authorization: \tBearer key-secret-3\r\nX-API-Key: junk-" + i);
            variants.add("X-API-Key: key-secret-3\r\nX-API-Key: junk-" + i);
        }
        variants.add("X-API-Key: key-secret-3\t");
        variants.add("X-API-Key: key-secret-3\t\t");
        variants.add("X-API-Key: \tkey-secret-3");
        List<String> elsewhere = new ArrayList<>();
        for (String headers : variants) {
            double[] was = {authenticated(gateways.get(0)), authenticated(gateways.get(1))};
            int status = sendRaw(headers);
            if (status == 401 || status == 400) {
                continue; // no key, or no request: nothing served, nothing counted for the key
            }
            double[] now = reached(was, 1);
            if (now[1 - home] > 0) {
                elsewhere.add(headers.replace("\t", "<TAB>").replace("\r\n", " | ") + " -> " + status);
            }
        }
        assertThat(elsewhere)
                .as("key-secret-3 served by the gateway it is not hashed to")
                .isEmpty();
    }

    /** Requests a gateway took for a key (any outcome but 401 and 400). */
    static double authenticated(Gateway g) throws Exception {
        return g.metrics()
                .lines()
                .filter(l -> l.startsWith("moat_requests_total{")
                        && !l.contains("outcome=\"unauthorized\"")
                        && !l.contains("outcome=\"bad_request\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** {@link #authenticated} per gateway since {@code was}, once {@code expected} in all are counted. */
    double[] reached(double[] was, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            double a = authenticated(gateways.get(0)) - was[0];
            double b = authenticated(gateways.get(1)) - was[1];
            if (a + b >= expected || System.nanoTime() > deadline) {
                return new double[] {a, b};
            }
            Thread.sleep(5);
        }
    }

    /** Sends a GET with these header lines ({@code \r\n} between them) as raw bytes; returns the status. */
    int sendRaw(String headerLines) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            String req = "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headerLines + "\r\nConnection: close\r\n\r\n";
            s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(
                            s.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .readLine();
            return Integer.parseInt(line.split(" ")[1]);
        }
    }

    /**
     * Requests a gateway answered with 200 (outcome ok): the readiness probe's 401, counted a moment
     * after nginx has its answer, must not be mistaken for the key's first request.
     */
    static double requests(Gateway g) throws Exception {
        return g.metrics()
                .lines()
                .filter(l -> l.startsWith("moat_requests_total{") && l.contains("outcome=\"ok\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /**
     * Requests counted by each gateway since the given counts, once {@code expected} in all have been
     * counted (a gateway counts a request when its answer is written, a moment after the client has it).
     */
    double[] counted(double a0, double b0, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            double a = requests(gateways.get(0)) - a0;
            double b = requests(gateways.get(1)) - b0;
            if (a + b >= expected || System.nanoTime() > deadline) {
                return new double[] {a, b};
            }
            Thread.sleep(10);
        }
    }

    @Test
    void eachKeyMeetsOneGatewayAndMovesWithItsLimitWhenThatGatewayDies() throws Exception {
        int[] home = new int[KEYS];
        double[] seen = {requests(gateways.get(0)), requests(gateways.get(1))};
        for (int k = 0; k < KEYS; k++) {
            for (int i = 0; i < 4; i++) {
                assertThat(send(k)).isEqualTo(200);
            }
            double[] ab = counted(seen[0], seen[1], 4);
            double a = ab[0];
            double b = ab[1];
            assertThat(a == 4 && b == 0 || a == 0 && b == 4)
                    .as("key %d: all its requests on one gateway (%s / %s)", k, a, b)
                    .isTrue();
            home[k] = a == 4 ? 0 : 1;
            seen[0] += a;
            seen[1] += b;
        }
        assertThat(java.util.Arrays.stream(home).distinct().count())
                .as("the keys spread over both gateways")
                .isEqualTo(2);
        // the first gateway dies: its keys move to the second, with what is left of their limit (12 - 4)
        int moved = java.util.stream.IntStream.range(0, KEYS)
                .filter(k -> home[k] == 0)
                .findFirst()
                .orElseThrow();
        gateways.remove(0).close();
        int ok = 0;
        int limited = 0;
        for (int i = 0; i < 12; i++) {
            int s = send(moved);
            ok += s == 200 ? 1 : 0;
            limited += s == 429 ? 1 : 0;
        }
        assertThat(ok).as("the limit followed the key to the other gateway").isEqualTo(8);
        assertThat(limited).isEqualTo(4);
    }
}
