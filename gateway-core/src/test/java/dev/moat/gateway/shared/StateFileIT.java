package dev.moat.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import dev.moat.gateway.state.FileStateStore;
import dev.moat.gateway.state.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** One instance without Redis: blocks, revocations and shared risks outlive a restart in the state file. */
class StateFileIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @TempDir
    Path dir;

    String yaml(Path file) {
        return Gateway.common("\"1000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                state: {file: "%s"}
                """.formatted(file);
    }

    @Test
    void aRestartedGatewayKeepsItsBlocksAndRevocations() throws Exception {
        Path file = dir.resolve("state/moat-state.json");
        String yaml = yaml(file);
        long until = System.currentTimeMillis() + 3_600_000;
        try (Gateway a = Gateway.start(yaml, upstream.baseUri())) {
            assertThat(SharedStateIT.status(a, Gateway.ALICE)).isEqualTo(200);
            StateStore store = a.server.stateStore();
            store.putBlock(new StateStore.Block("alice", until, "risk 0.97", "ladder"));
            store.revoke("carol", 1234L);
            store.putRisk("bob", new StateStore.Risk(0.6, System.currentTimeMillis()), 3_600_000)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            assertThat(SharedStateIT.status(a, Gateway.ALICE)).isEqualTo(403);
            // written on change, before any shutdown: a crash now loses nothing
            try (FileStateStore onDisk = FileStateStore.open(file, InstantSource.system())) {
                assertThat(onDisk.block("alice", System.currentTimeMillis())).isNotNull();
                assertThat(onDisk.revoked("carol")).isTrue();
            }
        }
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertThat(files).as("no temporary file left behind").containsExactly(file);
        }
        try (Gateway again = Gateway.start(yaml, upstream.baseUri())) {
            assertThat(SharedStateIT.status(again, Gateway.ALICE))
                    .as("the block survived the restart")
                    .isEqualTo(403);
            StateStore store = again.server.stateStore();
            assertThat(store.block("alice", System.currentTimeMillis()).source())
                    .isEqualTo("ladder");
            assertThat(store.revocations()).containsEntry("carol", 1234L);
            assertThat(store.risk("bob").risk()).isEqualTo(0.6);
            assertThat(SharedStateIT.status(again, Gateway.BOB)).isEqualTo(200);
        }
    }

    /**
     * Unblock marks are kept for their horizon, 45 days, in the file as in memory: one older is not
     * loaded, and one that passes it is gone from the next write (before, the file kept every mark).
     */
    @Test
    void unblockMarksPastTheHorizonAreNeitherLoadedNorWrittenAgain() throws Exception {
        Path file = dir.resolve("moat-state.json");
        long day = TimeUnit.DAYS.toMillis(1);
        long start = System.currentTimeMillis();
        Files.writeString(file, """
                {"version": 1, "unblocked": {"old": %d, "recent": %d}}
                """.formatted(start - 46 * day, start - 44 * day));
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(start);
        InstantSource clock = () -> java.time.Instant.ofEpochMilli(now.get());
        try (FileStateStore store = FileStateStore.open(file, clock)) {
            assertThat(store.unblockedAt("old")).as("46 days old: not loaded").isZero();
            assertThat(store.unblockedAt("recent")).isEqualTo(start - 44 * day);
            store.unblock("carol", now.get()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(Files.readString(file)).doesNotContain("\"old\"").contains("\"recent\"", "\"carol\"");
            now.addAndGet(day + 60_000); // recent's unblock passes the horizon
            store.revoke("zed", now.get()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(Files.readString(file))
                    .as("the next write leaves it out")
                    .doesNotContain("\"recent\"")
                    .contains("\"carol\"");
            assertThat(store.unblockedAt("recent")).isZero();
        }
    }

    /**
     * Shared risks live 8 half-lives (8 h) in the file as in memory: one older is not loaded, one that
     * passes it is gone from the next write, and one within it survives a restart (before, the file
     * kept every risk ever shared, one entry for each key or tenant).
     */
    @Test
    void sharedRisksPastTheirLifeAreNeitherLoadedNorWrittenAgainAndLiveOnesSurviveARestart() throws Exception {
        Path file = dir.resolve("moat-state.json");
        long hour = TimeUnit.HOURS.toMillis(1);
        long start = System.currentTimeMillis();
        Files.writeString(file, """
                {"version": 1, "risks": {
                  "expired": {"risk": 0.9, "atMillis": %d},
                  "tenant:acme": {"risk": 0.8, "atMillis": %d},
                  "live": {"risk": 0.6, "atMillis": %d}}}
                """.formatted(start - 8 * hour - 60_000, start - 7 * hour, start - 6 * hour));
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(start);
        InstantSource clock = () -> java.time.Instant.ofEpochMilli(now.get());
        try (FileStateStore store = FileStateStore.open(file, clock)) {
            assertThat(store.risk("expired"))
                    .as("8 h and a minute old: not loaded")
                    .isNull();
            assertThat(store.risk("tenant:acme").risk()).isEqualTo(0.8);
            assertThat(store.risk("live").risk()).isEqualTo(0.6);
            store.revoke("zed", now.get()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(Files.readString(file)).doesNotContain("\"expired\"").contains("\"tenant:acme\"", "\"live\"");
        }
        now.addAndGet(hour + 60_000); // tenant:acme's life is over, live's not
        try (FileStateStore store = FileStateStore.open(file, clock)) {
            assertThat(store.risk("live").risk()).as("survived the restart").isEqualTo(0.6);
            assertThat(store.risk("tenant:acme"))
                    .as("past its life: not loaded")
                    .isNull();
            now.addAndGet(hour); // live's life is over too
            store.putRisk("fresh", new StateStore.Risk(0.5, now.get()), 8 * hour)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            assertThat(Files.readString(file))
                    .as("the next write leaves them out")
                    .doesNotContain("\"live\"", "\"tenant:acme\"")
                    .contains("\"fresh\"");
            assertThat(store.risk("live")).isNull();
        }
    }

    @Test
    void aCorruptStateFileStopsTheStartWithItsName() throws Exception {
        Path file = dir.resolve("moat-state.json");
        Files.writeString(file, "{not json");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Gateway.start(yaml(file), upstream.baseUri()))
                .hasMessageContaining(file.toString());
    }
}
