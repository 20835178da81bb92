package dev.moat.detectors.prada;

import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.Traffic;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A layout check, not a test of behaviour: prints a digest of PRADA's score bits and reason after
 * every query of many deterministic streams (digits traffic of every kind, 13/784/3,072-wide random
 * and step streams, up to 300 classes) under four configs. Run it on two builds; equal digests mean
 * equal decisions. Runs only with {@code -Dmoat.pradaDigest=true}.
 */
class PradaDigestProbe {

    @Test
    void digest() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("moat.pradaDigest"));
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        List<Map<String, Object>> configs = List.of(
                Map.of("step_sample_seed", 7),
                Map.of("min_distances", 20, "step_sample_seed", 7),
                Map.of("max_set_size", 3, "min_distances", 40, "step_sample_seed", 7),
                Map.of("step_min_queries", 5, "test_every", 1, "min_distances", 10, "step_sample_seed", 7));
        int streams = 0;
        long lines = 0;
        for (Map<String, Object> config : configs) {
            for (int k = 0; k < 14; k++) {
                List<double[]> rows = stream(k);
                PradaDetector d = new PradaDetector(PradaSettings.from(config));
                PradaState s = d.newState();
                MessageDigest one = MessageDigest.getInstance("SHA-256");
                SplittableRandom r = new SplittableRandom(k);
                long t = 1_000_000;
                for (int q = 0; q < rows.size(); q++) {
                    double[] x = rows.get(q);
                    double[] p = prediction(k, x, r);
                    t += k % 3 == 0 ? 3_600_000 : 100;
                    d.update(s, x, p, t);
                    String line =
                            Long.toHexString(Double.doubleToLongBits(d.score(s, t))) + " " + d.reason(s, t) + "\n";
                    one.update(line.getBytes(StandardCharsets.UTF_8));
                    lines++;
                }
                byte[] h = one.digest();
                all.update(h);
                streams++;
                System.out.println("PRADA-DIGEST " + config + " stream " + k + " "
                        + HexFormat.of().formatHex(h, 0, 8));
            }
        }
        System.out.println("PRADA-DIGEST ALL " + streams + " streams, " + lines + " lines: "
                + HexFormat.of().formatHex(all.digest()));
    }

    private static List<double[]> stream(int k) {
        CentroidModel m = CentroidModel.DIGITS;
        return switch (k) {
            case 0 -> Traffic.honest(400, 1);
            case 1 -> Traffic.uniform(400, 2);
            case 2 -> Traffic.jbda(400, 3, m);
            case 3 -> Traffic.natural(400, 4, 1.0, true);
            case 4 -> Traffic.boundary(400, 5, m);
            case 5 -> Traffic.interpolations(400, 6);
            case 6 -> Traffic.honest(30, 7);
            case 7 -> Traffic.jbda(70, 8, m);
            default -> random(k, new int[] {13, 13, 784, 3072, 784, 13}[k - 8], k >= 11);
        };
    }

    /** Random rows, or sign steps of 2-10% of the range from earlier rows. */
    private static List<double[]> random(int k, int width, boolean steps) {
        SplittableRandom r = new SplittableRandom(100 + k);
        List<double[]> rows = new ArrayList<>();
        for (int q = 0; q < 300; q++) {
            double[] x = new double[width];
            if (steps && q > 3 && r.nextInt(4) > 0) {
                double[] parent = rows.get(r.nextInt(rows.size()));
                double eps = r.nextDouble(0.02, 0.1);
                for (int i = 0; i < width; i++) {
                    x[i] = Math.min(1, Math.max(0, parent[i] + (r.nextBoolean() ? eps : -eps)));
                }
            } else {
                for (int i = 0; i < width; i++) {
                    x[i] = r.nextInt(3) == 0 ? 0 : r.nextDouble();
                }
            }
            rows.add(x);
        }
        return rows;
    }

    /** The digits model's answer for digits streams; for the others 300 (or 10) classes, one-hot-ish. */
    private static double[] prediction(int k, double[] x, SplittableRandom r) {
        if (k < 8) {
            return CentroidModel.DIGITS.predict(x);
        }
        int classes = k % 2 == 0 ? 300 : 10;
        double[] p = new double[classes];
        int c = (int) Math.floorMod((long) (x[0] * 1000) + r.nextInt(3), (long) classes);
        p[c] = 0.9;
        p[(c + 1) % classes] = 0.1;
        return p;
    }
}
