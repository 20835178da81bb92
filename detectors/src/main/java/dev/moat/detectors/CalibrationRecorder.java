package dev.moat.detectors;

import dev.moat.detectors.internal.Rows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Calibration} from recorded honest answers, the way the online references are
 * built but from traffic the operator vouches for: per key, the CDF of its top-1 confidences (ood's
 * 40 bins) overall, per top-1 class and per (top-1, top-2) class pair, the CDF of its top-1 minus top-2 margins (100 points) and its rate while active; then
 * the pointwise median over keys with at least {@code minAnswers} answers (one vote per key, so a
 * heavy key does not dominate), and the median and MAD over keys of ln(rate per hour).
 *
 * <p>A key's rate is its answers over the span from its first to its last answer (at least one
 * minute); keys with a span under {@value #MIN_SPAN_MILLIS} ms carry no rate. Not thread-safe.
 */
public final class CalibrationRecorder {

    static final long MIN_SPAN_MILLIS = 15 * 60_000L;

    private static final class KeyStats {
        final int[] confidence = new int[Calibration.OOD_BINS];
        /** Per top-1 class index, its answers' confidence bins. */
        final Map<Integer, int[]> classConfidence = new HashMap<>();
        /** Per (top-1, top-2) class pair ({@link Calibration#pair}), its answers' confidence bins. */
        final Map<Long, int[]> pairConfidence = new HashMap<>();

        final int[] margin = new int[Calibration.MARGIN_BINS + 1];
        long answers;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
    }

    private final int minAnswers;
    private final Map<String, KeyStats> keys = new HashMap<>();

    /** @param minAnswers answers a key needs to take part (200: ood's report interval) */
    public CalibrationRecorder(int minAnswers) {
        this.minAnswers = minAnswers;
    }

    /** Adds one answered query of {@code key}; {@code timeMillis} may be {@link Long#MIN_VALUE} when unknown. */
    public void add(String key, long timeMillis, double[] prediction) {
        double top1 = Rows.top1(prediction);
        if (Double.isNaN(top1)) {
            return;
        }
        KeyStats s = keys.computeIfAbsent(key, k -> new KeyStats());
        s.answers++;
        int bin = confidenceBin(top1);
        s.confidence[bin]++;
        int cls = Rows.top1Class(prediction);
        s.classConfidence.computeIfAbsent(cls, c -> new int[Calibration.OOD_BINS])[bin]++;
        int second = prediction.length >= 3 ? Rows.runnerUp(prediction) : -1;
        if (second >= 0 && cls < 65_536 && second < 65_536) {
            s.pairConfidence.computeIfAbsent(Calibration.pair(cls, second), c -> new int[Calibration.OOD_BINS])[bin]++;
        }
        double m = Rows.margin(prediction);
        if (!Double.isNaN(m)) {
            // margin bin i holds margins in [i/100, (i+1)/100)
            s.margin[Math.min(Calibration.MARGIN_BINS, Math.max(0, (int) (m * Calibration.MARGIN_BINS)))]++;
        }
        if (timeMillis != Long.MIN_VALUE) {
            s.first = Math.min(s.first, timeMillis);
            s.last = Math.max(s.last, timeMillis);
        }
    }

    /** The ood bin of a confidence (the same bins as the {@code ood} detector). */
    static int confidenceBin(double confidence) {
        double u = -Math.log10(Math.max(1e-12, 1 - confidence));
        return Math.min(Calibration.OOD_BINS - 1, Math.max(0, (int) (u * (Calibration.OOD_BINS / 4.0))));
    }

    /** Keys with enough answers. */
    public int keys() {
        return (int) keys.values().stream().filter(s -> s.answers >= minAnswers).count();
    }

    /**
     * The calibration over keys with at least {@code minAnswers} answers.
     *
     * @throws IllegalStateException when fewer than {@code minKeys} keys qualify
     */
    public Calibration build(int minKeys) {
        List<KeyStats> qualified = new ArrayList<>();
        long answers = 0;
        for (KeyStats s : keys.values()) {
            if (s.answers >= minAnswers) {
                qualified.add(s);
                answers += s.answers;
            }
        }
        if (qualified.size() < minKeys) {
            throw new IllegalStateException("only " + qualified.size() + " keys with at least " + minAnswers
                    + " answers (expected: at least " + minKeys + ")");
        }
        double[] ood = new double[Calibration.OOD_BINS];
        double[] margin = new double[Calibration.MARGIN_BINS];
        double[] column = new double[qualified.size()];
        for (int b = 0; b < Calibration.OOD_BINS; b++) {
            for (int k = 0; k < column.length; k++) {
                column[k] = cumulative(qualified.get(k).confidence, b, qualified.get(k).answers);
            }
            ood[b] = median(column, column.length);
        }
        for (int b = 0; b < Calibration.MARGIN_BINS; b++) {
            for (int k = 0; k < column.length; k++) {
                column[k] = cumulative(qualified.get(k).margin, b, qualified.get(k).answers);
            }
            margin[b] = median(column, column.length);
        }
        int rated = 0;
        for (KeyStats s : qualified) {
            if (s.last != Long.MIN_VALUE && s.last - s.first >= MIN_SPAN_MILLIS) {
                column[rated++] = Math.log(s.answers * 3_600_000.0 / (s.last - s.first));
            }
        }
        double med = Double.NaN;
        double mad = Double.NaN;
        if (rated >= minKeys) {
            med = median(column, rated);
            for (int k = 0; k < rated; k++) {
                column[k] = Math.abs(column[k] - med);
            }
            mad = median(column, rated);
        }
        return new Calibration(
                qualified.size(),
                answers,
                ood,
                cdfs(qualified, s -> s.classConfidence),
                cdfs(qualified, s -> s.pairConfidence),
                margin,
                med,
                mad);
    }

    /**
     * Per top-1 class (or per (top-1, top-2) class pair), as {@code ood}'s online per-class references:
     * the class's answers pooled over keys, each key counting at most {@link Calibration#CLASS_KEY_CAP}
     * of them, for classes with at least {@link Calibration#CLASS_MIN_KEYS} keys and {@link
     * Calibration#CLASS_MIN_ANSWERS} capped answers.
     */
    private static <K extends Comparable<K>> java.util.SortedMap<K, double[]> cdfs(
            List<KeyStats> qualified, java.util.function.Function<KeyStats, Map<K, int[]>> of) {
        java.util.SortedMap<K, double[]> out = new java.util.TreeMap<>();
        java.util.Set<K> classes = new java.util.TreeSet<>();
        qualified.forEach(s -> classes.addAll(of.apply(s).keySet()));
        for (K cls : classes) {
            double[] cdf = new double[Calibration.OOD_BINS];
            double total = 0;
            int keys = 0;
            for (KeyStats s : qualified) {
                int[] counts = of.apply(s).get(cls);
                if (counts == null) {
                    continue;
                }
                long n = 0;
                for (int c : counts) {
                    n += c;
                }
                double weight = Math.min(n, Calibration.CLASS_KEY_CAP);
                long acc = 0;
                for (int b = 0; b < Calibration.OOD_BINS; b++) {
                    acc += counts[b];
                    cdf[b] += weight * acc / n;
                }
                total += weight;
                keys++;
            }
            if (keys >= Calibration.CLASS_MIN_KEYS && total >= Calibration.CLASS_MIN_ANSWERS) {
                for (int b = 0; b < Calibration.OOD_BINS; b++) {
                    cdf[b] /= total;
                }
                out.put(cls, cdf);
            }
        }
        return out;
    }

    private static double cumulative(int[] counts, int upTo, long total) {
        long acc = 0;
        for (int i = 0; i <= upTo; i++) {
            acc += counts[i];
        }
        return (double) acc / total;
    }

    private static double median(double[] v, int n) {
        double[] a = Arrays.copyOf(v, n);
        Arrays.sort(a);
        return (n & 1) == 1 ? a[n / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
    }
}
