package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Triton's binary tensor data extension over real sockets: requests built as Triton's HTTP clients
 * build them by default ({@code tritonclient.http}: each input's values as little-endian bytes after
 * the JSON header, {@code Inference-Header-Content-Length} giving its length, and {@code
 * binary_data_output} asked when no output is named), sent through the gateway to the fixtures'
 * model server, which speaks the extension as Triton does (and answers in bytes when asked). Before,
 * such a request was refused as malformed on a policy route: an honest Triton client saw 400s.
 */
class TritonBinaryIT {

    static final String JSON_LENGTH = "Inference-Header-Content-Length";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static Gateway gw;

    /** A guarded Triton route, its answers rounded to this many decimals. */
    static String config(int decimals) {
        return Gateway.common("\"1000000/1m\"", Gateway.keyEntries("honest-", "honest-secret-", 4, null))
                + """
                upstreams:
                  triton: {url: "${UPSTREAM}", protocol: kserve-v2}
                routes:
                  - {path_prefix: /v2/models/digits, upstream: triton, policy: guarded}
                policies:
                  guarded:
                    outputs: [{top_k: 3}, {round: %d}]
                    detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                    escalation:
                      - {at: 0.5, perturb: {reverse_sigmoid: {beta: 1.0, gamma: 0.2}}}
                      - {at: 0.95, block: 1h}
                """.formatted(decimals);
    }

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(config(2), upstream.baseUri());
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    /** A request as {@code tritonclient.http} builds it for one FP32 input tensor of these rows. */
    static HttpRequest tritonRequest(URI uri, String key, double[][] rows, String outputs) {
        ObjectNode req = JSON.createObjectNode();
        ObjectNode in = req.putArray("inputs").addObject().put("name", "input-0");
        in.putArray("shape").add(rows.length).add(rows[0].length);
        in.put("datatype", "FP32");
        in.putObject("parameters").put("binary_data_size", rows.length * rows[0].length * 4);
        if (outputs == null) {
            req.putObject("parameters").put("binary_data_output", true);
        } else {
            try {
                req.set("outputs", JSON.readTree(outputs));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(e);
            }
        }
        byte[] header = req.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(header.length + rows.length * rows[0].length * 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put(header);
        for (double[] row : rows) {
            for (double v : row) {
                body.putFloat((float) v);
            }
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/octet-stream")
                .header(JSON_LENGTH, Integer.toString(header.length))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.array()));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b.build();
    }

    /** The one output tensor of a binary answer, read as {@code tritonclient}'s {@code as_numpy} reads it. */
    static float[] binaryOutput(HttpResponse<byte[]> r) throws Exception {
        String length = r.headers()
                .firstValue(JSON_LENGTH)
                .orElseThrow(() -> new AssertionError("no " + JSON_LENGTH + ": " + new String(r.body())));
        int jsonLength = Integer.parseInt(length);
        JsonNode header = JSON.readTree(Arrays.copyOf(r.body(), jsonLength));
        JsonNode out = header.get("outputs").get(0);
        assertThat(out.has("data")).as(header.toString()).isFalse();
        int size = out.get("parameters").get("binary_data_size").asInt();
        assertThat(r.body().length).isEqualTo(jsonLength + size);
        ByteBuffer values = ByteBuffer.wrap(r.body(), jsonLength, size).order(ByteOrder.LITTLE_ENDIAN);
        float[] p = new float[size / 4];
        for (int i = 0; i < p.length; i++) {
            p[i] = values.getFloat();
        }
        return p;
    }

    static double[] jsonOutput(HttpResponse<String> r) throws Exception {
        JsonNode data = JSON.readTree(r.body()).get("outputs").get(0).get("data");
        double[] p = new double[data.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = data.get(i).asDouble();
        }
        return p;
    }

    @Test
    void aTritonClientsDefaultRequestIsAnsweredInBytesAndDefended() throws Exception {
        double[][] rows = Arrays.copyOf(Digits.get().honest().x(), 3);
        // the model server itself answers such a request in bytes, undefended (many decimals)
        HttpResponse<byte[]> direct = HTTP.send(
                tritonRequest(upstream.baseUri().resolve("/v2/models/digits/infer"), null, rows, null),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(direct.statusCode()).as(new String(direct.body())).isEqualTo(200);
        float[] raw = binaryOutput(direct);
        // through the gateway: the same form, transformed (top 3, two decimals), as the JSON request's answer
        HttpResponse<byte[]> r = HTTP.send(
                tritonRequest(gw.uri("/v2/models/digits/infer"), "honest-secret-0", rows, null),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/octet-stream");
        float[] defended = binaryOutput(r);
        assertThat(defended).hasSameSizeAs(raw).isNotEqualTo(raw);
        StringBuilder data = new StringBuilder();
        for (double[] row : rows) {
            for (double v : row) {
                data.append(data.length() == 0 ? "" : ",").append((float) v);
            }
        }
        HttpResponse<String> json = gw.post(
                "/v2/models/digits/infer",
                "honest-secret-1",
                "{\"inputs\":[{\"name\":\"input-0\",\"shape\":[3,64],\"datatype\":\"FP32\",\"data\":[" + data + "]}]}");
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        double[] expected = jsonOutput(json);
        for (int i = 0; i < defended.length; i++) {
            assertThat(defended[i]).as("value %d", i).isEqualTo((float) expected[i]);
        }
        for (int row = 0; row < rows.length; row++) {
            float[] p = Arrays.copyOfRange(defended, row * 10, row * 10 + 10);
            int nonZero = 0;
            int top = 0;
            for (int c = 0; c < 10; c++) {
                nonZero += p[c] > 0 ? 1 : 0;
                top = p[c] > p[top] ? c : top;
            }
            assertThat(nonZero).isLessThanOrEqualTo(3);
            assertThat(top).isEqualTo(DigitsModel.get().label(rows[row]));
        }
    }

    @Test
    void theRoutesOutputNamedAndAskedForInBytesIsAnsweredSo() throws Exception {
        double[][] rows = {Digits.get().honest().x()[5]};
        HttpResponse<byte[]> r = HTTP.send(
                tritonRequest(
                        gw.uri("/v2/models/digits/infer"),
                        "honest-secret-2",
                        rows,
                        "[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":true}}]"),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        float[] p = binaryOutput(r);
        assertThat(p).hasSize(10);
        // asked as JSON, answered as JSON
        HttpResponse<String> json = HTTP.send(
                tritonRequest(
                        gw.uri("/v2/models/digits/infer"),
                        "honest-secret-2",
                        rows,
                        "[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":false}}]"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        assertThat(json.headers().firstValue(JSON_LENGTH)).isEmpty();
        assertThat(jsonOutput(json)).hasSize(10);
    }

