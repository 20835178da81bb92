package dev.moat.detectors.prada;

import dev.moat.fixtures.Digits;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EvenHonestProbe {
    @Test
    void probe() {
        Digits.Part d = Digits.get().attacker();
        Random r = new Random(1);
        SignSteps steps = new SignSteps(64);
        float[][] pool = new float[400][64];
        for (float[] p : pool) {
            double[] row = d.x()[r.nextInt(d.size())];
            for (int j = 0; j < 64; j++) p[j] = (float) Math.max(0, Math.min(16, row[j] + 0.5 * r.nextGaussian()));
        }
        int hits = 0;
        for (int t = 0; t < 20000; t++) {
            double[] row = d.x()[r.nextInt(d.size())];
            float[] a = new float[64];
            for (int j = 0; j < 64; j++) a[j] = (float) Math.max(0, Math.min(16, row[j] + 0.5 * r.nextGaussian()));
            // the three nearest distinct rows (not re-sends of the same row: skip distance < 3)
            double[] best = {1e18, 1e18, 1e18};
            int[] bi = {-1, -1, -1};
            for (int k = 0; k < pool.length; k++) {
                double s = 0;
                for (int j = 0; j < 64; j++) s += (a[j] - pool[k][j]) * (a[j] - pool[k][j]);
                if (s < 9) continue;
                for (int q = 0; q < 3; q++)
                    if (s < best[q]) {
                        for (int z = 2; z > q; z--) {
                            best[z] = best[z - 1];
                            bi[z] = bi[z - 1];
                        }
                        best[q] = s;
                        bi[q] = k;
                        break;
                    }
            }
            boolean hit = false;
            for (int q = 0; q < 3; q++)
                if (bi[q] >= 0 && steps.isStepScaled(a, pool[bi[q]], 64, 0.02f, 16f, 0.03f, null)) hit = true;
            if (hit) hits++;
        }
        System.out.printf("natural nearest rows: %d of 20000 queries with a step among their 3 nearest%n", hits);
    }
}
