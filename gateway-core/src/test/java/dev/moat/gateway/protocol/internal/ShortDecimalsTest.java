package dev.moat.gateway.protocol.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Wherever the short-decimal writer answers, it writes exactly what Jackson's generator writes. */
class ShortDecimalsTest {

    @Test
    void roundedProbabilitiesAreWrittenAsJacksonWritesThem() throws Exception {
        for (int digits = 0; digits <= 6; digits++) {
            long scale = (long) Math.pow(10, digits);
            for (long k = 0; k <= scale && k <= 200_000; k++) {
                double v = (double) k / scale; // what Round produces: the double nearest k / 10^digits
                boolean plain = v == 0 || v >= 1e-3; // below 1e-3 Jackson writes 1.0E-4
                assertSame(v, plain);
                assertSame(-v, plain);
            }
        }
    }

    @Test
    void shortDecimalsAcrossThePlainRangeMatchJackson() throws Exception {
        SplittableRandom r = new SplittableRandom(15);
        for (int i = 0; i < 200_000; i++) {
            int fraction = r.nextInt(7);
            long whole = r.nextLong((long) 1e7);
            long f = fraction == 0 ? 0 : r.nextLong((long) Math.pow(10, fraction));
            double v = Double.parseDouble(whole + "."
                    + "0".repeat(Math.max(0, fraction - Long.toString(f).length()))
                    + (fraction == 0 ? "0" : Long.toString(f)));
            assertSame(v, v >= 1e-3 || v == 0);
        }
        for (double v : new double[] {
            1e-3, 0.00100001, 0.0015, 9999999.999999, 9999999.5, 1234567.0, 0.1, 0.3, 0.30000000000000004, 1e7 - 1
        }) {
            assertSame(v, false);
        }
    }

    @Test
    void everythingElseIsLeftToJackson() throws Exception {
        for (double v : new double[] {
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            1e7,
            1e-4,
            9.99e-4,
            1e300,
            Double.MIN_VALUE,
            Double.MAX_VALUE,
            0.30000000000000004,
            Math.PI,
            1.0 / 3,
            0.0000005,
            0.1234567
        }) {
            assertThat(ShortDecimals.format(v, new char[ShortDecimals.MAX_CHARS]))
                    .as("%s", v)
                    .isZero();
        }
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            double v = Double.longBitsToDouble(r.nextLong());
            assertSame(v, false); // random doubles: where it answers (rarely) it must agree
            double p = r.nextDouble();
            assertSame(p, false);
        }
    }

    @Test
    void plainDecimalsAreReadAsJacksonReadsThem() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 100_000; i++) {
            int whole = r.nextInt(8);
            int fraction = 1 + r.nextInt(16);
            sb.append(i == 0 ? "" : ",").append(r.nextBoolean() ? "-" : "");
            sb.append(whole == 0 ? "0" : Long.toString(r.nextLong((long) Math.pow(10, whole))));
            sb.append('.');
            for (int d = 0; d < fraction; d++) {
                sb.append((char) ('0' + r.nextInt(10)));
            }
            if (r.nextInt(20) == 0) {
                sb.append(r.nextBoolean() ? "e" : "E-").append(r.nextInt(30));
            }
        }
        sb.append(",0.0,-0.0,0.1,0.30000000000000004,9007199254740993.0,123456789012345.6,1.7976931348623157e308]");
        try (JsonParser fast = JsonBodies.MAPPER
                        .getFactory()
                        .createParser(sb.toString().getBytes(StandardCharsets.UTF_8));
                JsonParser jackson = JsonBodies.MAPPER
                        .getFactory()
                        .createParser(sb.toString().getBytes(StandardCharsets.UTF_8))) {
            fast.nextToken();
            jackson.nextToken();
            int n = 0;
            while (fast.nextToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                jackson.nextToken();
                double expected = jackson.getDoubleValue();
                assertThat(Double.doubleToRawLongBits(ShortDecimals.parse(fast)))
                        .as(jackson.getText())
                        .isEqualTo(Double.doubleToRawLongBits(expected));
                n++;
            }
            assertThat(n).isEqualTo(100_007);
        }
    }

    /** When handled, the characters equal Jackson's; {@code mustHandle}: and it was handled. */
    private static void assertSame(double v, boolean mustHandle) throws Exception {
        char[] out = new char[ShortDecimals.MAX_CHARS];
        int len = ShortDecimals.format(v, out);
        if (mustHandle) {
            assertThat(len).as("%s handled", v).isPositive();
        }
        if (len > 0) {
            assertThat(new String(out, 0, len)).as("%s", v).isEqualTo(jackson(v));
        }
    }

    private static String jackson(double v) throws Exception {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JsonBodies.MAPPER.getFactory().createGenerator(w)) {
            g.writeNumber(v);
        }
        return w.toString();
    }
}
