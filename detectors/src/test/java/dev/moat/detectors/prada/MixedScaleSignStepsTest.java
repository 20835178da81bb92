package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Tabular;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Sign steps on 13 features whose scales run from 0.1 to 1,000 (tabular data). A stored row is
 * quantised on one step for all its features, a 255th of the row's range, which the 1,000-scale
 * features set; the equal and repeat shapes compare moves within 3% plus that error. Honest keys
 * re-sending their own records with 2% noise repeat their pairwise displacements, and the moves of
 * the smaller features, a few times the error, agreed with the key's earlier moves by chance: 15 of
 * 100 honest keys reached 8-20 sign steps in a window of 200 (20 is risk 0.75, suspicious). A
 * coordinate now counts for those shapes only where the error is at most {@link
 * SignSteps#RESOLVED} of its move. PRADA alone, every query of 1,500 per key.
 */
class MixedScaleSignStepsTest {

    /** step_low (0.05) of step_window (200): at this many steps the score leaves 0. */
    static final int STEP_LOW_COUNT = 10;

    @Test
    void honestKeysOnMixedScalesTakeNoSignSteps() {
        Tabular t = new Tabular(17);
        Map<Long, Integer> most = new TreeMap<>();
        for (long seed = 1_700; seed < 1_800; seed++) {
            QuerySource src = t.honest(seed);
            PradaDetector d = new PradaDetector(PradaSettings.from(Map.of()));
            PradaState s = d.newState();
            int m = 0;
            for (int q = 0; q < 1_500; q++) {
                double[] x = src.next();
                d.update(s, x, t.predict(x), q * 2_000L);
                if (s.stepWindow() != null) {
                    m = Math.max(m, s.stepWindow().count());
                }
            }
            most.put(seed, m);
        }
        int worst = most.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        System.out.printf("mixed scales: most sign steps in a window per honest key, worst %d%n", worst);
        assertThat(worst).as("%s", most).isLessThan(STEP_LOW_COUNT);
    }
}
