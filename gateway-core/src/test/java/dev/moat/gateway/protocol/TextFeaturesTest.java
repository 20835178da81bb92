package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.moat.gateway.protocol.internal.TextFeatures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link TextFeatures} against rows computed by an independent Python implementation of its recipe. */
class TextFeaturesTest {

    @Test
    void matchesTheIndependentPythonReference() throws Exception {
        Map<String, double[]> expected = new LinkedHashMap<>();
        try (var in = new BufferedReader(new InputStreamReader(
                getClass().getResourceAsStream("/protocol/text_features_reference.csv"), StandardCharsets.UTF_8))) {
            in.readLine();
            for (String line; (line = in.readLine()) != null; ) {
                String[] f = line.split(",");
                String text = new String(HexFormat.of().parseHex(f[0]), StandardCharsets.UTF_8);
                expected.computeIfAbsent(text, t -> new double[TextFeatures.BUCKETS])[Integer.parseInt(f[1])] =
                        Double.parseDouble(f[2]);
            }
        }
        assertThat(expected).hasSize(7);
        expected.forEach(
                (text, row) -> assertThat(TextFeatures.of(text)).as(text).containsExactly(row, within(1e-12)));
    }

    @Test
    void rowsAreUnitLengthAndIgnoreCaseAndSpacing() {
        double[] row = TextFeatures.of("The Quick  brown\tfox");
        assertThat(java.util.Arrays.stream(row).map(v -> v * v).sum()).isCloseTo(1.0, within(1e-12));
        assertThat(TextFeatures.of(" the quick brown FOX ")).containsExactly(row);
    }

    @Test
    void emptyAndBlankTextGiveTheZeroRow() {
        assertThat(TextFeatures.of("")).containsOnly(0.0).hasSize(256);
        assertThat(TextFeatures.of(" \n\t ")).containsOnly(0.0);
    }
}
