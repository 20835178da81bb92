package dev.moat.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.gateway.Gateway;
import dev.moat.gateway.state.StateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A shared risk lives in an instance's memory as long as in Redis ({@code moat:risk:ID}, which
 * expires at the time to live its writer gave it: 8 half-lives, 8 h, for the gateway's), on a real
 * redis-server and gateways whose clocks the tests move. Before, the instance kept every risk it was
 * ever shared, one entry for each key or tenant, after Redis had expired it.
 */
class SharedRisksIT {

    @RegisterExtension
    static final dev.moat.fixtures.server.ModelServerExtension upstream =
            new dev.moat.fixtures.server.ModelServerExtension();

    @RegisterExtension
    static final RedisServerExtension redis = new RedisServerExtension();

    static final long HOUR = TimeUnit.HOURS.toMillis(1);
    /** The life of the gateway's shared risks: 8 half-lives of 1 h. */
    static final long LIFE = 8 * HOUR;

    final List<Gateway> gateways = new ArrayList<>();

    @AfterEach
    void stop() {
        gateways.forEach(Gateway::close);
    }

    Gateway start() throws Exception {
        Gateway g = Gateway.start(RedisMarks.onRedis(redis.url(), ""), upstream.baseUri());
        gateways.add(g);
        return g;
    }

    static void putRisk(Gateway g, String id, double risk) throws Exception {
        g.server
                .stateStore()
                .putRisk(id, new StateStore.Risk(risk, g.server.clock().millis()), LIFE)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
    }

    /**
     * Redis restarted empty gets back from the instance the risk it holds that is still live, for the
     * rest of its life, and not one whose life is over: that one the instance dropped on the read of the
     * shared view (Redis, on real time, would still have held it).
     */
    @Test
    void anExpiredRiskIsNeitherHeldNorWrittenBackWhenRedisRestartsEmptyAndALiveOneIsBoth() throws Exception {
        Gateway a = start();
        StateStore store = a.server.stateStore();
        putRisk(a, "expired", 0.9);
        a.advance(Duration.ofHours(7));
        putRisk(a, "tenant:live", 0.8);
        a.advance(Duration.ofHours(1).plusMinutes(1)); // expired's life is over, live's has 7 h to go
        RedisMarks.restartUnder(redis, a);
        SharedStateIT.await(
                "the live risk is written back",
                5000,
                () -> RedisMarks.says(redis, "EXISTS moat:risk:tenant:live", ":1"));
        putRisk(a, "after", 0.5); // written behind the read of the view: that read is over
        assertThat(redis.command("EXISTS moat:risk:expired"))
                .as("past its life: not written back")
                .isEqualTo(":0");
        assertThat(store.risk("expired")).as("nor held here").isNull();
        assertThat(store.risk("tenant:live").risk()).isEqualTo(0.8);
        long pttl = Long.parseLong(redis.command("PTTL moat:risk:tenant:live").substring(1));
        assertThat(pttl).as("for the rest of its life").isBetween(6 * HOUR, 7 * HOUR - 60_000);
        Gateway b = start();
        assertThat(b.server.stateStore().risk("tenant:live").risk()).isEqualTo(0.8);
        assertThat(b.server.stateStore().risk("expired")).isNull();
    }

    /** A risk read from Redis lives here until its entry there expires (its PTTL), not a moment more. */
    @Test
    void aRiskReadFromRedisReadsAsNoneHereOnceItsEntryThereHasExpired() throws Exception {
        long now = System.currentTimeMillis();
        assertThat(redis.command("SET moat:risk:carol \"{\\\"risk\\\":0.9,\\\"atMillis\\\":" + now + "}\" PX 600000"))
                .isEqualTo("+OK");
        Gateway a = start();
        StateStore store = a.server.stateStore();
        assertThat(store.risk("carol").risk()).isEqualTo(0.9);
        a.advance(Duration.ofMinutes(9));
        assertThat(store.risk("carol").risk()).isEqualTo(0.9);
        a.advance(Duration.ofMinutes(1).plusSeconds(5));
        assertThat(store.risk("carol")).as("its 10 minutes are over").isNull();
    }
}
