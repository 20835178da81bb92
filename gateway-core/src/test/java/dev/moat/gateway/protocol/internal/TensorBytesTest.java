package dev.moat.gateway.protocol.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TensorBytesTest {

    /**
     * Every FP16 bit pattern against the value IEEE 754 defines for it, computed in doubles from its
     * fields ({@code (-1)^s x 2^(e-15) x (1 + m/1024)}, subnormals {@code (-1)^s x 2^-14 x m/1024}),
     * and the infinities and NaNs.
     */
    @Test
    void everyHalfPrecisionValueIsTheOneIeee754Defines() {
        for (int h = 0; h < 0x10000; h++) {
            int e = (h >>> 10) & 0x1F;
            int m = h & 0x3FF;
            double sign = (h & 0x8000) != 0 ? -1 : 1;
            float got = TensorBytes.halfToFloat((short) h);
            if (e == 0x1F) {
                assertThat(m == 0 ? Float.isInfinite(got) : Float.isNaN(got))
                        .as("0x%04x", h)
                        .isTrue();
                assertThat(Math.copySign(1f, got)).as("0x%04x", h).isEqualTo((float) sign);
                continue;
            }
            double expected = e == 0 ? sign * Math.scalb(m / 1024.0, -14) : sign * Math.scalb(1 + m / 1024.0, e - 15);
            assertThat(Double.doubleToRawLongBits(got)).as("0x%04x", h).isEqualTo(Double.doubleToRawLongBits(expected));
        }
    }

    /**
     * Floats become the nearest FP16 value, ties to even: every half comes back as itself, every
     * midpoint between two neighbouring halves (exact in a float) goes to the one with an even
     * mantissa, and the floats next to the midpoint go to the nearer half; past the largest half,
     * infinity; under half the smallest subnormal, zero.
     */
    @Test
    void floatsRoundToTheNearestHalfTiesToEven() {
        for (int h = 0; h < 0x10000; h++) {
            float f = TensorBytes.halfToFloat((short) h);
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(TensorBytes.halfToFloat(TensorBytes.floatToHalf(f))))
                        .isTrue();
                continue;
            }
            assertThat(TensorBytes.floatToHalf(f) & 0xFFFF).as("0x%04x", h).isEqualTo(h);
            int next = h + 1;
            if ((next & 0x7FFF) >= 0x7C00 || (next & 0x8000) != (h & 0x8000)) {
                continue; // no finite neighbour above, in this sign
            }
            float g = TensorBytes.halfToFloat((short) next);
            float mid = (float) (((double) f + g) / 2); // exact: a half has 11 significant bits
            int even = (h & 1) == 0 ? h : next;
            assertThat(TensorBytes.floatToHalf(mid) & 0xFFFF)
                    .as("mid 0x%04x", h)
                    .isEqualTo(even);
            assertThat(TensorBytes.floatToHalf(Math.nextAfter(mid, f)) & 0xFFFF)
                    .as("just short of mid 0x%04x", h)
                    .isEqualTo(h);
            assertThat(TensorBytes.floatToHalf(Math.nextAfter(mid, g)) & 0xFFFF)
                    .as("just past mid 0x%04x", h)
                    .isEqualTo(next);
        }
        assertThat(TensorBytes.floatToHalf(65520f) & 0xFFFF).isEqualTo(0x7C00); // the midpoint past 65504: infinity
        assertThat(TensorBytes.floatToHalf(65519.99f) & 0xFFFF).isEqualTo(0x7BFF);
        assertThat(TensorBytes.floatToHalf(0x1p-26f) & 0xFFFF).isEqualTo(0); // under half of 2^-24
        assertThat(TensorBytes.floatToHalf(-0x1p-25f) & 0xFFFF).isEqualTo(0x8000); // half of 2^-24: ties to 0
        assertThat(TensorBytes.floatToHalf(Math.nextUp(0x1p-25f)) & 0xFFFF).isEqualTo(1);
    }

    /** bfloat16 is a float's high half, rounded to nearest, ties to even; checked against the float's neighbours. */
    @Test
    void floatsRoundToTheNearestBfloat16TiesToEven() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(Float.intBitsToFloat(TensorBytes.floatToBfloat16(f) << 16)))
                        .isTrue();
                continue;
            }
            int bits = Float.floatToRawIntBits(f);
            int down = bits & 0xFFFF0000;
            int up = down + 0x10000;
            double below = Float.intBitsToFloat(down);
            double above = Float.intBitsToFloat(up);
            if (Double.isInfinite(above)) {
                above = Math.copySign(
                        0x1p128, f); // past the largest: rounding to it means overflow, as IEEE 754 has it
            }
            int got = (TensorBytes.floatToBfloat16(f) & 0xFFFF) << 16;
            double dBelow = Math.abs(f - below);
            double dAbove = Math.abs(above - f);
            int expected = dBelow < dAbove || (dBelow == dAbove && (down & 0x10000) == 0) ? down : up;
            assertThat(got).as("%08x", bits).isEqualTo(expected);
        }
    }

    /**
     * Unsigned 64-bit integers become the double nearest them, ties to even, as BigDecimal's
     * correctly rounded conversion gives it: the values at and around every power of two and every
     * rounding tie above 2^63, and random ones.
     */
    @Test
    void unsignedLongsRoundToTheNearestDouble() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            long v = switch (i % 4) {
                case 0 -> r.nextLong();
                case 1 -> (1L << 63) | (r.nextLong() & ~0x7FFL) | 0x400L; // a tie between two doubles
                case 2 -> -1L - r.nextInt(4096);
                default -> (1L << (i % 64)) + r.nextInt(3) - 1;
            };
            BigDecimal exact = new BigDecimal(new BigInteger(Long.toUnsignedString(v)));
            double expected = exact.round(MathContext.DECIMAL128).doubleValue();
            // BigDecimal.doubleValue rounds to nearest, ties to even (DECIMAL128 keeps all 20 digits)
            assertThat(TensorBytes.unsignedToDouble(v))
                    .as(Long.toUnsignedString(v))
                    .isEqualTo(expected);
        }
    }
}
