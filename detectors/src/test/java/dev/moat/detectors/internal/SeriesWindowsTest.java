package dev.moat.detectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link SeriesWindows}: which queries read the key's last one later, through its 16-bit codes. */
class SeriesWindowsTest {

    /** Windows of {@code width} of the series {@code at(t)}, read {@code hop} values later each time; counts those that follow. */
    private static int following(
            SeriesWindows w, int width, int hop, int windows, java.util.function.IntToDoubleFunction at) {
        char[] last = null;
        int follows = 0;
        for (int q = 0; q < windows; q++) {
            double[] x = new double[width];
            for (int j = 0; j < width; j++) {
                x[j] = at.applyAsDouble(q * hop + j);
            }
            follows += w.follows(x, last) ? 1 : 0;
            last = w.remember(last, x);
        }
        return follows;
    }

    /**
     * A vibration at any level and scale: its windows follow each other whatever the offset (a
     * million, where a float of the offset is 0.06 off and the swing is 0.01) or the units (a
     * millionth), since the codes are over the block's own range from its exact lowest value.
     */
    @Test
    void windowsOfASeriesFollowAtAnyOffsetAndScale() {
        Random r = new UnsharedRandom(3);
        double[] noise = new double[4_000];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = r.nextGaussian();
        }
        for (double[] levelAndSwing : new double[][] {{0, 1}, {1e6, 0.01}, {0, 1e-6}, {2_048, 400}}) {
            double level = levelAndSwing[0];
            double swing = levelAndSwing[1];
            for (int hop : new int[] {1, 5, 16}) {
                SeriesWindows w = new SeriesWindows(0.5, 9L);
                int n = following(
                        w, 128, hop, 100, t -> level + swing * (Math.sin(t / 3.0) + 0.1 * noise[t % noise.length]));
                assertThat(n).as("level %s swing %s hop %d", level, swing, hop).isEqualTo(99);
            }
        }
    }

    /** Independent rows never follow; nor does a window after one with a value that is not finite, nor one of another width. */
    @Test
    void rowsThatAreNoSeriesNeverFollow() {
        Random r = new UnsharedRandom(4);
        SeriesWindows w = new SeriesWindows(0.5, 9L);
        assertThat(following(w, 128, 4, 500, t -> r.nextDouble())).isZero();

        SeriesWindows v = new SeriesWindows(0.5, 9L);
        double[] x = new double[128];
        for (int j = 0; j < 128; j++) {
            x[j] = Math.sin(j / 3.0);
        }
        char[] last = v.remember(null, x);
        double[] later = new double[128];
        for (int j = 0; j < 128; j++) {
            later[j] = Math.sin((j + 2) / 3.0);
        }
        assertThat(v.follows(later, last)).as("the series").isTrue();
        double[] broken = x.clone();
        java.util.Arrays.fill(broken, Double.NaN);
        char[] nan = v.remember(last, broken);
        assertThat(v.follows(later, nan)).as("after a window of NaN").isFalse();
        assertThat(v.follows(broken, v.remember(null, x))).as("a window of NaN").isFalse();
        assertThat(v.follows(new double[64], last)).as("another width").isFalse();
        assertThat(v.remember(last, new double[64])).as("another width").isNull();
    }
}
