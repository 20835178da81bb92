package dev.moat.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link KeyStore#authenticate}: the digest lookup (a reused per-thread probe, hashed on its first four bytes). */
class KeyStoreTest {

    private static final ApiKey ALICE = new ApiKey("alice", "free", "acme");
    private static final ApiKey BOB = new ApiKey("bob", "free", null);

    @Test
    void theRightSecretAuthenticatesItsKeyAndNoOther() {
        KeyStore store = store(
                new KeyStore.Grant(ALICE, KeyStore.sha256Hex("alice-secret"), KeyStore.FOREVER),
                new KeyStore.Grant(BOB, KeyStore.sha256Hex("bob-secret"), KeyStore.FOREVER));
        for (int i = 0; i < 3; i++) { // the probe is reused: lookups in a row do not see each other
            assertThat(store.authenticate("alice-secret", 0)).isEqualTo(ALICE);
            assertThat(store.authenticate("bob-secret", 0)).isEqualTo(BOB);
            assertThat(store.authenticate("carol-secret", 0)).isNull();
            assertThat(store.authenticate("", 0)).isNull();
            assertThat(store.authenticate(null, 0)).isNull();
        }
    }

    @Test
    void aDigestThatDiffersOnlyAfterItsHashedPrefixDoesNotAuthenticate() {
        String real = KeyStore.sha256Hex("alice-secret");
        String lastByteFlipped = real.substring(0, 62) + (real.charAt(62) == '0' ? '1' : '0') + real.charAt(63);
        KeyStore store = store(new KeyStore.Grant(ALICE, lastByteFlipped, KeyStore.FOREVER));
        assertThat(store.authenticate("alice-secret", 0)).isNull();
    }

    @Test
    void nonAsciiAndLongSecretsHashTheirUtf8BytesLikeTheConfigDigest() {
        String accented = "s\u00e9cret-\u00e4-\u4e2d";
        String longOne = "x".repeat(300); // past the probe's 256-byte scratch space
        String edge = "y".repeat(256);
        KeyStore store = store(
                new KeyStore.Grant(ALICE, KeyStore.sha256Hex(accented), KeyStore.FOREVER),
                new KeyStore.Grant(BOB, KeyStore.sha256Hex(longOne), KeyStore.FOREVER),
                new KeyStore.Grant(new ApiKey("carol", "free", null), KeyStore.sha256Hex(edge), KeyStore.FOREVER));
        assertThat(store.authenticate(accented, 0)).isEqualTo(ALICE);
        assertThat(store.authenticate(longOne, 0)).isEqualTo(BOB);
        assertThat(store.authenticate(edge, 0).id()).isEqualTo("carol");
        assertThat(store.authenticate("s\u00e9cret-\u00e4-\u4e2e", 0)).isNull();
        assertThat(store.authenticate("x".repeat(299), 0)).isNull();
    }

    @Test
    void anExpiredGrantDoesNotAuthenticate() {
        KeyStore store = store(new KeyStore.Grant(ALICE, KeyStore.sha256Hex("alice-secret"), 1_000));
        assertThat(store.authenticate("alice-secret", 999)).isEqualTo(ALICE);
        assertThat(store.authenticate("alice-secret", 1_000)).isNull();
    }

    private static KeyStore store(KeyStore.Grant... grants) {
        List<KeyStore.Entry> entries = new java.util.ArrayList<>();
        for (KeyStore.Grant g : grants) {
            entries.add(new KeyStore.Entry(g.key(), KeyStore.FOREVER, false));
        }
        return new KeyStore(List.of(grants), entries);
    }
}
