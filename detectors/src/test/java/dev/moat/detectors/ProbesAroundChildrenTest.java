package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The thief who has read the re-send rules (issue 9, session 20): PRADA excuses a query within an
 * eighth of its step of one of the key's recent rows ({@code RecentRows#resent}), so he follows
 * each JbDA child with Gaussian probes a tenth of a step around it (finite differences for a
 * gradient, or noise augmentation), hoping they pass as re-sends and thin his step window. They are
 * no steps at all, so nothing excuses them; they delay the flag only as interleaved rows do: one key,
 * 784 inputs, 4 probes a child, flagged after about as many children as without probes (113 rows
 * without, 551 with, 2026-11-30), by {@code prada}; no honest key flagged.
 */
class ProbesAroundChildrenTest {

    @Test
    void jbdaWithProbesAroundEachChildIsFlaggedAfterAsManyChildrenBypass() {
        Wide wide = new Wide(784);
        QuerySource jbda = wide.jbda(11, 0.1, Wide.Step.PLAIN, 1, 0);
        Random r = new UnsharedRandom(3);
        int probes = 4;
        QuerySource withProbes = new QuerySource() {
            double[] last;
            int left;

            @Override
            public double[] next() {
                if (left > 0) {
                    left--;
                    double[] p = last.clone();
                    for (int j = 0; j < p.length; j++) {
                        // a tenth of the plain step (1.6 on the 0..16 scale) per coordinate
                        p[j] = Math.max(0, Math.min(16, p[j] + 0.16 * r.nextGaussian()));
                    }
                    return p;
                }
                last = jbda.next();
                left = probes;
                return last;
            }

            @Override
            public String name() {
                return "jbda-with-probes";
            }

            @Override
            public void observe(double[] x, double[] answer) {
                jbda.observe(x, answer);
            }
        };
        Scenario s = new Scenario(CrossKeyParentsTest.ALL, wide::predict);
        for (int h = 0; h < 12; h++) {
            s.add(
                    "honest-" + h,
                    "t" + h,
                    h % 2 == 0 ? wide.honest(800 + h) : wide.honestNoisy(800 + h),
                    1_500,
                    h * 700L,
                    () -> 2_000);
        }
        s.add("thief", "tt", withProbes, 2_000, 600_000, () -> 1_000);
        s.run();
        assertThat(s.suspiciousAt.keySet()).as(s.report()).noneMatch(k -> k.startsWith("honest"));
        // about 110 children, each with its probes: (1 + probes) x 150 rows at most
        assertThat(s.suspiciousAt.get("thief")).as(s.report()).isNotNull().isLessThanOrEqualTo((1L + probes) * 150);
    }
}
