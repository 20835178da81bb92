package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Per-key token buckets over real sockets, on a clock the test drives. */
class RateLimitIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    Gateway gw;

    @BeforeEach
    void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"3/1m\", \"5/1h\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /echo, upstream: model}
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                """, upstream.baseUri());
    }

    static String rows(int n) {
        StringBuilder sb = new StringBuilder("{\"instances\": [");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",")
                    .append(java.util.Arrays.toString(
                            dev.moat.fixtures.Digits.get().honest().x()[i]));
        }
        return sb.append("]}").toString();
    }

    @Test
    void onPolicyRoutesEveryRowOfABatchCounts() throws Exception {
        long before = upstream.server().requests("/v1/");
        HttpResponse<String> tooBig = gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(5));
        assertThat(tooBig.statusCode()).as("5 rows never fit a 3-token bucket").isEqualTo(429);
        assertThat(tooBig.headers().firstValue("retry-after")).isEmpty();
        assertThat(detail(tooBig))
                .isEqualTo("rate limit of tier 'free' exceeded: a batch of 5 rows can never pass (at most 3 rows per"
                        + " request)");
        assertThat(upstream.server().requests("/v1/")).isEqualTo(before);
        gw.advance(Duration.ofMinutes(1));
        assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(2)).statusCode())
                .isEqualTo(200); // 2 tokens
        HttpResponse<String> one = gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(1)); // the 3rd
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.headers().firstValue("ratelimit"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("\"3/1m\";r=0;"));
        HttpResponse<String> limited = gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(1));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).hasValue("20");
    }

    /**
     * One empty bucket, one text: the 429 of a one-row request (refused at admission) and of a batch
     * (refused when its further rows are charged) name the tier and the cause alike, the batch's
     * adding what it costs. Before, the batch said "exceeds what the tier 'free' allows now".
     */
    @Test
    void aRowAndABatchRefusedByTheTierBucketReadTheSame() throws Exception {
        assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(2)).statusCode())
                .isEqualTo(200); // one token of "3/1m" left
        HttpResponse<String> batch = gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(2));
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(429);
        assertThat(batch.headers().firstValue("retry-after")).hasValue("20");
        assertThat(batch.headers().firstValue("ratelimit")).hasValue("\"3/1m\";r=1;t=40");
        assertThat(detail(batch)).isEqualTo("rate limit of tier 'free' exceeded: a batch of 2 rows costs 2 tokens");
        assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(1)).statusCode())
                .as("the refused batch cost nothing: its last token is still there")
                .isEqualTo(200);
        HttpResponse<String> row = gw.post("/v1/models/digits:predict", Gateway.ALICE, rows(1));
        assertThat(row.statusCode()).as(row.body()).isEqualTo(429);
        assertThat(row.headers().firstValue("retry-after")).hasValue("20");
        assertThat(row.headers().firstValue("ratelimit")).hasValue("\"3/1m\";r=0;t=60");
        assertThat(detail(row)).isEqualTo("rate limit of tier 'free' exceeded");
        assertThat(gw.metrics()).contains("moat_ratelimit_rejections_total 2.0");
    }

    static String detail(HttpResponse<String> r) throws Exception {
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        JsonNode problem = new ObjectMapper().readTree(r.body());
        assertThat(problem.path("type").asText()).endsWith("/rate-limited");
        return problem.path("detail").asText();
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    @Test
    void overTheLimitIs429WithRetryAfterAndNoUpstreamCall() throws Exception {
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = gw.get("/echo", Gateway.ALICE);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("ratelimit-policy")).hasValue("\"3/1m\";q=3;w=60, \"5/1h\";q=5;w=3600");
            assertThat(ok.headers().firstValue("ratelimit")).hasValue("\"3/1m\";r=" + (2 - i) + ";t=" + (20 * (i + 1)));
        }
        long calls = upstream.server().requests("/echo");
        HttpResponse<String> limited = gw.get("/echo", Gateway.ALICE);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).hasValue("20");
        assertThat(limited.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(limited.body()).contains("rate-limited");
        assertThat(upstream.server().requests("/echo")).isEqualTo(calls);
        assertThat(gw.metrics()).contains("moat_ratelimit_rejections_total 1.0");
    }

    @Test
    void bucketsArePerKeyAndRefillGreedily() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
        }
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(429);
        assertThat(gw.get("/echo", Gateway.BOB).statusCode())
                .as("bob has his own bucket")
                .isEqualTo(200);
        gw.advance(Duration.ofSeconds(20)); // greedy refill: one token per 20 s
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
        assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(429);
    }

    @Test
    void theLongerLimitHoldsWhenTheShortOneRefilled() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
            gw.advance(Duration.ofMinutes(1));
        }
        HttpResponse<String> r = gw.get("/echo", Gateway.ALICE);
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("ratelimit"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("\"5/1h\";r=0;"));
        long retry = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
        assertThat(retry).isBetween(1L, 720L);
    }
}
