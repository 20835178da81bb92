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
