package dev.moat.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.Level;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import dev.moat.gateway.state.StateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reset marks ({@code moat:forgotten}, and each instance's copy of them) are kept for the
 * horizon, 30 days, and no longer, on a real redis-server and gateways whose clocks the tests move.
 * Before, both only grew: one entry for every key ever reset, kept forever.
 */
class ResetMarksIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @RegisterExtension
    static final RedisServerExtension redis = new RedisServerExtension();

    static final long DAY = TimeUnit.DAYS.toMillis(1);
    static final Duration PAST_THE_HORIZON = Duration.ofDays(30).plusMinutes(1);

    final List<Gateway> gateways = new ArrayList<>();

    @AfterEach
    void stop() {
        gateways.forEach(Gateway::close);
    }

    Gateway start(String redisUrl) throws Exception {
        return start(redisUrl, "");
    }

    /** A gateway on {@code redisUrl} whose policy has {@code detectors} (a YAML line, or nothing). */
    Gateway start(String redisUrl, String detectors) throws Exception {
        Gateway g = Gateway.start(
                RedisMarks.onRedis(redisUrl, detectors.isEmpty() ? "" : "    " + detectors), upstream.baseUri());
        gateways.add(g);
        return g;
    }

    static final String PREDICT = "/v1/models/digits:predict";

    static int status(Gateway g, String key) throws Exception {
        String row = "{\"instances\": [" + Arrays.toString(Digits.get().all().x()[0]) + "]}";
        return g.post(PREDICT, key, row).statusCode();
    }

    /** The reset time of {@code id} in Redis: {@code ":<millis>"}, or {@code "$-1"} when there is none. */
    static String mark(String id) throws Exception {
        return RedisMarks.mark(redis, "moat:forgotten", id);
    }

    static boolean redisSays(String command, String answer) {
        return RedisMarks.says(redis, command, answer);
    }

    @Test
    void aReadOfTheSharedViewPrunesTheMarksPastTheHorizonAndKeepsTheOthers() throws Exception {
        long now = System.currentTimeMillis();
        redis.command("HSET moat:forgotten old " + (now - 31 * DAY));
        redis.command("HSET moat:forgotten recent " + (now - 29 * DAY));
        redis.command("HSET moat:forgotten ahead " + (now + 3_600_000));
        redis.command("HSET moat:forgotten by-hand not-a-time");
        Gateway g = start(redis.url());
        SharedStateIT.await("the shared view is read", 5000, () -> {
            try {
                return status(g, Gateway.BOB) == 200;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(mark("old")).as("31 days old: pruned").isEqualTo("$-1");
        assertThat(mark("recent")).as("29 days old: kept").isEqualTo(":" + (now - 29 * DAY));
        assertThat(mark("ahead")).isEqualTo(":" + (now + 3_600_000));
        assertThat(redis.command("HGET moat:forgotten by-hand"))
                .as("not a number: left for whoever wrote it")
                .isEqualTo("$10");
    }

    @Test
    void eachResetPrunesTheMarksPastTheHorizonInRedisAndOnTheInstance() throws Exception {
        Gateway a = start(redis.url());
        StateStore store = a.server.stateStore();
        RedisMarks.assertEachChangePrunes(
                redis,
                a,
                "moat:forgotten",
                Duration.ofDays(30),
                id -> store.forget(id).toCompletableFuture().get(5, TimeUnit.SECONDS));
    }

    /**
     * A mark past this instance's horizon that it finds in Redis when it reads the view again (written
     * back by an instance whose clock runs behind, or left by one that never pruned) is history, not a
     * reset made while it was away: pruned, and the key's evidence here is kept.
     */
    @Test
    void aMarkPastTheHorizonFoundOnARereadIsPrunedNotApplied() throws Exception {
        try (FlowDroppingProxy proxy = new FlowDroppingProxy(redis.port())) {
            Gateway a =
                    start("redis://127.0.0.1:" + proxy.port(), "detectors: {volume: {daily_budget: 1, max_score: 1}}");
            a.advance(PAST_THE_HORIZON.plusDays(1));
            double[] x = Digits.get().all().x()[0];
            String threeRows = "{\"instances\": [" + Arrays.toString(x) + ", " + Arrays.toString(x) + ", "
                    + Arrays.toString(x) + "]}";
            assertThat(a.post(PREDICT, Gateway.ALICE, threeRows).statusCode()).isEqualTo(200);
            a.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            assertThat(a.server.defences().engine().verdict("alice").level())
                    .as("alice, three times her volume budget")
                    .isNotEqualTo(Level.OK);
            a.server
                    .stateStore()
                    .putRisk("bob", new StateStore.Risk(0.3, a.server.clock().millis()), 3_600_000)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            proxy.cutOff();
            // a reset one day old by the others' clocks: 32 days old by this gateway's
            redis.command("HSET moat:forgotten alice " + (System.currentTimeMillis() - DAY));
            redis.command("DEL moat:risk:bob");
            proxy.heal();
            // written back after the marks were read: the read is over once it is there
            SharedStateIT.await(
                    "the gateway reads the view again", 10_000, () -> redisSays("EXISTS moat:risk:bob", ":1"));
            a.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            assertThat(a.server.defences().engine().verdict("alice").level())
                    .as("alice's evidence kept")
                    .isNotEqualTo(Level.OK);
            assertThat(mark("alice")).as("pruned").isEqualTo("$-1");
        }
    }
}
