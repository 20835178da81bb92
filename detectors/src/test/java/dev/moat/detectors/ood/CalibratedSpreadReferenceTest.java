package dev.moat.detectors.ood;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.Calibration;
import dev.moat.detectors.internal.SpreadPeers;
import dev.moat.fixtures.internal.UnsharedRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The spread test's calibrated parts: an {@link InputReference} seeded from a calibration's rows is
 * ready at once and no trusted key's offer or drop moves it, and calibrated {@link SpreadPeers} give
 * their threshold from the first query whatever is reported. Seeded.
 */
class CalibratedSpreadReferenceTest {

    /** Rows of {@code keys} keys, {@code per} each, of 20 correlated features (a latent level, noise). */
    private static List<double[][]> rows(long seed, int keys, int per) {
        Random r = new UnsharedRandom(seed);
        List<double[][]> out = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            double[][] mine = new double[per][];
            for (int i = 0; i < per; i++) {
                mine[i] = record(r);
            }
            out.add(mine);
        }
        return out;
    }

    private static double[] record(Random r) {
        double level = r.nextGaussian();
        double[] x = new double[20];
        for (int j = 0; j < x.length; j++) {
            x[j] = level * (1 + 0.05 * j) + 0.2 * r.nextGaussian();
        }
        return x;
    }

    @Test
    void theCalibrationsCountsAreTheReferences() {
        assertThat(Calibration.SPREAD_ROWS).isEqualTo(InputReference.ROWS);
        assertThat(Calibration.SPREAD_PER_KEY).isEqualTo(InputReference.PER_OWNER);
        assertThat(Calibration.SPREAD_MIN_ROWS).isEqualTo(InputReference.MIN_ROWS);
        assertThat(Calibration.SPREAD_MIN_KEYS).isEqualTo(InputReference.MIN_OWNERS);
        assertThat(Calibration.SPREAD_MIN_KEYS).isEqualTo(SpreadPeers.MIN_KEYS);
    }

    /**
     * Seeded, the reference judges at once; offers of far-off rows by trusted keys (a thief trusted
     * from a cold start) and drops change neither its limit nor any ratio. Unseeded, the same offers
     * do become the reference.
     */
    @Test
    void aSeededReferenceJudgesAtOnceAndTrustedKeysCannotMoveIt() {
        InputReference seeded = new InputReference(0, true, 3);
        seeded.seed(rows(1, 6, 16));
        assertThat(seeded.width()).isEqualTo(20);
        assertThat(seeded.dims()).isEqualTo(InputReference.DIMS);
        Random r = new UnsharedRandom(2);
        double[] probe = record(r);
        float[] centre = new float[seeded.dims()];
        double before = seeded.spreadRatio(probe, centre);
        double limit = seeded.spreadLimit2();
        assertThat(seeded.spreadReady()).isTrue();
        assertThat(before).isFinite();
        InputReference online = new InputReference(0, true, 3);
        for (int i = 0; i < 4_000; i++) {
            double[] wild = new double[20];
            for (int j = 0; j < wild.length; j++) {
                wild[j] = 10 * r.nextGaussian();
            }
            seeded.offer(wild, i % 8);
            online.offer(wild, i % 8);
        }
        seeded.drop(Integer.MIN_VALUE);
        seeded.drop(Integer.MIN_VALUE + 1);
        assertThat(seeded.spreadLimit2()).isEqualTo(limit);
        assertThat(seeded.spreadRatio(probe, centre)).isEqualTo(before);
        // the same offers are an online reference of their own
        assertThat(online.spreadRatio(probe, new float[online.dims()])).isFinite();
        assertThat(online.spreadLimit2()).isNotEqualTo(limit);
    }

    @Test
    void calibratedPeersGiveTheirThresholdAtOnceWhateverIsReported() {
        SpreadPeers calibrated = new SpreadPeers(0.05, 0.02);
        // max(FLOOR 0.4, 0.05 + max(0.3, 4 x 0.02))
        assertThat(calibrated.threshold(0.3)).isEqualTo(0.4);
        for (int k = 0; k < 64; k++) {
            calibrated.report(k, 1.5 + 0.1 * k);
        }
        assertThat(calibrated.threshold(0.3)).isEqualTo(0.4);
        SpreadPeers online = new SpreadPeers();
        assertThat(online.threshold(0.3)).isNaN();
        for (int k = 0; k < 64; k++) {
            online.report(k, 1.5 + 0.1 * k);
        }
        assertThat(online.threshold(0.3)).isGreaterThan(1.5);
    }
}
