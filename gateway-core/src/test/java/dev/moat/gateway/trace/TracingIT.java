package dev.moat.gateway.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With {@code tracing.otlp} set, a real OTLP/HTTP endpoint (a JDK HTTP server in this test decoding
 * the protobuf export requests) receives a server span per request and a client span per upstream
 * call; the client's {@code traceparent} is continued, and the upstream receives the client span's.
 */
class TracingIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final List<Span> received = new CopyOnWriteArrayList<>();
    static final List<String> contentTypes = new CopyOnWriteArrayList<>();
    static HttpServer collector;
    static Gateway gw;

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String CLIENT_SPAN = "00f067aa0ba902b7";

    @BeforeAll
    static void start() throws Exception {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
            ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(
                    exchange.getRequestBody().readAllBytes());
            for (ResourceSpans rs : export.getResourceSpansList()) {
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    received.addAll(ss.getSpansList());
                }
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        gw = Gateway.start(
                Gateway.common("\"1000/1m\"")
                        + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /echo, upstream: model}
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: watched}
                policies:
                  watched:
                    outputs: [{top_k: 3}]
                    detectors: {prada: {}}
                tracing: {otlp: "http://127.0.0.1:%d/v1/traces"}
                """.formatted(collector.getAddress().getPort()),
                upstream.baseUri());
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        collector.stop(0);
    }

    @Test
    void aClientTraceIsContinuedThroughMoatToTheUpstream() throws Exception {
        HttpResponse<String> r = gw.http.send(
                HttpRequest.newBuilder(gw.uri("/echo"))
                        .header("Authorization", "Bearer " + Gateway.ALICE)
                        .header("traceparent", "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        String sentUpstream = JSON.readTree(r.body())
                .path("headers")
                .path("traceparent")
                .path(0)
                .asText();
        assertThat(sentUpstream).startsWith("00-" + TRACE_ID + "-").endsWith("-01");
        String upstreamParent = sentUpstream.split("-")[2];
        assertThat(upstreamParent).isNotEqualTo(CLIENT_SPAN);

        Span server = await(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER
                && hex(s.getTraceId()).equals(TRACE_ID));
        Span client = await(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT
                && hex(s.getTraceId()).equals(TRACE_ID));
        assertThat(hex(server.getParentSpanId())).isEqualTo(CLIENT_SPAN);
        assertThat(hex(client.getParentSpanId())).isEqualTo(hex(server.getSpanId()));
        assertThat(hex(client.getSpanId())).isEqualTo(upstreamParent);
        assertThat(server.getName()).isEqualTo("GET /echo");
        assertThat(attributes(server))
                .containsEntry("http.route", "/echo")
                .containsEntry("moat.key.id", "alice")
                .containsEntry("moat.outcome", "ok")
                .containsEntry("http.response.status_code", "200");
        assertThat(client.getStartTimeUnixNano()).isGreaterThanOrEqualTo(server.getStartTimeUnixNano());
        assertThat(client.getEndTimeUnixNano()).isLessThanOrEqualTo(server.getEndTimeUnixNano());
        assertThat(contentTypes).contains("application/x-protobuf");
    }

    @Test
    void aPolicyRouteSpanCarriesTheKeysRiskLevel() throws Exception {
        double[][] xs = java.util.Arrays.copyOf(Digits.get().honest().x(), 2);
        HttpResponse<String> r = gw.post(
                "/v1/models/digits:predict", Gateway.BOB, "{\"instances\": " + JSON.writeValueAsString(xs) + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Span server = await(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER
                && "bob".equals(attributes(s).get("moat.key.id")));
        assertThat(attributes(server))
                .containsEntry("http.route", "/v1/models/digits")
                .containsEntry("moat.risk.level", "ok")
                .containsKey("moat.risk");
    }

    @Test
    void aRejectedRequestHasAServerSpanAndNoUpstreamCall() throws Exception {
        HttpResponse<String> r = gw.http.send(
                HttpRequest.newBuilder(gw.uri("/echo"))
                        .header("traceparent", "00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        Span server = await(s -> hex(s.getTraceId()).equals("1".repeat(32)));
        assertThat(attributes(server))
                .containsEntry("moat.outcome", "unauthorized")
                .doesNotContainKey("moat.key.id");
        assertThat(received)
                .filteredOn(s -> hex(s.getTraceId()).equals("1".repeat(32)))
                .hasSize(1);
    }

    @Test
    void offByDefaultTheClientsTraceparentPassesUntouched() throws Exception {
        try (Gateway plain = Gateway.start(Gateway.common("\"10/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """, upstream.baseUri())) {
            assertThat(plain.server.context().tracing().enabled()).isFalse();
            String tp = "00-" + "3".repeat(32) + "-" + "4".repeat(16) + "-01";
            HttpResponse<String> r = plain.http.send(
                    HttpRequest.newBuilder(plain.uri("/echo"))
                            .header("Authorization", "Bearer " + Gateway.ALICE)
                            .header("traceparent", tp)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(r.body())
                            .path("headers")
                            .path("traceparent")
                            .path(0)
                            .asText())
                    .isEqualTo(tp);
        }
    }

    static Span await(Predicate<Span> which) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Span> s = received.stream().filter(which).findFirst();
            if (s.isPresent()) {
                return s.get();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no such span among " + received.size() + " received");
    }

    static Map<String, String> attributes(Span s) {
        return s.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, kv -> {
            var v = kv.getValue();
            return switch (v.getValueCase()) {
                case INT_VALUE -> Long.toString(v.getIntValue());
                case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
                default -> v.getStringValue();
            };
        }));
    }

    static String hex(com.google.protobuf.ByteString b) {
        return HexFormat.of().formatHex(b.toByteArray());
    }
}
