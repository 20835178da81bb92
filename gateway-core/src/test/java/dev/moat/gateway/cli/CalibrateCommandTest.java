package dev.moat.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.detectors.Calibration;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.traffic.HonestClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code moat calibrate}: a recording of honest answers in, a calibration file the detectors read out. */
class CalibrateCommandTest {

    @Test
    void aRecordingBecomesACalibrationFile(@TempDir Path dir) throws Exception {
        StringBuilder jsonl = new StringBuilder();
        DigitsModel model = DigitsModel.get();
        for (int k = 0; k < 6; k++) {
            HonestClient c = new HonestClient(100 + k);
            long t = 1_764_300_000_000L;
            for (int i = 0; i < 300; i++) {
                t += 4_000 + k; // 20 minutes per key: long enough (15) for a rate
                jsonl.append("{\"key\":\"k")
                        .append(k)
                        .append("\",\"time\":")
                        .append(t)
                        .append(",\"prediction\":")
                        .append(Arrays.toString(model.predict(c.next())))
                        .append("}\n");
            }
        }
        Path in = dir.resolve("rec.jsonl");
        Files.writeString(in, jsonl);
        Path out = dir.resolve("calibration.moat");
        int code = new CommandLine(new MoatCli()).execute("calibrate", "--in", in.toString(), "--out", out.toString());
        assertThat(code).isZero();
        Calibration c = Calibration.read(out);
        assertThat(c.keys()).isEqualTo(6);
        assertThat(c.queries()).isEqualTo(1_800);
        assertThat(c.hasVolume()).isTrue();
        // about 900 queries an hour: ln(900) = 6.8
        assertThat(c.volumeLogRateMedian()).isBetween(6.7, 6.9);
        assertThat(c.oodReference()[Calibration.OOD_BINS - 1])
                .isEqualTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(c.hasCoverage()).as("no inputs, no coverage reference").isFalse();
    }

    /**
     * With each query's input recorded, the file also gives {@code coverage} its cells and its
     * reference: the cells' widths from the keys' spreads (keys with 200 inputs) and the median of
     * the keys' peak novelty in them (keys with 400 inputs), so a fresh gateway's coverage has both
     * from its first query and no key can set them. The digits' honest keys: about 0.4 (what their
     * online reference is).
     */
    @Test
    void aRecordingWithInputsGivesCoverageItsReference(@TempDir Path dir) throws Exception {
        StringBuilder jsonl = new StringBuilder();
        DigitsModel model = DigitsModel.get();
        for (int k = 0; k < 6; k++) {
            HonestClient c = new HonestClient(200 + k);
            for (int i = 0; i < (k == 5 ? 399 : 600); i++) {
                double[] x = c.next();
                jsonl.append(line(k, x, model.predict(x)));
            }
        }
        Calibrated run = calibrate(dir, jsonl);
        assertThat(run.code()).isZero();
        // k5 sent 399 inputs, under the 400 a peak needs: five keys give the reference, six the widths
        assertThat(run.stdout())
                .contains("coverage cells of 64 inputs, reference novelty")
                .contains("from 5 keys");
        Calibration c = Calibration.read(run.out());
        assertThat(c.hasCoverage()).isTrue();
        assertThat(c.coverageNovelty()).isBetween(0.3, 0.5);
        assertThat(c.coverageCellsWidth()).isEqualTo(64);
        assertThat(c.coverageCellWidths()).hasSize(12);
        assertThat(Arrays.stream(c.coverageCellWidths()).min().orElseThrow()).isPositive();
        assertThat(Files.readString(run.out()))
                .contains("coverage.reference_novelty = ")
                .contains("coverage.cell_widths.64 = ");
    }

