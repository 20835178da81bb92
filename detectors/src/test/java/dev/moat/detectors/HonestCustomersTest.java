package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.traffic.BoundaryAttacker;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9's honest customers through the real engine and the default profile (every detector, with
 * the tenant): a 50x customer (30,000 queries in 20 minutes, over the volume budget and far above
 * its peers), a batch job (2,500 rows at once), and customers whose data are mostly 2-3 classes or
 * one class must stay {@code ok}, on the 8x8 digits (64 inputs) and on the 32x32 digits (1,024),
 * while the fixtures' attackers are still flagged within the rows they were flagged at before
 * {@code volume} and PRADA's W were capped under the suspicious threshold (+10%). Seeds 5 and 6
 * were not looked at while choosing anything.
 */
class HonestCustomersTest {

    static final DetectorProfile ALL = DetectorProfile.fromConfig(Map.of(
            "prada",
            Map.of("delta", 0.9, "step_sample_seed", 7L),
            "volume",
            Map.of(),
            "boundary",
            Map.of(),
            "ood",
            Map.of(),
            "coverage",
            Map.of(),
            "tenant",
            Map.of()));

    private static QuerySource customer(
            Digits data, long seed, int[] classes, double share, UnaryOperator<double[]> up) {
        HonestClient c = new HonestClient(
                seed,
                HonestClient.DEFAULT_MEAN_INTER_ARRIVAL,
                HonestClient.DEFAULT_NOISE_SD,
                "c",
                data,
                classes,
                share);
        return new QuerySource() {
            @Override
            public double[] next() {
                double[] x = up.apply(c.next());
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.round(x[i] * 1_000) / 1_000.0;
                }
                return x;
            }

            @Override
            public String name() {
                return "customer";
            }
        };
    }

    /** The honest population of issue 9 (all of tenant acme); returns the scenario for the attackers. */
    private static Scenario customers(Scenario s, Digits data, long seed, UnaryOperator<double[]> up) {
        for (int k = 0; k < 6; k++) {
            s.add("honest-" + k, "acme", customer(data, seed * 31 + k, new int[0], 0, up), 900, k * 700L, () -> 2_000);
        }
        s.add("honest-heavy10", "acme", customer(data, seed * 31 + 10, new int[0], 0, up), 9_000, 100, () -> 200);
        // 50x: 30,000 queries in 20 minutes, 1.5x the default daily budget
        s.add("honest-heavy50", "acme", customer(data, seed * 31 + 11, new int[0], 0, up), 30_000, 200, () -> 40);
        s.add("honest-batch", "acme", customer(data, seed * 31 + 12, new int[0], 0, up), 2_500, 300_000, () -> 1);
        s.add(
                "honest-skewed-01",
                "acme",
                customer(data, seed * 31 + 13, new int[] {0, 1}, 0.9, up),
                900,
                400,
                () -> 2_000);
        s.add(
                "honest-skewed-479",
                "acme",
                customer(data, seed * 31 + 14, new int[] {4, 7, 9}, 0.9, up),
                900,
                500,
                () -> 2_000);
        s.add(
                "honest-one-class",
                "acme",
                customer(data, seed * 31 + 15, new int[] {seed % 2 == 0 ? 0 : 6}, 0.95, up),
                900,
                600,
                () -> 2_000);
        return s;
    }

    @ParameterizedTest
    @ValueSource(longs = {5, 6})
    void honestCustomersStayOkOnDigits(long seed) {
        Digits data = Digits.get();
        Scenario s = customers(new Scenario(ALL, SampleModel.DIGITS.model()::predict), data, seed, x -> x);
        long start = 600_000;
        s.add("jbda", null, new JbdaAttacker(seed), 3_000, start, () -> 1_000)
                .add("random", null, new RandomAttacker(seed), 3_000, start, () -> 1_000)
                .add("knockoff", null, new KnockoffAttacker(seed), 3_000, start, () -> 1_000)
                .add("boundary", null, new BoundaryAttacker(seed), 3_000, start, () -> 1_000)
                .run();
        report("digits", seed, s);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertThat(s.maxHonestRisk()).as(s.worstHonest()).isLessThan(0.5);
        // first flags before the caps: seed 5 jbda 113, random 100, boundary 50; seed 6: 110, 100, 50
        // (knockoff was not flagged within 3,000 rows here either way: see the report)
        assertFlagged(s, Map.of("jbda", 124L, "random", 110L, "boundary", 55L));
    }

    @ParameterizedTest
    @ValueSource(longs = {5})
    void honestCustomersStayOkOnDigits32(long seed) {
        Digits data = Digits.upsampled(32);
        Scenario s = customers(new Scenario(ALL, SampleModel.DIGITS32.model()::predict), data, seed, x -> x);
        long start = 600_000;
        s.add(
                        "jbda",
                        null,
                        new JbdaAttacker(seed, data, 1.6, 400, JbdaAttacker.Steps.UNIFORM),
                        3_000,
                        start,
                        () -> 1_000)
                .add(
                        "jbda-scaled",
                        null,
                        new JbdaAttacker(seed, data, 1.6, 400, JbdaAttacker.Steps.RANGE_SCALED),
                        3_000,
                        start,
                        () -> 1_000)
                .add("random", null, new RandomAttacker(seed, data.features()), 3_000, start, () -> 1_000)
                .add("knockoff", null, new KnockoffAttacker(seed, data), 3_000, start, () -> 1_000)
                .run();
        report("digits32", seed, s);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        // before the caps: jbda 115, jbda-scaled 115, random 53 (knockoff not flagged either way)
        assertFlagged(s, Map.of("jbda", 127L, "jbda-scaled", 127L, "random", 58L));
    }

    /**
     * With the one-class customer since {@code ood} compares a key with its own class mix of per-class
     * references: before, on 3,072 inputs it flagged the customer sending 95% of class 6 (D+ of its
     * confidences against the pooled reference reached 1.0 by 210 rows; see {@code
     * OneClassCustomerIsNotOutOfDistributionTest}).
     */
    @ParameterizedTest
    @ValueSource(ints = {3072})
    void honestCustomersStayOkOnWideInputs(int dims) {
        Wide wide = new Wide(dims);
        Scenario s = customers(new Scenario(ALL, wide::predict), Digits.get(), 5, wide::up);
        s.add("jbda", null, wide.jbda(1, 0.1, Wide.Step.PLAIN, 1, 0), 1_000, 600_000, () -> 1_000)
                .add("per-feature", null, wide.jbda(2, 0.1, Wide.Step.PER_FEATURE, 1, 0), 1_000, 600_000, () -> 1_000)
                .run();
        report("wide " + dims, 5, s);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        // before the caps: jbda 119, per-feature 149
        assertFlagged(s, Map.of("jbda", 131L, "per-feature", 164L));
    }

    private static void report(String what, long seed, Scenario s) {
        System.out.printf(
                "honest customers, %s seed %d: suspicious at %s; extracting at %s; max honest risk %.2f (%s)%n",
                what,
                seed,
                new TreeMap<>(s.suspiciousAt),
                new TreeMap<>(s.extractingAt),
                s.maxHonestRisk(),
                s.worstHonest());
    }

    private static void assertFlagged(Scenario s, Map<String, Long> within) {
        within.forEach((key, rows) -> assertThat(s.suspiciousAt.get(key))
                .as("%s\n%s", key, s.report())
                .isNotNull()
                .isLessThanOrEqualTo(rows));
    }
}
