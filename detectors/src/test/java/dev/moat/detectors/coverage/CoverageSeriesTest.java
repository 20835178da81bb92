package dev.moat.detectors.coverage;

import static dev.moat.detectors.coverage.CoverageFixedCellsTest.honest;
import static dev.moat.detectors.coverage.CoveragePeersTest.T0;
import static dev.moat.detectors.coverage.CoveragePeersTest.drive;
import static dev.moat.detectors.coverage.CoveragePeersTest.names;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Windows read along a series ({@code internal.SeriesWindows}, session 31): a query that is the key's
 * last one read a few coordinates later opens no cell that counts in its novelty window; nor, since
 * session 35, does one that repeats the key's current situation ({@code internal.Runs}). Six honest
 * keys of the digits (64 inputs) form the cells and the reference for an hour; then the keys under
 * test send 1,200 queries each, scored at their last (or at the query named).
 */
class CoverageSeriesTest {

    /** The keys' scores at their 1,200th query, and their states, after the honest hour. */
    private record Run(Map<String, Double> scores, Map<String, CoverageDetector.State> states) {
        double score(int key) {
            return scores.get("key-" + key);
        }

        /** How many of the key's queries its novelty window holds (at most 200), and the share that opened a cell. */
        String window(int key) {
            CoverageDetector.State s = states.get("key-" + key);
            return s.novelty.count() + " of " + s.novelty.filled();
        }

        int counted(int key) {
            return states.get("key-" + key).novelty.filled();
        }
    }

    /** {@code sources} for 1,200 queries each after six honest keys' hour, coverage with {@code params}. */
    private static Run afterHonestHour(Map<String, Object> params, List<QuerySource> sources) {
        return afterHonestHour(params, sources, 1_200);
    }

    /** As above, scored at query {@code at}. */
    private static Run afterHonestHour(Map<String, Object> params, List<QuerySource> sources, int at) {
        CoverageDetector d = new CoverageDetector(CoverageDetector.Settings.from(params));
        Map<String, CoverageDetector.State> states = new HashMap<>();
        drive(d, states, names("honest-", 6), honest(700, 6), T0, 1_800, -1);
        Map<String, Double> scores =
                drive(d, states, names("key-", sources.size()), sources, T0 + 3_600_000L, 1_200, at);
        return new Run(scores, states);
    }

    /** {@code values} as overlapping windows of the digits' 64 inputs, each the last read {@code hop} values later. */
    static QuerySource slidingWindows(String name, int hop, java.util.function.DoubleSupplier values) {
        return dev.moat.detectors.support.HonestDomain.slidingWindows(name, 64, hop, values);
    }

    /** A random walk over the digits' range (0-16), steps of {@code sd}. */
    static java.util.function.DoubleSupplier walk(long seed, double sd) {
        Random r = new UnsharedRandom(seed);
        double[] v = {8};
        return () -> v[0] = Math.max(0, Math.min(16, v[0] + sd * r.nextGaussian()));
    }

