package dev.moat.detectors;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Scenario;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Probe, not a test (asserts nothing; behind {@code -Dheavyprobe=true}): ordinary keys of wide
 * {@link HonestDomain}s ({@code -Dmodels=smooth-784,series-3072,...}, {@code -Dpeers=N} at one row
 * every 2 s, {@code -Dpseed}) next to {@code -Dheavies=N} heavy keys ({@code -Dheavyrows}, one row
 * every 100 ms), every detector; prints each key's line and its first flag. Found (2026-11-29): 2 of
 * 36 smooth-784 peers flagged by prada's lifetime sign-step evidence at 229 and 459 rows.
 */
class HeavyWideProbe {
    @Test
    @EnabledIfSystemProperty(named = "heavyprobe", matches = "true")
    void heavy() {
        for (String m : System.getProperty("models", "smooth-784,series-3072,smooth-3072")
                .split(",")) {
            String[] p = m.split("-");
            int dims = Integer.parseInt(p[1]);
            HonestDomain d = p[0].equals("smooth")
                    ? HonestDomain.smooth(dims, 1)
                    : p[0].equals("series") ? HonestDomain.series(dims, 1) : HonestDomain.sparse(dims, 1);
            int peers = Integer.getInteger("peers", 12);
            Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, d::predict);
            for (int k = 0; k < peers; k++) {
                s.add("peer-" + k, "t" + k, d.peer(Long.getLong("pseed", 100) + k), 1_500, k * 700L, () -> 2_000);
            }
            int heavy = Integer.getInteger("heavyrows", 30_000);
            for (int k = 0; k < Integer.getInteger("heavies", 4); k++) {
                s.add("heavy-" + k, "h" + k, d.peer(200 + k), heavy, k * 500L, () -> 100);
            }
            s.run();
            HonestTrafficThatLooksLikeProbingTest.report(d.name(), 1, s);
            s.firstFlag.forEach((k, v) -> System.out.println("FIRSTFLAG " + d.name() + " " + k + " " + v));
        }
    }
}
