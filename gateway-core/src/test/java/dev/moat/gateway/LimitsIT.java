package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Operator switches: the connection limit and per-key metrics. */
class LimitsIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @Test
    void connectionsOverTheLimitGet503AndClose() throws Exception {
        String yaml = Gateway.common("\"1000/1m\"")
                        .replace("max_response_bytes: 1MiB}", "max_response_bytes: 1MiB, max_connections: 2}")
                + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """;
        try (Gateway gw = Gateway.start(yaml, upstream.baseUri());
                RawClient a = new RawClient(gw.server.port());
                RawClient b = new RawClient(gw.server.port())) {
            a.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            assertThat(a.readResponse().status()).isEqualTo(200);
            b.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            assertThat(b.readResponse().status()).isEqualTo(200);
            try (RawClient c = new RawClient(gw.server.port())) {
                RawClient.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(503);
                assertThat(c.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void perKeyMetricsAreOffByDefaultAndOnWhenAsked() throws Exception {
        String routes = """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """;
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + routes, upstream.baseUri())) {
            gw.get("/echo", Gateway.ALICE);
            assertThat(gw.metrics()).doesNotContain("moat_key_requests_total");
        }
        String on = Gateway.common("\"1000/1m\"")
                .replace("token: \"${ADMIN_TOKEN}\"}", "token: \"${ADMIN_TOKEN}\", per_key_metrics: true}");
        try (Gateway gw = Gateway.start(on + routes, upstream.baseUri())) {
            gw.get("/echo", Gateway.ALICE);
            // the exchange is counted when the answer's last write completes, which may be just
            // after the client has read it: wait (bounded) rather than race the scrape
            String metrics = gw.metrics();
            for (int i = 0; i < 100 && !metrics.contains("moat_key_requests_total"); i++) {
                Thread.sleep(50);
                metrics = gw.metrics();
            }
            assertThat(metrics)
                    .contains("moat_key_requests_total{key=\"alice\"} 1.0")
                    .doesNotContain(Gateway.ALICE);
        }
    }
}
