package dev.moat.gateway.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A shared risk lives as long as the time to live it was put with, in an instance's memory as in
 * Redis: past it, it reads as none and the next prune drops it. Before, the local view kept every risk
 * ever shared, one entry for each key or tenant published at risk 0.25 or more.
 */
class SharedRiskLifeTest {

    static final long HOUR = TimeUnit.HOURS.toMillis(1);
    /** The life of the gateway's shared risks: 8 half-lives of 1 h ({@code SHARED_RISK_LIFE_MILLIS}). */
    static final long LIFE = 8 * HOUR;

    final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    final InMemoryStateStore store = new InMemoryStateStore(() -> Instant.ofEpochMilli(now.get()));

    void put(String id, double risk, long ttlMillis) {
        store.putRisk(id, new StateStore.Risk(risk, now.get()), ttlMillis);
    }

    /** How many shared risks the store holds, expired ones it has not pruned yet included. */
    int held() throws Exception {
        var field = InMemoryStateStore.class.getDeclaredField("risks");
        field.setAccessible(true);
        return ((Map<?, ?>) field.get(store)).size();
    }

    @Test
    void aRiskPastItsLifeIsDroppedByTheNextPruneAndANewerOneKept() throws Exception {
        put("old", 0.9, LIFE);
        now.addAndGet(LIFE - HOUR);
        put("newer", 0.8, LIFE);
        now.addAndGet(HOUR); // old's life is over, newer has 7 hours to go
        assertThat(held()).as("not pruned yet: no risk arrived since").isEqualTo(2);
        put("tenant:acme", 0.5, LIFE); // the last prune is an hour old: this one prunes
        assertThat(held()).as("old is gone from memory").isEqualTo(2);
        assertThat(store.risks()).containsOnlyKeys("newer", "tenant:acme");
        assertThat(store.risk("old")).isNull();
        assertThat(store.risk("newer").risk()).isEqualTo(0.8);
    }

    @Test
    void aRiskReadsAsNoneOnceItsTimeToLiveHasPassedAndIsNotPersisted() {
        put("short", 0.7, HOUR); // a writer's own time to live is kept, whatever it is
        put("long", 0.6, LIFE);
        now.addAndGet(HOUR - 1);
        assertThat(store.risk("short").risk()).isEqualTo(0.7);
        now.incrementAndGet();
        assertThat(store.risk("short"))
                .as("expired: reads as none at once, pruned or not")
                .isNull();
        assertThat(store.risks()).as("what a state file writes").containsOnlyKeys("long");
        now.addAndGet(LIFE - HOUR - 1);
        assertThat(store.risk("long").risk()).isEqualTo(0.6);
        now.incrementAndGet();
        assertThat(store.risk("long")).isNull();
        assertThat(store.risks()).isEmpty();
    }

    @Test
    void risksArrivingWithinAMinuteOfTheLastPruneDoNotScanTheMapAgain() throws Exception {
        put("a", 0.9, LIFE); // the first arrival prunes; the next prune is a minute on
        now.addAndGet(LIFE);
        put("b", 0.9, LIFE);
        assertThat(held()).as("a's life is over: pruned on b's arrival").isEqualTo(1);
        put("c", 0.9, 1_000);
        now.addAndGet(2_000);
        put("d", 0.9, LIFE);
        assertThat(held()).as("c expired, but the last prune is 2 s old").isEqualTo(3);
        assertThat(store.risk("c")).isNull();
        put("e", 0.9, 1_000);
        now.addAndGet(60_000);
        put("f", 0.9, LIFE);
        assertThat(held()).as("a minute on, the next arrival prunes e").isEqualTo(3);
        assertThat(store.risks()).containsOnlyKeys("b", "d", "f");
    }

    @Test
    void aRiskThatArrivesExpiredIsNotTakenAndANewerOneReplacesAnOlder() {
        store.putRisk("late", new StateStore.Risk(0.9, now.get() - LIFE), LIFE);
        assertThat(store.risk("late"))
                .as("expired on arrival (a late message, an old file)")
                .isNull();
        assertThat(store.risks()).isEmpty();
        put("k", 0.5, LIFE);
        now.addAndGet(HOUR);
        store.putRisk("k", new StateStore.Risk(0.4, now.get() - 2 * HOUR), 2 * LIFE);
        assertThat(store.risk("k").risk())
                .as("an older risk does not replace a newer one")
                .isEqualTo(0.5);
        put("k", 0.3, HOUR);
        assertThat(store.risk("k").risk()).isEqualTo(0.3);
        now.addAndGet(HOUR);
        assertThat(store.risk("k"))
                .as("the newer risk's life stands, not the older's")
                .isNull();
    }
}
