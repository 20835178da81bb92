package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The wide step sample: distinct coordinates in runs of neighbours, gather = coordinate. */
class StepSampleTest {

    @Test
    void distinctCoordinatesInRunsOfNeighbours() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n : new int[] {65, 100, 128, 129, 130, 133, 200, 384, 385, 784, 3072, 5000}) {
            for (int size : new int[] {8, 64, 100, 128, 300}) {
                for (int t = 0; t < 20; t++) {
                    int s = Math.min(size, n);
                    int start = r.nextInt(n);
                    int stride = StepSample.stride(r, s, n, start);
                    double[] input = new double[n];
                    for (int j = 0; j < n; j++) {
                        input[j] = j;
                    }
                    float[] out = new float[s];
                    StepSample.gather(input, out, s, n, start, stride);
                    Set<Integer> seen = new HashSet<>();
                    for (int i = 0; i < s; i++) {
                        int c = StepSample.coordinate(i, s, n, start, stride);
                        assertThat(c).as("n %d size %d", n, s).isBetween(0, n - 1);
                        assertThat(out[i]).isEqualTo((float) c);
                        assertThat(seen.add(c))
                                .as("n %d size %d entry %d", n, s, i)
                                .isTrue();
                    }
                    // runs of RUN entries are consecutive coordinates (when runs fit; else one run, wrapping)
                    int runs = (s + StepSample.RUN - 1) / StepSample.RUN;
                    if (StepSample.whole(s, n) || runs * StepSample.RUN <= n) {
                        for (int i = 0; i + 1 < s; i++) {
                            if ((i + 1) % StepSample.RUN != 0 && !(out[i] == n - 1)) {
                                assertThat(out[i + 1] - out[i])
                                        .as("n %d size %d entry %d", n, s, i)
                                        .isEqualTo(1f);
                            }
                        }
                    }
                }
            }
        }
    }
}
