package dev.moat.detectors.coverage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code coverage} against its trusted peers (one worker's detector, a driven clock, the real digits
 * model's inputs): the peers' reference only ever makes it more lenient than the absolute
 * thresholds, a swarm of random keys cannot raise a reference honest keys have formed, and what a
 * swarm present from the very start gets (pinned). With {@code cells: sign} (the cells before
 * session 25), whose reference logic the default {@code fixed} cells share; what the fixed cells'
 * widths add (learned from the trusted keys, or a calibration's) is tested in {@link
 * CoverageFixedCellsTest}.
 */
class CoveragePeersTest {

    static final long T0 = 1_800_000_000_000L;

    /** The settings {@code params} with {@code cells: sign}. */
    static CoverageDetector.Settings signCells(Map<String, Object> params) {
        Map<String, Object> p = new HashMap<>(params);
        p.put("cells", "sign");
        return CoverageDetector.Settings.from(p);
    }

    /** Keys sending one query every 2 s in lock step from {@code start}; returns each key's score at its query {@code at}. */
    static Map<String, Double> drive(
            CoverageDetector d,
            Map<String, CoverageDetector.State> states,
            List<String> keys,
            List<QuerySource> sources,
            long start,
            int queries,
            int at) {
        Map<String, Double> scores = new HashMap<>();
        DigitsModel model = DigitsModel.get();
        for (int q = 1; q <= queries; q++) {
            long now = start + q * 2_000L;
            for (int k = 0; k < keys.size(); k++) {
                CoverageDetector.State s = states.computeIfAbsent(keys.get(k), key -> d.newState());
                double[] x = sources.get(k).next();
                // coverage reads only the input; rows of another width than the model's get no answer here
                d.update(s, x, x.length == 64 ? model.predict(x) : new double[0], now);
                d.observeRisk(s, d.score(s, now));
                if (q == at) {
                    scores.put(keys.get(k), d.score(s, now));
                }
            }
        }
        return scores;
    }

    /**
     * The absolute thresholds alone, as before peers: a fixed reference of 0 (under {@code
     * novelty_low - peer_margin}, so the score starts at {@code novelty_low}). With no reference at
     * all coverage now has no opinion ({@link #noReferenceNoOpinion}).
     */
    static CoverageDetector absoluteOnly() {
        return new CoverageDetector(signCells(Map.of("reference_novelty", 0.0)));
    }

    /**
     * Before a worker has a reference (fewer than {@code min_keys} trusted keys, no {@code
     * reference_novelty}) coverage has not learned what this model's honest novelty is: it scores
     * 0 and says why. A random key alone on a worker (a small deployment, or the first key after a
     * restart) was flagged at 500 by the absolute thresholds; now it is not, by coverage (the price,
     * detectors/README.md `coverage`, "Before a reference"): {@code coverageLoneThiefWithoutReferenceBypass}.
     */
    @Test
    void coverageLoneThiefWithoutReferenceBypass() {
        CoverageDetector d = new CoverageDetector(signCells(Map.of()));
        Map<String, CoverageDetector.State> states = new HashMap<>();
        List<String> keys = new ArrayList<>(names("honest-", 3));
        keys.add("thief");
        List<QuerySource> sources = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            sources.add(new HonestClient(40 + k));
        }
        sources.add(new RandomAttacker(41));
        Map<String, Double> scores = drive(d, states, keys, sources, T0, 3_000, 3_000);
        long end = T0 + 3_000 * 2_000L;
        assertThat(d.reference(end)).isNaN();
        assertThat(scores).allSatisfy((k, v) -> assertThat(v).isZero());
        assertThat(d.reason(states.get("thief"), end)).endsWith("(no reference yet: 4 of 5 trusted keys)");
        // what the absolute thresholds gave it, and give it again with a fixed reference
        assertThat(drive(absoluteOnly(), new HashMap<>(), keys, sourcesAgain(), T0, 600, 500)
                        .get("thief"))
                .isGreaterThanOrEqualTo(0.5);
    }

    private static List<QuerySource> sourcesAgain() {
        List<QuerySource> sources = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            sources.add(new HonestClient(40 + k));
        }
        sources.add(new RandomAttacker(41));
        return sources;
    }

    /** No reference: every key, whatever its novelty, scores 0 (one key sending random rows alone). */
    @Test
    void noReferenceNoOpinion() {
        CoverageDetector d = new CoverageDetector(signCells(Map.of()));
        Map<String, Double> alone = drive(d, new HashMap<>(), names("random-", 1), random(5, 1), T0, 1_000, 1_000);
        assertThat(alone.get("random-0")).isZero();
        assertThat(drive(absoluteOnly(), new HashMap<>(), names("random-", 1), random(5, 1), T0, 1_000, 1_000)
                        .get("random-0"))
                .isGreaterThan(0.0);
    }

    static List<String> names(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(prefix + k);
        }
        return out;
    }

    static List<QuerySource> random(long seed, int n) {
        List<QuerySource> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(new RandomAttacker(seed + k));
        }
        return out;
    }

    /**
     * Six honest keys for an hour form the reference; then 24 random keys (four times as many)
     * arrive together. Each random key must look like the reference before it may count (judged as it
     * would be scored, from its first window), so none ever does, the reference stays the honest keys'
     * and every random key scores at its 500th query what the absolute thresholds alone give it.
     */
    @Test
    void randomSwarmCannotRaiseAReferenceHonestKeysFormed() {
        CoverageDetector d = new CoverageDetector(signCells(Map.of()));
        Map<String, CoverageDetector.State> states = new HashMap<>();
        List<QuerySource> honest = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            honest.add(new HonestClient(700 + k));
        }
        drive(d, states, names("honest-", 6), honest, T0, 1_800, -1);
        double before = d.reference(T0 + 3_600_000L);
        assertThat(before).as("honest reference").isLessThan(0.5);

        Map<String, Double> swarm = drive(d, states, names("random-", 24), random(900, 24), T0 + 3_600_000L, 600, 500);
        assertThat(d.reference(T0 + 3_600_000L + 1_200_000L)).isEqualTo(before);

        CoverageDetector alone = absoluteOnly();
        Map<String, Double> noPeers =
                drive(alone, new HashMap<>(), names("random-", 24), random(900, 24), T0, 600, 500);
        assertThat(swarm).isEqualTo(noPeers);
        assertThat(swarm.values()).allMatch(v -> v >= 0.5);
    }

    /**
     * Pinned price: with no reference yet (fewer than {@code min_keys} trusted keys in the worker), a
     * key not yet scored joins unjudged, or a population whose every honest key opens new cells
     * (documents) could never form one. So twelve random keys that are the first keys a worker sees
     * form the reference themselves and {@code coverage} does not flag them; the absolute thresholds
     * flagged them at 500. An operator who knows the model's honest novelty sets {@code
     * reference_novelty} (or a peer of the same shard must be trusted first), and they are flagged
     * as before.
     */
    @Test
    void coverageColdStartSwarmBypass() {
        CoverageDetector d = new CoverageDetector(signCells(Map.of()));
        Map<String, Double> swarm = drive(d, new HashMap<>(), names("random-", 12), random(500, 12), T0, 600, 500);
        assertThat(d.reference(T0 + 1_200_000L)).isGreaterThan(0.8);
        assertThat(swarm.values()).allMatch(v -> v < 0.5);

        CoverageDetector fixed = new CoverageDetector(signCells(Map.of("reference_novelty", 0.3)));
        Map<String, Double> flagged =
                drive(fixed, new HashMap<>(), names("random-", 12), random(500, 12), T0, 600, 500);
        CoverageDetector alone = absoluteOnly();
        assertThat(flagged)
                .isEqualTo(drive(alone, new HashMap<>(), names("random-", 12), random(500, 12), T0, 600, 500))
                .allSatisfy((k, v) -> assertThat(v).isGreaterThanOrEqualTo(0.5));
    }

    /**
     * Keys holding most of the trusted weight (twelve against six honest keys, all aged an hour on
     * natural digits) try to raise the reference: every 100 rows they steer the share of random rows
     * they mix in toward a little over where the reference as it stands starts scoring (reading
     * their own novelty, which the public default seed lets an attacker compute). An old key's cells
     * are mostly visited: even all-random rows open few new ones (novelty 0.26 at best, falling to
     * 0.03), so their peaks stay under the honest keys' and the reference does not move; a random key
     * arriving after is flagged as the absolute thresholds flag it. (A fresh key's novelty is
     * higher, but it starts at a tenth of the weight; see detectors/README.md, `coverage`.)
     */
    @Test
    void agedMajorityCannotSteerTheReferenceUp() {
        CoverageDetector d = new CoverageDetector(signCells(Map.of()));
        Map<String, CoverageDetector.State> states = new HashMap<>();
        List<String> keys = new ArrayList<>(names("honest-", 6));
        keys.addAll(names("sybil-", 12));
        double[] share = {0};
        List<QuerySource> sources = new ArrayList<>();
        for (int k = 0; k < 18; k++) {
            HonestClient natural = new HonestClient(1_000 + k);
            RandomAttacker random = new RandomAttacker(2_000 + k);
            java.util.SplittableRandom coin = new java.util.SplittableRandom(3_000 + k);
            boolean sybil = k >= 6;
            sources.add(new QuerySource() {
                public double[] next() {
                    return sybil && coin.nextDouble() < share[0] ? random.next() : natural.next();
                }

                public String name() {
                    return "mix";
                }
            });
        }
        long t = T0;
        drive(d, states, keys, sources, t, 1_800, -1);
        t += 1_800 * 2_000L;
        // each 100 rows, the Sybils steer their random share toward a little under what the reference as it
        // stands scores 0.25, reading their own novelty (the default seed is public, so an attacker can compute
        // the cells)
        for (int chunk = 0; chunk < 120; chunk++) {
            double target = Math.max(0.6, d.reference(t) + 0.1) + 0.02;
            double novelty = 0;
            for (int k = 6; k < 18; k++) {
                CoverageDetector.State s = states.get(keys.get(k));
                novelty += (double) s.novelty.count() / s.novelty.filled() / 12;
            }
            share[0] = Math.min(1, Math.max(0, share[0] + 0.3 * (target - novelty)));
            drive(d, states, keys, sources, t, 100, -1);
            t += 100 * 2_000L;
        }
        System.out.printf("coverage aged majority: reference %.2f, random share %.2f%n", d.reference(t), share[0]);
        assertThat(share[0]).as("they sent all-random rows").isEqualTo(1.0);
        assertThat(d.reference(t)).isLessThan(0.5);
        Map<String, Double> after = drive(d, states, names("late-random-", 1), random(77, 1), t, 600, 500);
        Map<String, Double> alone =
                drive(absoluteOnly(), new HashMap<>(), names("late-random-", 1), random(77, 1), t, 600, 500);
        assertThat(after).isEqualTo(alone);
        assertThat(alone.get("late-random-0")).isGreaterThanOrEqualTo(0.5);
    }

    /**
     * A calibration file's {@code coverage.cell_widths} and {@code coverage.reference_novelty} become
     * the cells and the fixed reference from the first query, unless the policy sets its own
     * reference or changes the cells they were recorded with (then the numbers mean another
     * statistic and both are learned online); a file without cell widths (written before them) has a
     * sign-cell reference, which only {@code cells: sign} takes.
     */
    @Test
    void aCalibratedReferenceAppliesToTheCellsItWasRecordedWith() {
        double[] widths = new double[12];
        java.util.Arrays.fill(widths, 2.5);
        dev.moat.detectors.Calibration signFile =
                new dev.moat.detectors.Calibration(5, 5_000, null, null, null, null, Double.NaN, Double.NaN, 0.42);
        dev.moat.detectors.Calibration fixedFile = signFile.withCoverageCells(64, widths);
        assertThat(reference(Map.of(), fixedFile)).isEqualTo(0.42);
        assertThat(reference(Map.of("cells", "fixed"), fixedFile)).isEqualTo(0.42);
        assertThat(reference(Map.of("reference_novelty", 0.2), fixedFile)).isEqualTo(0.2);
        assertThat(reference(Map.of("bits", 16L), fixedFile)).isNaN();
        assertThat(reference(Map.of("cell_mads", 4.0), fixedFile)).isNaN();
        assertThat(reference(Map.of("cells", "sign"), fixedFile)).isNaN();
        assertThat(reference(Map.of(), signFile)).isNaN();
        assertThat(reference(Map.of("cells", "sign"), signFile)).isEqualTo(0.42);
        assertThat(reference(Map.of(), null)).isNaN();

        // the file's widths give the first query of its width a cell; another width, or no file, none yet
        CoverageDetector calibrated =
                (CoverageDetector) CoverageDetector.factory(Map.of(), fixedFile).create();
        CoverageDetector.State s = calibrated.newState();
        calibrated.update(s, new double[64], new double[0], T0);
        assertThat(s.cells).isEqualTo(1);
        CoverageDetector.State narrower = calibrated.newState();
        calibrated.update(narrower, new double[32], new double[0], T0);
        assertThat(narrower.cells).isZero();
        CoverageDetector learning =
                (CoverageDetector) CoverageDetector.factory(Map.of(), null).create();
        CoverageDetector.State fresh = learning.newState();
        learning.update(fresh, new double[64], new double[0], T0);
        assertThat(fresh.cells).isZero();
    }

    private static double reference(Map<String, Object> params, dev.moat.detectors.Calibration file) {
        return ((CoverageDetector) CoverageDetector.factory(params, file).create()).reference(T0);
    }
}
