package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.traffic.HonestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code ood.pair_cdf.A.B} lines of a calibration file: written, read back, checked. */
class CalibrationPairLinesTest {

    @Test
    void pairLinesSurviveAWriteAndARead(@TempDir Path dir) throws Exception {
        CalibrationRecorder recorder = new CalibrationRecorder(200);
        for (int k = 0; k < 8; k++) {
            HonestClient c = new HonestClient(40 + k);
            for (int i = 0; i < 600; i++) {
                recorder.add("k" + k, Long.MIN_VALUE, SampleModel.DIGITS.model().predict(c.next()));
            }
        }
        Calibration built = recorder.build(5);
        assertThat(built.oodPairReferences()).isNotEmpty();
        built.oodPairReferences()
                .keySet()
                .forEach(pair -> assertThat(Calibration.pairTop1(pair)).isNotEqualTo(Calibration.pairTop2(pair)));
        Path file = dir.resolve("c");
        built.write(file, "pairs");
        assertThat(Files.readString(file)).contains("ood.pair_cdf.");
        Calibration read = Calibration.read(file);
        // six decimals in the file
        assertThat(read.oodPairReferences().keySet())
                .isEqualTo(built.oodPairReferences().keySet());
        read.oodPairReferences()
                .forEach((pair, cdf) -> assertThat(cdf)
                        .containsExactly(
                                built.oodPairReferences().get(pair), org.assertj.core.api.Assertions.within(1e-6)));
        Path again = dir.resolve("again");
        read.write(again, "pairs");
        assertThat(Calibration.read(again)).isEqualTo(read);
    }

    @Test
    void aBrokenPairLineNamesFileLineAndField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c");
        Files.writeString(f, "format = moat-calibration-1\nood.pair_cdf.3.3 = 1\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.pair_cdf.3.3: class pair");
        Files.writeString(f, "format = moat-calibration-1\nood.pair_cdf.3 = 1\n");
        assertThatThrownBy(() -> Calibration.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f + ":2:1: ood.pair_cdf.3: class pair");
    }
}
