package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A gain change in a log domain is no step ({@code DataMoves#uniformOffset}, issue 9, session 16):
 * log-mel spectrograms re-recorded a few dB louder or softer move every bin above the -80 dB floor
 * by the same amount, which the equal shape took for a sign step (19 of 19 spectrogram customers of
 * {@code HonestDataShapesTest} flagged). The thief who read it: an offset teaches one direction;
 * a sign step on top of an offset, or one that leaves coordinates unmoved, is still a step. Pairs
 * through {@link SignSteps#isStepAcross}, 128 sampled coordinates of a spectrogram-like row
 * (-80..-10 dB, a few bins at the floor), 300 pairs a case.
 */
class UniformOffsetTest {

    static final int N = 128;

    interface Move {
        /** The query's value for a parent value, coordinate i, with r. */
        float apply(float parent, int i, Random r);
    }

    static int steps(long seed, Move move) {
        Random r = new UnsharedRandom(seed);
        SignSteps steps = new SignSteps(N);
        int hits = 0;
        for (int t = 0; t < 300; t++) {
            float[] parent = new float[N];
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                // a noise floor of -75..-50 dB with 3 dB of noise, harmonics up to -10, floored at -80
                double v = r.nextInt(4) == 0 ? -40 + 30 * r.nextDouble() : -62 + 3 * r.nextGaussian() * 2;
                parent[i] = (float) Math.max(-80, Math.rint(v * 100) / 100);
            }
            for (int i = 0; i < N; i++) {
                x[i] = Math.max(-80f, Math.min(0f, move.apply(parent[i], i, r)));
            }
            if (steps.isStepAcross(x, parent, N, 0.02f, 80f, 0f)) {
                hits++;
            }
        }
        return hits;
    }

    /** Every value above the floor moved by g (floored values stay): a re-recording g dB louder or softer. */
    static Move gain(double g) {
        return (p, i, r) -> p > -80 ? (float) (Math.rint((p + g) * 100) / 100) : p;
    }

    @Test
    void aClipRecordedAgainLouderOrSofterIsNoStep() {
        for (double g : new double[] {-6, -3, -1.5, 1.5, 3, 6}) {
            assertThat(steps(1, gain(g))).as("gain %.1f dB", g).isZero();
        }
    }

    @Test
    void aSignStepOnAnOffsetIsStillAStep() {
        // plain steps of 5 dB, on an offset of 0, 2 or 10 dB
        for (double c : new double[] {0, 2, 10}) {
            int n = steps(2, (p, i, r) -> (float) (p + c + (r.nextBoolean() ? 5 : -5)));
            assertThat(n).as("offset %.0f", c).isGreaterThan(250);
        }
    }

    @Test
    void anOffsetThatLeavesSomeCoordinatesForAStepIsStillAStep() {
        // an offset of 5 dB on three quarters of the coordinates, the other quarter stepped by +-5 (the
        // thief hiding a sparse step behind an offset): the equal shape counts it (moves 0 or 10 on the
        // quarter break the offset)
        int n = steps(3, (p, i, r) -> (float) (p + 5 + (i % 4 == 0 ? (r.nextBoolean() ? 5 : -5) : 0)));
        assertThat(n).isGreaterThan(250);
    }
}
