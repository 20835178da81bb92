package dev.moat.policies.watermark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The canonical form decides which queries are watermarked: {@link CanonicalInput#quantise} must
 * stay bit for bit {@code Math.round(x * 10^D)} (half up, saturating) for every double, or existing
 * ledgers stop verifying.
 */
class CanonicalInputTest {

    private static final double[] EDGES = {
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.5,
        -1.5,
        2.5,
        -2.5,
        0.49999999999999994,
        -0.49999999999999994,
        0.5000000000000001,
        -0.5000000000000001,
        1e-4,
        5e-5,
        -5e-5,
        4.9999e-5,
        0.00015,
        -0.00015,
        0.1,
        0.10000000149011612,
        1234.56785,
        -1234.56785,
        0x1p52,
        -0x1p52,
        0x1p52 - 0.5,
        -0x1p52 + 0.5,
        0x1p52 + 1,
        0x1p53,
        0x1p53 + 2,
        0x1p63,
        -0x1p63,
        0x1p64,
        -0x1p64,
        9.2233720368547758E18,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        Double.MAX_VALUE,
        -Double.MAX_VALUE,
        Double.MIN_VALUE,
        -Double.MIN_VALUE,
        Double.MIN_NORMAL,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.NaN,
        Double.longBitsToDouble(0x7ff8000000000001L),
        Double.longBitsToDouble(0xfff0000000000001L)
    };

    @Test
    void quantiseIsMathRoundForEveryKindOfDouble() {
        SplittableRandom rnd = new SplittableRandom(20261128);
        for (int decimals = 0; decimals <= CanonicalInput.MAX_DECIMALS; decimals++) {
            CanonicalInput c = new CanonicalInput(decimals);
            double scale = Math.pow(10, decimals);
            for (double x : EDGES) {
                same(c, x);
                same(c, x / scale); // the edges after scaling
                same(c, Math.nextUp(x / scale));
                same(c, Math.nextDown(x / scale));
            }
            for (int i = 0; i < 300_000; i++) {
                same(c, Double.longBitsToDouble(rnd.nextLong())); // any bit pattern
                same(c, rnd.nextDouble()); // probabilities, pixels
                same(c, (rnd.nextLong(-2_000_000, 2_000_000) + 0.5) / scale); // halves on the grid
                double h = (rnd.nextLong(-2_000_000, 2_000_000) + 0.5) / scale;
                same(c, Math.nextUp(h));
                same(c, Math.nextDown(h));
                same(c, rnd.nextDouble(-1, 1) * Math.pow(2, rnd.nextInt(-60, 70))); // every magnitude
            }
        }
    }

    @Test
    void encodeWritesEachQuantisedFeatureAsABigEndianLong() {
        CanonicalInput c = CanonicalInput.defaultGrid();
        SplittableRandom rnd = new SplittableRandom(7);
        double[] x = new double[EDGES.length + 64];
        System.arraycopy(EDGES, 0, x, 0, EDGES.length);
        for (int i = EDGES.length; i < x.length; i++) {
            x[i] = rnd.nextDouble(-300, 300);
        }
        byte[] out = new byte[CanonicalInput.encodedLength(x.length) + 5];
        assertThat(c.encode(x, out)).isEqualTo(x.length * 8);
        for (int i = 0; i < x.length; i++) {
            long q = c.quantiseByRound(x[i]);
            for (int b = 0; b < 8; b++) {
                assertThat(out[i * 8 + b]).as("feature %d byte %d", i, b).isEqualTo((byte) (q >>> (56 - 8 * b)));
            }
        }
        assertThat(c.encode(x)).isEqualTo(java.util.Arrays.copyOf(out, x.length * 8));
    }

    private static void same(CanonicalInput c, double x) {
        long want = c.quantiseByRound(x);
        long got = c.quantise(x);
        if (got != want) { // assertj per value would be slow over millions of values
            assertThat(got).as("quantise(%s) at %d decimals", x, c.decimals()).isEqualTo(want);
        }
    }
}
