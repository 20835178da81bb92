package dev.moat.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.Level;
import dev.moat.detectors.Verdict;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GET /admin/keys}: highest risk first, filters, and a cursor that neither repeats nor skips. */
class KeyListingTest {

    static final Map<String, Double> RISK = Map.of("a", 0.2, "b", 0.97, "c", 0.6, "d", 0.0, "e", 0.6, "f", 0.85);

    static KeyStore store() {
        List<KeyStore.Grant> grants = new ArrayList<>();
        List<KeyStore.Entry> entries = new ArrayList<>();
        int i = 0;
        for (String id : RISK.keySet()) {
            ApiKey k = new ApiKey(id, "free", id.equals("f") ? "t2" : "t1");
            grants.add(new KeyStore.Grant(k, String.format("%064x", i++), KeyStore.FOREVER));
            entries.add(new KeyStore.Entry(k, KeyStore.FOREVER, false));
        }
        return new KeyStore(grants, entries);
    }

    static Verdict verdict(String id) {
        double r = RISK.get(id);
        Level l = r >= 0.8 ? Level.EXTRACTING : r >= 0.5 ? Level.SUSPICIOUS : Level.OK;
        return new Verdict(r, l, Map.of(), 10, 1000);
    }

    static Map<String, Object> page(KeyListing.Query q, Map<String, Long> blocks) {
        return KeyListing.page(store(), KeyListingTest::verdict, id -> blocks.getOrDefault(id, 0L), key -> 0, q);
    }

    @SuppressWarnings("unchecked")
    static List<String> ids(Map<String, Object> page) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> row : (List<Map<String, Object>>) page.get("keys")) {
            out.add((String) row.get("id"));
        }
        return out;
    }

    @Test
    void highestRiskFirstTiesById() {
        assertThat(ids(page(new KeyListing.Query(null, null, null, 100, null, null), Map.of())))
                .containsExactly("b", "f", "c", "e", "a", "d");
    }

    @Test
    void pagesFollowTheCursorWithoutRepeatsOrGaps() {
        List<String> all = new ArrayList<>();
        String cursor = null;
        do {
            KeyListing.Query q = cursor == null ? new KeyListing.Query(null, null, null, 2, null, null) : parse(cursor);
            Map<String, Object> p = page(q, Map.of());
            all.addAll(ids(p));
            cursor = (String) p.get("next_cursor");
        } while (cursor != null);
        assertThat(all).containsExactly("b", "f", "c", "e", "a", "d");
    }

    @Test
    void filtersByLevelBlockAndTenant() {
        assertThat(ids(page(new KeyListing.Query(Level.SUSPICIOUS, null, null, 100, null, null), Map.of())))
                .containsExactly("c", "e");
        assertThat(ids(page(new KeyListing.Query(null, true, null, 100, null, null), Map.of("a", 99L))))
                .containsExactly("a");
        assertThat(ids(page(new KeyListing.Query(Level.EXTRACTING, null, "t1", 100, null, null), Map.of())))
                .containsExactly("b");
    }

    static KeyListing.Query parse(String cursor) {
        Map<String, List<String>> query = new HashMap<>();
        query.put("cursor", List.of(cursor));
        query.put("limit", List.of("2"));
        try {
            return KeyListing.parse(new dev.moat.gateway.admin.AdminRequest(
                    io.netty.handler.codec.http.HttpMethod.GET, "/admin/keys", query, ""));
        } catch (dev.moat.gateway.admin.AdminProblemException e) {
            throw new AssertionError(e);
        }
    }
}