    /**
     * Triton's clients compress a request when asked ({@code request_compression_algorithm}): the
     * gateway reads it decoded and sends it upstream decoded (the detectors and the model read the
     * same bytes). Before, the coded bytes met the JSON parser: 400 "not valid JSON".
     */
    @Test
    void aCompressedRequestIsReadAndSentDecoded() throws Exception {
        double[][] rows = {Digits.get().honest().x()[7]};
        URI infer = gw.uri("/v2/models/digits/infer");
        HttpRequest plain = tritonRequest(infer, "honest-secret-3", rows, null);
        HttpResponse<byte[]> expected = HTTP.send(plain, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(expected.statusCode()).isEqualTo(200);
        byte[] raw = body(plain);
        gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5)); // the plain request's event counted first
        long before = gw.server.defences().engine().verdict("honest-3").queries();
        for (String coding : new String[] {"gzip", "deflate"}) {
            java.io.ByteArrayOutputStream packed = new java.io.ByteArrayOutputStream();
            try (java.io.OutputStream z = coding.equals("gzip")
                    ? new java.util.zip.GZIPOutputStream(packed)
                    : new java.util.zip.DeflaterOutputStream(packed)) {
                z.write(raw);
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(infer)
                    .timeout(Duration.ofSeconds(20))
                    .header("Authorization", "Bearer honest-secret-3")
                    .header("Content-Encoding", coding)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(packed.toByteArray()));
            plain.headers().firstValue(JSON_LENGTH).ifPresent(v -> b.header(JSON_LENGTH, v));
            HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(coding + ": " + new String(r.body())).isEqualTo(200);
            assertThat(binaryOutput(r)).as(coding).containsExactly(binaryOutput(expected));
        }
        gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
        assertThat(gw.server.defences().engine().verdict("honest-3").queries()).isEqualTo(before + 2);
    }

    /** The bytes a request built by {@link #tritonRequest} carries. */
    static byte[] body(HttpRequest request) throws Exception {
        java.util.concurrent.CompletableFuture<byte[]> bytes = new java.util.concurrent.CompletableFuture<>();
        request.bodyPublisher().orElseThrow().subscribe(new java.util.concurrent.Flow.Subscriber<>() {
            private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer item) {
                byte[] b = new byte[item.remaining()];
                item.get(b);
                out.write(b, 0, b.length);
            }

            @Override
            public void onError(Throwable t) {
                bytes.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                bytes.complete(out.toByteArray());
            }
        });
        return bytes.get(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    /**
     * A thief who sends his JbDA queries as Triton's clients do is seen as one who sends JSON: every
     * row reaches the detectors (the key's query count is the rows sent) and he is blocked, while
     * honest keys sending bytes stay ok. Before, the bytes were refused; had they been passed
     * unread, this would be the bypass.
     */
    @Test
    void aJbdaThiefSendingBinaryTensorsIsBlockedAsOneSendingJsonBypass() throws Exception {
        try (Gateway g = Gateway.start(config(3), upstream.baseUri())) {
            URI infer = g.uri("/v2/models/digits/infer");
            HonestClient[] honest = new HonestClient[4];
            for (int k = 0; k < honest.length; k++) {
                honest[k] = new HonestClient(900 + k);
            }
            int blockedAt = ThiefRounds.blockedAt(g, honest, new JbdaAttacker(901), 1_000, (secret, x) -> {
                HttpResponse<byte[]> r = HTTP.send(
                        tritonRequest(infer, secret, new double[][] {x}, null),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    return new ThiefRounds.Reply(r.statusCode(), null, new String(r.body(), StandardCharsets.UTF_8));
                }
                float[] p = binaryOutput(r);
                double[] answer = new double[p.length];
                for (int c = 0; c < p.length; c++) {
                    answer[c] = p[c];
                }
                return new ThiefRounds.Reply(200, answer, "");
            });
            System.out.printf("jbda in binary tensors: blocked after %d rows%n", blockedAt);
        }
    }
}
