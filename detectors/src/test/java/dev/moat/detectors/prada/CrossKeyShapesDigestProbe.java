package dev.moat.detectors.prada;

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
 * A layout check, not a test of behaviour: prints a digest of every score, reason and counter of
 * {@link CrossKeyParents} over deterministic streams of several shapes (narrow and mid-width
 * mixed-scale records with per-feature JbDA across keys, a sampled mixed-scale width, one-scale
 * images with sign steps across keys, random rows, re-sends and near-copies of a child, odd widths
 * that evict stores, resets) under several configs. Run it on two builds; equal digests mean equal
 * decisions. Runs only with {@code -Dmoat.crossKeyDigest=true}.
 */
class CrossKeyShapesDigestProbe {

    private static final int CLASSES = 5;

    @Test
    void digest() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("moat.crossKeyDigest"));
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        List<Map<String, Object>> configs = List.of(
                Map.of("sample_seed", 7L),
                Map.of("sample_seed", 3L, "sample", 1, "store_size", 300, "window", 40, "min_hits", 2),
                Map.of("sample_seed", 5L, "store_size", 2048, "search_all_rows", 8, "coordinates", 64),
                Map.of("sample_seed", 9L, "store_size", 16, "max_keys", 12));
        long lines = 0;
        for (Map<String, Object> config : configs) {
            for (int scenario = 0; scenario < 6; scenario++) {
                MessageDigest one = MessageDigest.getInstance("SHA-256");
                CrossKeyParents ck = new CrossKeyParents(
                        CrossKeyParents.Settings.from(config),
                        k -> one.update(("evicted " + k).getBytes(StandardCharsets.UTF_8)));
                SplittableRandom r = new SplittableRandom(1000L * scenario + config.hashCode());
                int width = new int[] {13, 48, 300, 784, 13, 200}[scenario];
                double[] scale = new double[width];
                double[][] centres = new double[CLASSES][width];
                for (int j = 0; j < width; j++) {
                    boolean mixed = scenario != 3;
                    scale[j] = mixed ? Math.pow(10, -1 + 4.0 * r.nextDouble()) : 1;
                    for (int c = 0; c < CLASSES; c++) {
                        centres[c][j] = scale[j] * (2 + 6 * r.nextDouble());
                    }
                }
                List<double[]> honest = new ArrayList<>();
                for (int e = 0; e < 4_000; e++) {
                    String key;
                    double[] x;
                    int kind = r.nextInt(20);
                    if (kind < 11 || honest.size() < 20) {
                        // natural rows of 30 honest keys, some features whole numbers
                        int c = r.nextInt(CLASSES);
                        x = new double[width];
                        for (int j = 0; j < width; j++) {
                            double v = centres[c][j] + scale[j] * 0.8 * r.nextGaussian();
                            x[j] = j % 5 == 0 ? Math.rint(v) : v;
                        }
                        key = "h" + r.nextInt(30);
                        honest.add(x);
                    } else if (kind < 16) {
                        // a Sybil's per-feature (or, on one scale, equal) sign steps from another key's row
                        double[] p = honest.get(honest.size() - 1 - r.nextInt(Math.min(40, honest.size())));
                        x = new double[width];
                        double eps = scenario == 3 ? 0.05 : 0.1;
                        for (int j = 0; j < width; j++) {
                            double range = scenario == 3 ? 8 : 8 * scale[j];
                            double s = r.nextBoolean() ? 1 : -1;
                            x[j] = Math.max(0, Math.min(10 * scale[j], p[j] + eps * range * s));
                        }
                        key = "a" + r.nextInt(scenario == 4 ? 3 : 12);
                    } else if (kind < 18) {
                        // random rows in the box
                        x = new double[width];
                        for (int j = 0; j < width; j++) {
                            x[j] = 10 * scale[j] * r.nextDouble();
                        }
                        key = "rand" + r.nextInt(2);
                    } else if (kind == 18) {
                        // a re-send of an honest row, by another key or the same one
                        x = honest.get(r.nextInt(honest.size())).clone();
                        key = r.nextBoolean() ? "copy" : "h" + r.nextInt(30);
                    } else {
                        // near-copies of one row (a camera's frames of one scene)
                        double[] p = honest.get(honest.size() / 2);
                        x = new double[width];
                        for (int j = 0; j < width; j++) {
                            x[j] = p[j] + scale[j] * 0.002 * r.nextGaussian();
                        }
                        key = "cam";
                    }
                    if (scenario == 5 && e % 50 == 7) {
                        // odd widths: stores made and dropped
                        int w = 3 + r.nextInt(12);
                        double[] odd = new double[w];
                        for (int j = 0; j < w; j++) {
                            odd[j] = r.nextDouble();
                        }
                        x = odd;
                    }
                    double[] p = predict(centres, scale, x);
                    String line;
                    if (e % 37 == 11) {
                        ck.store(key, new double[][] {x}, new double[][] {p});
                        line = "stored";
                    } else if (e % 13 == 4) {
                        double[][] xs = {x, honest.get(r.nextInt(honest.size()))};
                        double[][] ps = {p, predict(centres, scale, xs[1])};
                        double s = ck.observe(key, xs, ps);
                        line = Long.toHexString(Double.doubleToLongBits(s)) + " " + ck.reason(key);
                    } else {
                        double s = ck.observe(key, new double[][] {x}, new double[][] {p});
                        line = Long.toHexString(Double.doubleToLongBits(s)) + " " + ck.reason(key);
                    }
                    if (e % 997 == 500) {
                        ck.forget("a" + r.nextInt(12));
                    }
                    one.update((line + "\n").getBytes(StandardCharsets.UTF_8));
                    lines++;
                }
                StringBuilder end = new StringBuilder();
                end.append(ck.searches())
                        .append(' ')
                        .append(ck.hits())
                        .append(' ')
                        .append(ck.storedOnly());
                end.append(' ')
                        .append(ck.searched())
                        .append(' ')
                        .append(ck.sampledOut())
                        .append(' ');
                end.append(ck.tested())
                        .append(' ')
                        .append(ck.banded())
                        .append(' ')
                        .append(ck.sketched());
                end.append(' ')
                        .append(ck.compared())
                        .append(' ')
                        .append(ck.moved())
                        .append(' ');
                end.append(ck.repeatPairs()).append(' ').append(ck.repeatHits()).append(' ');
                end.append(ck.rescaled()).append(' ').append(ck.resends()).append(' ');
                end.append(ck.sameParents()).append(' ').append(ck.rowsHeld());
                float[][] units = ck.units(width);
                if (units != null) {
                    for (float[] u : units) {
                        for (float f : u) {
                            end.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(f)));
                        }
                    }
                }
                one.update(end.toString().getBytes(StandardCharsets.UTF_8));
                byte[] h = one.digest();
                all.update(h);
                System.out.println("CROSSKEY-DIGEST " + new java.util.TreeMap<>(config) + " scenario " + scenario + " "
                        + HexFormat.of().formatHex(h, 0, 8) + " counters "
                        + end.substring(0, Math.min(120, end.length())));
            }
        }
        System.out.println(
                "CROSSKEY-DIGEST ALL " + lines + " lines: " + HexFormat.of().formatHex(all.digest()));
    }

    /** The nearest class centre in units of each feature's scale, as a score vector (odd widths: by their first value). */
    private static double[] predict(double[][] centres, double[] scale, double[] x) {
        double[] p = new double[CLASSES];
        if (x.length != scale.length) {
            p[(int) Math.min(CLASSES - 1, x[0] * CLASSES)] = 1;
            return p;
        }
        for (int c = 0; c < CLASSES; c++) {
            double d = 0;
            for (int j = 0; j < x.length; j++) {
                double u = (x[j] - centres[c][j]) / scale[j];
                d += u * u;
            }
            p[c] = -d;
        }
        return p;
    }
}
