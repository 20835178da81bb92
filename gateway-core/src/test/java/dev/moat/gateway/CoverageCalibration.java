package dev.moat.gateway;

import dev.moat.detectors.Calibration;
import dev.moat.detectors.coverage.CoverageDetector;
import dev.moat.fixtures.traffic.HonestClient;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A calibration file holding only {@code coverage}'s lines (the cells' widths and the reference
 * novelty), as {@code moat calibrate} records them from six honest digits keys' inputs (600 each):
 * what an operator of a gateway with few keys gives {@code coverage}, whose fixed cells otherwise
 * wait for five trusted keys' 200 rows. The other detectors learn online as without a file.
 */
final class CoverageCalibration {

    private CoverageCalibration() {}

    /** Writes the file into {@code dir} and returns its path. */
    static Path write(Path dir) throws IOException {
        CoverageDetector.Peaks peaks = new CoverageDetector.Peaks();
        for (int k = 0; k < 6; k++) {
            HonestClient c = new HonestClient(4_200 + k);
            for (int i = 0; i < 600; i++) {
                peaks.add("k" + k, c.next());
            }
        }
        Calibration c = new Calibration(6, 3_600, null, null, null, null, Double.NaN, Double.NaN, peaks.median(5))
                .withCoverageCells(peaks.inputWidth(), peaks.cellWidths(5));
        if (!c.hasCoverage() || !c.hasCoverageCells()) {
            throw new IllegalStateException("no coverage calibration from six honest keys");
        }
        Path file = dir.resolve("coverage.calibration");
        c.write(file, "coverage only: six honest digits keys' inputs");
        return file;
    }

    /** The YAML {@code detection} section naming the file written into {@code dir}. */
    static String detection(Path dir) throws IOException {
        return "detection: {calibration: \"" + write(dir) + "\"}\n";
    }
}
