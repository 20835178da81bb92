package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.ood.SpreadRecording;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.traffic.QuerySource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ood}'s spread test from a calibration file ({@code ood.spread.rows.K}, {@code
 * ood.spread.peers}, written by {@link SpreadRecording} as {@code moat calibrate} does): it judges
 * from a key's first 16 + 128 inputs in a deployment of any size, after a restart, and whoever the
 * trusted keys are. Through the engine with every detector on the binary clinical model ({@link
 * Unsure#clinical}), whose confident extrapolation hides random rows from every answer-side test.
 * Seeded; nothing timed.
 */
class CalibratedSpreadTest {

    /** {@link NarrowAndWideAdaptiveAttackersTest#ALL}'s policy with {@code calibration}. */
    static DetectorProfile all(Calibration calibration) {
        return all(calibration, 7L);
    }

    /** As {@link #all(Calibration)} with {@code ood}'s coordinates drawn from {@code inputSeed}. */
    static DetectorProfile all(Calibration calibration, long inputSeed) {
        return DetectorProfile.fromConfig(
                dev.moat.detectors.support.Policies.every(Map.of("input_seed", inputSeed)), calibration);
    }

    /**
     * A calibration recorded from {@code keys} honest keys of {@code d} ({@code n} answers each, with
     * their inputs; seeds from {@code seed}, none of the scenarios'), written to {@code dir} and read
     * back, as {@code moat calibrate} writes it.
     */
    static Calibration recorded(Unsure d, long seed, int keys, int n, Path dir) throws Exception {
        CalibrationRecorder recorder = new CalibrationRecorder(200);
        SpreadRecording spread = new SpreadRecording();
        for (int k = 0; k < keys; k++) {
            QuerySource src = d.peer(90_000 + seed * 100 + k);
            for (int i = 0; i < n; i++) {
                double[] x = src.next();
                recorder.add("rec-" + k, Long.MIN_VALUE, d.predict(x));
                spread.add("rec-" + k, x);
            }
        }
        Calibration built = spread.applyTo(recorder.build(5), 5);
        Path file = Files.createTempFile(dir, "calibration", ".moat");
        built.write(file, "recorded honest keys of " + d.name());
        Calibration read = Calibration.read(file);
        assertThat(read.hasSpread()).as("the recording carried narrow inputs").isTrue();
        return read;
    }

    @Test
    void aRecordingWithNarrowInputsWritesTheSpreadLinesAndTheyRoundTrip(@TempDir Path dir) throws Exception {
        Unsure d = Unsure.clinical(1, 0.7);
        CalibrationRecorder recorder = new CalibrationRecorder(200);
        SpreadRecording spread = new SpreadRecording();
        for (int k = 0; k < 8; k++) {
            QuerySource src = d.peer(80_000 + k);
            // the last key has too few inputs (255) to vouch for them, as online
            for (int i = 0; i < (k == 7 ? 255 : 600); i++) {
                double[] x = src.next();
                recorder.add("k" + k, Long.MIN_VALUE, d.predict(x));
                spread.add("k" + k, x);
            }
        }
        assertThat(spread.keys()).isEqualTo(7);
        Calibration built = spread.applyTo(recorder.build(5), 5);
        assertThat(built.hasSpread()).isTrue();
        assertThat(built.spreadWidth()).isEqualTo(13);
        // 7 keys: 16 rows each (128 / 7 = 18, at most 16)
        assertThat(built.spreadRows())
                .hasSize(7)
                .allSatisfy(rows -> assertThat(rows).hasNumberOfRows(16));
        // honest keys' mean log spread ratios sit near 0 (InputSpreadProbe: 0.0-0.16 online)
        assertThat(built.spreadPeersMedian()).isBetween(-0.3, 0.3);
        assertThat(built.spreadPeersSigma()).isBetween(0.0, 0.2);
        System.out.printf(
                "clinical-13 calibration: peers %.3f +- %.3f%n", built.spreadPeersMedian(), built.spreadPeersSigma());

        Path file = dir.resolve("c");
        built.write(file, "spread");
        String text = Files.readString(file);
        assertThat(text).contains("ood.spread.peers = ", "ood.spread.rows.0 = ", "ood.spread.rows.6 = ");
        Calibration read = Calibration.read(file);
        // the rows are inputs, written so they read back exactly (the CDFs to six decimals)
        assertThat(read.spreadRows()).hasSize(7);
        for (int k = 0; k < 7; k++) {
            assertThat(read.spreadRows().get(k))
                    .isDeepEqualTo(built.spreadRows().get(k));
        }
        assertThat(read.spreadPeersMedian()).isEqualTo(built.spreadPeersMedian());
        assertThat(read.spreadPeersSigma()).isEqualTo(built.spreadPeersSigma());
        Path again = dir.resolve("again");
        read.write(again, "spread");
        assertThat(Calibration.read(again)).isEqualTo(read);
        // a calibration without the lines (no inputs, or files written before) is as before
        Calibration without = recorder.build(5);
        without.write(again, "no inputs");
        assertThat(Files.readString(again)).doesNotContain("ood.spread");
        assertThat(Calibration.read(again).hasSpread()).isFalse();
    }

    /**
     * Records of 30 features: the rows are written at full width (each worker draws its own 16
     * coordinates from them), and the peers are measured at 4 coordinate draws.
     */
    @Test
    void aRecordingOfThirtyFeaturesKeepsTheRowsAtFullWidth(@TempDir Path dir) throws Exception {
        Unsure d = Unsure.cells(1, 0.8, 30);
        Calibration c = recorded(d, 1, 8, 600, dir);
        assertThat(c.spreadWidth()).isEqualTo(30);
        assertThat(c.spreadRows())
                .hasSize(8)
                .allSatisfy(rows -> assertThat(rows).hasNumberOfRows(16));
        assertThat(c.spreadPeersMedian()).isBetween(-0.3, 0.4);
        assertThat(c.spreadPeersSigma()).isBetween(0.0, 0.2);
    }

    /** Too few keys, or inputs wider than {@code spread_max_width}: no spread lines, the rest as before. */
    @Test
    void withoutEnoughKeysOrNarrowInputsThereAreNoSpreadLines() {
        Unsure d = Unsure.clinical(1, 0.7);
        CalibrationRecorder recorder = new CalibrationRecorder(200);
        SpreadRecording few = new SpreadRecording();
        SpreadRecording narrow = new SpreadRecording(12);
        for (int k = 0; k < 5; k++) {
            QuerySource src = d.peer(81_000 + k);
            for (int i = 0; i < 300; i++) {
                double[] x = src.next();
                recorder.add("k" + k, Long.MIN_VALUE, d.predict(x));
                if (k < 4) {
                    few.add("k" + k, x);
                }
                narrow.add("k" + k, x);
            }
        }
        Calibration c = recorder.build(5);
        assertThat(few.applyTo(c, 5)).isEqualTo(c);
        assertThat(narrow.width()).isEqualTo(-1);
        assertThat(narrow.applyTo(c, 5)).isEqualTo(c);
    }

    /** {@code n} copies of {@code row}, separated by {@code ;}. */
    private static String rows(int n, String row) {
        return String.join(";", java.util.Collections.nCopies(n, row));
    }

    @Test
    void aBrokenSpreadLineNamesFileLineAndField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c");
        String head = "format = moat-calibration-1\n";
        Files.writeString(f, head + "ood.spread.rows.0 = 1,2,3;4,x,6;7,8,9;1,2,3\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.spread.rows.0: row 2 value 2 is \"x\"");
        Files.writeString(
                f, head + "ood.spread.rows.0 = " + rows(4, "1,2,3") + "\nood.spread.rows.1 = 1,2;1,2,3;1,2,3;1,2,3\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":3:1: ood.spread.rows.1: row 1 has 2 values (expected 3");
        Files.writeString(f, head + "ood.spread.rows.0 = " + "1,2;".repeat(16) + "1,2\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.spread.rows.0: 17 rows (expected 4 to 16");
        // fewer than the 4 rows the reference reads a key's spread from
        Files.writeString(f, head + "ood.spread.rows.0 = " + rows(3, "1,2") + "\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.spread.rows.0: 3 rows (expected 4 to 16");
        Files.writeString(f, head + "ood.spread.rows.x = 1,2\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.spread.rows.x: key");
        Files.writeString(
                f, head + "ood.spread.rows.0 = " + rows(4, "1,2") + "\nood.spread.rows.0 = " + rows(4, "1,2") + "\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":3:1: ood.spread.rows.0: given twice");
        Files.writeString(f, head + "ood.spread.peers = 0.1\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.spread.peers: \"0.1\" (expected: MEDIAN,SIGMA");
        Files.writeString(f, head + "ood.spread.peers = 0.1,-1\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.spread.peers: \"-1\"");
        // file-level: both or neither, and enough rows from enough keys for a reference
        Files.writeString(f, head + "ood.spread.peers = 0.1,0.05\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ": ood.spread.rows and ood.spread.peers (expected: both or neither)");
        Files.writeString(
                f,
                head + "ood.spread.peers = 0.1,0.05\nood.spread.rows.0 = " + rows(4, "1,2") + "\nood.spread.rows.1 = "
                        + rows(4, "1,2") + "\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        f + ": ood.spread.rows: 8 rows from 2 keys (expected 48 to 128 rows from at least 3");
    }

    /**
     * A small deployment: ONE customer of the clinical model and a random-row thief, one worker.
     * Online the spread test needs three trusted keys' reports and rows, so it never judges here (the
     * uncalibrated run: the thief is never flagged, by anything); with a calibration recorded from
     * other honest keys of the model, the thief is EXTRACTING within 300 rows and the customer stays ok.
     */
    @Test
    void randomRowsBesideOneCustomerAreSeenWithACalibration(@TempDir Path dir) throws Exception {
        Unsure d = Unsure.clinical(7, 0.7);
        Calibration c = recorded(d, 7, 8, 600, dir);
        Scenario online = oneCustomerAndRandomRows(d, NarrowAndWideAdaptiveAttackersTest.ALL);
        UnsureModelsProbe.print("spread-one-customer-online", online);
        assertThat(online.suspiciousAt.get("random")).as(online.report()).isNull();

        Scenario s = oneCustomerAndRandomRows(d, all(c));
        UnsureModelsProbe.print("spread-one-customer-calibrated", s);
        UnsureModelsTest.assertHonestOk(s, "one customer, calibrated");
        assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        assertThat(s.firstFlag.get("random").scores().get("ood").reason()).contains("inputs spread like no peer's");
    }

    private static Scenario oneCustomerAndRandomRows(Unsure d, DetectorProfile profile) {
        Scenario s = new Scenario(profile, d::predict).oneWorker();
        s.add("honest-0", "good", d.peer(700), 1_500, 0, () -> 2_000);
        s.add("random", null, d.random(701), 600, 900_000, () -> 2_000);
        return s.run();
    }

    /**
     * After a restart (a fresh engine with the same calibration) the test judges from the first key's
     * first inputs: a random-row key that is the first to arrive is flagged at its 16 + 128th input
     * (scored every 10: by 150), before any honest key has sent anything; online it would wait for
     * three trusted keys with 256 answers each (about 400 rows of its own in the cold-start tests).
     */
    @Test
    void afterARestartTheFirstKeyIsJudgedFromItsFirstInputs(@TempDir Path dir) throws Exception {
        Unsure d = Unsure.clinical(8, 0.7);
        Calibration c = recorded(d, 8, 8, 600, dir);
        for (int restart = 0; restart < 2; restart++) {
            Scenario s = new Scenario(all(c), d::predict);
            s.add("random", null, d.random(801 + restart), 400, 0, () -> 1_000);
            for (int k = 0; k < 3; k++) {
                s.add("honest-" + k, "good", d.peer(810 + 10 * restart + k), 1_000, 600_000 + k * 700L, () -> 2_000);
            }
            s.run();
            UnsureModelsProbe.print("spread-restart-" + restart, s);
            UnsureModelsTest.assertHonestOk(s, "after a restart");
            assertThat(s.suspiciousAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(150L);
        }
    }

    /**
     * Pinned (fails when it closes): a calibration does not judge a key's first 16 + 128 inputs (its
     * centre, then the 128 ratios its mean needs), so random rows split over ten keys of 140 rows each
     * (each key a tenant of its own) are never judged by the spread test, and nothing else sees random
     * rows on this model. The thief pays a key per 140 rows; {@code volume}'s and the tenant's limits
     * are what is left (no detector here).
     */
    @Test
    void randomRowsSplitOverKeysOfUnder144RowsWithACalibrationBypass(@TempDir Path dir) throws Exception {
        Unsure d = Unsure.clinical(9, 0.7);
        Calibration c = recorded(d, 9, 8, 600, dir);
        Scenario s = new Scenario(all(c), d::predict);
        for (int k = 0; k < 3; k++) {
            s.add("honest-" + k, "good", d.peer(900 + k), 1_500, k * 700L, () -> 2_000);
        }
        s.add(
                null,
                Scenario.OWN_TENANT,
                dev.moat.fixtures.traffic.SybilSplit.of(d.random(901), "sy", 10),
                1_400,
                600_000,
                () -> 200);
        s.run();
        UnsureModelsProbe.print("spread-short-keys", s);
        UnsureModelsTest.assertHonestOk(s, "short keys");
        List<String> sybil = InputSpreadTest.keys(s, "sy-");
        assertThat(sybil).hasSize(10);
        assertThat(sybil)
                .allSatisfy(
                        k -> assertThat(s.suspiciousAt.get(k)).as(s.report()).isNull());
    }

    /**
     * The survey's honest populations (twelve ordinary keys, 10x and 50x heavy keys, a bursty key,
     * the one-class and harder-case customers, with the attackers) on clinical-13, wine-13 and the
     * 30-input cells model under a calibration recorded from eight other honest keys of the same
     * model: no honest key is flagged that is not flagged online (the harder-case clinics, see
     * {@link UnsureModelsTest#harderCasesClinicIsAsHesitantAsADilutedLineSearch}), and random rows
     * are still flagged.
     */
    @Test
    void honestPopulationsStayOkWithACalibrationFromOtherHonestKeys(@TempDir Path dir) throws Exception {
        for (Unsure d : List.of(Unsure.clinical(1, 0.7), Unsure.wine(1, 0.8), Unsure.cells(1, 0.8, 30))) {
            Calibration c = recorded(d, 1, 8, 600, dir);
            Scenario s = UnsureModelsProbe.population(d, 1, false, true, all(c)).run();
            UnsureModelsProbe.print(d.name() + "-calibrated", s);
            System.out.printf(
                    "%s calibration: peers %.3f +- %.3f%n", d.name(), c.spreadPeersMedian(), c.spreadPeersSigma());
            UnsureModelsTest.assertHonestOk(
                    s, d.name() + " calibrated", "honest-harder-cases", "honest-harder-cases-1.5");
            assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        }
    }
}
