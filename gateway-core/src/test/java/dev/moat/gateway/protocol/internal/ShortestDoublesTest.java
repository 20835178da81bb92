package dev.moat.gateway.protocol.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.NumberOutput;
import java.io.StringWriter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The shortest-digits writer writes exactly what Jackson's generator writes for a double (with
 * {@code USE_FAST_DOUBLE_WRITER}, as {@link JsonBodies#MAPPER} is set up), and what it writes reads
 * back as the same double: over random bit patterns (every exponent, subnormals included), random
 * probabilities (what the answer perturbations make), and the edges.
 */
class ShortestDoublesTest {

    private final char[] out = new char[ShortestDoubles.MAX_CHARS];

    @Test
    void randomBitPatternsAreWrittenAsJacksonWritesThem() {
        SplittableRandom r = new SplittableRandom(20261128);
        for (int i = 0; i < 3_000_000; i++) {
            check(Double.longBitsToDouble(r.nextLong()));
        }
    }

    @Test
    void randomProbabilitiesAndSubnormalsAreWrittenAsJacksonWritesThem() {
        SplittableRandom r = new SplittableRandom(15);
        for (int i = 0; i < 1_000_000; i++) {
            check(r.nextDouble()); // 0..1, 53 random bits: the perturbed probabilities' kind
            check(Math.scalb(r.nextDouble(), -r.nextInt(1, 1100))); // small ones down to subnormals
            check(Double.longBitsToDouble(r.nextLong(1L << 52))); // subnormal bit patterns
            check(r.nextLong(1L << 54)); // integers around the exact-integer path's limit 2^53
            check(r.nextInt(1_000_000) / Math.pow(10, r.nextInt(12))); // short decimals
        }
    }

    @Test
    void edgesAreWrittenAsJacksonWritesThem() {
        double[] edges = {
            0.0,
            -0.0,
            Double.MIN_VALUE,
            2 * Double.MIN_VALUE,
            3 * Double.MIN_VALUE,
            Double.MIN_NORMAL,
            Math.nextDown(Double.MIN_NORMAL),
            Math.nextUp(Double.MIN_NORMAL),
            Double.MAX_VALUE,
            Math.nextDown(Double.MAX_VALUE),
            1.0,
            -1.0,
            Math.nextUp(1.0),
            Math.nextDown(1.0),
            1e-3,
            Math.nextDown(1e-3),
            1e7,
            Math.nextDown(1e7),
            1e16,
            1e17,
            1e22,
            1e23,
            2e23,
            9007199254740991.0,
            9007199254740992.0,
            9007199254740993.0,
            0.1,
            0.2,
            0.3,
            0.1 + 0.2,
            1.0 / 3,
            2.0 / 3,
            Math.PI,
            Math.E,
            4.9e-324,
            1.7976931348623157e308,
            2.2250738585072014e-308,
            5.0e-324 * 1e15,
            1.0e-5,
            123456.789,
            1234567.0,
            12345678.0,
            100.0,
            0.001,
            0.01,
            2.82879384806159e17,
            1.18575755e-316
        };
        for (double v : edges) {
            check(v);
            check(-v);
        }
        for (int e = -1074; e <= 1023; e++) {
            double p = Math.scalb(1.0, e);
            check(p); // powers of two: the narrower interval below them
            check(Math.nextUp(p));
            check(Math.nextDown(p));
        }
        for (int e = -323; e <= 308; e++) {
            double p = Double.parseDouble("1e" + e);
            check(p);
            check(Math.nextUp(p));
            check(Math.nextDown(p));
        }
    }

    @Test
    void nonFiniteValuesAreLeftToJackson() {
        assertThat(ShortestDoubles.write(Double.NaN, out)).isZero();
        assertThat(ShortestDoubles.write(Double.POSITIVE_INFINITY, out)).isZero();
        assertThat(ShortestDoubles.write(Double.NEGATIVE_INFINITY, out)).isZero();
    }

    @Test
    void theGeneratorWritesTheSameCharacters() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        StringWriter expected = new StringWriter();
        StringWriter actual = new StringWriter();
        try (JsonGenerator e = JsonBodies.MAPPER.getFactory().createGenerator(expected);
                JsonGenerator a = JsonBodies.MAPPER.getFactory().createGenerator(actual)) {
            e.writeStartArray();
            a.writeStartArray();
            for (int i = 0; i < 10_000; i++) {
                double v = i % 2 == 0 ? r.nextDouble() : Double.longBitsToDouble(r.nextLong());
                if (!Double.isFinite(v)) {
                    continue;
                }
                e.writeNumber(v);
                a.writeNumber(out, 0, ShortestDoubles.write(v, out));
            }
            e.writeEndArray();
            a.writeEndArray();
        }
        assertThat(actual.toString()).isEqualTo(expected.toString());
    }

    private void check(double v) {
        int len = ShortestDoubles.write(v, out);
        if (!Double.isFinite(v)) {
            assertThat(len).isZero();
            return;
        }
        String s = new String(out, 0, len);
        String jackson = NumberOutput.toString(v, true);
        if (!s.equals(jackson)) {
            throw new AssertionError(v + " (bits " + Long.toHexString(Double.doubleToRawLongBits(v)) + "): wrote " + s
                    + ", Jackson writes " + jackson);
        }
        if (Double.doubleToRawLongBits(Double.parseDouble(s)) != Double.doubleToRawLongBits(v)) {
            throw new AssertionError(v + ": " + s + " reads back as " + Double.parseDouble(s));
        }
    }
}
