package dev.moat.bench;

import dev.moat.detectors.stats.SparseProjection;
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
 * One sparse random projection of a wide row, as PRADA (64 outputs) and coverage (12) project each
 * query, with the row in cache ({@code warm}: 13 rows cycled) or not ({@code cold}: 2,000 rows of
 * 3,072 doubles, 48 MB, more than the L3). Run: {@code java -jar benchmarks/target/moat-benchmarks.jar
 * SparseProjectionBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class SparseProjectionBenchmark {

    @Param({"3072"})
    int dims;

    @Param({"64", "12"})
    int outputs;

    @Param({"cold", "warm"})
    String rows;

    SparseProjection projection;
    double[][] inputs;
    double[] out;
    int next;

    @Setup
    public void setUp() {
        projection = new SparseProjection(dims, outputs, 0x5eed);
        SplittableRandom r = new SplittableRandom(3);
        inputs = new double[rows.equals("warm") ? 13 : 2_000][dims];
        for (double[] x : inputs) {
            for (int i = 0; i < dims; i++) {
                x[i] = r.nextDouble(0, 16);
            }
        }
        out = new double[outputs];
    }

    @Benchmark
    public double project() {
        int i = next;
        next = i + 1 == inputs.length ? 0 : i + 1;
        projection.project(inputs[i], out);
        return out[0];
    }
}
