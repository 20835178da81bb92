package dev.moat.detectors.stats;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * {@link OrderStatistics#select} against {@link Arrays#sort} on any column the fuzzer builds: every
 * float (NaN, infinities, zeros of both signs, subnormals) in any order and length up to 3,000, and
 * any ascending ranks. The property: each rank's float is the sort's, bit for bit, and the column is
 * not changed. In a plain build it runs the committed corpus
 * ({@code src/test/resources/dev/moat/detectors/stats/OrderStatisticsFuzzTestInputs/}); {@code
 * JAZZER_FUZZ=1} fuzzes (see the README).
 */
class OrderStatisticsFuzzTest {

    private final OrderStatistics selector = new OrderStatistics();

    @FuzzTest(maxDuration = "60s")
    void select(FuzzedDataProvider data) {
        int n = data.consumeInt(1, 3_000);
        int[] ranks = new int[data.consumeInt(0, 6)];
        for (int r = 0; r < ranks.length; r++) {
            ranks[r] = data.consumeInt(0, n - 1);
        }
        Arrays.sort(ranks);
        // a few distinct values, repeated and placed by the fuzzer, so ties and nested ranges are common
        float[] values = new float[data.consumeInt(1, 64)];
        for (int v = 0; v < values.length; v++) {
            values[v] = data.consumeFloat();
        }
        float[] column = new float[n];
        for (int i = 0; i < n; i++) {
            column[i] = data.remainingBytes() > 0
                    ? values[data.consumeInt(0, values.length - 1)]
                    : values[i % values.length] + i; // past the fuzzer's bytes: distinct-ish values
        }
        float[] a = column.clone();
        float[] out = new float[ranks.length];
        selector.select(a, n, ranks, out);
        float[] sorted = column.clone();
        Arrays.sort(sorted);
        for (int r = 0; r < ranks.length; r++) {
            assertThat(Float.floatToIntBits(out[r]))
                    .as("n %d, rank %d: %s, sort says %s", n, ranks[r], out[r], sorted[ranks[r]])
                    .isEqualTo(Float.floatToIntBits(sorted[ranks[r]]));
        }
        assertThat(a).isEqualTo(column);
    }
}
