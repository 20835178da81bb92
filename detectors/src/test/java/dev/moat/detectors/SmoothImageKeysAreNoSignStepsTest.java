package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Scenario;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression (issue 9, smooth3): ordinary keys of a smooth-image model ({@link HonestDomain#smooth}:
 * each key re-sends its own 300 records with sensor noise) through the engine with every detector
 * ({@link NarrowAndWideAdaptiveAttackersTest#ALL}). Before, prada's flat shape took a re-send's
 * displacement from a member of another record (the two images' background levels or exposures
 * differ: a common offset of 10-20 grey levels on 95 % of the sampled pixels, plus noise) for a sign
 * step a few per cent of the time (crest 1.9-2.05, under the Gaussian limit of 2.05), and the lifetime
 * CUSUM took 2 of 36 smooth-784 keys past 0.5 (at 229 and 459 rows). Now the flat shape also judges
 * such a displacement about its offset ({@code SignSteps.centredFlat}). Seeded; nothing timed.
 */
class SmoothImageKeysAreNoSignStepsTest {

    @ParameterizedTest
    @ValueSource(ints = {784, 3072})
    void ordinarySmoothImageKeysNeverReachPradaHalf(int dims) {
        HonestDomain d = HonestDomain.smooth(dims, 1);
        int peers = dims == 784 ? 36 : 24;
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, d::predict);
        for (int k = 0; k < peers; k++) {
            s.add("peer-" + k, "t" + k, d.peer(100 + k), 600, k * 700L, () -> 2_000);
        }
        s.run();
        Map<String, Double> prada = new TreeMap<>();
        s.maxScores.forEach((k, v) -> prada.put(k, v.getOrDefault("prada", 0.0)));
        System.out.printf("smooth-%d peers' largest prada score: %s%n", dims, prada);
        assertThat(prada).hasSize(peers);
        assertThat(prada.values()).as("%s", prada).allSatisfy(v -> assertThat(v).isLessThan(0.5));
    }
}
