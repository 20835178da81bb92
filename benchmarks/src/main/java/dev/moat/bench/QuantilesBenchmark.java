package dev.moat.bench;

import dev.moat.detectors.stats.OrderStatistics;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The quantiles {@code cross_key}'s rescale reads, every {@code store_size} rows, of each of its 128
 * sampled columns of 1,024 rows (the 10th, 25th, 50th, 75th and 90th percentiles): by a sort of the
 * column ({@code sort}, what the store did before session 27) and by {@link OrderStatistics}' radix
 * selection ({@code select}). One op is one column. Columns: pixels of 0-16 with noise ({@code
 * pixels}), or mostly a background of 0 ({@code background}). Run: {@code java -jar
 * benchmarks/target/moat-benchmarks.jar QuantilesBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class QuantilesBenchmark {

    static final int ROWS = 1_024;

    @Param({"pixels", "background"})
    String columns;

    float[][] data;
    float[] column = new float[ROWS];
    int[] ranks = {ROWS / 10, ROWS / 4, ROWS / 2, ROWS - 1 - ROWS / 4, ROWS - 1 - ROWS / 10};
    float[] out = new float[ranks.length];
    OrderStatistics selector = new OrderStatistics();
    int next;

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(1);
        data = new float[128][ROWS];
        for (int c = 0; c < data.length; c++) {
            for (int i = 0; i < ROWS; i++) {
                boolean zero = columns.equals("background") && r.nextInt(10) != 0;
                data[c][i] = zero ? 0 : (float) Math.max(0, Math.min(16, c % 17 + 0.5 * r.nextGaussian()));
            }
        }
    }

    @Benchmark
    public float sort() {
        float[] c = data[next++ & 127];
        System.arraycopy(c, 0, column, 0, ROWS);
        Arrays.sort(column);
        return column[ranks[0]] + column[ranks[2]] + column[ranks[4]];
    }

    @Benchmark
    public float select() {
        float[] c = data[next++ & 127];
        System.arraycopy(c, 0, column, 0, ROWS);
        selector.select(column, ROWS, ranks, out);
        return out[0] + out[2] + out[4];
    }
}
