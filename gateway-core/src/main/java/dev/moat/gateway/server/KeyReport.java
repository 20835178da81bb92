package dev.moat.gateway.server;

import dev.moat.config.PolicyConfig;
import dev.moat.detectors.DetectorScore;
import dev.moat.detectors.Verdict;
import dev.moat.detectors.tenant.TenantProfile;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.defence.Defences;
import dev.moat.gateway.runtime.CompiledPolicy;
import dev.moat.gateway.runtime.Snapshot;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code GET /admin/keys/{id}}: what the gateway knows and does about a key: risk, level, the
 * queries its detectors have judged, every detector of the config's policies (the tenant detector
 * included) with its score and reason, the risk shared for the key or its tenant by any instance,
 * the action each policy's ladder takes now (as the request path decides it), any block and the
 * key's expiry. Ids only; never a secret.
 */
final class KeyReport {

    private KeyReport() {}

    static String describe(ApiKey key, KeyStore.Entry entry, Snapshot snap, Defences defences) {
        Verdict v = defences.engine().verdict(key.id());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", key.id());
        m.put("tier", key.tier());
        m.put("tenant", key.tenant());
        m.put("risk", round(v.risk()));
        m.put("level", v.level().jsonName());
        // with several instances this one's verdict is its own evidence (the key's queries may be hashed to
        // another); the ladder applies the larger of it and the risk shared for the key or its tenant
        double shared = defences.sharedRisk(key);
        m.put("shared_risk", shared > 0 ? round(shared) : null);
        // the count the reasons below were written at (the engine refreshes both together)
        m.put("queries", v.queries());
        Map<String, Object> detectors = new LinkedHashMap<>();
        for (String name : detectorNames(snap)) {
            DetectorScore s = v.scores().get(name);
            Map<String, Object> d = new LinkedHashMap<>();
            if (s != null) {
                d.put("score", round(s.score()));
                d.put("reason", s.reason());
            } else {
                d.put("score", 0.0);
                d.put("reason", notJudged(name, key));
            }
            detectors.put(name, d);
        }
        v.scores().forEach((name, s) -> {
            if (!detectors.containsKey(name)) { // a detector of a policy the last reload removed
                detectors.put(name, Map.of("score", round(s.score()), "reason", s.reason()));
            }
        });
        m.put("detectors", detectors);
        Map<String, Object> actions = new LinkedHashMap<>();
        for (Map.Entry<String, CompiledPolicy> e : snap.policies().entrySet()) {
            actions.put(e.getKey(), defences.actionNow(key, e.getValue(), snap.maxAction(key)));
        }
        m.put("actions", actions);
        long until = defences.blockedUntil(key.id());
        m.put("blocked_until", until > 0 ? Instant.ofEpochMilli(until).toString() : null);
        if (entry != null) {
            m.put(
                    "expires_at",
                    entry.expiresAtMillis() == KeyStore.FOREVER
                            ? null
                            : Instant.ofEpochMilli(entry.expiresAtMillis()).toString());
            m.put("source", entry.runtime() ? "runtime" : "yaml");
        }
        m.put(
                "last_seen",
                v.updatedAtMillis() > 0
                        ? Instant.ofEpochMilli(v.updatedAtMillis()).toString()
                        : null);
        return KeysAdmin.json(HttpResponseStatus.OK, m).body();
    }

    /** Every detector some policy of the config runs, sorted by name. */
    private static TreeSet<String> detectorNames(Snapshot snap) {
        TreeSet<String> names = new TreeSet<>();
        for (PolicyConfig p : snap.config().policies().values()) {
            names.addAll(p.detectors().keySet());
        }
        return names;
    }

    private static String notJudged(String detector, ApiKey key) {
        if (detector.equals(TenantProfile.NAME)) {
            // the tenant's score reaches a key once its pooled risk moves; "no queries judged yet" was
            // wrong for a key whose own queries were judged by every other detector
            return key.tenant() == null
                    ? "tenant: the key has no tenant"
                    : "tenant: nothing seen yet in the pooled queries of tenant " + key.tenant();
        }
        if (detector.equals("cross_key")) {
            // the store publishes only non-zero scores
            return "cross_key: no sign steps from other keys' queries seen";
        }
        return detector + ": no queries judged yet";
    }

    static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
