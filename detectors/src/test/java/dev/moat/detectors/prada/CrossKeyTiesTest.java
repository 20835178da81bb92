package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Among stored rows at one distance from the query (the same public image sent by several keys) the
 * search takes the newest first, whatever the order its class's records happen to be in: the parent
 * a step is credited to, and the key its reason names, is the last key to have sent that image.
 */
class CrossKeyTiesTest {

    @ParameterizedTest
    @ValueSource(ints = {64, 3072})
    void theNewestOfIdenticalRowsIsTheParentAKeysReasonNames(int dims) {
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        Random r = new UnsharedRandom(5);
        double[] prediction = {0.1, 0.8, 0.1};
        // filler of the class, so the image's copies sit among other rows (and an eviction's move
        // of the band's last record into a hole puts records out of the order they came in)
        for (int i = 0; i < 300; i++) {
            store.store("filler-" + (i % 30), new double[][] {row(r, dims)}, new double[][] {prediction});
        }
        double[] image = row(r, dims);
        for (String key : new String[] {"first", "second", "third"}) {
            store.store(key, new double[][] {image}, new double[][] {prediction});
            for (int i = 0; i < 20; i++) {
                store.store("filler-" + (i % 30), new double[][] {row(r, dims)}, new double[][] {prediction});
            }
        }
        // a sign step from the image: every coordinate moved by 1, the sign drawn
        double[] step = new double[dims];
        for (int j = 0; j < dims; j++) {
            step[j] = Math.max(0, Math.min(16, image[j] + (r.nextBoolean() ? 1 : -1)));
        }
        store.observe("thief", new double[][] {step}, new double[][] {prediction});
        assertThat(store.hits()).isEqualTo(1);
        assertThat(store.reason("thief")).contains("last parent sent by key third");
    }

    /** Values on 1..15, so a step of 1 moves every one within 0..16 (not whole numbers: no data unit). */
    private static double[] row(Random r, int dims) {
        double[] x = new double[dims];
        for (int j = 0; j < dims; j++) {
            x[j] = 1 + 14 * r.nextDouble();
        }
        return x;
    }
}