    /**
     * The rule and its attacker's view: a random walk sent as overlapping windows read 8 values later
     * (a monitor's windows of its machine's series) is scored with the rule off ({@code run_near: 0}:
     * 200 windows counted, most opening a cell); with it, each window follows the last and none is
     * counted after the first. A thief who sends random rows, each followed by its own copy read 4
     * values later, gains nothing: the copies are not counted, the random rows are, and he scores at
     * least what the same rows alone score (0.42 and 0.35 measured at the 1,200th query, 145 and 141
     * of the last 200 counted opening a cell: the rows alone have visited twice as many cells by
     * then); at his 500th query (250 rows) he is flagged, as random keys are in {@code
     * CoverageFixedCellsTest.randomSwarmIsFlaggedInTheHonestKeysCells}.
     */
    @Test
    void windowsReadAlongASeriesCountNothingAndRandomRowsBetweenShiftedCopiesStillCount() {
        Run off = afterHonestHour(Map.of("run_near", 0), List.of(slidingWindows("walk", 8, walk(8, 4))));
        assertThat(off.counted(0)).as("without the rule").isEqualTo(200);
        assertThat(off.score(0)).as("without the rule, %s", off.window(0)).isGreaterThanOrEqualTo(0.5);
        Run on = afterHonestHour(Map.of(), List.of(slidingWindows("walk", 8, walk(8, 4))));
        assertThat(on.counted(0)).as("with it").isLessThanOrEqualTo(1);
        assertThat(on.score(0)).as("with it").isZero();

        Run thief = afterHonestHour(Map.of(), List.of(randomRows(true)));
        Run rowsAlone = afterHonestHour(Map.of(), List.of(randomRows(false)));
        assertThat(thief.counted(0)).as("the random rows only").isEqualTo(200);
        assertThat(afterHonestHour(Map.of(), List.of(randomRows(true)), 500).score(0))
                .as("at the 500th query")
                .isGreaterThanOrEqualTo(0.5);
        // 600 rows in 1,200 queries: no fewer new cells than 1,200 rows alone open (those have visited more)
        assertThat(thief.score(0))
                .as("random rows between their shifted copies, %s; alone %s", thief.window(0), rowsAlone.window(0))
                .isPositive()
                .isGreaterThanOrEqualTo(rowsAlone.score(0));
    }

    /** Uniform random rows (seed 11), each followed by its own copy read 4 values later when {@code copies}. */
    static QuerySource randomRows(boolean copies) {
        Random rows = new UnsharedRandom(11);
        Random tails = new UnsharedRandom(12);
        return new QuerySource() {
            double[] last;

            @Override
            public double[] next() {
                double[] x = new double[64];
                if (last == null || !copies) {
                    for (int j = 0; j < 64; j++) {
                        x[j] = 16 * rows.nextDouble();
                    }
                    last = x;
                } else {
                    // the last row read 4 values later, 4 new values at its end
                    for (int j = 0; j < 64; j++) {
                        x[j] = j + 4 < 64 ? last[j + 4] : 16 * tails.nextDouble();
                    }
                    last = null;
                }
                return x;
            }

            @Override
            public String name() {
                return copies ? "random-and-shifted-copies" : "random";
            }
        };
    }

    /**
     * Pinned, what the rule gives away: a thief who sends random values as a series, in overlapping
     * windows read 8 values later (8 new random values a window), has 200 windows counted and a
     * score of 0.45 with the rule off (74% of them opening a cell), and none counted and 0 with it:
     * coverage does not judge a series read along. His windows are white noise, which {@code ood}
     * reads whatever coverage says ({@code
     * HonestDataShapesTest.randomValuesSentAsSlidingWindowsAreFlaggedWithoutCoverage}); to make every
     * query an input of his own choosing he must wait 8 windows (the width over the hop).
     */
    @Test
    void randomValuesSentAsSlidingWindowsAreNoCoverageNoveltyBypass() {
        Random r1 = new UnsharedRandom(8);
        Run off =
                afterHonestHour(Map.of("run_near", 0), List.of(slidingWindows("noise", 8, () -> 16 * r1.nextDouble())));
        assertThat(off.counted(0)).as("without the rule").isEqualTo(200);
        assertThat(off.score(0)).as("without the rule, %s", off.window(0)).isGreaterThan(0.3);
        Random r2 = new UnsharedRandom(8);
        Run on = afterHonestHour(Map.of(), List.of(slidingWindows("noise", 8, () -> 16 * r2.nextDouble())));
        assertThat(on.counted(0)).as("with it").isLessThanOrEqualTo(1);
        assertThat(on.score(0)).as("with it").isZero();
    }

