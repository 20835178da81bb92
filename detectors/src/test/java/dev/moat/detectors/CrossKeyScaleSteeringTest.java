package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Tabular;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code cross_key} on narrow mixed-scale inputs measures moves in units of each coordinate's spread,
 * estimated from the newest 1,024 rows its store holds ({@code StoreScales#rescale}). An attacker
 * who has read that spends a fifth of its rows on steering those units: rows far outside the data in
 * every coordinate (the JbDA steps in all 13), sent by keys of their own that nothing flags (the model
 * answers them confidently). Their share of the store's rows must pass the spread's breakdown point
 * (the 10th/90th percentiles: a tenth of the rows) for it to work, so the thief is the busier half of
 * a quiet gateway: 12 customers at 6 rows a second in all, the JbDA at 8 (a fresh 5-key Sybil every
 * 500 rows, 100 rows a key, each in a tenant of its own) and the steering keys at 2 (20% of the
 * thief's rows, 12.5% of the store's).
 */
class CrossKeyScaleSteeringTest {

    static final int GENERATION = 500;
    static final int JBDA_ROWS = 6_000;

    /** A JbDA whose rows go to a fresh 5-key Sybil every {@link #GENERATION} rows ({@code pf-G-i}). */
    static final class Generations implements QuerySource, Scenario.Keyed {
        final QuerySource inner;
        long sent;

        Generations(QuerySource inner) {
            this.inner = inner;
        }

        @Override
        public double[] next() {
            sent++;
            return inner.next();
        }

        @Override
        public void observe(double[] x, double[] answer) {
            inner.observe(x, answer);
        }

        @Override
        public String lastKeyId() {
            long i = sent - 1;
            return "pf-" + i / GENERATION + "-" + i % 5;
        }

        @Override
        public String name() {
            return inner.name() + "-generations";
        }
    }

    /** Natural records with every coordinate far beyond its data's range (the widest feature's range x 1,000 or so). */
    static QuerySource steering(Tabular t, long seed) {
        Random r = new UnsharedRandom(seed);
        int d = Tabular.DIMS;
        double big = t.hi(d - 1) - t.lo(d - 1);
        return new QuerySource() {
            long sent;

            @Override
            public double[] next() {
                sent++;
                double[] x = t.record(r);
                for (int j = 0; j < d; j++) {
                    x[j] = t.hi(j) + 1_000 * big * (0.5 + r.nextDouble());
                }
                return x;
            }

            @Override
            public String name() {
                return "steering";
            }
        };
    }

    static Scenario run(boolean steer, long steerEvery) {
        Tabular t = new Tabular(13);
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, t::predict);
        for (int k = 0; k < 12; k++) {
            s.add("honest-" + k, "good", t.honest(1_400 + k), 4_500, k * 700L, () -> 2_000);
        }
        s.add(
                null,
                Scenario.OWN_TENANT,
                new Generations(t.jbda(48, 0.1, Tabular.Step.PER_FEATURE)),
                JBDA_ROWS,
                NarrowAndWideAdaptiveAttackersTest.START,
                () -> 125);
        if (steer) {
            s.add(
                    null,
                    Scenario.OWN_TENANT,
                    dev.moat.fixtures.traffic.SybilSplit.of(steering(t, 5), "st", 5),
                    JBDA_ROWS * 125 / steerEvery,
                    NarrowAndWideAdaptiveAttackersTest.START + 60,
                    () -> steerEvery);
        }
        s.run();
        return s;
    }

    /** Per generation: how many of its 5 keys cross_key took to 0.5 or more. */
    static List<Integer> crossKeyFlagged(Scenario s) {
        List<Integer> out = new ArrayList<>();
        for (int g = 0; g < JBDA_ROWS / GENERATION; g++) {
            int n = 0;
            for (int i = 0; i < 5; i++) {
                n += s.maxScores.getOrDefault("pf-" + g + "-" + i, Map.of()).getOrDefault("cross_key", 0.0) >= 0.5
                        ? 1
                        : 0;
            }
            out.add(n);
        }
        return out;
    }

    /**
     * Before (spreads from the 10th/90th percentiles, the floor a thousandth of the widest): the
     * steering rows were those percentiles in every feature, the store went to raw units, and from the
     * first rescale they took part in, cross_key took no key of any later generation to 0.5 (10 of the
     * 60 keys, the first two generations'; 37-39 without steering, where some generations straddle a
     * rescale). Now a spread grown past twice its anchor (its first estimate over 1,024 rows, here the
     * customers') grows only as far as 4 interquartile ranges, which a quarter of the rows must hold
     * to move far, or for a mostly constant feature the widest anchored spread: 42 of 60 (measured
     * 2026-11-29).
     * Past a quarter of the store's rows (the thief nearly alone, or more than a fifth of its rows on
     * steering) it works again: detectors/README.md, "Narrow inputs".
     */
    @Test
    void scaleSteeringWithAFifthOfTheThiefsRowsDoesNotHideJbdaAtThirteenInputs() {
        Scenario s = run(true, 500);
        List<Integer> flagged = crossKeyFlagged(s);
        System.out.println("13 inputs, scale steering: cross_key >= 0.5 per generation of 5 keys " + flagged
                + "; max honest risk " + s.maxHonestRisk() + " (" + s.worstHonest() + ")");
        assertThat(flagged.stream().mapToInt(Integer::intValue).sum())
                .as("%s\n%s", flagged, s.report())
                .isGreaterThanOrEqualTo(30);
        assertThat(flagged.subList(4, flagged.size()).stream()
                        .mapToInt(Integer::intValue)
                        .sum())
                .as("%s", flagged)
                .isGreaterThanOrEqualTo(20);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        s.maxScores.forEach((key, sc) -> {
            if (key.startsWith("honest")) {
                assertThat(sc.getOrDefault("cross_key", 0.0))
                        .as("%s: cross_key", key)
                        .isZero();
            }
        });
    }

    /**
     * Pinned hole (fails when it closes): the same thief spending more of its rows on steering, one row
     * every 200 ms (5 a second: 38% of its rows, 26% of the store's), holds the quartiles too: from the
     * first rescale the steering rows are part of, the store is in raw units (every feature's spread
     * about the same, not mixed) and cross_key takes no key of a later generation to 0.5 (measured
     * 2026-11-29: 8 of 60 keys, the first two generations'; every 250 ms, 22% of the store's rows, 40
     * of 60). A spread that a larger minority cannot move (the median absolute deviation holds to half
     * the rows) is zero on more honest features (binary and count ones), and steering rows are answered
     * confidently, so nothing flags their keys; detectors/README.md, "Narrow inputs".
     */
    @Test
    void crossKeyScaleSteeringBypass() {
        Scenario s = run(true, 200);
        List<Integer> flagged = crossKeyFlagged(s);
        System.out.println(
                "13 inputs, scale steering past a quarter of the rows: cross_key >= 0.5 per generation " + flagged);
        assertThat(flagged.subList(4, flagged.size()).stream()
                        .mapToInt(Integer::intValue)
                        .sum())
                .as("%s", flagged)
                .isLessThanOrEqualTo(5);
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
    }

    /** Not an assertion (with {@code -Dscalesteerprobe=true}): the same thief with and without steering. */
    @Test
    void probe() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("scalesteerprobe"));
        for (long every : new long[] {0, 500, 250, 200}) {
            Scenario s = run(every > 0, Math.max(1, every));
            System.out.println("PROBE steer every " + every + " ms: cross_key >= 0.5 per generation "
                    + crossKeyFlagged(s) + " max honest " + s.maxHonestRisk() + " " + s.worstHonest());
        }
    }
}
