package dev.moat.gateway.server;

import dev.moat.detectors.Level;
import dev.moat.detectors.Verdict;
import dev.moat.gateway.admin.AdminProblemException;
import dev.moat.gateway.admin.AdminProblems;
import dev.moat.gateway.admin.AdminRequest;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.defence.Defences;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * {@code GET /admin/keys}: every key in force with its risk, the risk shared for it or its tenant
 * by any instance, level, block and activity, filtered by level, block, tenant and whether it is
 * flagged, highest risk first (ties by id), a page at a time.
 *
 * <p>Flagged: a level other than {@code ok}, a block, or a shared risk at the suspicious threshold
 * or over it (another instance holds the key's evidence, or its tenant's, and the ladder here acts
 * on it). The console lists these; filtering here, before the page is cut, keeps a blocked key at
 * risk 0 from sorting behind a thousand unflagged ones and off the console's page.
 *
 * <p>The cursor names the last row of a page (its risk, rounded as shown, and its id); the next
 * page holds the rows that sort strictly after it. So a page never repeats a row of the pages
 * before it unless that key's risk rose meanwhile, and a key is never skipped unless its risk fell
 * past the cursor (risk moves while an operator pages; that is what the order is about).
 */
final class KeyListing {

    /** One row of the listing. */
    record Row(
            String id,
            String tier,
            String tenant,
            double risk,
            double sharedRisk,
            String level,
            long blockedUntil,
            long queries,
            long lastSeen,
            long expiresAt,
            boolean runtime) {

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("tier", tier);
            m.put("tenant", tenant);
            m.put("risk", risk);
            m.put("shared_risk", sharedRisk > 0 ? sharedRisk : null);
            m.put("level", level);
            m.put(
                    "blocked_until",
                    blockedUntil > 0 ? Instant.ofEpochMilli(blockedUntil).toString() : null);
            m.put("queries", queries);
            m.put("last_seen", lastSeen > 0 ? Instant.ofEpochMilli(lastSeen).toString() : null);
            m.put(
                    "expires_at",
                    expiresAt == KeyStore.FOREVER
                            ? null
                            : Instant.ofEpochMilli(expiresAt).toString());
            m.put("source", runtime ? "runtime" : "yaml");
            return m;
        }
    }

    /** The filters and page of one call, validated. */
    record Query(
            Level level,
            Boolean blocked,
            Boolean flagged,
            String tenant,
            int limit,
            Double afterRisk,
            String afterId) {}

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    static final Comparator<Row> ORDER =
            Comparator.comparingDouble(Row::risk).reversed().thenComparing(Row::id);

    private KeyListing() {}

    /** Parses the query; an invalid parameter throws a problem naming it and what was expected. */
    static Query parse(AdminRequest req) throws AdminProblemException {
        Level level = null;
        String lv = req.param("level");
        if (lv != null) {
            for (Level l : Level.values()) {
                if (l.jsonName().equals(lv)) {
                    level = l;
                }
            }
            if (level == null) {
                throw invalid("level: \"" + lv + "\" (expected one of: ok, suspicious, extracting)");
            }
        }
        Boolean blocked = flag(req, "blocked");
        Boolean flagged = flag(req, "flagged");
        int limit = DEFAULT_LIMIT;
        String l = req.param("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw invalid("limit: \"" + l + "\" (expected 1-" + MAX_LIMIT + ")");
            }
        }
        Double afterRisk = null;
        String afterId = null;
        String c = req.param("cursor");
        if (c != null) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(c), StandardCharsets.UTF_8);
                int bar = decoded.indexOf('|');
                afterRisk = Double.parseDouble(decoded.substring(0, bar));
                afterId = decoded.substring(bar + 1);
            } catch (RuntimeException e) {
                throw invalid("cursor: not a cursor this API returned (expected the next_cursor of a previous page)");
            }
        }
        return new Query(level, blocked, flagged, req.param("tenant"), limit, afterRisk, afterId);
    }

    /** A {@code true}/{@code false} parameter, or null when absent. */
    private static Boolean flag(AdminRequest req, String name) throws AdminProblemException {
        String v = req.param(name);
        if (v == null) {
            return null;
        }
        if (!v.equals("true") && !v.equals("false")) {
            throw invalid(name + ": \"" + v + "\" (expected true or false)");
        }
        return Boolean.valueOf(v);
    }

    /** The page for a query: {@code {"keys": [...], "next_cursor": ...}}. */
    static Map<String, Object> page(KeyStore keys, Defences defences, Query q) {
        return page(
                keys,
                id -> defences.engine().verdict(id),
                defences::blockedUntil,
                defences::sharedRisk,
                defences.suspiciousAt(),
                q);
    }

    /**
     * As {@link #page(KeyStore, Defences, Query)}, with the verdicts, blocks, shared risks and the
     * suspicious threshold given (tests).
     */
    static Map<String, Object> page(
            KeyStore keys,
            Function<String, Verdict> verdicts,
            ToLongFunction<String> blocks,
            java.util.function.ToDoubleFunction<dev.moat.gateway.auth.ApiKey> shared,
            double suspiciousAt,
            Query q) {
        List<Row> rows = new ArrayList<>();
        for (KeyStore.Entry e : keys.entries()) {
            if (q.tenant() != null && !q.tenant().equals(e.key().tenant())) {
                continue;
            }
            Verdict v = verdicts.apply(e.key().id());
            if (q.level() != null && v.level() != q.level()) {
                continue;
            }
            long blockedUntil = blocks.applyAsLong(e.key().id());
            if (q.blocked() != null && q.blocked() != (blockedUntil > 0)) {
                continue;
            }
            double sharedRisk = shared.applyAsDouble(e.key());
            if (q.flagged() != null
                    && q.flagged() != (v.level() != Level.OK || blockedUntil > 0 || sharedRisk >= suspiciousAt)) {
                continue;
            }
            Row r = new Row(
                    e.key().id(),
                    e.key().tier(),
                    e.key().tenant(),
                    KeyReport.round(v.risk()),
                    KeyReport.round(sharedRisk),
                    v.level().jsonName(),
                    blockedUntil,
                    v.queries(),
                    v.updatedAtMillis(),
                    e.expiresAtMillis(),
                    e.runtime());
            if (q.afterId() != null && ORDER.compare(r, cursorRow(q)) <= 0) {
                continue;
            }
            rows.add(r);
        }
        rows.sort(ORDER);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < Math.min(q.limit(), rows.size()); i++) {
            out.add(rows.get(i).toJson());
        }
        String next = null;
        if (rows.size() > q.limit()) {
            Row last = rows.get(q.limit() - 1);
            next = Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString((last.risk() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
        }
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("keys", out);
        page.put("next_cursor", next);
        return page;
    }

    private static Row cursorRow(Query q) {
        return new Row(q.afterId(), null, null, q.afterRisk(), 0, null, 0, 0, 0, 0, false);
    }

    private static AdminProblemException invalid(String detail) {
        return new AdminProblemException(AdminProblems.invalid(detail));
    }
}
