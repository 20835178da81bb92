package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * When a store estimates its scales again ({@code StoreScales.rescaleEvery}): a store that
 * samples a wider input's coordinates and is on one scale waits four times {@code store_size} rows
 * (the estimate was about a tenth of a row's cost at 3,072 inputs), every other store one. Traffic
 * that turns from one scale to mixed scales half-way is re-coded at the next estimate, no later.
 */
class CrossKeyRescaleTest {

    private static final int STORE = 1_024;

    @Test
    void aWideStoreOnOneScaleFollowsATurnToMixedScalesWithinFourStoreSizes() {
        // rescales at 256 and 1,024 rows, then every 4 x 1,024: the next at 5,120
        assertThat(rowsUntilMixed(256)).isEqualTo(5_120);
    }

    @Test
    void aNarrowStoreFollowsItEveryStoreSize() {
        // every coordinate stored (64 <= coordinates): the next estimate after 1,024 at 2,048
        assertThat(rowsUntilMixed(64)).isEqualTo(2_048);
    }

    /** Rows stored when the store first holds mixed-scale units; the traffic turns mixed after 1,500 rows. */
    private static long rowsUntilMixed(int width) {
        CrossKeyParents store = new CrossKeyParents(
                CrossKeyParents.Settings.from(Map.of("store_size", STORE, "sample_seed", 7L)), k -> {});
        Random r = new UnsharedRandom(11);
        for (int row = 1; row <= 8_000; row++) {
            double[] x = new double[width];
            for (int j = 0; j < width; j++) {
                // one scale (pixels 0..16), then features on scales 0.1 to 1,000
                double scale = row <= 1_500 ? 1 : Math.pow(10, -1 + 4.0 * j / (width - 1));
                x[j] = scale * 16 * r.nextDouble();
            }
            store.store("k" + (row % 50), new double[][] {x}, new double[][] {{0.9, 0.1}});
            if (store.units(width) != null) {
                assertThat(row).isGreaterThan(1_500);
                return row;
            }
        }
        return -1;
    }
}
