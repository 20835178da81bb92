package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.Traffic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The W test with pools kept between tests ({@link MergedPools}) gives the same W, scores and
 * reasons after every query as merging from scratch, on tenant-like streams (several states
 * interleaved, one tested often), full rings pushing values out, many classes, repeated distances
 * and every test; and it does take the kept path.
 */
class MergedPoolsTest {

    private static final List<Map<String, Object>> CONFIGS = List.of(
            Map.of("step_sample_seed", 7),
            Map.of("step_sample_seed", 7, "max_distances", 10, "min_distances", 20),
            Map.of("step_sample_seed", 7, "test_every", 1, "min_distances", 10, "max_distances", 40),
            Map.of("step_sample_seed", 7, "test_every", 500, "max_distances", 20));

    @Test
    void sameAsMergingFromScratch() {
        long hits = 0;
        for (Map<String, Object> config : CONFIGS) {
            PradaDetector kept = new PradaDetector(PradaSettings.from(config));
            PradaDetector scratch = new PradaDetector(PradaSettings.from(config));
            scratch.normality.keepPools = false;
            // three states fed in turn, like a worker's tenants; the first gets most queries
            int states = 3;
            PradaState[] a = new PradaState[states];
            PradaState[] b = new PradaState[states];
            for (int i = 0; i < states; i++) {
                a[i] = kept.newState();
                b[i] = scratch.newState();
            }
            List<List<double[]>> streams = List.of(
                    Traffic.honest(1500, 1),
                    Traffic.jbda(800, 3, CentroidModel.DIGITS),
                    Traffic.natural(800, 4, 1.0, true),
                    repeats(900, 5));
            SplittableRandom r = new SplittableRandom(11);
            long t = 1_000_000;
            for (int q = 0; q < 3000; q++) {
                int k = r.nextInt(10) < 6 ? 0 : 1 + r.nextInt(states - 1);
                List<double[]> rows = streams.get((q + k) % streams.size());
                double[] x = rows.get(q % rows.size());
                double[] p = CentroidModel.DIGITS.predict(x);
                t += 100;
                kept.update(a[k], x, p, t);
                scratch.update(b[k], x, p, t);
                assertThat(Double.doubleToLongBits(a[k].lastW))
                        .as("W after query %d, config %s", q, config)
                        .isEqualTo(Double.doubleToLongBits(b[k].lastW));
                assertThat(Double.doubleToLongBits(kept.score(a[k], t)))
                        .isEqualTo(Double.doubleToLongBits(scratch.score(b[k], t)));
                assertThat(kept.reason(a[k], t)).isEqualTo(scratch.reason(b[k], t));
            }
            System.out.println(
                    "MERGED-POOLS " + config + ": " + kept.pools.hits + " kept, " + kept.pools.rebuilds + " merged");
            hits += kept.pools.hits;
            assertThat(scratch.pools.hits).isZero();
        }
        assertThat(hits).as("tests that updated a kept pool").isGreaterThan(500);
    }

    /** Few distinct rows sent again and again: many equal distances, so equal values pushed out and added. */
    private static List<double[]> repeats(int n, long seed) {
        List<double[]> base = Traffic.honest(12, seed);
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(base.get(i % base.size()));
        }
        return out;
    }
}
