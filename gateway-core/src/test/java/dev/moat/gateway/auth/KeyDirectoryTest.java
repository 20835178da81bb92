package dev.moat.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.KeyConfig;
import dev.moat.gateway.state.InMemoryStateStore;
import dev.moat.gateway.state.StateStore.KeyRecord;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The YAML keys merged with the runtime overlay: what authenticates, and until when. */
class KeyDirectoryTest {

    final AtomicLong now = new AtomicLong(1_000_000);
    final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    final InMemoryStateStore state = new InMemoryStateStore();
    final List<KeyConfig> yaml = List.of(new KeyConfig("alice", KeyStore.sha256Hex("a-secret"), "free", "acme"));

    KeyDirectory directory() {
        return new KeyDirectory(state, clock, yaml, Set.of("free", "pro"));
    }

    @Test
    void aRevokedYamlKeyStaysOutWhateverTheYamlSays() {
        KeyDirectory d = directory();
        assertThat(d.authenticate("a-secret")).isNotNull();
        state.revoke("alice", now.get());
        assertThat(d.authenticate("a-secret")).isNull();
        d.install(yaml, Set.of("free")); // a reload
        assertThat(d.authenticate("a-secret")).isNull();
        assertThat(d.current().entry("alice")).isNull();
    }

    @Test
    void aRotatedKeyAcceptsTheOldSecretUntilTheGraceEnds() {
        KeyDirectory d = directory();
        state.putKey(new KeyRecord(
                "alice",
                KeyStore.sha256Hex("new"),
                "free",
                "acme",
                0,
                KeyStore.sha256Hex("a-secret"),
                now.get() + 1000,
                now.get()));
        assertThat(d.authenticate("new").tenant()).isEqualTo("acme");
        assertThat(d.authenticate("a-secret")).isNotNull();
        now.addAndGet(1000);
        assertThat(d.authenticate("a-secret")).isNull();
        assertThat(d.authenticate("new")).isNotNull();
    }

    @Test
    void anExpiredKeyAndItsGraceSecretStopAtTheExpiry() {
        KeyDirectory d = directory();
        state.putKey(new KeyRecord(
                "bob",
                KeyStore.sha256Hex("b2"),
                "pro",
                null,
                now.get() + 500,
                KeyStore.sha256Hex("b1"),
                now.get() + 5000,
                0));
        assertThat(d.authenticate("b2")).isNotNull();
        assertThat(d.authenticate("b1")).isNotNull();
        now.addAndGet(500);
        assertThat(d.authenticate("b2")).isNull();
        assertThat(d.authenticate("b1")).as("the grace cannot outlive the key").isNull();
    }

    @Test
    void aRuntimeKeyWhoseTierWentAwayIsLeftOutNotUnlimited() {
        KeyDirectory d = directory();
        state.putKey(new KeyRecord("carol", KeyStore.sha256Hex("c"), "pro", null, 0, null, 0, 0));
        assertThat(d.authenticate("c")).isNotNull();
        d.install(yaml, Set.of("free")); // a reload without the tier 'pro'
        assertThat(d.authenticate("c")).isNull();
    }

    @Test
    void aBlockDoesNotRebuildTheKeys() {
        KeyDirectory d = directory();
        KeyStore before = d.current();
        state.putBlock(new dev.moat.gateway.state.StateStore.Block("alice", now.get() + 1000, "x", "admin"));
        assertThat(d.current()).isSameAs(before);
    }
}
