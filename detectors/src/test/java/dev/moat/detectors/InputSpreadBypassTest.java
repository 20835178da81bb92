package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Surrogate;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * {@code ood}'s spread test (inputs at most 16 wide, see {@code OodDetector}'s "Inputs that spread
 * like no peer's") against thieves who read its Javadoc, through the engine with every detector, 13
 * inputs, twelve honest peers as in {@link InputSpreadTest}. The test measures how far a key's inputs
 * lie from the key's own exponentially weighted centre (memory 64) along the population's least
 * varied axes: a thief who keeps each key's rows in a small box, moves the box slowly, draws each
 * feature from its marginal, or fits the data's mean and covariance, is as spread as a natural key.
 * Each attack is asserted flagged (with the rows) or pinned as a {@code ...Bypass}. Beside each, the
 * surrogate value of its rows ({@link Surrogate}, printed as {@code SPREADADV}): the test models are
 * linear softmaxes, so Tramer's equation solving recovers them from any 14 rows in general position
 * (natural rows included) and no input-side test can protect them; what the spread test protects is
 * coverage of the box for a model that is not linear, which the 1-NN agreement on uniform box rows
 * stands for. Seeded; nothing timed.
 */
class InputSpreadBypassTest {

    static final long START = 600_000;

    /**
     * Every detector as the examples configure them; with {@code -Dspreadadv.off=true} the spread test
     * off ({@code spread_max_width: 0}), to see which flags are the spread test's.
     */
    static final DetectorProfile PROFILE = Boolean.getBoolean("spreadadv.off")
            ? DetectorProfile.fromConfig(
                    dev.moat.detectors.support.Policies.every(Map.of("input_seed", 7L, "spread_max_width", 0)))
            : NarrowAndWideAdaptiveAttackersTest.ALL;

    private static Scenario population(Unsure d, long seed) {
        Scenario s = new Scenario(PROFILE, d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("honest-" + k, "good", d.peer(seed * 100 + k), 1_500, k * 700L, () -> 2_000);
        }
        return s;
    }

    /** Runs twelve peers and the attackers (each from START, one row a second), prints and checks the peers. */
    private static Scenario run(String what, Unsure d, long seed, Map<String, QuerySource> attackers, long rows) {
        Scenario s = population(d, seed);
        int i = 0;
        for (Map.Entry<String, QuerySource> e : attackers.entrySet()) {
            s.add(e.getKey(), null, e.getValue(), rows, START + 100L * i++, () -> 1_000);
        }
        s.run();
        UnsureModelsProbe.print(what, s);
        UnsureModelsTest.assertHonestOk(s, what);
        return s;
    }

