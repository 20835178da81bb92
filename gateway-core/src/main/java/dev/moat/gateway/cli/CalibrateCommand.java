package dev.moat.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.detectors.Calibration;
import dev.moat.detectors.CalibrationRecorder;
import dev.moat.detectors.coverage.CoverageDetector;
import dev.moat.detectors.ood.SpreadRecording;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code moat calibrate --in RECORDING.jsonl --out FILE}: writes the fixed honest reference that
 * {@code detection.calibration} names, from answers the operator vouches for (a period of known
 * honest traffic, or the model's answers to its own validation set sent as several keys). One JSON
 * object per line: {@code {"key": "k1", "time": 1764300000000, "prediction": [0.01, 0.97, ...]}};
 * {@code time} (epoch milliseconds or an ISO-8601 instant) is optional and only needed for the
 * volume reference; {@code input} (the query's input array) is optional and only needed for
 * {@code coverage}'s cell widths (keys with at least 200 inputs) and reference (400) and, for inputs at most 63 wide, {@code
 * ood}'s spread reference (keys with at least 256 inputs: their rows and their spread statistic, see
 * {@code ood.SpreadRecording}); other fields are ignored. Exit 0 with a summary, or 2
 * naming {@code FILE:LINE} and what was expected.
 */
@Command(
        name = "calibrate",
        description = "Write a fixed honest detector reference (detection.calibration) from recorded answers.")
final class CalibrateCommand implements Callable<Integer> {

    @Option(
            names = "--in",
            required = true,
            description =
                    "JSON lines: {\"key\": ..., \"time\": epoch ms or ISO-8601 (optional), \"input\": [...] (optional),"
                            + " \"prediction\": [...]}.")
    Path in;

    @Option(names = "--out", required = true, description = "The calibration file to write.")
    Path out;

    @Option(names = "--min-answers", defaultValue = "200", description = "Answers a key needs to count (200).")
    int minAnswers;

    @Option(names = "--min-keys", defaultValue = "5", description = "Keys needed (5).")
    int minKeys;

    @Override
    public Integer call() {
        ObjectMapper json = new ObjectMapper();
        CalibrationRecorder recorder = new CalibrationRecorder(minAnswers);
        CoverageDetector.Peaks peaks = new CoverageDetector.Peaks();
        SpreadRecording spread = new SpreadRecording();
        long lines = 0;
        try (BufferedReader r = Files.newBufferedReader(in, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                String where = in + ":" + n + ": ";
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (IOException e) {
                    return fail(where + "not JSON (expected: one object per line)");
                }
                JsonNode key = node.get("key");
                JsonNode p = node.get("prediction");
                if (key == null || !key.isTextual()) {
                    return fail(where + "key: missing or not a string");
                }
                if (p == null || !p.isArray() || p.size() < 2) {
                    return fail(where + "prediction: expected an array of at least 2 probabilities");
                }
                double[] prediction = new double[p.size()];
                for (int i = 0; i < prediction.length; i++) {
                    if (!p.get(i).isNumber()) {
                        return fail(where + "prediction[" + i + "]: expected a number");
                    }
                    prediction[i] = p.get(i).asDouble();
                }
                long time = Long.MIN_VALUE;
                JsonNode t = node.get("time");
                if (t != null && !t.isNull()) {
                    if (t.isNumber()) {
                        time = t.asLong();
                    } else {
                        try {
                            time = Instant.parse(t.asText()).toEpochMilli();
                        } catch (RuntimeException e) {
                            return fail(where + "time: \"" + t.asText()
                                    + "\" (expected: epoch milliseconds or an ISO-8601 instant)");
                        }
                    }
                }
                JsonNode x = node.get("input");
                if (x != null && !x.isNull()) {
                    if (!x.isArray() || x.isEmpty()) {
                        return fail(where + "input: expected an array of numbers (or no input field)");
                    }
                    double[] input = new double[x.size()];
                    for (int i = 0; i < input.length; i++) {
                        if (!x.get(i).isNumber()) {
                            return fail(where + "input[" + i + "]: expected a number");
                        }
                        input[i] = x.get(i).asDouble();
                    }
                    peaks.add(key.asText(), input, prediction);
                    spread.add(key.asText(), input);
                }
                recorder.add(key.asText(), time, prediction);
                lines++;
            }
        } catch (IOException e) {
            return fail(in + ": cannot be read: " + e.getMessage());
        }
        try {
            Calibration c = spread.applyTo(
                    recorder.build(minKeys)
                            .withCoverageNovelty(peaks.median(minKeys))
                            .withCoverageCells(peaks.inputWidth(), peaks.cellWidths(minKeys)),
                    minKeys);
            c.write(out, "from " + in.getFileName() + ", " + lines + " answers, written " + Instant.now());
            System.out.printf(
                    "wrote %s: %d keys, %d answers%s%s%s%n",
                    out,
                    c.keys(),
                    c.queries(),
                    c.hasVolume() ? "" : " (no volume reference: times missing or spans under 15 min)",
                    c.hasCoverage()
                            ? String.format(
                                    java.util.Locale.ROOT,
                                    " (coverage cells of %d inputs, reference novelty %.2f from %d keys)",
                                    peaks.inputWidth(),
                                    c.coverageNovelty(),
                                    peaks.keys())
                            : c.hasCoverageCells()
                                    ? " (coverage cells of " + peaks.inputWidth() + " inputs; no reference novelty: "
                                            + peaks.keys() + " of " + minKeys + " keys with 400 inputs)"
                                    : " (no coverage reference: fewer than " + minKeys
                                            + " keys with 200 inputs of one width)",
                    c.hasSpread()
                            ? String.format(
                                    java.util.Locale.ROOT,
                                    " (ood spread reference: %d keys' rows of %d inputs, peers %.3f +- %.3f)",
                                    c.spreadRows().size(),
                                    c.spreadWidth(),
                                    c.spreadPeersMedian(),
                                    c.spreadPeersSigma())
                            : spread.width() < 0
                                    ? " (no ood spread reference: no inputs at most 63 wide)"
                                    : " (no ood spread reference: " + spread.keys() + " of " + minKeys
                                            + " keys with 256 inputs)");
            return 0;
        } catch (IllegalStateException e) {
            return fail(in + ": " + e.getMessage());
        } catch (IOException e) {
            return fail(out + ": cannot be written: " + e.getMessage());
        }
    }

    private static int fail(String message) {
        System.err.println(message);
        return 2;
    }
}
