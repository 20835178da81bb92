package dev.moat.detectors.ood;

import dev.moat.detectors.Calibration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code moat calibrate}'s part for {@link OodDetector}'s spread test ({@link InputSpread}): from recorded honest inputs
 * (at most {@code spread_max_width} wide, 63 by default), what the test needs to judge from the first
 * query instead of learning it online ({@code ood.spread.rows.K}, {@code ood.spread.peers}, see
 * {@link Calibration}).
 *
 * <ul>
 *   <li><b>Keys.</b> Keys with at least {@value #MIN_INPUTS} inputs of the recording's width (the
 *       first input's; inputs of another width are left out), as online only keys with that many
 *       answers vouch for what natural inputs look like. Each key's first {@value #KEEP} inputs are
 *       kept.
 *   <li><b>Rows.</b> At most {@value Calibration#SPREAD_ROWS} of their inputs at full width, {@code
 *       max(4, min(16, 128 / keys))} from each (at most 32 keys, drawn with a fixed seed), so no key
 *       holds more than an eighth of them and each counts in the reference's limit (which reads
 *       owners with at least 4 rows), as the online reservoir holds them.
 *   <li><b>Peers.</b> Each key's mean log spread ratio, measured with the same statistic as online
 *       ({@link InputSpread#advanceSpread} against an {@link InputReference} seeded from those rows,
 *       as each worker's is), over all its kept inputs; their median and robust deviation (1.4826 x
 *       the median absolute deviation). Inputs wider than {@value InputReference#DIMS} are read at
 *       16 coordinates each worker draws in secret, so the keys are measured at {@value #DRAWS}
 *       draws of fixed seeds and every (key, draw) value counts: the threshold covers the draw a
 *       worker happens to make.
 * </ul>
 *
 * Not thread-safe. Memory: the kept inputs (8 bytes a value).
 */
public final class SpreadRecording {

    /** Inputs a key needs to take part ({@link InputSpread#VOUCH_AFTER}: online, keys vouch from their 256th). */
    static final int MIN_INPUTS = InputSpread.VOUCH_AFTER;

    /** Inputs kept per key: three times the spread test's memory. */
    static final int KEEP = 3 * InputSpread.SPREAD_MEMORY;

    /** Coordinate draws at which keys are measured when inputs are wider than the coordinates sampled. */
    static final int DRAWS = 4;

    /** Keys that give rows at most (4 rows each, the fewest the reference's limit reads an owner by). */
    static final int MAX_ROW_KEYS = Calibration.SPREAD_ROWS / 4;

    private final int maxWidth;
    private int width = -1;
    private final Map<String, List<double[]>> keys = new LinkedHashMap<>();
    private final Map<String, Integer> counts = new LinkedHashMap<>();

    /** With the spread test's default {@code spread_max_width}. */
    public SpreadRecording() {
        this(InputSpread.SPREAD_MAX_WIDTH);
    }

    /** @param maxWidth the widest inputs recorded (the policy's {@code spread_max_width}) */
    public SpreadRecording(int maxWidth) {
        this.maxWidth = maxWidth;
    }

    /** Adds one recorded input of {@code key} (empty, too wide or of another width than the first: left out). */
    public void add(String key, double[] input) {
        if (input.length == 0 || input.length > maxWidth) {
            return;
        }
        if (width < 0) {
            width = input.length;
        }
        if (input.length != width) {
            return;
        }
        int n = counts.merge(key, 1, Integer::sum);
        if (n <= KEEP) {
            keys.computeIfAbsent(key, k -> new ArrayList<>()).add(input.clone());
        }
    }

    /** The recorded inputs' width (-1: none recorded). */
    public int width() {
        return width;
    }

    /** Keys with at least {@value #MIN_INPUTS} inputs of the recording's width. */
    public int keys() {
        return qualified().size();
    }

    /**
     * {@code c} with the spread reference when at least {@code max(minKeys, 3)} keys qualify, else
     * {@code c} as it is.
     */
    public Calibration applyTo(Calibration c, int minKeys) {
        List<List<double[]>> q = qualified();
        if (q.size() < Math.max(minKeys, Calibration.SPREAD_MIN_KEYS)) {
            return c;
        }
        List<double[][]> rows = rows(q);
        double[] values = peers(q, rows);
        if (values.length < Calibration.SPREAD_MIN_KEYS) {
            return c;
        }
        double median = median(values);
        double[] dev = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            dev[i] = Math.abs(values[i] - median);
        }
        return c.withSpread(rows, median, 1.4826 * median(dev));
    }

    private List<List<double[]>> qualified() {
        List<List<double[]>> out = new ArrayList<>();
        for (Map.Entry<String, List<double[]>> e : keys.entrySet()) {
            if (counts.get(e.getKey()) >= MIN_INPUTS) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    /** Up to 128 rows: at most 32 keys (a fixed-seed draw), max(4, min(16, 128 / keys)) rows each. */
    private static List<double[][]> rows(List<List<double[]>> q) {
        SplittableRandom r = new SplittableRandom(0x5EED_0F_C0FFEEL);
        List<List<double[]>> chosen = new ArrayList<>(q);
        for (int i = chosen.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            List<double[]> t = chosen.get(i);
            chosen.set(i, chosen.get(j));
            chosen.set(j, t);
        }
        if (chosen.size() > MAX_ROW_KEYS) {
            chosen = chosen.subList(0, MAX_ROW_KEYS);
        }
        int per = Math.max(
                Calibration.SPREAD_MIN_PER_KEY,
                Math.min(Calibration.SPREAD_PER_KEY, Calibration.SPREAD_ROWS / chosen.size()));
        List<double[][]> out = new ArrayList<>();
        for (List<double[]> key : chosen) {
            // a uniform sample of the key's kept inputs, in their order
            int[] idx = r.ints(0, key.size()).distinct().limit(per).sorted().toArray();
            double[][] mine = new double[idx.length][];
            for (int i = 0; i < idx.length; i++) {
                mine[i] = key.get(idx[i]).clone();
            }
            out.add(mine);
        }
        return out;
    }

    /** Every qualified key's mean log spread ratio at each draw (one draw when every coordinate is read). */
    private double[] peers(List<List<double[]>> q, List<double[][]> rows) {
        int draws = width > InputReference.DIMS ? DRAWS : 1;
        double[] values = new double[q.size() * draws];
        int n = 0;
        for (int d = 0; d < draws; d++) {
            InputReference reference = new InputReference(0, true, 0x0DDBA11L + 7919L * d);
            reference.seed(rows);
            for (List<double[]> key : q) {
                OodDetector.State s = new OodDetector.State();
                for (double[] x : key) {
                    InputSpread.advanceSpread(reference, s, x);
                }
                if (s.judged >= InputSpread.SPREAD_MIN) {
                    values[n++] = s.spreadLog;
                }
            }
        }
        return Arrays.copyOf(values, n);
    }

    private static double median(double[] v) {
        double[] a = v.clone();
        Arrays.sort(a);
        int n = a.length;
        return (n & 1) == 1 ? a[n / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
    }
}
