package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.HonestClient;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cross-key search's work per row, counted (not timed): a full store of 4,096 honest rows of 200
 * keys (the JMH benchmark's), then 4,096 more rows searched. The sketch bound must leave a small
 * share of the class's rows to be compared in full, or the search is a brute-force scan of the
 * store's coded rows (the bound pass reads only the class's contiguous records).
 */
class CrossKeyCostTest {

    @ParameterizedTest
    @ValueSource(ints = {64, 3072})
    void theSketchBoundRulesOutMostRows(int dims) {
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        DigitsModel model = DigitsModel.get();
        HonestClient[] clients = new HonestClient[200];
        for (int k = 0; k < clients.length; k++) {
            clients[k] = new HonestClient(k);
        }
        long banded0 = 0;
        long tested0 = 0;
        long sketched0 = 0;
        long compared0 = 0;
        long searches0 = 0;
        long moved0 = 0;
        for (int r = 0; r < 8_192; r++) {
            if (r == 4_096) {
                banded0 = store.banded();
                tested0 = store.tested();
                sketched0 = store.sketched();
                compared0 = store.compared();
                searches0 = store.searches();
                moved0 = store.moved();
            }
            double[] x = clients[r % 200].next();
            double[] wide = x;
            if (dims > 64) {
                wide = new double[dims];
                for (int j = 0; j < dims; j++) {
                    wide[j] = x[j % 64];
                }
            }
            store.observe("k" + (r % 200), new double[][] {wide}, new double[][] {model.predict(x)});
        }
        double searches = store.searches() - searches0;
        double sketched = (store.sketched() - sketched0) / searches;
        double compared = (store.compared() - compared0) / searches;
        double banded = (store.banded() - banded0) / searches;
        double tested = (store.tested() - tested0) / searches;
        double moved = (store.moved() - moved0) / 4_096.0;
        System.out.printf(
                "cross_key cost at %d inputs: per search %.1f rows bounded, %.1f over the sketch, %.1f in full,"
                        + " %.2f tested; %d sign steps among %d honest rows; %.1f band records written per row stored%n",
                dims, banded, sketched, compared, tested, store.hits(), store.searches(), moved);
        // every row of the class (about 410) is bounded by its sketch in one pass; of those, 35-43 were
        // compared in full for one candidate before the sketch, 16-18 for three with the norm band
        // (session 40: 16.6 and 17.2, the lowest bounds compared first)
        assertThat(banded).isLessThan(4_096 / 10 * 1.25);
        assertThat(compared).isLessThan(20);
        // an append per row stored and, once the ring is full, the band's last record moved into the
        // evicted row's place: at most 2 (a sorted insert and a ring eviction moved about 415 records)
        assertThat(moved).isLessThanOrEqualTo(2);
    }

    /**
     * Ordinary traffic (old, cold keys: 1 row in 8 searched): the band records written per row
     * stored. A sorted insert and a ring eviction per row moved about 415 (half the class's array
     * each); a search never moves one, and a row stored writes at most 2 (its own, and the band's last
     * into an evicted row's place).
     */
    @ParameterizedTest
    @ValueSource(ints = {64, 3072})
    void oldKeysMoveFewBandRecordsPerRow(int dims) {
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        DigitsModel model = DigitsModel.get();
        HonestClient[] clients = new HonestClient[200];
        for (int k = 0; k < clients.length; k++) {
            clients[k] = new HonestClient(k);
        }
        long moved0 = 0;
        long rows0 = 0;
        long searched0 = 0;
        int rows = 200 * 100; // the last 4,096 rows come from keys past search_all_rows (64)
        java.util.Random noise = new UnsharedRandom(42);
        for (int r = 0; r < rows; r++) {
            if (r == rows - 4_096) {
                moved0 = store.moved();
                rows0 = store.searched() + store.sampledOut();
                searched0 = store.searched();
            }
            double[] x = clients[r % 200].next();
            double[] wide = x;
            if (dims > 64) {
                wide = new double[dims];
                // noise of its own per wide coordinate, as the JMH benchmark's (plain tiling makes
                // one honest row in 20 a sign step, which keeps keys hot: every row searched)
                for (int j = 0; j < dims; j++) {
                    wide[j] = Math.max(0, Math.min(16, x[j % 64] + 0.5 * noise.nextGaussian()));
                }
            }
            store.observe("k" + (r % 200), new double[][] {wide}, new double[][] {model.predict(x)});
        }
        double perRow = (store.moved() - moved0) / (double) (store.searched() + store.sampledOut() - rows0);
        System.out.printf(
                "cross_key at %d inputs, old keys: %.2f band records written per row stored, %.3f of rows searched%n",
                dims,
                perRow,
                (store.searched() - searched0) / (double) (store.searched() + store.sampledOut() - rows0));
        assertThat(perRow).isLessThanOrEqualTo(2);
    }
}
