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

    /**
     * The secret is read as the README's key-hashing balancer reads it (nginx 1.23 and later join two
     * headers of a name into one value, which the balancer hashes; the gateway read the first).
     */
    @Test
    void thePresentedSecretIsTheOneTheBalancerHashes() {
        assertThat(secret("Authorization", "Bearer s3cret")).isEqualTo("s3cret");
        assertThat(secret("Authorization", "bearer \t s3cret \t")).isEqualTo("s3cret");
        assertThat(secret("Authorization", "Bearer\ts3cret")).isEqualTo("s3cret");
        assertThat(secret("Authorization", "\tBearer s3cret")).isEqualTo("s3cret");
        assertThat(secret("X-API-Key", "\ts3cret ")).isEqualTo("s3cret");
        assertThat(secret("Authorization", "Bearer s3cret junk"))
                .as("not one run")
                .isNull();
        assertThat(secret("Authorization", "Bearer s3cret\u0001"))
                .as("a control character")
                .isNull();
        assertThat(secret("X-API-Key", "s3cret\u007f")).isNull();
        assertThat(secret("Authorization", "Basic abc"))
                .as("no bearer, no X-API-Key")
                .isNull();
        var headers = headers();
        headers.add("Authorization", "Bearer\tjunk").add("X-API-Key", "s3cret");
        assertThat(KeyStore.presentedSecret(headers))
                .as("the bearer token, as the balancer hashes")
                .isEqualTo("junk");
        for (var factory : List.of(
                io.netty.handler.codec.http.DefaultHttpHeadersFactory.headersFactory()
                        .withValidation(false),
                dev.moat.gateway.http.FlatHeaders.FACTORY)) { // Netty's, and the gateway decoder's
            headers = factory.newHeaders();
            headers.add("X-API-Key", "s3cret").add("X-API-Key", "junk");
            assertThat(KeyStore.presentedSecret(headers))
                    .as("two X-API-Key headers")
                    .isNull();
            headers = factory.newHeaders();
            headers.add("Authorization", "Bearer s3cret").add("Authorization", "Bearer junk");
            assertThat(KeyStore.presentedSecret(headers))
                    .as("two Authorization headers")
                    .isNull();
            headers = factory.newHeaders();
            headers.add("Authorization", "Bearer s3cret").add("X-API-Key", "junk");
            assertThat(KeyStore.presentedSecret(headers)).as("one of each").isEqualTo("s3cret");
        }
        headers = headers();
        headers.add("Authorization", "Basic abc").add("X-API-Key", "s3cret");
        assertThat(KeyStore.presentedSecret(headers)).isEqualTo("s3cret");
    }

    /** Headers as any decoder might pass them (Netty's own strips the whitespace around a value). */
    private static io.netty.handler.codec.http.HttpHeaders headers() {
        return io.netty.handler.codec.http.DefaultHttpHeadersFactory.headersFactory()
                .withValidation(false)
                .newHeaders();
    }

    private static String secret(String name, String value) {
        var headers = headers();
        headers.add(name, value);
        return KeyStore.presentedSecret(headers);
    }

    private static KeyStore store(KeyStore.Grant... grants) {
        List<KeyStore.Entry> entries = new java.util.ArrayList<>();
        for (KeyStore.Grant g : grants) {
            entries.add(new KeyStore.Entry(g.key(), KeyStore.FOREVER, false));
        }
        return new KeyStore(List.of(grants), entries);
    }
}
