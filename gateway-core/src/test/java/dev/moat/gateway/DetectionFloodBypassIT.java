package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The detectors run behind a bounded queue that drops an event when it is full, so that detection
 * never stalls traffic. A thief who knows that floods the gateway (many keys, big batches) until
 * the queue overflows and his own queries are dropped unscored. No answer may leave unscored: on a
 * route that does not fail open, an answer whose rows the detectors could not take is withheld
 * with 503 {@code detection-overloaded}. Real sockets, the fixture digits model, one detection
 * worker with a queue of one event.
 */
class DetectionFloodBypassIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final int THIEVES = 8;

    static String config() {
        return config(false);
    }

    static String config(boolean failOpen) {
        return Gateway.common("\"1000000/1m\"", Gateway.keyEntries("thief-", "thief-secret-", THIEVES, null))
                + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded, fail_open: %s}
                policies:
                  guarded:
                    outputs: [{round: 3}]
                    detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                detection: {workers: 1, queue_capacity: 1}
                """.formatted(failOpen);
    }

    static String row(SplittableRandom rnd) throws Exception {
        double[] x = new double[64];
        for (int j = 0; j < x.length; j++) {
            x[j] = rnd.nextInt(17);
        }
        return "{\"instances\": " + JSON.writeValueAsString(new double[][] {x}) + "}";
    }

    @Test
    void floodingTheDetectorsUntilTheyDropEventsBypass() throws Exception {
        try (Gateway gw = Gateway.start(config(), upstream.baseUri())) {
            AtomicInteger answered = new AtomicInteger();
            AtomicInteger withheld = new AtomicInteger();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(THIEVES);
            try {
                List<Future<?>> thieves = new ArrayList<>();
                for (int k = 0; k < THIEVES; k++) {
                    int key = k;
                    thieves.add(pool.submit(() -> {
                        SplittableRandom rnd = new SplittableRandom(key);
                        // flood until the queue has overflowed a few times (or 30 s: then the test fails below)
                        while (withheld.get() < 20 && System.nanoTime() < until) {
                            HttpResponse<String> r =
                                    gw.post("/v1/models/digits:predict", "thief-secret-" + key, row(rnd));
                            if (r.statusCode() == 200) {
                                answered.incrementAndGet();
                            } else {
                                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                                assertThat(r.body()).contains("detection-overloaded");
                                assertThat(r.headers().firstValue("Retry-After"))
                                        .hasValue("1");
                                withheld.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : thieves) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(gw.server.defences().engine().awaitIdle(Duration.ofSeconds(20)))
                    .isTrue();

            long dropped = gw.server.defences().engine().dropped();
            assertThat(dropped).as("the flood overflowed the queue").isPositive();
            // every dropped event was a withheld answer, and every answer that left was scored
            assertThat(withheld.get()).isEqualTo((int) dropped);
            long scored = 0;
            for (int k = 0; k < THIEVES; k++) {
                HttpResponse<String> r = gw.adminCall("GET", "/admin/keys/thief-" + k, Gateway.ADMIN_TOKEN);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                scored += JSON.readTree(r.body()).get("queries").asLong();
            }
            assertThat(scored).as("rows the detectors saw").isEqualTo(answered.get());
            assertThat(gw.metrics())
                    .contains(
                            "moat_requests_total{outcome=\"overloaded\",route=\"/v1/models/digits\"} " + dropped + ".0")
                    .contains("moat_actions_total{action=\"fail_closed\"} " + dropped + ".0");
        }
    }

    @Test
    void aRouteThatFailsOpenPassesAnAnswerTheDetectorsCouldNotTakeAndCountsIt() throws Exception {
        SplittableRandom rnd = new SplittableRandom(7);
        for (boolean failOpen : new boolean[] {false, true}) {
            try (Gateway gw = Gateway.start(config(failOpen), upstream.baseUri())) {
                assertThat(gw.post("/v1/models/digits:predict", "thief-secret-0", row(rnd))
                                .statusCode())
                        .isEqualTo(200);
                // a closed engine takes no event: the same refusal as a full queue, without the race
                gw.server.defences().engine().close();

                HttpResponse<String> r = gw.post("/v1/models/digits:predict", "thief-secret-0", row(rnd));
                if (failOpen) {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    assertThat(r.body()).contains("predictions");
                    assertThat(gw.metrics())
                            .contains("moat_actions_total{action=\"fail_open\"} 1.0")
                            .contains("moat_actions_total{action=\"fail_closed\"} 0.0");
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                    assertThat(r.body()).contains("detection-overloaded").doesNotContain("predictions");
                    assertThat(gw.metrics())
                            .contains("moat_actions_total{action=\"fail_open\"} 0.0")
                            .contains("moat_actions_total{action=\"fail_closed\"} 1.0");
                }
            }
        }
    }
}
