package dev.moat.bench;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;

/**
 * Deterministic inputs shared by the request-path benchmarks and {@link MemoryFootprint}: digits
 * rows with a little pixel noise (so every number on the wire is a full-precision double, the
 * costlier case for the JSON parser), the sample model's answers to them, and TF Serving bodies
 * built from both.
 */
final class BenchData {

    /** Rows in one benchmark request, as a small batching client sends them. */
    static final int BATCH = 8;
    /** Pixel noise (standard deviation, on the 0..16 scale) added to each digits row. */
    static final double PIXEL_NOISE = 0.5;

    private BenchData() {}

    /** {@code n} digits-like rows: dataset rows in turn, each with fresh Gaussian pixel noise, clipped to 0..16. */
    static double[][] noisyDigits(int n, long seed) {
        double[][] source = Digits.get().all().x();
        SplittableRandom random = new SplittableRandom(seed);
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            double[] base = source[random.nextInt(source.length)];
            double[] row = new double[base.length];
            for (int j = 0; j < row.length; j++) {
                double v = base[j] + PIXEL_NOISE * random.nextGaussian();
                row[j] = Math.min(Digits.MAX_PIXEL, Math.max(0.0, v));
            }
            rows[i] = row;
        }
        return rows;
    }

    /** The sample model's probability vector for each row. */
    static double[][] predict(double[][] rows) {
        DigitsModel model = DigitsModel.get();
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = model.predict(rows[i]);
        }
        return out;
    }

    /** {@code {"instances": [[...], ...]}}, as a TF Serving client sends it. */
    static byte[] tfServingRequest(double[][] rows) {
        return ("{\"instances\":" + matrix(rows) + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** {@code n} dataset digits rows as they are, whole pixel values 0..16. */
    static double[][] digits(int n, long seed) {
        double[][] source = Digits.get().all().x();
        SplittableRandom random = new SplittableRandom(seed);
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = source[random.nextInt(source.length)].clone();
        }
        return rows;
    }

    /** Like {@link #tfServingRequest}, but whole numbers written as JSON integers ({@code 3}, not {@code 3.0}). */
    static byte[] tfServingRequestIntegers(double[][] rows) {
        return ("{\"instances\":" + matrix(rows).replace(".0,", ",").replace(".0]", "]") + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** {@code {"predictions": [[...], ...]}}, as TF Serving answers. */
    static byte[] tfServingAnswer(double[][] predictions) {
        return ("{\"predictions\":" + matrix(predictions) + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** {@code n} distinct API key secrets shaped like the ones {@code moat keys new} prints. */
    static String[] secrets(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        String[] out = new String[n];
        byte[] bytes = new byte[32];
        for (int i = 0; i < n; i++) {
            random.nextBytes(bytes);
            out[i] = "moat_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        }
        return out;
    }

    private static String matrix(double[][] rows) {
        StringBuilder sb = new StringBuilder(rows.length * rows[0].length * 20);
        sb.append('[');
        for (int i = 0; i < rows.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('[');
            for (int j = 0; j < rows[i].length; j++) {
                if (j > 0) {
                    sb.append(',');
                }
                sb.append(rows[i][j]);
            }
            sb.append(']');
        }
        return sb.append(']').toString();
    }
}
