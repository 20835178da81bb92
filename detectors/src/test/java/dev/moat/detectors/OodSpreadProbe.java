package dev.moat.detectors;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Scenario;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measurement probe for {@code ood}'s widening (issue 9, customers whose data sit at their own
 * levels): twelve ordinary peers of the 13-input series (seeds 1-3), mixed (1-2) and tabular (1)
 * models through the engine, and each peer's level, highest ood score and last ood reason (D+ and
 * the widened thresholds). Reports only; runs with {@code -Doodprobe=true}:
 * {@code mvn -B -o -pl detectors -am test -Dtest=OodSpreadProbe -Doodprobe=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "oodprobe", matches = "true")
class OodSpreadProbe {

    static void print(String what, Scenario s) {
        for (String k : s.last.keySet().stream().sorted().toList()) {
            var sc = s.last.get(k).scores().get("ood");
            System.out.printf(
                    "PROBE %-12s %-28s %-10s ood max %.2f | %s%n",
                    what,
                    k,
                    s.extractingAt.containsKey(k)
                            ? "EXTR@" + s.extractingAt.get(k)
                            : s.suspiciousAt.containsKey(k) ? "SUSP@" + s.suspiciousAt.get(k) : "ok",
                    s.maxScores.getOrDefault(k, java.util.Map.of()).getOrDefault("ood", 0.0),
                    sc == null ? "-" : sc.reason());
        }
    }

    @Test
    void peersOfThirteenInputModels() {
        for (long seed = 1; seed <= 3; seed++) {
            HonestDomain d = HonestDomain.series(13, seed);
            Scenario s = HonestTrafficThatLooksLikeProbingTest.peers(d, seed, 2_000);
            s.run();
            print("series13-" + seed, s);
        }
        for (long seed = 1; seed <= 2; seed++) {
            HonestDomain d = HonestDomain.mixed(seed);
            Scenario s = HonestTrafficThatLooksLikeProbingTest.peers(d, seed, 2_000);
            s.run();
            print("mixed-" + seed, s);
        }
        HonestDomain d = HonestDomain.tabular(1);
        Scenario s = HonestTrafficThatLooksLikeProbingTest.peers(d, 1, 2_000);
        s.run();
        print("tabular-1", s);
    }
}
