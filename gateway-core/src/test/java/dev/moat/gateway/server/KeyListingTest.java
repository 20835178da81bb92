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
        return KeyListing.page(store(), KeyListingTest::verdict, id -> blocks.getOrDefault(id, 0L), key -> 0, 0.5, q);
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
        assertThat(ids(page(new KeyListing.Query(null, null, null, null, 100, null, null), Map.of())))
                .containsExactly("b", "f", "c", "e", "a", "d");
    }

    @Test
    void pagesFollowTheCursorWithoutRepeatsOrGaps() {
        List<String> all = new ArrayList<>();
        String cursor = null;
        do {
            KeyListing.Query q =
                    cursor == null ? new KeyListing.Query(null, null, null, null, 2, null, null) : parse(cursor);
            Map<String, Object> p = page(q, Map.of());
            all.addAll(ids(p));
            cursor = (String) p.get("next_cursor");
        } while (cursor != null);
        assertThat(all).containsExactly("b", "f", "c", "e", "a", "d");
    }

    @Test
    void filtersByLevelBlockAndTenant() {
        assertThat(ids(page(new KeyListing.Query(Level.SUSPICIOUS, null, null, null, 100, null, null), Map.of())))
                .containsExactly("c", "e");
        assertThat(ids(page(new KeyListing.Query(null, true, null, null, 100, null, null), Map.of("a", 99L))))
                .containsExactly("a");
        assertThat(ids(page(new KeyListing.Query(Level.EXTRACTING, null, null, "t1", 100, null, null), Map.of())))
                .containsExactly("b");
    }

    /**
     * The console's list: a level other than ok, a block, or a shared risk at the suspicious threshold
     * (0.5 here) or over, filtered before the page is cut, so a blocked key at risk 0 is on the first
     * page of flagged keys however many unflagged keys sort before it.
     */
    @Test
    void flaggedIsALevelABlockOrASharedRiskAtTheThreshold() {
        Map<String, Double> shared = new HashMap<>(Map.of("a", 0.49));
        java.util.function.Function<Boolean, List<String>> flagged = f -> ids(KeyListing.page(
                store(),
                KeyListingTest::verdict,
                id -> id.equals("d") ? 99L : 0L,
                key -> shared.getOrDefault(key.id(), 0.0),
                0.5,
                new KeyListing.Query(null, null, f, null, 100, null, null)));
        assertThat(flagged.apply(true)).containsExactly("b", "f", "c", "e", "d");
        assertThat(flagged.apply(false)).containsExactly("a");
        shared.put("a", 0.5);
        assertThat(ids(KeyListing.page(
                        store(),
                        KeyListingTest::verdict,
                        id -> 0L,
                        key -> shared.getOrDefault(key.id(), 0.0),
                        0.5,
                        new KeyListing.Query(Level.OK, null, true, null, 100, null, null))))
                .containsExactly("a");
    }

    @Test
    void aFlaggedValueOtherThanTrueOrFalseIsNamed() {
        Map<String, List<String>> query = new HashMap<>();
        query.put("flagged", List.of("yes"));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> KeyListing.parse(new dev.moat.gateway.admin.AdminRequest(
                                io.netty.handler.codec.http.HttpMethod.GET, "/admin/keys", query, "")))
                .isInstanceOf(dev.moat.gateway.admin.AdminProblemException.class)
                .hasMessageContaining("flagged: \"yes\" (expected true or false)");
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
