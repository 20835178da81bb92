package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Count data are no sign steps (issue 9, honest traffic that looks like probing): two bag-of-words
 * rows differ by one count in the few words either holds, so on a key's 128 sampled coordinates
 * their moves all have one magnitude, the data's unit, and PRADA's equal and repeat shapes (and
 * {@code cross_key}'s) took them for sign steps. Before the fix, honest keys sending documents
 * over a 3,072-word vocabulary were EXTRACTING within 3-14 rows (tenant prada) and every what-if,
 * partial-dependence or duplicate workload on them by prada or cross_key
 * ({@code HonestTrafficThatLooksLikeProbingTest}). A step from a gradient moves nearly every
 * coordinate, or moves off its parent's lattice, and still counts.
 */
class CountDataSignStepsTest {

    private static final int N = 128;

    /** A sparse count row: {@code words} ones and twos over N coordinates. */
    private static float[] doc(Random r, int words) {
        float[] x = new float[N];
        for (int i = 0; i < words; i++) {
            x[r.nextInt(N)] += 1;
        }
        return x;
    }

    @Test
    void twoDocumentsDifferingByOneCountInTenWordsAreNoStep() {
        SignSteps s = new SignSteps(N);
        float[] parent = doc(new UnsharedRandom(1), 12);
        float[] x = parent.clone();
        Random r = new UnsharedRandom(2);
        int moved = 0;
        while (moved < 10) {
            int i = r.nextInt(N);
            if (x[i] == parent[i]) {
                x[i] = parent[i] > 0 && r.nextBoolean() ? parent[i] - 1 : parent[i] + 1;
                moved++;
            }
        }
        float[] prev = new float[N];
        for (int i = 0; i < N; i++) {
            prev[i] = 1; // the key's last move in every coordinate was one count too (repeat shape)
        }
        assertThat(s.isStepScaled(x, parent, N, 0.02f, 20f, 0f, prev)).isFalse();
        assertThat(s.isStepAcross(x, parent, N, 0.02f, 20f, 0f)).isFalse();
    }

    @Test
    void aDenseStepOfOneCountIsStillAStep() {
        SignSteps s = new SignSteps(N);
        Random r = new UnsharedRandom(3);
        float[] parent = doc(r, 60);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = Math.max(0, parent[i] + (r.nextBoolean() ? 1 : -1)); // JbDA with lambda 1, clipped at 0
        }
        assertThat(s.isStepScaled(x, parent, N, 0.02f, 20f, 0f, null)).isTrue();
        assertThat(s.isStepAcross(x, parent, N, 0.02f, 20f, 0f)).isTrue();
    }

    @Test
    void aSparseStepOffTheParentsLatticeIsStillAStep() {
        SignSteps s = new SignSteps(N);
        Random r = new UnsharedRandom(4);
        float[] parent = new float[N];
        for (int i = 0; i < N; i++) {
            parent[i] = 8 * r.nextFloat();
        }
        float[] x = parent.clone();
        for (int k = 0; k < 12; k++) {
            x[k * 10] = parent[k * 10] + (k % 2 == 0 ? 0.7f : -0.7f);
        }
        assertThat(s.isStepScaled(x, parent, N, 0.02f, 8f, 0f, null)).isTrue();
        assertThat(s.isStepAcross(x, parent, N, 0.02f, 8f, 0f)).isTrue();
    }

    @Test
    void aSparseStepOfOneUnitOnIntegerDataIsNoLongerSeen() {
        // the price, pinned: an attacker who moves under a quarter of the sampled coordinates by the
        // data's own unit looks like two records of count data (detectors/README.md)
        SignSteps s = new SignSteps(N);
        Random r = new UnsharedRandom(5);
        float[] parent = new float[N];
        for (int i = 0; i < N; i++) {
            parent[i] = r.nextInt(17);
        }
        float[] x = parent.clone();
        for (int k = 0; k < 30; k++) {
            x[k * 4] = Math.min(16, parent[k * 4] + 1);
        }
        assertThat(s.isStepScaled(x, parent, N, 0.02f, 16f, 0f, null)).isFalse();
    }
}
