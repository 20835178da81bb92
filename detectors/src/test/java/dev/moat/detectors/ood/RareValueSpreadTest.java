package dev.moat.detectors.ood;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A rare value of a nearly constant feature is no spread: records with 13 features, the first a flag
 * that is set on 1% of the trusted keys' records (a rare condition), the rest correlated normals. A
 * customer whose records carry the flag eight times as often (a clinic that sees more of it) must not
 * look like random rows to {@link InputReference#spreadRatio}; random rows in the box must.
 */
class RareValueSpreadTest {

    static double[] record(Random r, double flagShare) {
        double[] x = new double[13];
        x[0] = r.nextDouble() < flagShare ? 1 : 0;
        double a = r.nextGaussian();
        for (int j = 1; j < 13; j++) {
            x[j] = 50 + 10 * (0.7 * a + 0.7 * r.nextGaussian());
        }
        return x;
    }

    /** The mean clamped log spread ratio of {@code n} rows of a key, as {@link OodDetector} keeps it. */
    static double meanLog(InputReference ref, Random r, double flagShare, boolean random, int n) {
        float[] centre = new float[13];
        double sum = 0;
        int judged = 0;
        for (int i = 0; i < n; i++) {
            double[] x;
            if (random) {
                x = new double[13];
                x[0] = r.nextDouble();
                for (int j = 1; j < 13; j++) {
                    x[j] = 10 + 80 * r.nextDouble();
                }
            } else {
                x = record(r, flagShare);
            }
            if (i >= InputSpread.CENTRE_FIRST) {
                double ratio = ref.spreadRatio(x, centre);
                sum += InputSpread.spreadLog(ratio);
                judged++;
            }
            int c = Math.min(i + 1, InputSpread.CENTRE_MEMORY);
            for (int j = 0; j < 13; j++) {
                centre[j] += (float) ((x[j] - centre[j]) / c);
            }
        }
        return sum / judged;
    }

    @Test
    void aCustomerWithMoreOfARareFlagIsNoSpreadButRandomRowsAre() {
        Random r = new UnsharedRandom(5);
        InputReference ref = new InputReference(0, true, 7);
        for (int i = 0; i < 600; i++) {
            for (int k = 0; k < 12; k++) {
                ref.offer(record(r, 0.01), k);
            }
        }
        double honest = meanLog(ref, new UnsharedRandom(6), 0.01, false, 600);
        double rareClinic = meanLog(ref, new UnsharedRandom(7), 0.08, false, 600);
        double random = meanLog(ref, new UnsharedRandom(8), 0, true, 600);
        System.out.printf(
                "rare flag: honest %.3f, clinic with 8x the flag %.3f, random %.3f%n", honest, rareClinic, random);
        assertThat(rareClinic).isLessThan(honest + 0.3);
        assertThat(random).isGreaterThan(honest + 0.6);
    }
}
