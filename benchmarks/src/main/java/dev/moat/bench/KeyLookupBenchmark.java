package dev.moat.bench;

import dev.moat.config.KeyConfig;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Authentication, the first thing every request pays for: {@link KeyStore#authenticate} over a
 * store of {@value #KEYS} keys, presented in turn so the hash-map probes are not all cache hits.
 *
 * <p><b>Budget: 1 us per lookup</b> (one SHA-256 of a 48-character secret plus one map probe).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KeyLookupBenchmark {

    static final int KEYS = 10_000;

    KeyStore store;
    String[] secrets;
    String unknownSecret;
    int next;

    @Setup
    public void setUp() {
        secrets = BenchData.secrets(KEYS + 1, 7L);
        List<KeyConfig> keys = new ArrayList<>(KEYS);
        for (int i = 0; i < KEYS; i++) {
            keys.add(new KeyConfig(
                    "key-" + i, KeyStore.sha256Hex(secrets[i]), i % 2 == 0 ? "free" : "pro", "tenant-" + (i % 100)));
        }
        store = new KeyStore(keys);
        unknownSecret = secrets[KEYS];
    }

    /** A known key, the common case. */
    @Benchmark
    public ApiKey authenticate() {
        String secret = secrets[next];
        next = next + 1 == KEYS ? 0 : next + 1;
        return store.authenticate(secret, 0L);
    }

    /** A secret the store does not know: must cost no more than a hit (it answers 401). */
    @Benchmark
    public ApiKey authenticateUnknown() {
        return store.authenticate(unknownSecret, 0L);
    }
}
