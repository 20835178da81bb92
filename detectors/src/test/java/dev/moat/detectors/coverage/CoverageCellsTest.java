package dev.moat.detectors.coverage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.moat.detectors.stats.RandomProjection;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The cell of a narrow query is the same as plane-by-plane dot products give (the definition: bit b
 * is the sign of plane b . (x - centre), each summed over the coordinates in order), bit for bit:
 * the detector sums all planes coordinate by coordinate, which must not move a single cell.
 */
class CoverageCellsTest {

    @Test
    void cellsEqualPlaneByPlaneDotProducts() {
        for (int dims : new int[] {2, 13, 64}) {
            for (int bits : new int[] {4, 12, 24}) {
                CoverageDetector.Settings settings =
                        CoverageDetector.Settings.from(Map.of("bits", bits, "min_queries", 1));
                CoverageDetector detector = new CoverageDetector(settings);
                CoverageDetector.State s = detector.newState();
                SplittableRandom r = new SplittableRandom(dims * 31L + bits);
                long[] expected = new long[Math.max(1, (1 << bits) >>> 6)];
                int expectedCells = 0;
                for (int q = 0; q < settings.warmup() + 3000; q++) {
                    double[] x = new double[dims];
                    for (int i = 0; i < dims; i++) {
                        // whole pixels, so many dot products come out exactly or nearly zero
                        x[i] = q % 3 == 0 ? r.nextInt(17) : r.nextDouble(-1e3, 1e3);
                    }
                    boolean counted = s.seen >= settings.warmup();
                    int cell = counted ? reference(settings, s.centre, x) : -1;
                    detector.update(s, x, new double[] {1.0}, q);
                    if (counted && (expected[cell >>> 6] & (1L << (cell & 63))) == 0) {
                        expected[cell >>> 6] |= 1L << (cell & 63);
                        expectedCells++;
                    }
                }
                assertEquals(expectedCells, s.cells, "dims " + dims + ", bits " + bits);
                assertArrayEquals(expected, s.visited, "dims " + dims + ", bits " + bits);
            }
        }
    }

    /** Plane b's coefficients are the seeded Gaussians b * dims .. b * dims + dims - 1, in draw order. */
    private static int reference(CoverageDetector.Settings settings, float[] centre, double[] x) {
        int dims = centre.length;
        double[] planes = new double[settings.bits() * dims];
        SplittableRandom rnd = new SplittableRandom(settings.seed());
        for (int i = 0; i < planes.length; i++) {
            planes[i] = RandomProjection.gaussian(rnd);
        }
        int cell = 0;
        for (int b = 0; b < settings.bits(); b++) {
            double dot = 0;
            for (int i = 0; i < dims; i++) {
                dot += planes[b * dims + i] * (x[i] - centre[i]);
            }
            if (dot > 0) {
                cell |= 1 << b;
            }
        }
        return cell;
    }
}
