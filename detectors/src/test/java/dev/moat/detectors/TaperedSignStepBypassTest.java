package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Scenario;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, smooth displacements: the flat shape no longer counts a displacement that is smooth at a
 * lag of 1 to 4 ({@code prada/Smoothness}), so honest windows of a smooth series are no sign steps.
 * An attacker who read that steps with a smooth size: on a model whose gradient is smooth (the
 * {@code series} model: each class's weights a sum of two cosines across the window) his JbDA step
 * {@code lambda * range_j * tanh(3 g_j / rms(g))} (the sign of the true gradient, tapered to zero
 * where it flips: a low-passed gradient sign) is smooth, and so is a sign step with sizes 1 +- 20%
 * (its sign flips a few times per window). This pins what the engine does with them next to twelve
 * ordinary peers (every detector): the tapered step is not caught by prada or cross_key (documented
 * bypass, detectors/README.md "What each detector cannot see"); the near-equal one only by PRADA's
 * lifetime CUSUM, from the few windows where a sampled run straddles a sign flip (reported, not
 * asserted); sizes U(0, 2) on the same model still are (rough inside each run of one sign).
 */
class TaperedSignStepBypassTest {

    enum Size {
        TAPERED,
        NEAR_EQUAL,
        UNIFORM_0_2
    }

    /**
     * JbDA on a {@link HonestDomain} with its true gradient: 30 seed records, then rounds of children
     * {@code clip(x + lambda * range_j * size_j * dir_j)} of every point sent, towards another class.
     */
    static QuerySource jbda(HonestDomain d, long seed, double lambda, Size size) {
        Random r = new UnsharedRandom(seed);
        List<double[]> points = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        Deque<double[]> pending = new ArrayDeque<>(d.records(r, 30));
        return new QuerySource() {
            @Override
            public double[] next() {
                if (pending.isEmpty()) {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < points.size(); i++) {
                        order.add(i);
                    }
                    java.util.Collections.shuffle(order, r);
                    for (int k = 0; k < Math.min(400, order.size()); k++) {
                        int i = order.get(k);
                        double[] x = points.get(i);
                        int target = (labels.get(i) + 1 + r.nextInt(2)) % 3;
                        double[] g = d.gradient(x, target);
                        double ss = 0;
                        for (double v : g) {
                            ss += v * v;
                        }
                        double rms = Math.sqrt(ss / g.length);
                        double[] y = x.clone();
                        for (int j = 0; j < y.length; j++) {
                            double dir = switch (size) {
                                case TAPERED -> Math.tanh(3 * g[j] / rms);
                                case NEAR_EQUAL -> Math.signum(g[j]) * (0.8 + 0.4 * r.nextDouble());
                                case UNIFORM_0_2 -> Math.signum(g[j]) * 2 * r.nextDouble();
                            };
                            y[j] = d.clip(j, x[j] + lambda * (d.hi(j) - d.lo(j)) * dir);
                        }
                        pending.add(y);
                    }
                }
                return pending.poll().clone();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                points.add(x);
                int best = 0;
                for (int i = 1; i < answer.length; i++) {
                    if (answer[i] > answer[best]) {
                        best = i;
                    }
                }
                labels.add(best);
            }

            @Override
            public String name() {
                return "jbda-" + size;
            }
        };
    }

    static Scenario run(int dims) {
        HonestDomain.Series d = HonestDomain.series(dims, 1);
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("peer-" + k, "good", d.peer(100 + k), 600, k * 700L, () -> 2_000);
        }
        for (Size size : Size.values()) {
            s.add(
                    "jbda-" + size,
                    Scenario.OWN_TENANT,
                    jbda(d, 40 + size.ordinal(), 0.05, size),
                    1_000,
                    HonestTrafficThatLooksLikeProbingTest.START,
                    () -> 1_000);
        }
        s.run();
        HonestTrafficThatLooksLikeProbingTest.report(d.name() + "-bypass", 1, s);
        return s;
    }

    @Test
    void taperedSignStepOnASmoothGradientBypass() {
        for (int dims : new int[] {784, 3072}) {
            Scenario s = run(dims);
            // documented, not caught by the step tests: a tapered step is as smooth as a series window
            Map<String, Double> sc = s.maxScores.get("jbda-TAPERED");
            assertThat(sc.getOrDefault("prada", 0.0))
                    .as("%d\n%s", dims, s.report())
                    .isLessThan(0.5);
            assertThat(sc.getOrDefault("cross_key", 0.0))
                    .as("%d\n%s", dims, s.report())
                    .isLessThan(0.5);
            // random sizes from 0 are rough: still sign steps
            assertThat(s.maxScores.get("jbda-UNIFORM_0_2").getOrDefault("prada", 0.0))
                    .as("%d\n%s", dims, s.report())
                    .isGreaterThanOrEqualTo(0.5);
        }
    }
}