    /** Prints the surrogate value of {@code n} rows of {@code src} (a fresh copy of a non-adaptive source). */
    static double[] worth(String what, Unsure d, QuerySource src, int n) {
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(src.next());
        }
        double[] a = Surrogate.agreement(d, rows, 99);
        System.out.printf(Locale.ROOT, "SPREADADV %-28s %5d rows: %s%n", what, n, Surrogate.describe(a));
        return a;
    }

    // ---- the attackers ----------------------------------------------------------------------

    /**
     * Uniform rows in a box of {@code width} x each feature's range around a random point (the box
     * inside the features' box).
     */
    static QuerySource subBox(Unsure d, long seed, double width) {
        Random r = new UnsharedRandom(seed);
        int m = d.dims();
        double[] c = new double[m];
        for (int j = 0; j < m; j++) {
            c[j] = width / 2 + (1 - width) * r.nextDouble();
        }
        return Unsure.source("sub-box", () -> {
            double[] x = new double[m];
            for (int j = 0; j < m; j++) {
                x[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * (c[j] + width * (r.nextDouble() - 0.5));
            }
            return x;
        });
    }

    /**
     * Uniform rows in a box of {@code width} x each feature's range whose centre drifts in a straight
     * line at {@code speed} x the range per row (per feature, a random direction of unit length),
     * bouncing off the features' box.
     */
    static QuerySource movingBox(Unsure d, long seed, double width, double speed) {
        Random r = new UnsharedRandom(seed);
        int m = d.dims();
        double[] c = new double[m];
        double[] v = new double[m];
        double norm = 0;
        for (int j = 0; j < m; j++) {
            c[j] = width / 2 + (1 - width) * r.nextDouble();
            v[j] = r.nextGaussian();
            norm += v[j] * v[j];
        }
        for (int j = 0; j < m; j++) {
            v[j] *= speed / Math.sqrt(norm / m);
        }
        return Unsure.source("moving-box", () -> {
            double[] x = new double[m];
            for (int j = 0; j < m; j++) {
                c[j] += v[j];
                if (c[j] < width / 2 || c[j] > 1 - width / 2) {
                    v[j] = -v[j];
                    c[j] = Math.max(width / 2, Math.min(1 - width / 2, c[j]));
                }
                x[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * (c[j] + width * (r.nextDouble() - 0.5));
            }
            return x;
        });
    }

    /** Each feature drawn independently from the thief's own 300 natural records (their marginals). */
    static QuerySource marginals(Unsure d, long seed) {
        Random r = new UnsharedRandom(seed);
        List<double[]> mine = d.records(r, 300);
        return Unsure.source("marginals", () -> {
            double[] x = new double[d.dims()];
            for (int j = 0; j < x.length; j++) {
                x[j] = mine.get(r.nextInt(mine.size()))[j];
            }
            return x;
        });
    }

    /**
     * Normal rows with the mean and covariance of the thief's own 300 natural records, clipped and
     * snapped to the data's form.
     */
    static QuerySource gaussian(Unsure d, long seed) {
        Random r = new UnsharedRandom(seed);
        int m = d.dims();
        List<double[]> mine = d.records(r, 300);
        double[] mu = new double[m];
        for (double[] x : mine) {
            for (int j = 0; j < m; j++) {
                mu[j] += x[j] / mine.size();
            }
        }
        double[][] cov = new double[m][m];
        for (double[] x : mine) {
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    cov[a][b] += (x[a] - mu[a]) * (x[b] - mu[b]) / (mine.size() - 1);
                }
            }
        }
        double[][] l = new double[m][m];
        for (int a = 0; a < m; a++) {
            for (int b = 0; b <= a; b++) {
                double s = cov[a][b];
                for (int k = 0; k < b; k++) {
                    s -= l[a][k] * l[b][k];
                }
                l[a][b] = a == b ? Math.sqrt(Math.max(s, 1e-12)) : s / l[b][b];
            }
        }
        return Unsure.source("gaussian", () -> {
            double[] z = new double[m];
            for (int j = 0; j < m; j++) {
                z[j] = r.nextGaussian();
            }
            double[] x = new double[m];
            for (int a = 0; a < m; a++) {
                double s = mu[a];
                for (int k = 0; k <= a; k++) {
                    s += l[a][k] * z[k];
                }
                x[a] = d.clip(a, s);
            }
            return d.snap(x);
        });
    }

    /**
     * Uniform rows in a box of {@code width} x each feature's range centred on the mean of the thief's
     * own 300 natural records (moved inside the features' box).
     */
    static QuerySource centredBox(Unsure d, long seed, double width) {
        Random r = new UnsharedRandom(seed);
        int m = d.dims();
        double[] c = new double[m];
        for (double[] x : d.records(r, 300)) {
            for (int j = 0; j < m; j++) {
                c[j] += (x[j] - d.lo(j)) / (d.hi(j) - d.lo(j)) / 300;
            }
        }
        for (int j = 0; j < m; j++) {
            c[j] = Math.max(width / 2, Math.min(1 - width / 2, c[j]));
        }
        return Unsure.source("centred-box", () -> {
            double[] x = new double[m];
            for (int j = 0; j < m; j++) {
                x[j] = d.lo(j) + (d.hi(j) - d.lo(j)) * (c[j] + width * (r.nextDouble() - 0.5));
            }
            return x;
        });
    }

    /** Uniform rows in the box, snapped to the data's form (integers, decimals, binary values). */
    static QuerySource snappedRandom(Unsure d, long seed) {
        QuerySource random = d.random(seed);
        return Unsure.source("snapped-random", () -> d.snap(random.next()));
    }

    // ---- the tests --------------------------------------------------------------------------

    private static Map<String, QuerySource> keys(String prefix, int n, LongFunction<QuerySource> src) {
        Map<String, QuerySource> out = new LinkedHashMap<>();
        for (int k = 0; k < n; k++) {
            out.put(prefix + k, src.apply(k));
        }
        return out;
    }

    /**
     * Pinned (fails when it closes): a Sybil of eight keys, 300 rows each, each sending uniform rows in
     * its own box of 30% of every feature's range around a random point. Each key's rows lie nearer
     * its own centre than natural records do (a uniform 30% has a standard deviation of 0.09 of the
     * range against the records' 0.17, and 0.09 against 0.5 on the binary features), so the spread test
     * never scores; the two of the eight whose boxes fall where the model is unsure are flagged by the
     * confidence test and boundary (measured 2026-11-29: keys 2 and 7, at 100 and 61 rows), six are
     * never flagged. Together
     * the boxes are worth nearly what random rows are to a label-only learner: 1-NN agreement on
     * uniform rows of the box 0.86 (random rows 0.88, natural rows 0.83), softmax regression 0.86
     * (0.98).
     */
    @Test
    void subBoxSybilBypass() {
        Unsure d = Unsure.clinical(11, 0.7);
        Scenario s = run("sub-box", d, 11, keys("box30-", 8, k -> subBox(d, 1_100 + k, 0.3)), 300);
        long quiet = InputSpreadTest.keys(s, "box30-").stream()
                .filter(k -> s.suspiciousAt.get(k) == null)
                .count();
        assertThat(quiet).as(s.report()).isGreaterThanOrEqualTo(5);
        List<double[]> union = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            QuerySource src = subBox(d, 1_100 + k, 0.3);
            for (int i = 0; i < 300; i++) {
                union.add(src.next());
            }
        }
        double[] a = Surrogate.agreement(d, union, 99);
        System.out.printf(
                Locale.ROOT, "SPREADADV %-28s %5d rows: %s%n", "union of 8 boxes 30%", 2_400, Surrogate.describe(a));
        double[] random = worth("random (full box)", d, d.random(1), 2_400);
        assertThat(a[4]).isGreaterThan(random[4] - 0.05);
    }

    /**
     * Pinned (fails when it closes): one key sending uniform rows in a box of 80% of every feature's
     * range centred on the mean of the thief's 300 natural records (most of the box: the continuous
     * features spread a little more than natural records, the binary ones much less, and the mean over
     * the minor axes comes out natural) is never flagged in 1,200 rows (measured 2026-11-29: ood at most
     * 0.04). The same with a 60% box is flagged, by the confidence test (100 rows: the records' mean
     * lies between the classes, where the model is unsure), not by the spread test. The 80% box's rows
     * are worth what random rows are to a label-only learner (agreement printed beside random rows').
     */
    @Test
    void eightyPercentCentredBoxBypass() {
        Unsure d = Unsure.clinical(15, 0.7);
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("box60", centredBox(d, 1_700, 0.6));
        a.put("box80", centredBox(d, 1_701, 0.8));
        Scenario s = run("centred-box", d, 15, a, 1_200);
        assertThat(s.suspiciousAt.get("box60")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        assertThat(s.suspiciousAt.get("box80")).as(s.report()).isNull();
        double[] box = worth("centred box 80% one key", d, centredBox(d, 1_701, 0.8), 1_200);
        double[] random = worth("random (full box)", d, d.random(1), 1_200);
        assertThat(box[4]).isGreaterThan(random[4] - 0.05);
    }

    /**
     * A box of 30% of each feature's range whose centre drifts (0.001 and 0.004 of the range a row,
     * bouncing off the box) over 2,400 rows: the spread test does not see it (the key's centre
     * follows the box), but the box drifts through places where the model is unsure and the confidence
     * test flags it (measured 2026-11-29: slow at 130 rows, fast at 1,110; a thief who drops the
     * unsure places is the sub-box Sybil above).
     */
    @Test
    void movingBoxIsFlaggedByConfidenceNotSpread() {
        Unsure d = Unsure.clinical(12, 0.7);
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("move30-slow", movingBox(d, 1_400, 0.3, 0.001));
        a.put("move30-fast", movingBox(d, 1_401, 0.3, 0.004));
        Scenario s = run("moving-box", d, 12, a, 2_400);
        assertThat(s.suspiciousAt.get("move30-slow")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        assertThat(s.suspiciousAt.get("move30-fast")).as(s.report()).isNotNull().isLessThanOrEqualTo(1_600L);
        worth("moving box 30% slow", d, movingBox(d, 1_400, 0.3, 0.001), 2_400);
        worth("moving box 30% fast", d, movingBox(d, 1_401, 0.3, 0.004), 2_400);
    }

    /**
     * Each feature drawn independently from the thief's 300 natural records: on the clinical model
     * (independent features given the class) and on wine (correlated) the draws mix the classes'
     * shifts, land where the model is unsure and are flagged by the confidence test (measured
     * 2026-11-29: 100 and 120 rows), not by the spread test. Random rows snapped to the data's form
     * (integers, binary values) are flagged by the spread test as random rows are (430 on both: 2.8x
     * and 6.5x the trusted keys' spread; with the spread test off, never).
     */
    @Test
    void marginalsAndSnappedRandomRowsAreFlagged() {
        for (Unsure d : List.of(Unsure.clinical(13, 0.7), Unsure.wine(13, 0.8))) {
            Map<String, QuerySource> a = new LinkedHashMap<>();
            a.put("marginals", marginals(d, 1_500));
            a.put("snapped-random", snappedRandom(d, 1_502));
            Scenario s = run("synthetic-" + d.name(), d, 13, a, 1_200);
            assertThat(s.suspiciousAt.get("marginals"))
                    .as(s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(300L);
            assertThat(s.suspiciousAt.get("snapped-random"))
                    .as(s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(450L);
            worth("marginals " + d.name(), d, marginals(d, 1_500), 1_200);
        }
    }

    /**
     * Pinned (fails when it closes): normal rows with the mean and covariance of the thief's 300
     * natural records, clipped and snapped to the data's form, are never flagged on the clinical or
     * the wine model (measured 2026-11-29: 1,200 rows, ood 0): the covariance keeps the correlations
     * the spread test reads, and the model is as confident on them as on natural records. They are
     * worth nearly what random rows are: label-only softmax agreement on uniform box rows 0.96 / 0.93
     * (random 0.98 / 0.96), 1-NN 0.79 / 0.71 (0.81 / 0.71).
     */
    @Test
    void gaussianFitOfNaturalRecordsBypass() {
        for (Unsure d : List.of(Unsure.clinical(13, 0.7), Unsure.wine(13, 0.8))) {
            Scenario s = run("gaussian-" + d.name(), d, 13, Map.of("gaussian", gaussian(d, 1_501)), 1_200);
            assertThat(s.suspiciousAt.get("gaussian")).as(s.report()).isNull();
            double[] g = worth("gaussian " + d.name(), d, gaussian(d, 1_501), 1_200);
            double[] random = worth("random " + d.name(), d, d.random(1_503), 1_200);
            worth("natural " + d.name(), d, d.peer(1_504), 1_200);
            assertThat(g[2]).isGreaterThan(random[2] - 0.05);
        }
    }

    /**
     * Random rows diluted with natural ones: one for one is flagged (measured 2026-11-29: 430 rows, the
     * spread at 2.0x past the peers' 1.7x); pinned (fails when it closes): two in five and one in three
     * are never flagged in 2,400 rows (ood at most 0.33 and 0.11, risk at most 0.42 and 0.19), so the
     * line lies between 40% and 50% random rows, and the thief pays 2.5 queries per random row.
     */
    @Test
    void randomRowsDilutedTwoToThreeBypass() {
        Unsure d = Unsure.clinical(14, 0.7);
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("dilute-1-1", LineSearch.interleaved(d.random(1_601), d.peer(1_602), 1, 1));
        a.put("dilute-2-3", LineSearch.interleaved(d.random(1_603), d.peer(1_604), 2, 3));
        a.put("dilute-1-2", LineSearch.interleaved(d.random(1_605), d.peer(1_606), 1, 2));
        Scenario s = run("dilution", d, 14, a, 2_400);
        assertThat(s.suspiciousAt.get("dilute-1-1")).as(s.report()).isNotNull().isLessThanOrEqualTo(650L);
        assertThat(s.suspiciousAt.get("dilute-2-3")).as(s.report()).isNull();
        assertThat(s.suspiciousAt.get("dilute-1-2")).as(s.report()).isNull();
    }

    /**
     * On wine (correlated features, confident only near its three classes) the spread test does see
     * what it does not on the clinical model: an 80% box centred on the records' mean (measured
     * 2026-11-29: at 430 rows, 3.6x the trusted keys' spread past the peers' 1.5x) and random rows
     * diluted one in four (430 rows, 1.6x past 1.4x; one for one at 430). Pinned (fails when it
     * closes): one random row in eight is not flagged in 600 rows (risk at most 0.45, prada's).
     */
    @Test
    void wineCatchesTheWideBoxAndOneInFourDilutionOneInEightBypass() {
        Unsure w = Unsure.wine(16, 0.8);
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.put("box80", centredBox(w, 1_860, 0.8));
        a.put("dilute-1-1", LineSearch.interleaved(w.random(1_861), w.peer(1_862), 1, 1));
        a.put("dilute-1-3", LineSearch.interleaved(w.random(1_863), w.peer(1_864), 1, 3));
        a.put("dilute-1-7", LineSearch.interleaved(w.random(1_865), w.peer(1_866), 1, 7));
        Scenario s = run("wine-spread", w, 16, a, 600);
        assertThat(s.suspiciousAt.get("box80")).as(s.report()).isNotNull().isLessThanOrEqualTo(500L);
        assertThat(s.suspiciousAt.get("dilute-1-1")).as(s.report()).isNotNull().isLessThanOrEqualTo(550L);
        assertThat(s.suspiciousAt.get("dilute-1-3")).as(s.report()).isNotNull().isLessThanOrEqualTo(600L);
        assertThat(s.suspiciousAt.get("dilute-1-7")).as(s.report()).isNull();
    }

    /**
     * Pinned (fails when it closes): the sub-box Sybil on wine. The spread test scores none of six
     * keys in 30% boxes nor of four in 10% boxes (600 rows each); the confidence test flags the boxes
     * that fall away from the classes (measured 2026-11-29: 4 of the 30% boxes and 1 of the 10% ones,
     * at 100 rows), the rest are never flagged.
     */
    @Test
    void subBoxSybilOnWineBypass() {
        Unsure w = Unsure.wine(16, 0.8);
        Map<String, QuerySource> a = new LinkedHashMap<>();
        a.putAll(keys("box30-", 6, k -> subBox(w, 1_800 + k, 0.3)));
        a.putAll(keys("box10-", 4, k -> subBox(w, 1_850 + k, 0.1)));
        Scenario s = run("wine-sub-box", w, 16, a, 600);
        long quiet30 = InputSpreadTest.keys(s, "box30-").stream()
                .filter(k -> s.suspiciousAt.get(k) == null)
                .count();
        long quiet10 = InputSpreadTest.keys(s, "box10-").stream()
                .filter(k -> s.suspiciousAt.get(k) == null)
                .count();
        assertThat(quiet30).as(s.report()).isGreaterThanOrEqualTo(2);
        assertThat(quiet10).as(s.report()).isGreaterThanOrEqualTo(3);
    }
}
