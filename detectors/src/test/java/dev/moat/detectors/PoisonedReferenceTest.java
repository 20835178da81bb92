package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.Scenario;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.traffic.BoundaryAttacker;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * References that thieves cannot poison (issue 9, item 2): three honest keys, one heavy honest key
 * with ten times their volume and one with fifty times (same pace, just longer, as a batch customer
 * would), and eight attacking keys (three random, three JbDA, two boundary) that start with the
 * honest keys and go on ten times longer than the light ones, so that for most of the run the
 * attackers are most of the active keys. Every detector, the real digits model, the fixtures'
 * honest traffic (the digits' honest split with sensor noise), a driven clock. No honest key may
 * leave OK, and the attackers must still be caught.
 *
 * <p>Volumes: light keys 300 queries (10 minutes at one every two seconds), heavy 3,000 and
 * 15,000 (8 hours: under the 20,000-a-day volume budget, which is a stated limit and not a peer
 * comparison), attackers 3,000 each (100 minutes).
 */
class PoisonedReferenceTest {

    static final Map<String, Map<String, Object>> ALL_CONFIG =
            Map.of("prada", Map.of(), "volume", Map.of(), "boundary", Map.of(), "ood", Map.of(), "coverage", Map.of());

    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void honestKeysStayOkWhenAttackersAreMostOfTheActiveKeys(long seed) {
        Scenario s = poisoning(CalibrationTest.ALL, seed);
        System.out.printf(
                "poisoning seed %d: extracting at %s; max honest risk %.2f (%s)%n",
                seed, new TreeMap<>(s.extractingAt), s.maxHonestRisk(), s.worstHonest());

        assertThat(s.suspiciousAt.keySet()).as("flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertThat(s.maxHonestRisk()).as("honest risk\n%s", s.report()).isLessThan(0.5);
        // with five honest keys over two worker shards no shard has min_keys (5) trusted peers, so ood's
        // confidence test, boundary's learned share, volume's peer z and coverage stay off: random
        // attackers, which coverage's absolute thresholds flagged at 500 queries (0.7-0.9) until it
        // learned to have no opinion without a reference, were caught by nothing online (the price,
        // pinned here and in CoveragePeersTest.coverageLoneThiefWithoutReferenceBypass). Since session
        // 34 ood's spread test judges inputs wider than spread_max_width (63; the digits have 64)
        // before its peers have a threshold, past four times the wide floor: where a shard's input
        // reference has formed (three trusted keys' rows), a random attacker there is flagged by it
        // (seed 2's third, at 390 rows, 58.6x past 32x), and by nothing else. A calibration file
        // closes the gap (below: ood at 100).
        for (int k = 0; k < 8; k++) {
            int idx = k;
            if (k < 3) {
                s.suspiciousAt.keySet().stream()
                        .filter(key -> key.startsWith("attacker-") && key.endsWith("-" + idx))
                        .forEach(key -> assertThat(
                                        s.firstFlag.get(key).scores().get("ood").reason())
                                .as("random attacker %d: flagged only by ood's spread test\n%s", idx, s.report())
                                .contains("inputs spread like no peer's"));
                continue;
            }
            assertThat(s.suspiciousAt.keySet())
                    .as("attacker %d flagged\n%s", k, s.report())
                    .anyMatch(key -> key.startsWith("attacker-") && key.endsWith("-" + idx));
        }
        assertThat(s.suspiciousAt.values())
                .as("attackers flagged within 500 rows")
                .allMatch(n -> n <= 500);
    }

    private static void honest(Scenario s, String key, long seed, long n) {
        HonestClient c = new HonestClient(seed);
        s.add(key, null, c, n, 0, () -> Math.max(1, c.nextDelay().toMillis()));
    }

    private static Scenario poisoning(DetectorProfile profile, long seed) {
        Scenario s = new Scenario(profile, DigitsModel.get()::predict);
        honest(s, "honest-light-0", seed, 300);
        honest(s, "honest-light-1", seed + 10, 300);
        honest(s, "honest-light-2", seed + 20, 300);
        honest(s, "honest-heavy-10x", seed + 30, 3_000);
        honest(s, "honest-heavy-50x", seed + 40, 15_000);
        for (int k = 0; k < 8; k++) {
            QuerySource a = k < 3
                    ? new RandomAttacker(seed * 100 + k)
                    : k < 6 ? new JbdaAttacker(seed * 100 + k) : new BoundaryAttacker(seed * 100 + k);
            s.add("attacker-" + a.name() + "-" + k, null, a, 3_000, 1_000L + k * 100, () -> 2_000);
        }
        return s.run();
    }

    /**
     * The same population with a fixed reference ({@code detection.calibration}): recorded from twelve
     * other honest clients (other seeds) for an hour through {@link CalibrationRecorder}, written and read
     * back. No peer is consulted, so the few keys per shard no longer switch ood off: every attacker
     * reaches EXTRACTING within 500 rows and no honest key leaves OK.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void aCalibrationFileGivesTheReferenceBackAndNoPeerCanMoveIt(long seed, @TempDir Path dir) throws Exception {
        DigitsModel model = DigitsModel.get();
        CalibrationRecorder recorder = new CalibrationRecorder(200);
        for (int k = 0; k < 12; k++) {
            HonestClient c = new HonestClient(9_000 + k);
            long t = Scenario.START;
            for (int i = 0; i < 1_800; i++) {
                t += Math.max(1, c.nextDelay().toMillis());
                recorder.add("recorded-" + k, t, model.predict(c.next()));
            }
        }
        Path file = dir.resolve("calibration.moat");
        recorder.build(5).write(file, "test recording");
        Calibration calibration = Calibration.read(file);
        assertThat(calibration.keys()).isEqualTo(12);
        assertThat(calibration.hasVolume()).isTrue();

        Scenario s = poisoning(DetectorProfile.fromConfig(ALL_CONFIG, calibration), seed);
        System.out.printf(
                "calibrated seed %d: extracting at %s; max honest risk %.2f (%s)%n",
                seed, new TreeMap<>(s.extractingAt), s.maxHonestRisk(), s.worstHonest());
        assertThat(s.suspiciousAt.keySet()).as("flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertThat(s.extractingAt).as("attackers\n%s", s.report()).hasSize(8);
        assertThat(s.extractingAt.values())
                .as("within 500 rows\n%s", s.report())
                .allMatch(n -> n <= 500);
    }
}
