package dev.moat.detectors.coverage;

import static dev.moat.detectors.coverage.CoveragePeersTest.T0;
import static dev.moat.detectors.coverage.CoveragePeersTest.drive;
import static dev.moat.detectors.coverage.CoveragePeersTest.names;
import static dev.moat.detectors.coverage.CoveragePeersTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.Calibration;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The default {@code cells: fixed} against its trusted peers (one worker's detector, a driven clock,
 * the real digits model's inputs): the cells' widths come from the trusted keys' spreads (or a
 * calibration file's), once, so what a key sends after cannot widen them; and what keys that are a
 * fresh worker's first keys can do to them (pinned), which a calibration file closes.
 */
class CoverageFixedCellsTest {

    static CoverageDetector fixedCells() {
        return new CoverageDetector(CoverageDetector.Settings.from(Map.of()));
    }

    static List<QuerySource> honest(long seed, int n) {
        List<QuerySource> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(new HonestClient(seed + k));
        }
        return out;
    }

    /** A calibration file as {@code moat calibrate} records it from {@code n} honest keys of 1,500 rows. */
    static Calibration honestCalibration(long seed, int n) {
        CoverageDetector.Peaks peaks = new CoverageDetector.Peaks();
        List<QuerySource> sources = honest(seed, n);
        for (int q = 0; q < 1_500; q++) {
            for (int k = 0; k < n; k++) {
                peaks.add("k" + k, sources.get(k).next());
            }
        }
        return new Calibration(n, 1_500L * n, null, null, null, null, Double.NaN, Double.NaN, peaks.median(5))
                .withCoverageCells(peaks.inputWidth(), peaks.cellWidths(5));
    }

    /**
     * Six honest keys for an hour set the widths and the reference; then 24 random keys arrive
     * together: every one is flagged at its 500th query, the reference does not move, and the
     * widths are those the honest keys set.
     */
    @Test
    void randomSwarmIsFlaggedInTheHonestKeysCells() {
        CoverageDetector d = fixedCells();
        Map<String, CoverageDetector.State> states = new HashMap<>();
        drive(d, states, names("honest-", 6), honest(700, 6), T0, 1_800, -1);
        long t = T0 + 3_600_000L;
        double before = d.reference(t);
        assertThat(before).as("honest reference").isBetween(0.2, 0.5);
        Map<String, Double> swarm = drive(d, states, names("random-", 24), random(900, 24), t, 600, 500);
        assertThat(d.reference(t + 1_200_000L)).isEqualTo(before);
        assertThat(swarm.values()).allMatch(v -> v >= 0.5);
    }

    /**
     * Pinned price, as with the sign cells ({@code CoveragePeersTest.coverageColdStartSwarmBypass}):
     * twelve random keys that are a fresh worker's first keys set the cells' widths and the
     * reference themselves, and coverage does not flag them. A calibration file recorded from honest
     * keys gives the widths and the reference from the first query: all twelve flagged at 500.
     */
    @Test
    void coverageFixedCellsColdStartSwarmBypass() {
        CoverageDetector d = fixedCells();
        Map<String, Double> swarm = drive(d, new HashMap<>(), names("random-", 12), random(500, 12), T0, 900, 800);
        System.out.printf(
                "fixed cells cold-start swarm: reference %.2f, scores %s%n", d.reference(T0 + 1_800_000L), swarm);
        assertThat(d.reference(T0 + 1_800_000L)).isGreaterThan(0.7);
        assertThat(swarm.values()).allMatch(v -> v < 0.5);

        CoverageDetector calibrated = (CoverageDetector)
                CoverageDetector.factory(Map.of(), honestCalibration(40, 6)).create();
        Map<String, Double> flagged =
                drive(calibrated, new HashMap<>(), names("random-", 12), random(500, 12), T0, 600, 500);
        assertThat(flagged.values()).allMatch(v -> v >= 0.5);
    }

    /**
     * Pinned price: an attacker who knows the widths are the median of the first trusted keys'
     * spreads, frozen once five keys report, opens a fresh worker with three keys of its first five
     * sending natural digits alternated with blank and saturated rows (every row a plausible image).
     * The cells are wider for everyone (the reference falls from 0.47 to 0.23), and random keys an
     * hour later open 54-64% new cells against 85-88%: not flagged (they are with honest first
     * keys). This is the cold-start swarm's precondition (a majority of a fresh worker's first keys,
     * {@link #coverageFixedCellsColdStartSwarmBypass}), and a calibration file closes it the same
     * way. Honest keys arriving later are never flagged in any of the three.
     */
    @Test
    void coldStartMajorityWidensTheCellsBypass() {
        assertThat(lateKeys(0, null, random(950, 4)).values()).allMatch(v -> v >= 0.5);
        assertThat(lateKeys(3, null, random(950, 4)).values()).allMatch(v -> v < 0.5);
        assertThat(lateKeys(3, honestCalibration(40, 6), random(950, 4)).values())
                .allMatch(v -> v >= 0.5);
        for (int wideners : new int[] {0, 3}) {
            assertThat(lateKeys(wideners, null, honest(990, 4)).values()).allMatch(v -> v == 0);
        }
    }

    /**
     * Five first keys ({@code wideners} of them widening, the rest honest) for an hour on a fresh
     * worker (with the calibration {@code file}, or none), then four keys sending {@code late}:
     * their scores at their 500th query.
     */
    private static Map<String, Double> lateKeys(int wideners, Calibration file, List<QuerySource> late) {
        CoverageDetector d =
                (CoverageDetector) CoverageDetector.factory(Map.of(), file).create();
        Map<String, CoverageDetector.State> states = new HashMap<>();
        List<QuerySource> first = honest(60, 5 - wideners);
        for (int k = 0; k < wideners; k++) {
            first.add(widening(new HonestClient(80 + k), 90 + k));
        }
        drive(d, states, names("first-", 5), first, T0, 1_800, -1);
        Map<String, Double> scores = drive(d, states, names("late-", 4), late, T0 + 3_600_000L, 600, 500);
        System.out.printf(
                "coverage fixed cells, %d of 5 first keys widening, calibrated %b: reference %.2f, late keys %s%n",
                wideners, file != null, d.reference(T0 + 4_800_000L), scores);
        return scores;
    }

    /**
     * Was a bypass (found and closed in session 25): the first fixed cells learned one set of widths
     * per worker and stopped learning for good once keys of two input widths had reported, so one
     * key sending 200 rows of another width (a second model behind the same policy, or a thief's
     * padded rows) before the widths formed left the worker without cells, and random keys were
     * never flagged. Now every input width has its own trusted keys' spreads and widths (up to
     * {@value CoverageDetector#MAX_WIDTHS} widths), and a key reports only rows of its first width: the
     * random keys an hour later are flagged at 500 as without the other key, and keys of the other
     * width get cells of their own.
     */
    @Test
    void anotherWidthBlindsTheCellsBypass() {
        CoverageDetector d = fixedCells();
        Map<String, CoverageDetector.State> states = new HashMap<>();
        List<QuerySource> first = honest(60, 5);
        first.add(halves(new HonestClient(66)));
        drive(d, states, names("first-", 6), first, T0, 1_800, -1);
        Map<String, Double> scores = drive(d, states, names("late-", 4), random(950, 4), T0 + 3_600_000L, 600, 500);
        System.out.printf("coverage fixed cells beside a key of another width: late random keys %s%n", scores);
        assertThat(scores.values()).allMatch(v -> v >= 0.5);

        // five customers of a 32-wide model behind the same policy: that width gets its own cells
        List<QuerySource> narrow = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            narrow.add(halves(new HonestClient(70 + k)));
        }
        drive(d, states, names("narrow-", 5), narrow, T0 + 5_000_000L, 600, -1);
        assertThat(states.get("narrow-0").cells).isPositive();
    }

    /**
     * Keys sending rows of many widths cannot crowd out the model's: at most {@value
     * CoverageDetector#MAX_WIDTHS} widths keep spreads, a width is kept from a key's first report of
     * it (not from its first row), and past the bound a new width replaces the one without cells that
     * the fewest trusted keys report. Twenty keys, each sending 300 random rows of its own width
     * (10-29 inputs), come first; then five honest keys of the model's 64 form its cells, and random
     * keys an hour later are flagged at 500 as without the twenty.
     */
    @Test
    void manyWidthsCannotCrowdOutTheModelsCellsBypass() {
        CoverageDetector d = fixedCells();
        Map<String, CoverageDetector.State> states = new HashMap<>();
        for (int k = 0; k < 20; k++) {
            int width = 10 + k;
            SplittableRandom r = new SplittableRandom(5_000 + k);
            QuerySource odd = new QuerySource() {
                public double[] next() {
                    double[] x = new double[width];
                    for (int j = 0; j < width; j++) {
                        x[j] = r.nextDouble(0, 16);
                    }
                    return x;
                }

                public String name() {
                    return "odd-width";
                }
            };
            drive(d, states, List.of("odd-" + k), List.of(odd), T0 + k * 1_000L, 300, -1);
        }
        drive(d, states, names("first-", 5), honest(60, 5), T0 + 700_000L, 1_800, -1);
        Map<String, Double> scores =
                drive(d, states, names("late-", 4), random(950, 4), T0 + 700_000L + 3_600_000L, 600, 500);
        System.out.printf("coverage fixed cells after twenty keys of other widths: late random keys %s%n", scores);
        assertThat(scores.values()).allMatch(v -> v >= 0.5);
    }

    /** The first 32 of each natural 64-pixel row: another model's input width. */
    static QuerySource halves(QuerySource natural) {
        return new QuerySource() {
            public double[] next() {
                return java.util.Arrays.copyOf(natural.next(), 32);
            }

            public String name() {
                return "halves";
            }
        };
    }

    /** Natural rows, every other one replaced by a blank (all 0) or saturated (all 16) image. */
    static QuerySource widening(QuerySource natural, long seed) {
        SplittableRandom coin = new SplittableRandom(seed);
        return new QuerySource() {
            int n;

            public double[] next() {
                double[] x = natural.next();
                if ((n++ & 1) == 0) {
                    java.util.Arrays.fill(x, coin.nextBoolean() ? 0.0 : 16.0);
                }
                return x;
            }

            public String name() {
                return "widening";
            }
        };
    }
}
