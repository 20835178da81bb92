package dev.moat.detectors.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Checks W and p against SciPy's {@code scipy.stats.shapiro} (see detectors/scripts/shapiro_fixtures.py). */
class ShapiroWilkTest {

    record Case(String name, int n, double w, double p, double[] x) {
        @Override
        public String toString() {
            return name + " n=" + n;
        }
    }

    static Stream<Case> scipyCases() throws IOException {
        Pattern header = Pattern.compile("# (\\S+) n=(\\d+) W=(\\S+) p=(\\S+)");
        List<Case> cases = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                ShapiroWilkTest.class.getResourceAsStream("/shapiro-wilk-scipy.txt"), StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = header.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                String[] cells = in.readLine().trim().split(" ");
                double[] x = new double[cells.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = Double.parseDouble(cells[i]);
                }
                cases.add(new Case(
                        m.group(1),
                        Integer.parseInt(m.group(2)),
                        Double.parseDouble(m.group(3)),
                        Double.parseDouble(m.group(4)),
                        x));
            }
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(8);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scipyCases")
    void matchesScipy(Case c) {
        double[] copy = c.x().clone();
        ShapiroWilk.Result r = new ShapiroWilk().test(c.x(), c.n());
        assertThat(r.w()).isCloseTo(c.w(), within(1e-6));
        assertThat(r.p()).isCloseTo(c.p(), within(1e-4 * c.p()));
        assertThat(c.x()).containsExactly(copy);
    }

    @Test
    void reusedInstanceGivesTheSameAnswersAcrossSizes() {
        ShapiroWilk sw = new ShapiroWilk();
        List<Case> cases = new ArrayList<>();
        try {
            scipyCases().forEach(cases::add);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (int round = 0; round < 2; round++) {
            for (Case c : cases) {
                assertThat(sw.statistic(c.x(), c.n())).isCloseTo(c.w(), within(1e-6));
            }
        }
    }

    @Test
    void rejectsSizesOutsideTheValidRangeAndConstantSamples() {
        ShapiroWilk sw = new ShapiroWilk();
        assertThatThrownBy(() -> sw.statistic(new double[2], 2)).hasMessageContaining("expected: 3..5000");
        assertThatThrownBy(() -> sw.statistic(new double[5001], 5001)).hasMessageContaining("expected: 3..5000");
        assertThatThrownBy(() -> sw.statistic(new double[] {1, 1, 1, 1}, 4)).hasMessageContaining("zero range");
    }

    @Test
    void normalQuantileAndTailAgree() {
        for (double p : new double[] {1e-300, 1e-20, 1e-5, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-12}) {
            double x = Normal.quantile(p);
            assertThat(Normal.cdf(x)).isCloseTo(p, within(Math.max(1e-15, p * 1e-12)));
        }
        assertThat(Normal.upperTail(10)).isCloseTo(7.619853024160527e-24, within(1e-35));
        assertThat(Normal.cdf(1.959963984540054)).isCloseTo(0.975, within(1e-15));
    }
}
