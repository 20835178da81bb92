package dev.moat.policies.watermark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class WatermarkerTest {

    private static final byte[] SECRET = "moat-test-secret-0123456789".getBytes(StandardCharsets.UTF_8);

    record Reference(double[] features, int y, int classes, boolean selected, int label) {}

    /** Decisions computed by gen_watermark_reference.py with Python's hmac, independently of this code. */
    static List<Reference> references() throws IOException {
        List<Reference> out = new ArrayList<>();
        try (InputStream in = WatermarkerTest.class.getResourceAsStream("/watermark/watermark_reference.csv")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (String line : lines) {
                if (line.startsWith("#") || line.startsWith("features") || line.isBlank()) {
                    continue;
                }
                String[] f = line.split(";");
                double[] x = Arrays.stream(f[0].split(" "))
                        .mapToDouble(Double::parseDouble)
                        .toArray();
                out.add(new Reference(
                        x,
                        Integer.parseInt(f[1]),
                        Integer.parseInt(f[2]),
                        Boolean.parseBoolean(f[4]),
                        Integer.parseInt(f[5])));
            }
        }
        return out;
    }

    @Test
    void selectionAndLabelsMatchAnIndependentPythonHmac() throws IOException {
        Watermarker w = new Watermarker(SECRET, 0.25);
        List<Reference> refs = references();
        assertThat(refs).hasSize(200);
        assertThat(refs).filteredOn(Reference::selected).hasSizeBetween(20, 80);
        for (Reference r : refs) {
            assertThat(w.selects(r.features()))
                    .as("selected %s", Arrays.toString(r.features()))
                    .isEqualTo(r.selected());
            assertThat(w.watermarkLabel(r.features(), r.y(), r.classes())).isEqualTo(r.label());
        }
    }

    @Test
    void selectsAboutTheConfiguredRate() {
        Watermarker w = new Watermarker(SECRET, 0.005);
        SplittableRandom r = new SplittableRandom(1);
        int n = 400_000;
        int selected = 0;
        for (int i = 0; i < n; i++) {
            if (w.selects(new double[] {r.nextDouble(), r.nextDouble(), i})) {
                selected++;
            }
        }
        // expected 2,000 (328/65536 * n = 2,001.5), sd ~ 45
        assertThat(selected).isBetween(1_800, 2_200);
    }

    @Test
    void rateZeroNeverAndRateOneAlwaysSelects() {
        Watermarker never = new Watermarker(SECRET, 0.0);
        Watermarker always = new Watermarker(SECRET, 1.0);
        for (int i = 0; i < 2_000; i++) {
            double[] x = {i, -i * 0.5};
            assertThat(never.selects(x)).isFalse();
            assertThat(always.selects(x)).isTrue();
            assertThat(never.apply(new double[] {0.2, 0.8}, x)).isEqualTo(-1);
        }
    }

    @Test
    void negativeZeroAndFloat32ReencodingsAreTheSameQuery() {
        Watermarker w = new Watermarker(SECRET, 0.5);
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 2_000; i++) {
            double[] x = new double[8];
            for (int j = 0; j < x.length; j++) {
                x[j] = Math.round(r.nextDouble() * 1000) / 100.0; // two decimals, as clients send
            }
            double[] viaFloat = Arrays.stream(x).map(v -> (double) (float) v).toArray();
            assertThat(w.selects(viaFloat)).isEqualTo(w.selects(x));
        }
        assertThat(w.selects(new double[] {-0.0, 1.0})).isEqualTo(w.selects(new double[] {0.0, 1.0}));
    }

    @Test
    void theWatermarkLabelIsNeverTheTrueLabelAndIsUniformOverTheOthers() {
        Watermarker w = new Watermarker(SECRET, 1.0);
        int classes = 10;
        int[] counts = new int[classes];
        int n = 90_000;
        for (int i = 0; i < n; i++) {
            int label = w.watermarkLabel(new double[] {i}, 3, classes);
            assertThat(label).isNotEqualTo(3).isBetween(0, classes - 1);
            counts[label]++;
        }
        // chi-square over the 9 wrong labels, 8 degrees of freedom: 99.99th percentile is 31.8
        double expected = n / 9.0;
        double chi2 = 0;
        for (int c = 0; c < classes; c++) {
            if (c != 3) {
                chi2 += (counts[c] - expected) * (counts[c] - expected) / expected;
            }
        }
        assertThat(chi2).isLessThan(31.8);
    }

    @Test
    void rewritesTheAnswerToAValidDistributionWithTheWatermarkLabelStrictlyOnTop() {
        Watermarker w = new Watermarker(SECRET, 1.0);
        double[] input = {1, 2, 3};
        double[] p = {0.1, 0.6, 0.2, 0.1};
        int label = w.apply(p, input);
        assertThat(label).isEqualTo(w.watermarkLabel(input, 1, 4)).isNotEqualTo(1);
        // swapped: the label now holds 0.6 and class 1 holds what the label had
        double[] expected = {0.1, 0.6, 0.2, 0.1};
        expected[1] = expected[label];
        expected[label] = 0.6;
        assertThat(p).containsExactly(expected);
    }

    @Test
    void aTieAtTheTopStillEndsWithTheWatermarkLabelStrictlyOnTop() {
        Watermarker w = new Watermarker(SECRET, 1.0);
        for (int i = 0; i < 200; i++) {
            double[] p = {0.25, 0.25, 0.25, 0.25};
            int label = w.apply(p, new double[] {i});
            assertThat(label).isNotEqualTo(0);
            assertThat(Arrays.stream(p).sum()).isEqualTo(1.0);
            for (int j = 0; j < p.length; j++) {
                if (j != label) {
                    assertThat(p[j]).isLessThan(p[label]);
                }
            }
        }
    }

    @Test
    void aBinarySingleColumnFlipsSides() {
        Watermarker w = new Watermarker(SECRET, 1.0);
        double[] p = {0.8};
        assertThat(w.apply(p, new double[] {1})).isEqualTo(0);
        assertThat(p[0]).isEqualTo(1.0 - 0.8);
        double[] tie = {0.5};
        assertThat(w.apply(tie, new double[] {1})).isEqualTo(0);
        assertThat(tie[0]).isLessThan(0.5);
    }

    @Test
    void repeatedQueriesGetTheSameAnswerAcrossThreads() throws Exception {
        Watermarker w = new Watermarker(SECRET, 0.3);
        SplittableRandom r = new SplittableRandom(3);
        double[][] inputs = new double[5_000][];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = new double[] {r.nextDouble(), r.nextDouble() * 10, r.nextInt(17)};
        }
        int[] expected = labels(w, inputs);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> labels(w, inputs)));
            }
            for (Future<int[]> f : results) {
                assertThat(f.get()).containsExactly(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rejectsAShortSecretAndABadRate() {
        assertThatThrownBy(() -> new Watermarker(new byte[8], 0.01)).hasMessageContaining("watermark.secret: 8 bytes");
        assertThatThrownBy(() -> new Watermarker(SECRET, 1.5)).hasMessageContaining("watermark.rate: 1.5");
    }

    private static int[] labels(Watermarker w, double[][] inputs) {
        int[] out = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            double[] p = {0.05, 0.15, 0.5, 0.3};
            out[i] = w.apply(p, inputs[i]);
        }
        return out;
    }

    /**
     * The HMAC is computed on a MessageDigest (no allocation per call): it must equal
     * {@code javax.crypto.Mac}'s HmacSHA256 for keys shorter and longer than a block, every input
     * width and owner, on a thread that computed many before (the pads re-primed each time).
     */
    @Test
    void hmacEqualsJavaxCryptoMacForEveryKeyLengthAndInput() throws Exception {
        SplittableRandom rnd = new SplittableRandom(15);
        for (int keyLength : new int[] {16, 31, 63, 64, 65, 100, 200}) {
            byte[] secret = new byte[keyLength];
            for (int i = 0; i < keyLength; i++) {
                secret[i] = (byte) rnd.nextInt(256);
            }
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
            double rate = 0.3;
            Watermarker w = new Watermarker(secret, rate);
            for (int n = 0; n < 400; n++) {
                double[] x = new double[1 + rnd.nextInt(130)];
                for (int i = 0; i < x.length; i++) {
                    x[i] = rnd.nextDouble(-50, 50);
                }
                byte[] c = w.canonical().encode(x);
                byte[] h = mac.doFinal(c);
                int h16 = ((h[0] & 0xff) << 8) | (h[1] & 0xff);
                assertThat(w.selects(x)).isEqualTo(h16 < rate * 65536);
                int classes = 2 + rnd.nextInt(12);
                int label = rnd.nextInt(classes);
                String owner = n % 3 == 0 ? null : "key-" + n + "-\u00e9";
                mac.update("label".getBytes(StandardCharsets.US_ASCII));
                if (owner != null) {
                    byte[] id = owner.getBytes(StandardCharsets.UTF_8);
                    mac.update(new byte[] {1, 0, 0, (byte) (id.length >>> 8), (byte) id.length});
                    mac.update(id);
                }
                byte[] h2 = mac.doFinal(c);
                long v = java.nio.ByteBuffer.wrap(h2).getLong();
                int want = (label + 1 + (int) Long.remainderUnsigned(v, classes - 1)) % classes;
                assertThat(w.watermarkLabel(x, label, classes, owner))
                        .as("key %d bytes, input %d", keyLength, n)
                        .isEqualTo(want);
            }
        }
    }
}
