package dev.moat.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The unblock marks ({@code moat:unblocked}, and each instance's copy of them) are kept for their
 * horizon, 45 days (the time a risk measured before the unblock takes to decay to exactly nothing,
 * past the reset marks' 30), and no longer, on a real redis-server and gateways whose clocks the
 * tests move. Before, both only grew: one entry for every key ever unblocked, kept forever.
 */
class UnblockMarksIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @RegisterExtension
    static final RedisServerExtension redis = new RedisServerExtension();

    static final long DAY = TimeUnit.DAYS.toMillis(1);
    static final String PREDICT = "/v1/models/digits:predict";

    final List<Gateway> gateways = new ArrayList<>();

    @AfterEach
    void stop() {
        gateways.forEach(Gateway::close);
    }

    /** A gateway on Redis whose policy has {@code policy} (YAML lines of the policy, or nothing). */
    Gateway start(String policy) throws Exception {
        Gateway g = Gateway.start(RedisMarks.onRedis(redis.url(), policy), upstream.baseUri());
        gateways.add(g);
        return g;
    }

    static int status(Gateway g, String key, int rows) throws Exception {
        String row = Arrays.toString(Digits.get().all().x()[0]);
        String body = "{\"instances\": [" + String.join(", ", java.util.Collections.nCopies(rows, row)) + "]}";
        return g.post(PREDICT, key, body).statusCode();
    }

    /** The unblock time of {@code id} in Redis: {@code ":<millis>"}, or {@code "$-1"} when there is none. */
    static String mark(String id) throws Exception {
        return RedisMarks.mark(redis, "moat:unblocked", id);
    }

    static boolean redisSays(String command, String answer) {
        return RedisMarks.says(redis, command, answer);
    }

    static void unblock(Gateway g, String id) throws Exception {
        g.server
                .stateStore()
                .unblock(id, g.server.clock().millis())
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
    }

    @Test
    void aReadOfTheSharedViewPrunesUnblockMarksPastTheHorizonAndKeepsTheOthers() throws Exception {
        long now = System.currentTimeMillis();
        redis.command("HSET moat:unblocked old " + (now - 46 * DAY));
        redis.command("HSET moat:unblocked past-the-reset-horizon " + (now - 31 * DAY));
        redis.command("HSET moat:unblocked recent " + (now - DAY));
        redis.command("HSET moat:unblocked ahead " + (now + 3_600_000));
        redis.command("HSET moat:unblocked by-hand not-a-time");
        Gateway g = start("");
        SharedStateIT.await("the shared view is read", 5000, () -> {
            try {
                return status(g, Gateway.BOB, 1) == 200;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(mark("old")).as("46 days old: pruned").isEqualTo("$-1");
        assertThat(mark("past-the-reset-horizon"))
                .as("31 days old: kept (a risk measured before it may not have decayed to nothing)")
                .isEqualTo(":" + (now - 31 * DAY));
        assertThat(mark("recent")).isEqualTo(":" + (now - DAY));
        assertThat(mark("ahead")).isEqualTo(":" + (now + 3_600_000));
        assertThat(redis.command("HGET moat:unblocked by-hand"))
                .as("not a number: left for whoever wrote it")
                .isEqualTo("$10");
        StateStore store = g.server.stateStore();
        assertThat(store.unblockedAt("old")).as("not applied here either").isZero();
        assertThat(store.unblockedAt("past-the-reset-horizon")).isEqualTo(now - 31 * DAY);
        assertThat(store.unblockedAt("recent")).isEqualTo(now - DAY);
    }

    @Test
    void eachUnblockPrunesTheMarksPastTheHorizonInRedisAndOnTheInstance() throws Exception {
        Gateway a = start("");
        RedisMarks.assertEachChangePrunes(redis, a, "moat:unblocked", Duration.ofDays(45), id -> unblock(a, id));
        assertThat(a.server.stateStore().unblockedAt("carol"))
                .as("pruned here too")
                .isZero();
        assertThat(a.server.stateStore().unblockedAt("dave")).isPositive();
    }

    /**
     * What the marks are for still holds with the horizon: the ladder (here blocking at any risk above
     * 0, the config under which a risk lives longest) spares a key unblocked 44 days ago whose risk was
     * measured before the unblock and has not quite decayed to nothing; a key whose mark was pruned (its
     * old risk is then exactly 0) is served, and blocked again on fresh evidence.
     */
    @Test
    void theLadderSparesAKeyUnblockedWithinTheHorizonAndBlocksOneWhoseMarkWasPrunedOnFreshEvidence() throws Exception {
        Gateway a = start("""
                    detectors: {volume: {daily_budget: 1, max_score: 1}}
                    escalation:
                      - {at: 0, block: 1h}
                """);
        // alice, three times her volume budget, is blocked by the ladder, then unblocked
        assertThat(status(a, Gateway.ALICE, 3)).isEqualTo(200);
        a.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
        assertThat(status(a, Gateway.ALICE, 1)).isEqualTo(403);
        a.server.defences().unblock("alice");
        SharedStateIT.await(
                "alice's unblock is in Redis", 5000, () -> !redisSays("HEXISTS moat:unblocked alice", ":0"));
        assertThat(status(a, Gateway.ALICE, 1))
                .as("her risk was measured before the unblock")
                .isEqualTo(200);
        // a day later bob is blocked on a risk shared for him, and unblocked a minute after; its writer
        // gives it 45 days to live, so it is still here at the end (the gateway's own risks live 8 h:
        // SharedRisksIT), a risk measured before his unblock that only his mark keeps from blocking him
        a.advance(Duration.ofDays(1));
        a.server
                .stateStore()
                .putRisk("bob", new StateStore.Risk(0.9, a.server.clock().millis()), 45 * DAY)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(status(a, Gateway.BOB, 1)).isEqualTo(403);
        a.advance(Duration.ofMinutes(1));
        a.server.defences().unblock("bob");
        SharedStateIT.await("bob's unblock is in Redis", 5000, () -> !redisSays("HEXISTS moat:unblocked bob", ":0"));
        // alice's unblock passes the horizon (45 days); bob's is 44 days old
        a.advance(Duration.ofDays(44).plusMinutes(1));
        unblock(a, "erin");
        assertThat(mark("alice")).as("alice's mark pruned in Redis").isEqualTo("$-1");
        assertThat(a.server.stateStore().unblockedAt("alice")).as("and here").isZero();
        assertThat(mark("bob")).startsWith(":1");
        assertThat(status(a, Gateway.BOB, 1))
                .as("bob's risk, measured before his unblock, is not quite 0 yet: his mark still spares him")
                .isEqualTo(200);
        assertThat(status(a, Gateway.ALICE, 3))
                .as("alice's old risk has decayed to exactly 0: nothing to block on without her mark")
                .isEqualTo(200);
        a.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
        assertThat(status(a, Gateway.ALICE, 1))
                .as("blocked on her fresh evidence")
                .isEqualTo(403);
        assertThat(status(a, Gateway.ALICE, 1)).as("and stays blocked").isEqualTo(403);
    }
}