    /** Uniform random rows (seed 13), each sent {@code times} times in a row. */
    static QuerySource randomRowsSent(int times) {
        Random rows = new UnsharedRandom(13);
        return new QuerySource() {
            double[] last;
            int sent;

            @Override
            public double[] next() {
                if (last == null || sent == times) {
                    last = new double[64];
                    for (int j = 0; j < 64; j++) {
                        last[j] = 16 * rows.nextDouble();
                    }
                    sent = 0;
                }
                sent++;
                return last.clone();
            }

            @Override
            public String name() {
                return "random-sent-" + times;
            }
        };
    }

    /**
     * The bypass (session 35): a thief who sends each random row twice in a row halves his novelty,
     * since the copy lands in the cell its row has just opened. Without runs ({@code run_near: 0}, as
     * coverage was before) the copies counted: 80 of his last 200 queries opened a cell at his 500th
     * query (40%, under {@code novelty_low}) and he scored 0, where the same rows sent once score 0.98
     * (153 of 200). With runs a copy repeats the key's current situation ({@code internal.Runs}) and is
     * not counted: 166 of the last 200 rows counted opened a cell, score 1. Sending each row k times
     * changes nothing more; a copy with a little noise joins the run too, and one with more is another
     * random row, counted.
     */
    @Test
    void randomRowsEachSentTwiceHalveTheirNoveltyBypass() {
        Run without = afterHonestHour(Map.of("run_near", 0), List.of(randomRowsSent(2)), 500);
        assertThat(without.score(0)).as("without runs, %s", without.window(0)).isLessThan(0.5);
        Run with = afterHonestHour(Map.of(), List.of(randomRowsSent(2)), 500);
        assertThat(with.score(0)).as("with runs, %s", with.window(0)).isGreaterThanOrEqualTo(0.5);
        // the copies not counted: most of the last 200 counted opened a cell (80 with the copies counted)
        assertThat(with.states().get("key-0").novelty.count()).isGreaterThan(140);
    }

    /** A camera: each scene one of {@code HonestClient(seed)}'s digits at {@code gain} over a background of 1, sent as {@code frames} frames with noise of sd {@code noise}. */
    static QuerySource camera(long seed, int frames, double gain, double noise) {
        dev.moat.fixtures.traffic.HonestClient scenes = new dev.moat.fixtures.traffic.HonestClient(seed);
        Random r = new UnsharedRandom(seed * 31 + 7);
        return new QuerySource() {
            double[] scene;
            int left;

            @Override
            public double[] next() {
                if (left == 0) {
                    scene = scenes.next();
                    left = frames;
                }
                left--;
                double[] x = new double[scene.length];
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.max(0, Math.min(16, 1 + gain * scene[j] + noise * r.nextGaussian()));
                }
                return x;
            }

            @Override
            public String name() {
                return "camera";
            }
        };
    }

    /**
     * Runs (session 35): a camera that sends each scene (one of an honest client's digits) as 10
     * frames with the sensor's noise (sd 0.1) has a frame that repeats its current scene (a near-copy
     * of the scene's first frame with a near answer, {@code internal.Runs}) mark its cell without
     * counting, as {@code ood} and {@code boundary} count a scene once: at its 1,200th query (120
     * scenes) its window holds 147 situations (measured), where without runs ({@code run_near: 0}) it
     * holds its last 200 frames, 18 of which opened a cell. What the frames opened no longer lowers
     * its novelty either (103 of 147, 70%: each counted one is a new scene; score 0 both ways).
     */
    @Test
    void framesThatRepeatTheCamerasSceneCountOnce() {
        Run without = afterHonestHour(Map.of("run_near", 0), List.of(camera(900, 10, 1, 0.1)));
        assertThat(without.counted(0)).isEqualTo(200);
        Run with = afterHonestHour(Map.of(), List.of(camera(900, 10, 1, 0.1)));
        assertThat(with.counted(0)).as(with.window(0)).isBetween(120, 180);
        assertThat(with.score(0)).as(with.window(0)).isZero();
    }
}
