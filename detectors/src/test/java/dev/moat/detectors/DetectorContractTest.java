package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.Traffic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract every detector passes; each detector's test subclasses it in a few lines (after
 * Bucket4j's abstract distributed-bucket test).
 */
abstract class DetectorContractTest {

    /** The detector under test, built from default parameters. */
    protected abstract Detector.Factory factory(Map<String, Object> params);

    @SuppressWarnings("unchecked")
    private Detector<Object> detector() {
        return (Detector<Object>) factory(Map.of()).create();
    }

    private static List<double[]> mixed(int n, long seed) {
        List<double[]> rows = new ArrayList<>();
        List<double[]> honest = Traffic.honest(n / 2, seed);
        List<double[]> uniform = Traffic.uniform(n - n / 2, seed);
        for (int i = 0; i < n / 2; i++) {
            rows.add(honest.get(i));
            rows.add(uniform.get(i));
        }
        return rows;
    }

    private static List<Double> run(Detector<Object> d, List<double[]> rows) {
        Object state = d.newState();
        List<Double> scores = new ArrayList<>();
        long t = 1_000_000;
        for (double[] x : rows) {
            d.update(state, x, CentroidModel.DIGITS.predict(x), t);
            t += 1000;
            double s = d.score(state, t);
            assertThat(s).isBetween(0.0, 1.0);
            scores.add(s);
        }
        assertThat(d.reason(state, t)).isNotNull().startsWith(d.name());
        return scores;
    }

    @Test
    void scoresStayInTheUnitIntervalWithAReason() {
        Detector<Object> d = detector();
        Object fresh = d.newState();
        assertThat(d.score(fresh, 0)).isBetween(0.0, 1.0);
        assertThat(d.reason(fresh, 0)).isNotNull();
        run(d, mixed(3000, 1));
    }

    @Test
    void sameInputSequenceGivesTheSameScores() {
        List<double[]> rows = mixed(2000, 2);
        assertThat(run(detector(), rows)).isEqualTo(run(detector(), rows));
    }

    @Test
    void emptyPredictionsAndInputsAreIgnoredGracefully() {
        Detector<Object> d = detector();
        Object state = d.newState();
        for (int i = 0; i < 500; i++) {
            d.update(state, new double[64], new double[0], i * 1000L);
            d.update(state, new double[0], new double[] {0.2, 0.8}, i * 1000L);
            d.update(state, new double[] {1, 2, 3}, new double[] {0.7}, i * 1000L);
        }
        assertThat(d.score(state, 500_000)).isBetween(0.0, 1.0);
        assertThat(d.reason(state, 500_000)).isNotNull();
    }

    @Test
    void memoryStaysBoundedAfterManyQueries() {
        Detector<Object> d = detector();
        Object state = d.newState();
        List<double[]> rows = Traffic.uniform(2000, 3);
        double[][] predictions =
                rows.stream().map(CentroidModel.DIGITS::predict).toArray(double[][]::new);
        long before = 0;
        for (int pass = 0; pass < 20; pass++) {
            for (int i = 0; i < rows.size(); i++) {
                // a little noise keeps every query new, the worst case for growing sets
                double[] x = rows.get(i).clone();
                x[(pass + i) % 64] += pass * 0.01;
                d.update(state, x, predictions[i], (pass * 2000L + i) * 100);
            }
            if (pass == 9) {
                before = Footprint.of(state);
            }
        }
        assertThat(Footprint.of(state)).isLessThanOrEqualTo(before);
    }
}