    /**
     * With narrow inputs (at most 63 wide) recorded, the file also gives {@code ood}'s spread test its
     * reference: up to 16 rows of each key with 256 inputs, at full width and exact, and the keys'
     * median and deviation of the spread statistic, so a fresh gateway judges spreads from a key's
     * first 144 inputs. Records of 13 correlated features (a latent level and noise).
     */
    @Test
    void aRecordingWithNarrowInputsGivesTheSpreadTestItsReference(@TempDir Path dir) throws Exception {
        StringBuilder jsonl = new StringBuilder();
        java.util.Random r = new java.util.Random(13);
        for (int k = 0; k < 6; k++) {
            for (int i = 0; i < (k == 5 ? 255 : 300); i++) {
                double level = r.nextGaussian();
                double[] x = new double[13];
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.round((level * (1 + 0.1 * j) + 0.2 * r.nextGaussian()) * 1000) / 1000.0;
                }
                double p = 1 / (1 + Math.exp(-level));
                jsonl.append(line(k, x, new double[] {p, 1 - p}));
            }
        }
        Calibrated run = calibrate(dir, jsonl);
        assertThat(run.code()).isZero();
        // k5 sent 255 inputs, under the 256 a key needs to vouch for them: five keys' rows
        assertThat(run.stdout()).contains("ood spread reference: 5 keys' rows of 13 inputs");
        Calibration c = Calibration.read(run.out());
        assertThat(c.hasSpread()).isTrue();
        assertThat(c.spreadRows())
                .hasSize(5)
                .allSatisfy(rows -> assertThat(rows).hasNumberOfRows(16));
        assertThat(Files.readString(run.out())).contains("ood.spread.peers = ", "ood.spread.rows.4 = ");
        // every row is one of the recorded inputs, exactly
        String recorded = jsonl.toString();
        for (double[][] rows : c.spreadRows()) {
            for (double[] row : rows) {
                assertThat(recorded).contains(Arrays.toString(row));
            }
        }
    }

    @Test
    void aBadInputIsNamedWithFileAndLine(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("rec.jsonl");
        Files.writeString(
                in,
                "{\"key\":\"k\",\"input\":[1,2],\"prediction\":[0.5,0.5]}\n"
                        + "{\"key\":\"k\",\"input\":[1,\"x\"],\"prediction\":[0.5,0.5]}\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new MoatCli())
                    .execute(
                            "calibrate",
                            "--in",
                            in.toString(),
                            "--out",
                            dir.resolve("c").toString());
            assertThat(code).isEqualTo(2);
        } finally {
            System.setErr(old);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(in + ":2: input[1]: expected a number");
    }

    @Test
    void aBadLineIsNamedWithFileAndLine(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("rec.jsonl");
        Files.writeString(in, "{\"key\":\"k\",\"prediction\":[0.5,0.5]}\n{\"key\":\"k\",\"prediction\":\"x\"}\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new MoatCli())
                    .execute(
                            "calibrate",
                            "--in",
                            in.toString(),
                            "--out",
                            dir.resolve("c").toString());
            assertThat(code).isEqualTo(2);
        } finally {
            System.setErr(old);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(in + ":2: prediction: expected an array");
    }

    @Test
    void aBrokenCalibrationFileNamesFileLineAndField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c");
        Files.writeString(f, "format = moat-calibration-1\nvolume.log_rate_median = lots\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: volume.log_rate_median: \"lots\"");
        Files.writeString(f, "format = moat-calibration-1\n# a comment\ncoverage.reference_novelty = 1.5\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        f + ":3:1: coverage.reference_novelty: \"1.5\" (expected: a number in [0.0, 1.0])");

        Files.writeString(f, "format = moat-calibration-1\ncoverage.cell_widths.64 = 1,2,3\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: coverage.cell_widths.64: 3 widths (expected 4 to 24");
        Files.writeString(f, "format = moat-calibration-1\ncoverage.cell_widths.64 = 1,2,3,-4\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: coverage.cell_widths.64: \"-4\" (expected: a number in");
        Files.writeString(f, "format = moat-calibration-1\ncoverage.cell_widths.x = 1,2,3,4\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: coverage.cell_widths.x: input width (expected");
    }

    /** One recorded line: key {@code k}'s input and the model's answer. */
    private static String line(int k, double[] input, double[] prediction) {
        return "{\"key\":\"k" + k + "\",\"input\":" + Arrays.toString(input) + ",\"prediction\":"
                + Arrays.toString(prediction) + "}\n";
    }

    /** What {@code moat calibrate --min-keys 5} said and where it wrote. */
    private record Calibrated(int code, String stdout, Path out) {}

    /** Writes {@code jsonl} as a recording in {@code dir} and runs {@code moat calibrate --min-keys 5} on it. */
    private static Calibrated calibrate(Path dir, CharSequence jsonl) throws Exception {
        Path in = dir.resolve("rec.jsonl");
        Files.writeString(in, jsonl);
        Path out = dir.resolve("calibration.moat");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new MoatCli())
                    .execute("calibrate", "--in", in.toString(), "--out", out.toString(), "--min-keys", "5");
        } finally {
            System.setOut(old);
        }
        return new Calibrated(code, stdout.toString(StandardCharsets.UTF_8), out);
    }
}
