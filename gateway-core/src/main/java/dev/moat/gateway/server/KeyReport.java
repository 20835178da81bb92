package dev.moat.gateway.server;

import dev.moat.detectors.DetectorScore;
import dev.moat.detectors.Verdict;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.defense.CompiledPolicy;
import dev.moat.gateway.defense.Defenses;
import dev.moat.gateway.http.Json;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.runtime.Snapshot;
import java.time.Instant;
import java.util.Map;

/**
 * {@code GET /admin/keys/{id}}: what the gateway knows and does about a key: risk, level, each
 * detector's score and reason, queries seen, the action each policy's ladder takes at this risk,
 * and any block. Ids only; never a secret.
 */
final class KeyReport {

    private KeyReport() {}

    static String describe(ApiKey key, Snapshot snap, Defenses defenses, RateLimiter limiter) {
        Verdict v = defenses.engine().verdict(key.id());
        StringBuilder sb = new StringBuilder(512).append("{\"id\":");
        Json.quote(sb, key.id()).append(",\"tier\":");
        Json.quote(sb, key.tier()).append(",\"tenant\":");
        Json.quote(sb, key.tenant())
                .append(",\"risk\":")
                .append(round(v.risk()))
                .append(",\"level\":\"")
                .append(v.level().jsonName())
                .append("\",\"queries\":")
                .append(v.queries());
        sb.append(",\"detectors\":{");
        boolean first = true;
        for (Map.Entry<String, DetectorScore> e : v.scores().entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            Json.quote(sb, e.getKey())
                    .append(":{\"score\":")
                    .append(round(e.getValue().score()))
                    .append(",\"reason\":");
            Json.quote(sb, e.getValue().reason()).append('}');
        }
        sb.append("},\"actions\":{");
        first = true;
        for (Map.Entry<String, CompiledPolicy> e : snap.policies().entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            Json.quote(sb, e.getKey()).append(':');
            Json.quote(sb, e.getValue().runtime().ladder().decide(v.risk()).action());
        }
        sb.append('}');
        long until = defenses.blockedUntil(key.id());
        sb.append(",\"blocked_until\":");
        if (until > 0) {
            Json.quote(sb, Instant.ofEpochMilli(until).toString());
        } else {
            sb.append("null");
        }
        if (v.updatedAtMillis() > 0) {
            sb.append(",\"updated\":");
            Json.quote(sb, Instant.ofEpochMilli(v.updatedAtMillis()).toString());
        }
        return sb.append('}').toString();
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
