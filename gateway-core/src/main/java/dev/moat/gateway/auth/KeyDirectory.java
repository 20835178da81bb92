package dev.moat.gateway.auth;

import dev.moat.config.KeyConfig;
import dev.moat.gateway.state.StateStore;
import dev.moat.gateway.state.StateStore.KeyRecord;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys in force: the YAML keys of the current config with the {@link StateStore}'s runtime
 * overlay on top (keys made at runtime, rotations, expiries, revocations). The merged {@link
 * KeyStore} is rebuilt when the config is swapped or the store changes, never per request, so the
 * request path stays one digest and one map probe.
 *
 * <p>Merge rules: a revoked id is absent whatever the YAML says; a runtime record with the id of a
 * YAML key replaces its digest, tier and tenant (a rotation); a runtime key whose tier the config
 * no longer has is left out (fail closed: a key without a tier would have no limits) and logged.
 */
public final class KeyDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(KeyDirectory.class);

    private final StateStore state;
    private final InstantSource clock;
    private List<KeyConfig> yaml = List.of();
    private Set<String> tiers = Set.of();
    private volatile KeyStore current;
    private Map<String, KeyRecord> lastRecords = Map.of();
    private Set<String> lastRevoked = Set.of();

    public KeyDirectory(StateStore state, InstantSource clock, List<KeyConfig> yaml, Set<String> tiers) {
        this.state = state;
        this.clock = clock;
        install(yaml, tiers);
        state.addListener(this::onChange);
    }

    /** Takes the keys and tier names of a newly installed config. */
    public synchronized void install(List<KeyConfig> yamlKeys, Set<String> tierNames) {
        this.yaml = List.copyOf(yamlKeys);
        this.tiers = Set.copyOf(tierNames);
        rebuild();
    }

    /** The key whose secret this is, valid now, or null (unknown, revoked, expired, past its grace). */
    public ApiKey authenticate(String secret) {
        return current.authenticate(secret, clock.millis());
    }

    /** The merged store in force. */
    public KeyStore current() {
        return current;
    }

    /** True when the id is a YAML key of the config in force (revoked or not). */
    public synchronized boolean declared(String id) {
        for (KeyConfig k : yaml) {
            if (k.id().equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** A store change: rebuild only when it touched a key or a revocation (not for a block). */
    private synchronized void onChange(String keyId) {
        if (java.util.Objects.equals(state.keys().get(keyId), lastRecords.get(keyId))
                && state.revoked(keyId) == lastRevoked.contains(keyId)) {
            return;
        }
        rebuild();
    }

    private synchronized void rebuild() {
        Map<String, KeyRecord> runtime = state.keys();
        lastRecords = runtime;
        lastRevoked = Set.copyOf(state.revocations().keySet());
        List<KeyStore.Grant> grants = new ArrayList<>(yaml.size() + runtime.size());
        List<KeyStore.Entry> entries = new ArrayList<>(yaml.size() + runtime.size());
        for (KeyConfig k : yaml) {
            if (state.revoked(k.id())) {
                continue;
            }
            KeyRecord r = runtime.get(k.id());
            if (r == null) {
                ApiKey key = new ApiKey(k.id(), k.tier(), k.tenant());
                grants.add(new KeyStore.Grant(key, k.sha256(), KeyStore.FOREVER));
                entries.add(new KeyStore.Entry(key, KeyStore.FOREVER, false));
            } else {
                add(r, grants, entries);
            }
        }
        for (KeyRecord r : runtime.values()) {
            if (!state.revoked(r.id()) && !declared(r.id())) {
                add(r, grants, entries);
            }
        }
        current = new KeyStore(grants, entries);
    }

    private void add(KeyRecord r, List<KeyStore.Grant> grants, List<KeyStore.Entry> entries) {
        if (!tiers.contains(r.tier())) {
            LOG.warn("runtime key {} left out: its tier '{}' is not in the config", r.id(), r.tier());
            return;
        }
        ApiKey key = new ApiKey(r.id(), r.tier(), r.tenant());
        long expires = r.expiresAtMillis() > 0 ? r.expiresAtMillis() : KeyStore.FOREVER;
        grants.add(new KeyStore.Grant(key, r.sha256(), expires));
        if (r.previousSha256() != null && r.previousValidUntilMillis() > 0) {
            grants.add(new KeyStore.Grant(key, r.previousSha256(), Math.min(expires, r.previousValidUntilMillis())));
        }
        entries.add(new KeyStore.Entry(key, expires, true));
    }
}
