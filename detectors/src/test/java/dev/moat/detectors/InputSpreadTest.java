package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ood}'s spread test (inputs at most 16 wide) against the attackers who have read it, through
 * the engine with every detector on the binary clinical model ({@link Unsure#clinical}), whose
 * confident extrapolation hides random rows from every answer-side test: what the spread test alone
 * must hold. Seeded; nothing timed.
 */
class InputSpreadTest {

    private static Scenario population(Unsure d, long seed, int honest, long honestStart) {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, d::predict);
        for (int k = 0; k < honest; k++) {
            s.add("honest-" + k, "good", d.peer(seed * 100 + k), 1_500, honestStart + k * 700L, () -> 2_000);
        }
        return s;
    }

    /**
     * Five random-row keys that start with the twelve honest ones (so they sit in the input reference
     * from its first rows, trusted like everyone else until their spread is judged) cannot move the
     * limit: it is a median over keys, and they are fewer than half; once judged unlike the peers they
     * leave the reference. Each is flagged, and no honest key. At a cold start nothing is judged before
     * the reference has rows of keys with 256 answers and a key has 128 judged inputs, so here the
     * first flags come at 500-560 rows (a random key arriving later is flagged at 150).
     */
    @Test
    void spreadingKeysAsAMinorityFromTheStartDoNotMoveTheLimit() {
        Unsure d = Unsure.clinical(4, 0.7);
        Scenario s = population(d, 4, 12, 0);
        for (int k = 0; k < 5; k++) {
            s.add("random-" + k, null, d.random(400 + k), 600, k * 300L, () -> 2_000);
        }
        s.run();
        UnsureModelsProbe.print("spread-minority", s);
        UnsureModelsTest.assertHonestOk(s, "minority of spreading keys");
        for (int k = 0; k < 5; k++) {
            assertThat(s.extractingAt.get("random-" + k))
                    .as(s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(700L);
        }
    }

    /**
     * A small deployment: three customers of the clinical model (the fewest the input reference forms
     * from) and a random-row thief who arrives after them. The spread test needs three trusted keys
     * with 256 answers each, no more, so the thief is flagged; none of the customers is.
     */
    @Test
    void randomRowsInASmallDeploymentOfThreeCustomersAreSeen() {
        Unsure d = Unsure.clinical(7, 0.7);
        Scenario s = population(d, 7, 3, 0).oneWorker();
        s.add("random", null, d.random(701), 600, 900_000, () -> 2_000);
        s.run();
        UnsureModelsProbe.print("spread-small", s);
        UnsureModelsTest.assertHonestOk(s, "small deployment");
        assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
    }

    /**
     * Pinned (fails when it closes): keys that spread their inputs and are most of a worker's keys from
     * a cold start are the reference (8 random-row keys and 3 honest ones, all from the first rows):
     * the typical key is theirs, so none of them is beyond it. A calibration of the inputs
     * or a fresh honest population is what would see them: with {@code detection.calibration} holding
     * {@code moat calibrate}'s spread lines, they are each flagged at 150 rows ({@link
     * #spreadingKeysThatAreMostOfTheKeysAtAColdStartAreSeenWithACalibration}); this pin is the online-only
     * reference's.
     */
    @Test
    void spreadingKeysThatAreMostOfTheKeysAtAColdStartBypass() {
        Unsure d = Unsure.clinical(5, 0.7);
        Scenario s = population(d, 5, 3, 0);
        for (int k = 0; k < 8; k++) {
            s.add("random-" + k, null, d.random(500 + k), 600, k * 100L, () -> 2_000);
        }
        s.run();
        UnsureModelsProbe.print("spread-majority", s);
        for (int k = 0; k < 8; k++) {
            assertThat(s.suspiciousAt.get("random-" + k)).as(s.report()).isNull();
        }
    }

    /**
     * A calibrated reference is not the trusted keys': spreading keys that are trusted from a cold
     * start and are most of the keys ({@link #spreadingKeysThatAreMostOfTheKeysAtAColdStartBypass}'s
     * scenario: 8 random-row keys and 3 honest ones, all from the first rows) neither join it (a seeded
     * reference takes no rows) nor move the threshold (calibrated peers take no reports): each is flagged,
     * and no honest key.
     */
    @Test
    void spreadingKeysThatAreMostOfTheKeysAtAColdStartAreSeenWithACalibration(@TempDir Path dir) throws Exception {
        Unsure d = Unsure.clinical(5, 0.7);
        Calibration c = CalibratedSpreadTest.recorded(d, 5, 8, 600, dir);
        Scenario s = new Scenario(CalibratedSpreadTest.all(c), d::predict);
        for (int k = 0; k < 3; k++) {
            s.add("honest-" + k, "good", d.peer(5 * 100 + k), 1_500, k * 700L, () -> 2_000);
        }
        for (int k = 0; k < 8; k++) {
            s.add("random-" + k, null, d.random(500 + k), 600, k * 100L, () -> 2_000);
        }
        s.run();
        UnsureModelsProbe.print("spread-majority-calibrated", s);
        UnsureModelsTest.assertHonestOk(s, "majority of spreading keys, calibrated");
        for (int k = 0; k < 8; k++) {
            assertThat(s.extractingAt.get("random-" + k))
                    .as(s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(300L);
        }
    }

    /**
     * Random rows sent one for one with natural rows are still flagged (the key's centre sits between
     * the two, and both kinds lie farther from it than a natural key's rows from its own): suspicious
     * within 600 rows. Pinned (fails when it closes): one random row in four is not (1.3x the trusted
     * keys' spread against a threshold of at least 1.49x); the thief then pays four queries for each
     * random row.
     */
    @Test
    void randomRowsDilutedOneToOneAreFlaggedOneToThreeBypass() {
        Unsure d = Unsure.clinical(6, 0.7);
        Scenario s = population(d, 6, 12, 0);
        s.add(
                "random-1-1",
                null,
                LineSearch.interleaved(d.random(601), d.peer(602), 1, 1),
                1_200,
                600_000,
                () -> 1_000);
        s.add(
                "random-1-3",
                null,
                LineSearch.interleaved(d.random(603), d.peer(604), 1, 3),
                1_200,
                600_000,
                () -> 1_000);
        s.run();
        UnsureModelsProbe.print("spread-diluted", s);
        UnsureModelsTest.assertHonestOk(s, "diluted");
        assertThat(s.suspiciousAt.get("random-1-1")).as(s.report()).isNotNull().isLessThanOrEqualTo(600L);
        assertThat(s.suspiciousAt.get("random-1-3")).as(s.report()).isNull();
    }

    /** The keys of {@code s} whose name starts with {@code prefix}. */
    static List<String> keys(Scenario s, String prefix) {
        return s.maxRisk.keySet().stream()
                .filter(k -> k.startsWith(prefix))
                .sorted()
                .toList();
    }
}
