package dev.moat.detectors.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Decimals#fixed} writes what {@code String.format(Locale.ROOT, "%.Nf", x)} writes, for every kind of value. */
class DecimalsTest {

    private static void same(double x) {
        for (int digits = 0; digits <= 6; digits++) {
            assertEquals(
                    String.format(Locale.ROOT, "%." + digits + "f", x),
                    Decimals.fixed(x, digits),
                    () -> "x=" + x + " (" + Double.doubleToLongBits(x) + ")");
            assertEquals(
                    String.format(Locale.ROOT, "%." + digits + "e", x),
                    Decimals.scientific(x, digits),
                    () -> "x=" + x + " (" + Double.doubleToLongBits(x) + "), e");
        }
    }

    @Test
    void specialValues() {
        double[] xs = {
            0.0,
            -0.0,
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            Double.MIN_VALUE,
            -Double.MIN_VALUE,
            Double.MAX_VALUE,
            1e9,
            1e9 - 1,
            1e15,
            1e16,
            1e300,
            1e-300,
            0.5,
            1.5,
            2.5,
            -0.5,
            -2.5
        };
        for (double x : xs) {
            same(x);
        }
    }

    /** Decimal ties and their neighbours, where the shortest decimal's half-up rounding differs from the double's. */
    @Test
    void tiesAndNeighbours() {
        for (int digits = 1; digits <= 7; digits++) {
            long scale = (long) Math.pow(10, digits);
            for (long m = -1_500; m <= 1_500; m++) {
                double x = (double) m / scale;
                same(x);
                same(Math.nextUp(x));
                same(Math.nextDown(x));
                same(x + 0.5 / scale);
                same(Math.nextUp(x + 0.5 / scale));
                same(Math.nextDown(x + 0.5 / scale));
            }
        }
        for (int e = -300; e <= 300; e++) {
            // powers of ten and their neighbours, where the exponent's guess may be off by one
            double x = Double.parseDouble("1e" + e);
            same(x);
            same(Math.nextUp(x));
            same(Math.nextDown(x));
            same(9.95 * x);
            same(9.999999 * x);
        }
        double[] known = {1.005, 0.125, 0.375, 2.675, 1.0005, 0.0005, 0.045, 0.015, 100.005, 0.95, 0.995, 9.995, 99.5};
        for (double x : known) {
            same(x);
            same(-x);
        }
    }

    @Test
    void randomValuesAtEveryScale() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 50_000; i++) {
            double x = r.nextDouble() * Math.pow(10, r.nextInt(-8, 12)) * (r.nextBoolean() ? 1 : -1);
            same(x);
        }
        for (int i = 0; i < 20_000; i++) {
            same(Double.longBitsToDouble(r.nextLong()));
        }
        for (int i = 0; i < 20_000; i++) {
            // what reasons print: scores, W, shares, evidence
            same(r.nextDouble());
            same(r.nextDouble() * 100);
            same(r.nextInt(0, 1_000_000) / 1000.0);
        }
    }
}
