package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PRADA's recent rows (issue 9) cost nothing for short-lived keys and narrow inputs, and are bounded
 * by {@code step_recent_rows}: a wide key gets them at its 65th query, grown by doubling, and holds
 * at most that many rows of {@code step_coordinates + 8} bytes (143,968 bytes in all at the defaults).
 */
class RecentRowsMemoryTest {

    private static PradaState feed(PradaDetector d, Wide w, QuerySource src, int rows) {
        PradaState s = d.newState();
        for (int q = 0; q < rows; q++) {
            double[] x = src.next();
            d.update(s, x, w.predict(x), q * 1_000L);
        }
        return s;
    }

    @Test
    void onlyWideKeysPastTheWarmUpKeepThemAndTheRingIsBounded() {
        PradaDetector d = new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L)));
        Wide w = new Wide(3072);
        assertThat(feed(d, w, w.honestNoisy(1), RecentRows.RECENT_AFTER).recent).isNull();
        PradaState young = feed(d, w, w.honestNoisy(2), RecentRows.RECENT_AFTER + 1);
        assertThat(young.recent).isNotNull();
        assertThat(young.recent.rows.length).isEqualTo(64 * ByteRows.stride(128));
        PradaState old = feed(d, w, w.honestNoisy(3), 3_000);
        assertThat(old.recent.rows.length).isEqualTo(1_024 * ByteRows.stride(128));
        assertThat(old.recent.norms).hasSize(1_024);
        assertThat(old.recent.count).isEqualTo(1_024);
        // narrow inputs (64, the projection's width) never do
        PradaState narrow = d.newState();
        java.util.Random r = new UnsharedRandom(4);
        for (int q = 0; q < 500; q++) {
            double[] x = new double[64];
            for (int j = 0; j < 64; j++) {
                x[j] = 16 * r.nextDouble();
            }
            double[] p = new double[10];
            p[q % 10] = 1;
            d.update(narrow, x, p, q * 1_000L);
        }
        assertThat(narrow.recent).isNull();
        // and step_recent_rows 0 turns them off
        PradaDetector off =
                new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L, "step_recent_rows", 0)));
        assertThat(feed(off, w, w.honestNoisy(5), 300).recent).isNull();
    }
}
