package dev.moat.detectors.coverage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moat.detectors.stats.RandomProjection;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code cells: sign} (the cells before session 25; {@code fixed} is the default now). Narrow queries open new cells exactly when the definition says: bit b of a cell is the sign of
 * plane b . (x - centre), summed plane by plane over the coordinates in order, with the centre the
 * running mean of the first warmup queries kept coordinate by coordinate as floats (how the detector
 * kept it before it kept only the centre's projections, 272 bytes a key at 64 features). The
 * detector now compares x's projections with the running mean of the warm-up queries' projections
 * (the same signs in exact arithmetic); this checks, query by query, that every query opens a new
 * cell (the only thing the score and reason count) exactly when the reference's would, over streams
 * of whole pixels, wide-ranging values and a repeated query. Queries a thousandth from the centre,
 * where the rounding of the reference's float centre decides signs, may part at a handful of queries
 * (the projected mean is the more exact one there).
 */
class CoverageCellsTest {

    @Test
    void newCellsEqualThoseOfTheCoordinateCentre() {
        int queries = 0;
        int nearTiesApart = 0;
        for (int dims : new int[] {2, 13, 64}) {
            for (int bits : new int[] {4, 12, 24}) {
                for (int kind = 0; kind < 4; kind++) {
                    CoverageDetector.Settings settings =
                            CoverageDetector.Settings.from(Map.of("bits", bits, "min_queries", 1, "cells", "sign"));
                    CoverageDetector detector = new CoverageDetector(settings);
                    CoverageDetector.State s = detector.newState();
                    Reference ref = new Reference(settings, dims);
                    SplittableRandom r = new SplittableRandom(dims * 31L + bits * 7L + kind);
                    double[] repeated = row(r, dims, 0, null);
                    for (int q = 0; q < settings.warmup() + 3000; q++) {
                        double[] x = kind == 3 && q % 2 == 0 ? repeated.clone() : row(r, dims, kind, ref.centre);
                        int cellsBefore = s.cells;
                        boolean refNew = ref.update(x);
                        detector.update(s, x, new double[] {1.0}, q);
                        if (kind == 2 && refNew != s.cells > cellsBefore) {
                            nearTiesApart++;
                        } else {
                            assertEquals(
                                    refNew,
                                    s.cells > cellsBefore,
                                    "dims " + dims + ", bits " + bits + ", kind " + kind + ", query " + q);
                        }
                        queries++;
                    }
                }
            }
        }
        assertEquals(9 * 4 * (32 + 3000), queries);
        // queries a thousandth from the centre: where the reference's float rounding of the centre
        // decides a sign, the two may part (2 of these 27,288 queries, both at 2 inputs and 24 planes)
        assertTrue(nearTiesApart <= 4, nearTiesApart + " near-centre queries apart");
    }

    /** Whole pixels, wide-ranging doubles, or the centre plus a tiny nudge (near the planes through it). */
    private static double[] row(SplittableRandom r, int dims, int kind, float[] centre) {
        double[] x = new double[dims];
        for (int i = 0; i < dims; i++) {
            x[i] = switch (kind) {
                case 0, 3 -> r.nextInt(17);
                case 1 -> r.nextDouble(-1e3, 1e3);
                default -> centre == null || r.nextInt(4) == 0 ? r.nextInt(17) : centre[i] + r.nextDouble(-1e-3, 1e-3);
            };
        }
        return x;
    }

    /** The cells as defined (and as the detector computed them before), with the coordinate centre. */
    private static final class Reference {
        final CoverageDetector.Settings settings;
        final double[] planes;
        final float[] centre;
        final long[] visited;
        int seen;
        int cells;

        Reference(CoverageDetector.Settings settings, int dims) {
            this.settings = settings;
            // plane b's coefficients are the seeded Gaussians b * dims .. b * dims + dims - 1, in draw order
            this.planes = new double[settings.bits() * dims];
            SplittableRandom rnd = new SplittableRandom(settings.seed());
            for (int i = 0; i < planes.length; i++) {
                planes[i] = RandomProjection.gaussian(rnd);
            }
            this.centre = new float[dims];
            this.visited = new long[Math.max(1, (1 << settings.bits()) >>> 6)];
        }

        boolean update(double[] x) {
            int dims = centre.length;
            if (seen < settings.warmup()) {
                seen++;
                for (int i = 0; i < dims; i++) {
                    centre[i] += (float) ((x[i] - centre[i]) / seen);
                }
                return false;
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
            long bit = 1L << (cell & 63);
            if ((visited[cell >>> 6] & bit) != 0) {
                return false;
            }
            visited[cell >>> 6] |= bit;
            cells++;
            return true;
        }
    }
}
