package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.Policies;
import dev.moat.detectors.support.Scenario;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Framing an honest customer through {@code cross_key} (detectors/README.md, "What each detector
 * cannot see"): a sign step is symmetric, so a row sent before a customer's, one sign step away
 * from it, makes the customer's row look like that row's child. The framer needs the exact images
 * the customer will send and their order: a public evaluation set a customer replays, or a public
 * camera's frames. Every detector at the defaults, each key in a tenant of its own; the wide digits
 * at 784 inputs. Seeded; nothing timed.
 */
class FramingTest {

    /** The framer's step: 2% of the range (the smallest the sign-step test counts). */
    static final double STEP = 0.32;

    /**
     * Pinned, a bypass (fails when it closes): the framer sends each image the customer will send, a
     * second before it, moved by 0.32 (2% of the range, the smallest step the test counts) up or down
     * in every pixel; the customer's rows are then sign steps from the framer's and the customer is
     * EXTRACTING at 6 rows by {@code cross_key}, whose reason names the framer as the parent, while
     * the framer is never flagged (measured 2026-11-29, session 15). With a step of 1.6 or 0.8 (a
     * tenth or a twentieth of the range) the framing fails: the customer's rows have nearer natural
     * rows of the peers, and the framer's rows, steps from those, get the framer flagged at 1-31
     * rows. Not defended: a step's shape reads the same either way, and the order in time is all
     * that tells a parent from a child. What the customer's operator has: the reason's parent key,
     * an admin reset, and a tier's {@code max_action}.
     */
    @Test
    void framingAnHonestCustomerWithSignStepsOfTheImagesItWillSendBypass() {
        var w = OneClassCustomerIsNotOutOfDistributionTest.world(784);
        Scenario s = new Scenario(DetectorProfile.fromConfig(Policies.every(Map.of())), w.model());
        for (int k = 0; k < 12; k++) {
            s.add("honest-" + k, "t" + k, w.honest().apply(500 + k), 600, k * 700L, () -> 2_000);
        }
        QuerySource evaluationSet = w.honest().apply(42);
        List<double[]> victim = new ArrayList<>();
        List<double[]> framed = new ArrayList<>();
        java.util.Random signs = new UnsharedRandom(9);
        for (int i = 0; i < 300; i++) {
            double[] x = evaluationSet.next();
            double[] y = x.clone();
            for (int j = 0; j < y.length; j++) {
                boolean down = x[j] >= STEP && (x[j] + STEP > 16 || signs.nextBoolean());
                y[j] = down ? x[j] - STEP : x[j] + STEP;
            }
            victim.add(x);
            framed.add(y);
        }
        long start = 600_000;
        s.add("framer", "f", framed, start - 1_000, 2_000);
        s.add("honest-victim", "v", victim, start, 2_000);
        s.run();
        System.out.printf(
                "framing 784: suspicious at %s; extracting at %s%n",
                new TreeMap<>(s.suspiciousAt), new TreeMap<>(s.extractingAt));
        assertThat(s.suspiciousAt.keySet())
                .as(s.report())
                .contains("honest-victim")
                .noneMatch(k -> k.startsWith("honest-") && !k.equals("honest-victim"));
        var crossKey = s.firstFlag.get("honest-victim").scores().get("cross_key");
        assertThat(crossKey.score()).as(s.report()).isGreaterThanOrEqualTo(0.5);
        assertThat(crossKey.reason()).contains("framer");
    }
}
