package dev.moat.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import dev.moat.gateway.state.StateStore;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several gateways on one real redis-server: shared buckets (exactly a tier's limit between them),
 * blocks and unblocks seen everywhere within 1 s, state that outlives a restart.
 */
class SharedStateIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @RegisterExtension
    static final RedisServerExtension redis = new RedisServerExtension();

    static final String PREDICT = "/v1/models/digits:predict";

    final List<Gateway> gateways = new ArrayList<>();

    @AfterEach
    void stop() {
        gateways.forEach(Gateway::close);
    }

    static String yaml(String limits, boolean failOpen, int instances) {
        return yaml(limits, failOpen, instances, "50ms");
    }

    static String yaml(String limits, boolean failOpen, int instances, String timeout) {
        return Gateway.common(limits) + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /echo, upstream: model}
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                distributed: {redis: "%s", fail_open: %s, instances: %d, timeout: %s}
                """.formatted(redis.url(), failOpen, instances, timeout);
    }

    Gateway start(String yaml) throws Exception {
        Gateway g = Gateway.start(yaml, upstream.baseUri());
        gateways.add(g);
        return g;
    }

    static String oneRow() {
        return "{\"instances\": [" + Arrays.toString(Digits.get().all().x()[0]) + "]}";
    }

    static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what);
            }
            Thread.sleep(5);
        }
    }

    static int status(Gateway g, String key) {
        try {
            return g.post(PREDICT, key, oneRow()).statusCode();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0} gateways")
    @ValueSource(ints = {2, 3})
    void severalGatewaysAdmitExactlyTheTiersLimitBetweenThem(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            // a generous timeout: this test is about exactness while Redis answers (a burst of 90
            // on a cold JVM and a busy machine can exceed 50 ms; timeouts are tested below)
            start(yaml("\"30/1h\"", true, n, "2s"));
        }
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger limited = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            Gateway g = gateways.get(i % n);
            var req = java.net.http.HttpRequest.newBuilder(g.uri("/echo"))
                    .header("Authorization", "Bearer " + Gateway.ALICE)
                    .build();
            all.add(g.http.sendAsync(req, HttpResponse.BodyHandlers.discarding())
                    .thenAccept(r ->
                            (r.statusCode() == 200 ? ok : r.statusCode() == 429 ? limited : other).incrementAndGet()));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(other.get()).as("neither 503 nor errors").isZero();
        assertThat(ok.get()).as("admitted across %d gateways", n).isEqualTo(30);
        assertThat(limited.get()).isEqualTo(60);
        for (Gateway g : gateways) {
            assertThat(g.metrics()).contains("moat_redis_up 1.0").contains("moat_redis_decisions_without_total 0.0");
        }
    }

    /**
     * One limit spelled two ways in two gateways' configs ({@code 4/1h} and {@code 4/3600s}, as a
     * rolling config change or two teams' files may write it) is one bucket in Redis. The bucket's
     * key hashed the limits as written (their text is part of the record): the two spellings were
     * two buckets, and the key had the limit on each gateway, twice the tier between them.
     */
    @Test
    void oneLimitSpelledTwoWaysIsOneSharedBucketBypass() throws Exception {
        Gateway a = start(yaml("\"4/1h\"", false, 2, "2s"));
        Gateway b = start(yaml("\"4/3600s\"", false, 2, "2s"));
        for (int i = 0; i < 4; i++) {
            assertThat(status(i % 2 == 0 ? a : b, Gateway.ALICE))
                    .as("request %d", i)
                    .isEqualTo(200);
        }
        assertThat(status(b, Gateway.ALICE)).as("the fifth, on 4/3600s").isEqualTo(429);
        assertThat(status(a, Gateway.ALICE)).as("the sixth, on 4/1h").isEqualTo(429);
        assertThat(redis.command("KEYS moat:bucket:alice:*"))
                .as("one bucket in Redis (a one-element reply)")
                .isEqualTo("*1");
    }

    /**
     * A batch the shared bucket cannot pay for costs nothing there either (the request's own token,
     * taken at admission, is given back before the 429), and its {@code RateLimit} header says what
     * the bucket holds. Before, the shared path kept that token: each refused batch cost one.
     */
    @Test
    void aRefusedBatchCostsNothingInTheSharedBucket() throws Exception {
        Gateway a = start(yaml("\"5/1h\"", false, 2, "2s"));
        Gateway b = start(yaml("\"5/1h\"", false, 2, "2s"));
        assertThat(status(a, Gateway.ALICE)).isEqualTo(200);
        assertThat(status(a, Gateway.ALICE)).isEqualTo(200);
        double[] row = Digits.get().all().x()[0];
        String fourRows =
                "{\"instances\": [" + String.join(", ", java.util.Collections.nCopies(4, Arrays.toString(row))) + "]}";
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = b.post(PREDICT, Gateway.ALICE, fourRows);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            assertThat(r.headers().firstValue("RateLimit").orElseThrow())
                    .as("refused batch %d", i)
                    .contains("r=3;");
            assertThat(r.body())
                    .as("the tier's one wording, from the shared bucket too")
                    .contains("rate limit of tier 'free' exceeded: a batch of 4 rows costs 4 tokens");
        }
        for (int i = 0; i < 3; i++) {
            assertThat(status(i % 2 == 0 ? a : b, Gateway.ALICE))
                    .as("single row %d: the three refused batches cost nothing", i)
                    .isEqualTo(200);
        }
        HttpResponse<String> last = a.post(PREDICT, Gateway.ALICE, oneRow());
        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(last.body()).contains("\"detail\":\"rate limit of tier 'free' exceeded\"");
    }

    @Test
    void aBlockOnOneGatewayIsA403OnTheOtherWithinOneSecondAndSoIsTheUnblock() throws Exception {
        Gateway a = start(yaml("\"1000/1m\"", true, 2));
        Gateway b = start(yaml("\"1000/1m\"", true, 2));
        assertThat(status(b, Gateway.ALICE)).isEqualTo(200);
        long now = System.currentTimeMillis();
        a.server
                .stateStore()
                .putBlock(new StateStore.Block("alice", now + 3_600_000, "test", "admin"))
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        await("the block reaches the other gateway", 1000, () -> status(b, Gateway.ALICE) == 403);
        assertThat(status(b, Gateway.BOB)).as("only alice").isEqualTo(200);
        HttpResponse<String> unblock = b.adminCall("POST", "/admin/keys/alice/unblock", Gateway.ADMIN_TOKEN);
        assertThat(unblock.statusCode()).isEqualTo(200);
        await("the unblock reaches the first gateway", 1000, () -> status(a, Gateway.ALICE) == 200);
    }

    static String escalating() {
        return escalating("1/1h");
    }

    /** As {@link #escalating()}, throttling keys at risk 0.8 to {@code throttle}. */
    static String escalating(String throttle) {
        return Gateway.common("\"1000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                    escalation:
                      - {at: 0.8, throttle: "%s"}
                      - {at: 0.95, block: 1h}
                distributed: {redis: "%s", timeout: 1s}
                """.formatted(throttle, redis.url());
    }

    /** A Sybil attack spread over instances is still one tenant: its pooled risk reaches every instance. */
    @Test
    void aTenantsRiskSharedByOneGatewayBlocksItsKeysOnTheOther() throws Exception {
        Gateway a = start(escalating());
        Gateway b = start(escalating());
        assertThat(status(b, Gateway.ALICE)).isEqualTo(200);
        a.server
                .stateStore()
                .putRisk("tenant:acme", new StateStore.Risk(0.97, System.currentTimeMillis()), 3_600_000)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        await("alice (tenant acme) blocked on the other gateway", 1000, () -> status(b, Gateway.ALICE) == 403);
        assertThat(status(b, Gateway.BOB)).as("bob has no tenant").isEqualTo(200);
        // b's ladder publishes its block after answering 403; a learns it over pub/sub, a moment later
        await(
                "the ladder's block reaches the first gateway",
                2000,
                () -> a.server.stateStore().block("alice", System.currentTimeMillis()) != null);
        assertThat(a.server.stateStore().block("alice", System.currentTimeMillis()))
                .as("the ladder's block is shared back")
                .isNotNull()
                .extracting(StateStore.Block::source)
                .isEqualTo("ladder");
    }

    /** Two escalating gateways, bob's risk (0.85: the throttle step) shared by the first and known to the second. */
    Gateway[] twoWithBobsRiskShared() throws Exception {
        return twoWithBobsRiskShared(escalating());
    }

    /** As {@link #twoWithBobsRiskShared()}, both gateways on {@code yaml}. */
    Gateway[] twoWithBobsRiskShared(String yaml) throws Exception {
        Gateway a = start(yaml);
        Gateway b = start(yaml);
        a.server
                .stateStore()
                .putRisk("bob", new StateStore.Risk(0.85, System.currentTimeMillis()), 3_600_000)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        await(
                "bob's risk reaches the other gateway",
                1000,
                () -> b.server.stateStore().risk("bob") != null);
        return new Gateway[] {a, b};
    }

    @Test
    void aKeysSharedRiskThrottlesItThroughTheSharedThrottleBucket() throws Exception {
        Gateway[] ab = twoWithBobsRiskShared();
        Gateway a = ab[0];
        Gateway b = ab[1];
        assertThat(status(a, Gateway.BOB)).as("the throttle's one token").isEqualTo(200);
        HttpResponse<String> second = b.post(PREDICT, Gateway.BOB, oneRow());
        assertThat(second.statusCode())
                .as("throttled on the other gateway too: one bucket")
                .isEqualTo(429);
        assertThat(second.body()).contains("throttled");
        assertThat(status(b, Gateway.ALICE)).isEqualTo(200);
    }

    /**
     * A throttled key's batch costs the shared throttle one token per row, as it costs the shared tier
     * bucket: the throttle took one token a request, so a thief throttled to 20/1m sent 10-row
     * batches and got 200 rows a minute (an operator's trial, 2026-12-02). Here, throttled to 25 rows
     * in Redis and alternating between two gateways: two batches of 10 pass, the rest are refused (429
     * abnormal-usage-detected) and cost nothing, so the five rows left pass one by one.
     */
    @Test
    void aThrottledKeysBatchesGetNoMoreRowsThanTheSharedThrottleBypass() throws Exception {
        Gateway[] ab = twoWithBobsRiskShared(escalating("25/1h"));
        int rows = 0;
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = ab[i % 2].post(PREDICT, Gateway.BOB, rows(10));
            if (r.statusCode() == 200) {
                rows += 10;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(r.body())
                        .contains("abnormal-usage-detected")
                        .contains("this key is throttled for abnormal usage: a batch of 10 rows costs 10 tokens");
            }
        }
        assertThat(rows)
                .as("rows answered to the throttled key in 10-row batches, on both gateways")
                .isEqualTo(20);
        HttpResponse<String> tooBig = ab[0].post(PREDICT, Gateway.BOB, rows(26));
        assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(429);
        assertThat(tooBig.headers().firstValue("retry-after"))
                .as("a batch larger than the throttle can never pass")
                .isEmpty();
        for (int i = 0; i < 5; i++) {
            assertThat(status(ab[i % 2], Gateway.BOB))
                    .as("row %d: the refused batches cost the shared throttle nothing", i)
                    .isEqualTo(200);
        }
        assertThat(status(ab[1], Gateway.BOB)).isEqualTo(429);
        assertThat(ab[0].post(PREDICT, Gateway.ALICE, rows(10)).statusCode())
                .as("an unthrottled key's batch")
                .isEqualTo(200);
        for (Gateway g : ab) {
            assertThat(g.metrics()).contains("moat_redis_decisions_without_total 0.0");
        }
    }

    /** A TF Serving body of {@code n} rows. */
    static String rows(int n) {
        StringBuilder sb = new StringBuilder("{\"instances\": [");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",")
                    .append(Arrays.toString(Digits.get().all().x()[i]));
        }
        return sb.append("]}").toString();
    }

    /**
     * The admin report on an instance that holds none of a key's evidence shows the risk another
     * instance shared, and the action its ladder takes at it: before, it showed this instance's
     * verdict alone (risk 0, every action "none") while the key was throttled here.
     */
    @Test
    void theKeyReportShowsTheSharedRiskAndTheActionTakenAtItBypass() throws Exception {
        Gateway b = twoWithBobsRiskShared()[1];
        String report =
                b.adminCall("GET", "/admin/keys/bob", Gateway.ADMIN_TOKEN).body();
        assertThat(report)
                .contains("\"risk\":0.0")
                .containsPattern("\"shared_risk\":0\\.8[45]")
                .contains("\"actions\":{\"p\":\"throttle\"}");
        assertThat(b.adminCall("GET", "/admin/keys/alice", Gateway.ADMIN_TOKEN).body())
                .contains("\"shared_risk\":null")
                .contains("\"actions\":{\"p\":\"none\"}");
    }

    /**
     * A key whose risk climbs from a loose throttle step to a tight one meets the tight one, in
     * Redis as locally. The shared throttle bucket was one per key ({@code moat:throttle:ID}), made
     * with the first throttle it met and kept while the key used it: a key escalated from 20/1h to
     * 1/1h went on at 20/1h on every gateway (the local buckets start a fresh bucket when the
     * throttle changes).
     */
    @Test
    void aTighterThrottleStepHoldsInTheSharedThrottleBucketBypass() throws Exception {
        String yaml = Gateway.common("\"1000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                    escalation:
                      - {at: 0.5, throttle: "20/1h"}
                      - {at: 0.8, throttle: "1/1h"}
                distributed: {redis: "%s", timeout: 1s}
                """.formatted(redis.url());
        Gateway a = start(yaml);
        Gateway b = start(yaml);
        long t0 = System.currentTimeMillis();
        a.server
                .stateStore()
                .putRisk("bob", new StateStore.Risk(0.6, t0), 3_600_000)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        await(
                "bob's first risk reaches the other gateway",
                1000,
                () -> b.server.stateStore().risk("bob") != null);
        assertThat(status(a, Gateway.BOB)).as("within the 20/1h throttle").isEqualTo(200);
        a.server
                .stateStore()
                .putRisk("bob", new StateStore.Risk(0.9, t0 + 1), 3_600_000)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        await(
                "bob's higher risk reaches the other gateway",
                1000,
                () -> b.server.stateStore().risk("bob").risk() > 0.8);
        int ok = 0;
        for (int i = 0; i < 6; i++) {
            ok += status(i % 2 == 0 ? a : b, Gateway.BOB) == 200 ? 1 : 0;
        }
        assertThat(ok)
                .as("requests admitted under the 1/1h throttle, on both gateways")
                .isLessThanOrEqualTo(1);
        // an operator's unblock still forgets the key's throttles everywhere: the 1/1h one starts afresh
        assertThat(b.adminCall("POST", "/admin/keys/bob/unblock", Gateway.ADMIN_TOKEN)
                        .statusCode())
                .isEqualTo(200);
        await("the unblock empties the shared throttle buckets", 2000, () -> status(a, Gateway.BOB) == 200);
    }

    /**
     * A gateway that starts while Redis does not answer has read no block yet: it answers 503 until
     * it has read the shared view, failing open or not, and then blocks what Redis holds. Before,
     * failing open, it served every blocked key (and a revoked YAML key) from its local buckets until
     * Redis answered: a restart during an outage unblocked a thief.
     */
    @Test
    void aGatewayStartedWhileRedisIsDownServesNoBlockedKeyBypass() throws Exception {
        Gateway a = start(yaml("\"1000/1m\"", true, 2));
        a.server
                .stateStore()
                .putBlock(new StateStore.Block("alice", System.currentTimeMillis() + 3_600_000, "test", "admin"))
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        a.close();
        gateways.remove(a);
        redis.shutdownSaving(); // down, its data kept: it holds alice's block when it is back
        Gateway b = start(yaml("\"1000/1m\"", true, 2));
        assertThat(status(b, Gateway.ALICE))
                .as("the blocked key, before the blocks are read")
                .isEqualTo(503);
        assertThat(status(b, Gateway.BOB)).isEqualTo(503);
        HttpResponse<String> ready = b.adminCall("GET", "/readyz", null);
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
        assertThat(ready.body()).contains("not read yet");
        redis.start();
        // the block applies as soon as it is read; decisions resume once the whole view is (a moment later,
        // 503 until then): awaited together, as the order of the two within that moment is not fixed
        await(
                "the blocks are read once Redis answers, and decisions resume",
                5000,
                () -> status(b, Gateway.ALICE) == 403 && status(b, Gateway.BOB) == 200);
        assertThat(b.adminCall("GET", "/readyz", null).statusCode()).isEqualTo(200);
    }

    /**
     * A gateway started while Redis is down answers a runtime key (made through the admin API, kept
     * in Redis) as it answers every key until it has read the shared view: 503 with {@code
     * Retry-After: 1}, which a load balancer retries elsewhere. Before, it authenticated first and
     * answered 401 "Missing or unknown API key", which nginx does not retry. Once the view is read, the
     * key is served and an unknown one gets its 401 again.
     */
    @Test
    void aRuntimeKeyOnAGatewayStartedWhileRedisIsDownIs503Not401Bypass() throws Exception {
        Gateway a = start(yaml("\"1000/1m\"", true, 2));
        HttpResponse<String> created =
                a.adminCall("POST", "/admin/keys", Gateway.ADMIN_TOKEN, "{\"id\": \"runtime\", \"tier\": \"free\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"secret\"\\s*:\\s*\"([^\"]+)\"")
                .matcher(created.body());
        assertThat(m.find()).as(created.body()).isTrue();
        String secret = m.group(1);
        assertThat(status(a, secret)).isEqualTo(200);
        a.close();
        gateways.remove(a);
        redis.shutdownSaving(); // down, its data kept: it holds the runtime key when it is back
        Gateway b = start(yaml("\"1000/1m\"", true, 2));
        HttpResponse<String> early = b.post(PREDICT, secret, oneRow());
        assertThat(early.statusCode())
                .as("the runtime key before the shared view is read: %s", early.body())
                .isEqualTo(503);
        assertThat(early.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(status(b, "no-such-secret-0123456789"))
                .as("a key unknown here may be one Redis holds")
                .isEqualTo(503);
        assertThat(b.post(PREDICT, null, oneRow()).statusCode())
                .as("no key at all is no key whatever Redis holds")
                .isEqualTo(401);
        redis.start();
        await("the runtime key is served once the shared view is read", 5000, () -> status(b, secret) == 200);
        assertThat(status(b, "no-such-secret-0123456789")).isEqualTo(401);
        assertThat(b.metrics()).containsPattern("outcome=\"shared_state_unavailable\"[^}]*} [1-9]");
    }

    /**
     * A start logs once that it read the shared view, and a start with Redis down says so plainly.
     * Every start logged "shared state read from Redis: ..." twice (the read Redis' first answer
     * queued, then the start's own), and a start with Redis down logged "shared state not read from
     * Redis: java.lang.IllegalStateException: not connected to Redis".
     */
    @Test
    void aStartLogsItsReadOfTheSharedViewOnceAndAnUnreadOnePlainly() throws Exception {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger(dev.moat.gateway.state.RedisStateStore.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try {
            start(yaml("\"1000/1m\"", true, 2));
            assertThat(sharedStateLines(lines))
                    .as("a start with Redis up")
                    .singleElement()
                    .asString()
                    .startsWith("shared state read from Redis: ");
            lines.list.clear();
            redis.shutdownSaving();
            Gateway b = start(yaml("\"1000/1m\"", true, 2));
            assertThat(sharedStateLines(lines))
                    .as("a start with Redis down")
                    .containsExactly("shared state not read from Redis: not connected to Redis");
            redis.start();
            await("the shared view is read once Redis answers", 5000, () -> status(b, Gateway.BOB) == 200);
            assertThat(sharedStateLines(lines)).last().asString().startsWith("shared state read from Redis: ");
        } finally {
            log.detachAppender(lines);
        }
    }

    static List<String> sharedStateLines(
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines) {
        return lines.list.stream()
                .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filter(m -> m.startsWith("shared state"))
                .toList();
    }

    /**
     * A shared risk that Redis lost (a restart without persistence) is written back by the gateways
     * that hold it, as their blocks are: before, it was not, and a gateway started afterwards knew
     * nothing of a throttled key's risk, so the key was not throttled there.
     */
    @Test
    void aSharedRiskRedisLostIsWrittenBackForTheNextGatewayBypass() throws Exception {
        Gateway a = start(escalating());
        a.server
                .stateStore()
                .putRisk("bob", new StateStore.Risk(0.85, System.currentTimeMillis()), 3_600_000)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(redis.command("EXISTS moat:risk:bob")).isEqualTo(":1");
        redis.kill();
        await("the gateway sees Redis down", 2000, () -> !a.server.redisState().equals("up"));
        redis.start();
        await("bob's risk is in Redis again", 5000, () -> {
            try {
                return ":1".equals(redis.command("EXISTS moat:risk:bob"));
            } catch (java.io.IOException e) {
                return false;
            }
        });
        Gateway b = start(escalating());
        assertThat(status(b, Gateway.BOB)).as("the throttle's one token").isEqualTo(200);
        HttpResponse<String> second = b.post(PREDICT, Gateway.BOB, oneRow());
        assertThat(second.statusCode()).as(second.body()).isEqualTo(429);
        assertThat(second.body()).contains("throttled");
    }

    static String blockingAt95() {
        return Gateway.common("\"1000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                    escalation:
                      - {at: 0.95, block: 1h}
                distributed: {redis: "%s", timeout: 1s}
                """.formatted(redis.url());
    }

    /** An inline command answering the time in a hash of marks as an integer reply (":millis"). */
    static String mark(String hash, String id) {
        return "EVAL \"return tonumber(redis.call('HGET', KEYS[1], ARGV[1]))\" 1 " + hash + " " + id;
    }

    static boolean redisSays(String command, String answer) {
        try {
            return answer.equals(redis.command(command));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * An operator's unblock and reset outlive a Redis restart without persistence. The gateway that
     * held them wrote back its blocks, risks, revocations and runtime keys, but not its unblock and
     * reset marks: the shared risk written back (measured before the unblock) then made the next
     * gateway's ladder block the key again with no new evidence ("key alice blocked for PT1H (risk
     * 0.98)"), and that block reached every gateway.
     */
    @Test
    void anUnblockIsNotUndoneWhenRedisRestartsEmptyBypass() throws Exception {
        Gateway a = start(blockingAt95());
        a.server
                .stateStore()
                .putRisk("alice", new StateStore.Risk(0.98, a.server.clock().millis() - 1_000), 3_600_000)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(status(a, Gateway.ALICE)).as("alice at risk 0.98").isEqualTo(403);
        HttpResponse<String> unblock = a.adminCall("POST", "/admin/keys/alice/unblock", Gateway.ADMIN_TOKEN);
        assertThat(unblock.statusCode()).as(unblock.body()).isEqualTo(200);
        assertThat(status(a, Gateway.ALICE))
                .as("unblocked: served until new evidence")
                .isEqualTo(200);
        a.server.stateStore().forget("carol").toCompletableFuture().get(5, TimeUnit.SECONDS);
        String unblockedAt = redis.command(mark("moat:unblocked", "alice"));
        String forgottenAt = redis.command(mark("moat:forgotten", "carol"));
        assertThat(unblockedAt).startsWith(":1");
        assertThat(forgottenAt).startsWith(":1");
        redis.kill(); // comes back empty
        await("the gateway sees Redis down", 2000, () -> !a.server.redisState().equals("up"));
        redis.start();
        // the marks are written back before the risks: once the risk is there, so are they (read below)
        await("alice's risk is in Redis again", 5000, () -> redisSays("EXISTS moat:risk:alice", ":1"));
        Gateway b = start(blockingAt95());
        HttpResponse<String> r = b.post(PREDICT, Gateway.ALICE, oneRow());
        assertThat(r.statusCode())
                .as("alice on a gateway started after the restart: no new evidence since the unblock, %s", r.body())
                .isEqualTo(200);
        assertThat(status(a, Gateway.ALICE)).as("and on the first").isEqualTo(200);
        assertThat(redis.command("EXISTS moat:block:alice")).isEqualTo(":0");
        assertThat(redis.command(mark("moat:unblocked", "alice")))
                .as("the unblock's mark")
                .isEqualTo(unblockedAt);
        assertThat(redis.command(mark("moat:forgotten", "carol")))
                .as("the reset's mark")
                .isEqualTo(forgottenAt);
    }

    /**
     * Redis has one set of pub/sub channels per server, not per database: a deployment on database 1
     * of the same server (a staging) published its changes to the gateways on database 0, which
     * applied them. A staging unblock lifted a production block, and a key made in staging opened
     * production.
     */
    @Test
    void anotherDatabasesChangesDoNotReachThisOneBypass() throws Exception {
        Gateway prod = start(yaml("\"1000/1m\"", true, 2));
        Gateway prod2 = start(yaml("\"1000/1m\"", true, 2));
        Gateway staging = start(yaml("\"1000/1m\"", true, 2).replace(redis.url() + "\"", redis.url() + "/1\""));
        prod.server
                .stateStore()
                .putBlock(new StateStore.Block("alice", System.currentTimeMillis() + 3_600_000, "test", "admin"))
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        await("the block reaches the other production gateway", 1000, () -> status(prod2, Gateway.ALICE) == 403);
        assertThat(staging.adminCall("POST", "/admin/keys/alice/unblock", Gateway.ADMIN_TOKEN)
                        .statusCode())
                .isEqualTo(200);
        HttpResponse<String> made = staging.adminCall(
                "POST", "/admin/keys", Gateway.ADMIN_TOKEN, "{\"id\": \"intruder\", \"tier\": \"free\"}");
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        String secret = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(made.body())
                .get("secret")
                .asText();
        // a change on production's database after them: once it is there, so is whatever Redis
        // delivered before it on the same connection
        prod.server
                .stateStore()
                .putBlock(new StateStore.Block("bob", System.currentTimeMillis() + 3_600_000, "test", "admin"))
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        await("production's own change arrives", 1000, () -> status(prod2, Gateway.BOB) == 403);
        assertThat(status(prod2, Gateway.ALICE)).as("staging's unblock").isEqualTo(403);
        assertThat(prod2.get("/echo", secret).statusCode()).as("staging's key").isEqualTo(401);
    }

    /**
     * A change connection whose flow was dropped on the way (a NAT's or a firewall's idle timeout:
     * both ends open, nothing passes) is found and made again. It only listened, so it stayed open
     * and deaf: while the gateway's other connections answered there was no outage and no re-read,
     * and it never heard another instance's block.
     */
    @Test
    void aDeafChangeConnectionIsFoundAndMadeAgainBypass() throws Exception {
        try (FlowDroppingProxy proxy = new FlowDroppingProxy(redis.port())) {
            Gateway a = start(yaml("\"1000/1m\"", true, 2));
            Gateway b = start(yaml("\"1000/1m\"", true, 2).replace(redis.url(), "redis://127.0.0.1:" + proxy.port()));
            assertThat(status(b, Gateway.ALICE)).isEqualTo(200);
            proxy.dropSubscribedFlows();
            a.server
                    .stateStore()
                    .putBlock(new StateStore.Block("alice", System.currentTimeMillis() + 3_600_000, "test", "admin"))
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            await(
                    "the block reaches the gateway whose change connection went deaf",
                    5000,
                    () -> status(b, Gateway.ALICE) == 403);
        }
    }

    static String detecting() {
        return detecting(redis.url());
    }

    static String detecting(String redisUrl) {
        return Gateway.common("\"1000000/1m\"", Gateway.keyEntries("honest-", "honest-secret-", 4, null))
                + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                    detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                    escalation:
                      - {at: 0.95, block: 1h}
                distributed: {redis: "%s", timeout: 1s}
                """.formatted(redisUrl);
    }

    static int send(Gateway g, String key, double[] x) throws Exception {
        return g.post(PREDICT, key, "{\"instances\": [" + Arrays.toString(x) + "]}")
                .statusCode();
    }

    /**
     * An operator's reset made on one gateway forgets the key's evidence on every gateway: the load
     * balancer sends a key to one instance, and the operator's call lands on any. Before, the reset
     * reached the other instances' views of blocks and risks only: the instance that held the
     * thief's evidence (the honest customer's, when the reset clears a false alarm) blocked the key
     * again on its next request, so a reset made anywhere but there did nothing.
     */
    @Test
    void aResetOnOneGatewayForgetsTheEvidenceHeldByAnotherBypass() throws Exception {
        Gateway a = start(detecting());
        Gateway b = start(detecting());
        dev.moat.fixtures.traffic.HonestClient[] honest = new dev.moat.fixtures.traffic.HonestClient[4];
        for (int k = 0; k < honest.length; k++) {
            honest[k] = new dev.moat.fixtures.traffic.HonestClient(700 + k);
        }
        dev.moat.fixtures.traffic.JbdaAttacker thief = new dev.moat.fixtures.traffic.JbdaAttacker(701);
        int sent = 0;
        boolean blocked = false;
        for (int round = 0; sent < 1_000 && !blocked; round++) {
            for (int k = 0; k < honest.length; k++) {
                assertThat(send(b, "honest-secret-" + k, honest[k].next())).isEqualTo(200);
            }
            for (int i = 0; i < 10 && !blocked; i++) {
                double[] x = thief.next();
                HttpResponse<String> r =
                        b.post(PREDICT, Gateway.ALICE, "{\"instances\": [" + Arrays.toString(x) + "]}");
                sent++;
                blocked = r.statusCode() == 403;
                if (!blocked) {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    thief.observe(x, answer(r.body()));
                }
            }
            b.advance(java.time.Duration.ofSeconds(1));
            if (round % 5 == 4) {
                b.server.defences().engine().awaitIdle(java.time.Duration.ofSeconds(5));
            }
        }
        assertThat(blocked).as("the thief is blocked on b within 1,000 rows").isTrue();
        await(
                "b's block reaches a",
                2000,
                () -> a.server.stateStore().block("alice", System.currentTimeMillis()) != null);
        HttpResponse<String> reset = a.adminCall("POST", "/admin/keys/alice/reset", Gateway.ADMIN_TOKEN);
        assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
        await(
                "b forgets alice's evidence: served, and no longer extracting",
                2000,
                () -> b.server.defences().engine().verdict("alice").level() == dev.moat.detectors.Level.OK
                        && b.server.stateStore().block("alice", System.currentTimeMillis()) == null);
        for (int i = 0; i < 20; i++) {
            assertThat(send(b, Gateway.ALICE, thief.next()))
                    .as("row %d after the reset: evidence starts again from nothing", i)
                    .isEqualTo(200);
        }
        assertThat(b.adminCall("GET", "/admin/keys/alice", Gateway.ADMIN_TOKEN).body())
                .doesNotContain("\"level\":\"extracting\"");
        // a gateway started later (here while Redis is down, so that it reads the shared view once it is
        // running) reads the reset's mark as history: it has nothing of its own to forget, and audits nothing
        redis.shutdownSaving();
        java.nio.file.Path audit =
                java.nio.file.Files.createTempDirectory("moat-reset").resolve("audit.jsonl");
        Gateway c = start(detecting() + "audit: {file: \"%s\"}\n".formatted(audit));
        redis.start();
        await("the third gateway reads the shared view", 5000, () -> status(c, Gateway.BOB) == 200);
        assertThat(java.nio.file.Files.readAllLines(audit)).noneMatch(l -> l.contains("\"reset\""));
    }

    /**
     * A reset made while the gateway that blocked the key was cut off from Redis stays made when that
     * gateway returns. Before, its resync found the block and the risk it held missing from Redis and
     * wrote them back as lost ("Redis lost it"), blocking the key again on every gateway.
     */
    @Test
    void aResetMadeWhileAnotherGatewayWasCutOffIsNotUndoneWhenItReturnsBypass() throws Exception {
        try (FlowDroppingProxy proxy = new FlowDroppingProxy(redis.port())) {
            Gateway a = start(detecting());
            Gateway b = start(detecting("redis://127.0.0.1:" + proxy.port()));
            long now = System.currentTimeMillis();
            b.server
                    .stateStore()
                    .putBlock(new StateStore.Block("alice", now + 3_600_000, "risk 0.97", "ladder"))
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            b.server
                    .stateStore()
                    .putRisk("alice", new StateStore.Risk(0.97, now), 3_600_000)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            await("b's block reaches a", 2000, () -> status(a, Gateway.ALICE) == 403);
            proxy.cutOff();
            HttpResponse<String> reset = a.adminCall("POST", "/admin/keys/alice/reset", Gateway.ADMIN_TOKEN);
            assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
            assertThat(status(a, Gateway.ALICE)).as("reset on a").isEqualTo(200);
            assertThat(b.server.stateStore().block("alice", System.currentTimeMillis()))
                    .as("b, cut off, has not heard of the reset")
                    .isNotNull();
            proxy.heal();
            await(
                    "b learns of the reset when it reaches Redis again",
                    10_000,
                    () -> b.server.stateStore().block("alice", System.currentTimeMillis()) == null
                            && b.server.stateStore().risk("alice") == null);
            assertThat(status(b, Gateway.ALICE)).isEqualTo(200);
            assertThat(redis.command("EXISTS moat:block:alice")).isEqualTo(":0");
            assertThat(redis.command("EXISTS moat:risk:alice")).isEqualTo(":0");
            assertThat(status(a, Gateway.ALICE)).as("nothing written back to a").isEqualTo(200);
        }
    }

    /**
     * A reset that another gateway receives while its detection worker is still busy with events
     * queued before it is not undone by the key's next request there. The store forgot the key's block
     * and risk at once, but the worker had not yet forgotten its verdict: the request met the old
     * verdict, published its risk again and blocked the key again on every gateway.
     */
    @Test
    void aResetIsNotUndoneByARequestBeforeTheDetectionWorkerAppliedIt() throws Exception {
        String yaml = Gateway.common("\"1000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                    detectors: {volume: {daily_budget: 1, max_score: 1}}
                    escalation:
                      - {at: 0.95, block: 1h}
                distributed: {redis: "%s", timeout: 1s}
                """.formatted(redis.url());
        Gateway a = start(yaml);
        Gateway b = start(yaml);
        double[] x = Digits.get().all().x()[0];
        String threeRows =
                "{\"instances\": [" + Arrays.toString(x) + ", " + Arrays.toString(x) + ", " + Arrays.toString(x) + "]}";
        assertThat(b.post(PREDICT, Gateway.ALICE, threeRows).statusCode()).isEqualTo(200);
        b.server.defences().engine().awaitIdle(java.time.Duration.ofSeconds(5));
        assertThat(status(b, Gateway.ALICE))
                .as("alice, three times her volume budget, blocked on b")
                .isEqualTo(403);
        await("b's block reaches a", 2000, () -> status(a, Gateway.ALICE) == 403);
        // b's one detection worker is held inside bob's level change, so the reset it is about to
        // receive waits in its queue behind bob's event
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        b.server.defences().tapAudit((event, keyId, detail) -> {
            if (event.equals("level_change") && keyId.equals("bob") && held.getCount() > 0) {
                held.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            assertThat(b.post(PREDICT, Gateway.BOB, threeRows).statusCode()).isEqualTo(200);
            assertThat(held.await(5, TimeUnit.SECONDS)).as("b's worker is held").isTrue();
            HttpResponse<String> reset = a.adminCall("POST", "/admin/keys/alice/reset", Gateway.ADMIN_TOKEN);
            assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
            await(
                    "the reset reaches b's store",
                    2000,
                    () -> b.server.stateStore().block("alice", System.currentTimeMillis()) == null);
            assertThat(status(b, Gateway.ALICE))
                    .as("alice's request on b while b's worker has not applied the reset yet")
                    .isEqualTo(200);
        } finally {
            release.countDown();
        }
        b.server.defences().engine().awaitIdle(java.time.Duration.ofSeconds(5));
        assertThat(status(b, Gateway.ALICE))
                .as("alice on b once the reset is applied")
                .isEqualTo(200);
        assertThat(status(a, Gateway.ALICE)).as("alice on a").isEqualTo(200);
        assertThat(redis.command("EXISTS moat:block:alice")).isEqualTo(":0");
    }

    /**
     * A reset, unblock or revocation time in Redis that is not a number (written by hand, or by a
     * later version in another form) does not stop every gateway from reading the shared view. It
     * threw out of the whole read, which marked Redis down and read again, failing so forever: a
     * gateway started then answered 503 for good, and every running one decided without Redis.
     */
    @Test
    void aMalformedMarkInRedisDoesNotStopTheSharedViewBeingRead() throws Exception {
        assertThat(redis.command("HSET moat:forgotten alice not-a-time")).isEqualTo(":1");
        assertThat(redis.command("HSET moat:unblocked bob not-a-time")).isEqualTo(":1");
        assertThat(redis.command("HSET moat:revoked carol not-a-time")).isEqualTo(":1");
        Gateway g = start(yaml("\"1000/1m\"", false, 1, "1s"));
        await("the shared view is read", 5000, () -> status(g, Gateway.BOB) == 200);
        assertThat(status(g, Gateway.ALICE)).isEqualTo(200);
        assertThat(g.server.stateStore().revoked("carol"))
                .as("a revocation is kept whatever its time")
                .isTrue();
    }

    /**
     * A gateway takes a few tokens from a warm-up bucket of its own before it serves, and leaves it
     * gone: a fresh process's first calls to Redis (Bucket4j's script loaded, its classes too) took
     * more than the 50 ms timeout, so every fresh gateway counted an outage on its first burst and
     * served it from local shares. Measured on fresh processes (`./moat run`, 7 concurrent first
     * requests, 2026-12-02): 1 outage and 5-7 decisions without Redis each start before, 0 after; in
     * this JVM earlier tests have warmed the classes, so this checks the path, not the cold start.
     */
    @Test
    void aGatewayWarmsTheSharedBucketsBeforeItServesAndLeavesNoWarmUpBucket() throws Exception {
        Gateway g = start(yaml("\"1000/1m\"", true, 2));
        assertThat(redis.command("EXISTS moat:bucket::warm-up")).isEqualTo(":0");
        List<CompletableFuture<Integer>> burst = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String key = i % 2 == 0 ? Gateway.ALICE : Gateway.BOB;
            burst.add(CompletableFuture.supplyAsync(() -> status(g, key)));
        }
        for (CompletableFuture<Integer> f : burst) {
            assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        }
        assertThat(g.metrics()).contains("moat_redis_outages_total 0.0");
    }

    /**
     * A reset's time in {@code moat:forgotten} only ever moves forward: a reset replayed late by a
     * gateway that was cut off (or made on a gateway whose clock is behind) wrote its older time over
     * a newer one, and instances returning later took the newer reset for one they had seen.
     */
    @Test
    void anOlderResetTimeDoesNotHideANewerOneInRedis() throws Exception {
        long later = System.currentTimeMillis() + 3_600_000;
        assertThat(redis.command("HSET moat:forgotten alice " + later)).isEqualTo(":1");
        Gateway a = start(yaml("\"1000/1m\"", true, 1));
        for (String id : new String[] {"alice", "bob"}) {
            HttpResponse<String> reset = a.adminCall("POST", "/admin/keys/" + id + "/reset", Gateway.ADMIN_TOKEN);
            assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
        }
        String bobsMark = "EVAL \"return tonumber(redis.call('HGET', KEYS[1], ARGV[1]))\" 1 moat:forgotten bob";
        await("bob's reset is written", 2000, () -> {
            try {
                return redis.command(bobsMark).startsWith(":1");
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(redis.command(
                        "EVAL \"return tonumber(redis.call('HGET', KEYS[1], ARGV[1]))\" 1 moat:forgotten alice"))
                .as("alice's later reset time kept")
                .isEqualTo(":" + later);
    }

    /**
     * A block, risk or runtime key in Redis that is not JSON this version reads (written by hand, or by
     * another version) threw out of the whole read of the shared view: a gateway started then answered
     * 503 for good. Now the others are read and the gateway serves; an unreadable block still blocks
     * its key (for the entry's time to live), rather than an operator's block being dropped for its form.
     */
    @Test
    void anUnreadableEntryInRedisDoesNotStopTheSharedViewBeingReadAndAnUnreadableBlockStillBlocks() throws Exception {
        assertThat(redis.command("SET moat:block:alice not-json PX 3600000")).isEqualTo("+OK");
        assertThat(redis.command("SET moat:risk:bob not-json PX 3600000")).isEqualTo("+OK");
        assertThat(redis.command("HSET moat:keys dave not-json")).isEqualTo(":1");
        Gateway g = start(yaml("\"1000/1m\"", false, 1, "1s"));
        await("the shared view is read", 5000, () -> status(g, Gateway.BOB) == 200);
        assertThat(status(g, Gateway.ALICE)).as("the unreadable block holds").isEqualTo(403);
        assertThat(g.server
                        .stateStore()
                        .block("alice", System.currentTimeMillis())
                        .reason())
                .isEqualTo("unreadable block in Redis");
    }

    /**
     * An operator's block made on a gateway cut off from Redis after another operator reset the key
     * elsewhere is the newer word, and holds when that gateway returns. The return dropped every
     * block of the key this gateway held or had queued for Redis, this one too: the admin API had
     * answered it (pending), and the key was served again everywhere.
     */
    @Test
    void anOperatorsBlockMadeAfterAResetElsewhereHoldsWhenTheGatewayReturnsBypass() throws Exception {
        try (FlowDroppingProxy proxy = new FlowDroppingProxy(redis.port())) {
            Gateway a = start(detecting());
            Gateway b = start(detecting("redis://127.0.0.1:" + proxy.port()));
            assertThat(status(b, Gateway.ALICE)).isEqualTo(200);
            proxy.cutOff();
            HttpResponse<String> reset = a.adminCall("POST", "/admin/keys/alice/reset", Gateway.ADMIN_TOKEN);
            assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
            b.advance(java.time.Duration.ofSeconds(1)); // the block comes after the reset
            HttpResponse<String> block = b.adminCall(
                    "POST", "/admin/keys/alice/block", Gateway.ADMIN_TOKEN, "{\"for\":\"1h\",\"reason\":\"thief\"}");
            assertThat(block.statusCode()).as(block.body()).isEqualTo(200);
            assertThat(status(b, Gateway.ALICE)).as("blocked on b at once").isEqualTo(403);
            proxy.heal();
            await("b's block reaches Redis and a", 10_000, () -> status(a, Gateway.ALICE) == 403);
            assertThat(status(b, Gateway.ALICE)).as("still blocked on b").isEqualTo(403);
        }
    }

    /** The probabilities of a TF Serving answer's one row (top-3 kept, the rest 0). */
    static double[] answer(String body) throws Exception {
        var preds = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(body)
                .get("predictions")
                .get(0);
        double[] p = new double[preds.size()];
        for (int c = 0; c < p.length; c++) {
            p[c] = preds.get(c).asDouble();
        }
        return p;
    }

    @Test
    void aRestartedGatewayKeepsItsBlocksAndBuckets() throws Exception {
        String yaml = yaml("\"3/1h\"", true, 1, "2s"); // about restarts: no timeout fallback on a busy machine
        Gateway a = start(yaml);
        for (int i = 0; i < 3; i++) {
            assertThat(a.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
        }
        a.server
                .stateStore()
                .putBlock(new StateStore.Block("bob", System.currentTimeMillis() + 3_600_000, "test", "ladder"))
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        a.close();
        gateways.remove(a);
        Gateway again = start(yaml);
        assertThat(status(again, Gateway.BOB))
                .as("the block survived the restart")
                .isEqualTo(403);
        assertThat(again.get("/echo", Gateway.ALICE).statusCode())
                .as("the bucket survived the restart")
                .isEqualTo(429);
    }

    @Test
    void redisKilledMidLoadFailingOpenServesFromLocalSharesKeepsBlocksAndRecovers() throws Exception {
        Gateway a = start(yaml("\"1000/1h\"", true, 2));
        Gateway b = start(yaml("\"1000/1h\"", true, 2));
        Load load = new Load(List.of(a, b), Gateway.BOB);
        load.start();
        await("load runs", 5000, () -> load.done.get() > 20);
        redis.kill();
        await("the gateways see Redis down", 2000, () -> !a.server.redisState().equals("up"));
        int before = load.done.get();
        await("load goes on without Redis", 5000, () -> load.done.get() > before + 50);
        // a block made while Redis is down holds here at once, and reaches Redis once it is back; the
        // admin API says so, a success with a pending note (it answered 500 before session 42)
        HttpResponse<String> blocked = a.adminCall(
                "POST", "/admin/keys/alice/block", Gateway.ADMIN_TOKEN, "{\"for\": \"1h\", \"reason\": \"test\"}");
        assertThat(blocked.statusCode()).as(blocked.body()).isEqualTo(200);
        assertThat(blocked.body()).contains("\"pending\"").contains("Redis is unreachable");
        assertThat(status(a, Gateway.ALICE)).isEqualTo(403);
        HttpResponse<String> created =
                a.adminCall("POST", "/admin/keys", Gateway.ADMIN_TOKEN, "{\"id\": \"outage-key\", \"tier\": \"free\"}");
        assertThat(created.statusCode())
                .as("the secret is shown: " + created.body())
                .isEqualTo(201);
        assertThat(created.body()).contains("\"secret\"").contains("\"pending\"");
        assertThat(a.adminCall("GET", "/readyz", null).body()).contains("redis: down (failing open");
        assertThat(a.metrics()).containsPattern("moat_redis_decisions_without_total [1-9]");
        redis.start();
        await(
                "recovery without a restart",
                5000,
                () -> a.server.redisState().equals("up")
                        && b.server.redisState().equals("up"));
        await("the outage's block reaches the other gateway", 2000, () -> status(b, Gateway.ALICE) == 403);
        load.stopNow();
        assertThat(load.unexpected.get())
                .as("only 200 or 429 while failing open")
                .isZero();
        assertThat(load.maxMillis).as("no request hung").isLessThan(2000);
        System.out.printf("fail open: %d requests, slowest %d ms%n", load.done.get(), load.maxMillis);
    }

    @Test
    void failingOpenEachGatewayAdmitsOnlyItsShareOfTheLimit() throws Exception {
        Gateway a = start(yaml("\"10/1h\"", true, 2));
        redis.kill();
        await("the gateway sees Redis down", 2000, () -> !a.server.redisState().equals("up"));
        int ok = 0;
        for (int i = 0; i < 12; i++) {
            int s = a.get("/echo", Gateway.ALICE).statusCode();
            assertThat(s).isIn(200, 429);
            ok += s == 200 ? 1 : 0;
        }
        assertThat(ok).as("10 / 2 instances").isEqualTo(5);
    }

    @Test
    void redisKilledFailingClosedAnswers503QuicklyThenRecovers() throws Exception {
        Gateway a = start(yaml("\"1000/1h\"", false, 2));
        // the first calls load Bucket4j's script and warm a cold JVM: on a loaded machine one can
        // pass the 50 ms timeout and fail closed, which is this mode's job, so wait for a 200 first
        await("served while Redis is up", 5000, () -> {
            try {
                return a.get("/echo", Gateway.ALICE).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        redis.kill();
        await("503 while Redis is down", 3000, () -> {
            try {
                return a.get("/echo", Gateway.ALICE).statusCode() == 503;
            } catch (Exception e) {
                return false;
            }
        });
        long t0 = System.nanoTime();
        HttpResponse<String> r = a.get("/echo", Gateway.ALICE);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).hasValue("1");
        assertThat(millis).as("no wait on a dead Redis").isLessThan(1000);
        assertThat(a.adminCall("GET", "/readyz", null).statusCode()).isEqualTo(503);
        redis.start();
        await("recovery without a restart", 5000, () -> {
            try {
                return a.get("/echo", Gateway.ALICE).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(a.adminCall("GET", "/readyz", null).body()).contains("redis: up");
    }

    @Test
    void aSlowRedisNeverHoldsARequestMuchLongerThanTheTimeout() throws Exception {
        Gateway a = start(yaml("\"100000/1h\"", true, 1));
        for (int i = 0; i < 20; i++) { // warm the connections and code paths
            a.get("/echo", Gateway.ALICE);
        }
        Thread stall = redis.stall(1.5);
        Thread.sleep(100); // let the stall begin (this only makes the test meaningful, not pass)
        long worst = 0;
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            assertThat(a.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
            worst = Math.max(worst, (System.nanoTime() - t0) / 1_000_000);
        }
        stall.join();
        System.out.printf("slow Redis: slowest request %d ms (timeout 50 ms)%n", worst);
        // 50 ms + 10 ms is the goal, measured by the load harness; on a shared CI machine allow slack
        assertThat(worst).isLessThan(500);
        await("Redis back", 5000, () -> a.server.redisState().equals("up"));
    }

    /** Requests in a loop over some gateways, recording statuses and the slowest answer. */
    static final class Load extends Thread {
        final List<Gateway> targets;
        final String key;
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger unexpected = new AtomicInteger();
        volatile long maxMillis;
        volatile boolean running = true;

        Load(List<Gateway> targets, String key) {
            this.targets = targets;
            this.key = key;
            setDaemon(true);
        }

        @Override
        public void run() {
            int i = 0;
            while (running) {
                Gateway g = targets.get(i++ % targets.size());
                long t0 = System.nanoTime();
                try {
                    int s = g.get("/echo", key).statusCode();
                    if (s != 200 && s != 429) {
                        unexpected.incrementAndGet();
                    }
                } catch (Exception e) {
                    unexpected.incrementAndGet();
                }
                maxMillis = Math.max(maxMillis, (System.nanoTime() - t0) / 1_000_000);
                done.incrementAndGet();
            }
        }

        void stopNow() throws InterruptedException {
            running = false;
            join(5000);
        }
    }
}
