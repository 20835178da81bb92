package dev.moat.detectors.prada;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What the even shape ({@link SignSteps#even}) costs honest traffic on the 64-input digits (the
 * attacker's split, Gaussian sensor noise of sd 0.5 per send by default, clipped to 0..16, the floor 2% of 16,
 * a stored row's quantisation error 0.03): how many of 20,000 noisy re-sends of one row are counted
 * as steps from the other send, and how many of 20,000 queries are a step from one of their three
 * nearest other rows (a pool of 400, re-sends of the query's own row left out). Prints; asserts
 * nothing (a probe, not run by the build). Measured 2026-11-30, re-sends and queries counted (with the
 * shape off in brackets): at
 * sd 0.5, 6 and 4 (4 and 1); with {@code -Devensd=0.25}, 3 and 0 (0 and 0); 1.0, 6 and 7 (5 and 6);
 * 2.0, 6 and 4 (5 and 3).
 */
class EvenHonestProbe {

    static final int N = 64;

    /** The sensor noise of each send ({@code -Devensd}, 0.5 by default). */
    static final double SD = Double.parseDouble(System.getProperty("evensd", "0.5"));

    static float[] noisy(double[] row, Random r) {
        float[] x = new float[N];
        for (int j = 0; j < N; j++) {
            x[j] = (float) Math.max(0, Math.min(16, row[j] + SD * r.nextGaussian()));
        }
        return x;
    }

    @Test
    void noisyResends() {
        Digits.Part d = Digits.get().attacker();
        Random r = new UnsharedRandom(1);
        SignSteps steps = new SignSteps(N);
        int hits = 0;
        for (int t = 0; t < 20_000; t++) {
            double[] row = d.x()[r.nextInt(d.size())];
            if (steps.isStepScaled(noisy(row, r), noisy(row, r), N, 0.02f, 16f, 0.03f, null)) {
                hits++;
            }
        }
        System.out.printf("noisy re-sends: %d of 20000 counted as steps%n", hits);
    }

    @Test
    void nearestOtherRows() {
        Digits.Part d = Digits.get().attacker();
        Random r = new UnsharedRandom(1);
        SignSteps steps = new SignSteps(N);
        float[][] pool = new float[400][];
        for (int k = 0; k < pool.length; k++) {
            pool[k] = noisy(d.x()[r.nextInt(d.size())], r);
        }
        int hits = 0;
        for (int t = 0; t < 20_000; t++) {
            float[] a = noisy(d.x()[r.nextInt(d.size())], r);
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            int[] at = {-1, -1, -1};
            for (int k = 0; k < pool.length; k++) {
                double s = 0;
                for (int j = 0; j < N; j++) {
                    s += (a[j] - pool[k][j]) * (a[j] - pool[k][j]);
                }
                if (s < 9) {
                    continue; // a re-send of the query's own row
                }
                for (int q = 0; q < 3; q++) {
                    if (s < best[q]) {
                        for (int z = 2; z > q; z--) {
                            best[z] = best[z - 1];
                            at[z] = at[z - 1];
                        }
                        best[q] = s;
                        at[q] = k;
                        break;
                    }
                }
            }
            boolean hit = false;
            for (int q = 0; q < 3; q++) {
                hit |= at[q] >= 0 && steps.isStepScaled(a, pool[at[q]], N, 0.02f, 16f, 0.03f, null);
            }
            hits += hit ? 1 : 0;
        }
        System.out.printf("nearest other rows: %d of 20000 queries a step from one of their three nearest%n", hits);
    }
}
