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
    }
}
