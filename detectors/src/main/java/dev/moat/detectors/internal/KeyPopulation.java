package dev.moat.detectors.internal;

import java.util.Arrays;

/**
 * Per-worker summaries of trusted keys, from which detectors learn what honest traffic looks like,
 * built so that attacking keys cannot poison it even when they are most of the active keys.
 *
 * <ul>
 *   <li><b>Trust gate.</b> A key's summary counts only while the key is {@code ok} for the detector
 *       that reports it (the detector passes that in); a report from a key that is not drops the
 *       key's slot, and it has to earn its age again. Keys flagged by the reference are therefore never
 *       part of it.
 *   <li><b>Age.</b> A key counts once it has been reporting as ok for {@code minAgeMillis}, and its
 *       weight grows with that age from 0.1 up to 1 at {@code fullWeightMillis}: a fresh swarm of
 *       keys carries little weight next to keys that have been behaving for an hour.
 *   <li><b>Memory.</b> A trusted key's last summary stays in the reference for {@code memoryMillis}
 *       after its last report (24 hours by default), so the reference does not become "whoever is
 *       still active" when honest customers go quiet and attackers go on. When slots run out, the
 *       one with the least weight is recycled, so a flood of new keys cannot push out old ones.
 *   <li><b>Lenient quantile.</b> The reference is the weighted {@code quantile} (0.75) over keys, on
 *       the lenient side of every one-sided test that uses it (higher CDF values for {@code ood},
 *       higher shares for {@code boundary}, higher rates for {@code volume}): to make it stricter,
 *       and so get honest keys flagged, attackers need more than three quarters of the trusted
 *       weight; moving it the other way only makes attackers look more normal, which the trust gate
 *       and the other detectors limit.
 * </ul>
 *
 * <p>Each worker owns its own population (its shard of keys): keys are spread over shards by a hash,
 * so every shard's reference estimates the whole population's. Bounded: a fixed number of slots.
 * The reference is recomputed lazily, at most once a second of event time or every 64 reports.
 * Not thread-safe (single writer: the worker). A fixed reference ({@code detection.calibration})
 * replaces all of this when configured.
 */
public final class KeyPopulation {

    /** A key may shape a detector's reference while that detector's score for it is below this... */
    public static final double TRUSTED_BELOW = 0.25;

    /**
     * ...and its published risk is below this (the default {@code suspicious} level: the key is
     * {@code ok}). Not lower: a tenant's pooled risk, inherited by all its keys, often sits at 0.2-0.4
     * for honest tenants, and excluding them all would leave the reference to the attackers.
     */
    public static final double KEY_OK_BELOW = 0.5;

    /** The weight of a key that has just become trusted; it grows linearly to 1 at full age. */
    static final double MIN_WEIGHT = 0.1;

    /**
     * The defaults: 1,024 slots; a key counts from its first ok report with weight 0.1, growing to 1
     * after an hour of ok reports; kept for 24 hours after its last; the 0.75 quantile. (Requiring an
     * age before a key counts at all delayed the first reference by one report interval, which
     * doubled the queries an attacker got before {@code ood} could judge it; the low starting weight
     * does the same job against fresh swarms.)
     */
    public static KeyPopulation standard(int width) {
        return new KeyPopulation(1024, width, 0L, 3_600_000L, 86_400_000L, 0.75);
    }

    private final int capacity;
    private final int width;
    private final long minAgeMillis;
    private final long fullWeightMillis;
    private final long memoryMillis;
    private final double quantile;
    private final Object[] owners;
    private final long[] firstAt;
    private final long[] reportedAt;
    private final double[] values;
    private final double[] centres;
    private final double[] spreads;
    private final double[] column;
    private final double[] weights;
    private final int[] slots;
    private final long[] packed;
    private int active;
    private int reportsSinceCompute = Integer.MAX_VALUE;
    private long computedAt = Long.MIN_VALUE;

    public KeyPopulation(
            int capacity, int width, long minAgeMillis, long fullWeightMillis, long memoryMillis, double quantile) {
        this.capacity = capacity;
        this.width = width;
        this.minAgeMillis = minAgeMillis;
        this.fullWeightMillis = Math.max(1, fullWeightMillis);
        this.memoryMillis = memoryMillis;
        this.quantile = quantile;
        this.owners = new Object[capacity];
        this.firstAt = new long[capacity];
        this.reportedAt = new long[capacity];
        this.values = new double[capacity * width];
        this.centres = new double[width];
        this.spreads = new double[width];
        this.column = new double[capacity];
        this.weights = new double[capacity];
        this.slots = new int[capacity];
        this.packed = new long[capacity];
        Arrays.fill(centres, Double.NaN);
        Arrays.fill(spreads, Double.NaN);
    }

    /**
     * Records the owner's current summary ({@code width} values from {@code summary}) if it is
     * {@code ok}, and returns the slot to pass as {@code slotHint} next time (-1 when it holds none:
     * a key that is not ok loses its slot and its age).
     */
    public int report(int slotHint, Object owner, double[] summary, boolean ok, long now) {
        boolean owned = slotHint >= 0 && slotHint < capacity && owners[slotHint] == owner;
        if (!ok) {
            if (owned) {
                owners[slotHint] = null;
                if (reportsSinceCompute != Integer.MAX_VALUE) {
                    reportsSinceCompute = 64;
                }
            }
            return -1;
        }
        int slot = owned ? slotHint : allocate(now);
        if (!owned) {
            owners[slot] = owner;
            firstAt[slot] = now;
        }
        reportedAt[slot] = now;
        System.arraycopy(summary, 0, values, slot * width, width);
        if (reportsSinceCompute != Integer.MAX_VALUE) {
            reportsSinceCompute++;
        }
        return slot;
    }

    /** The number of keys old enough to count, as of the last recomputation. */
    public int activeKeys(long now) {
        refresh(now);
        return active;
    }

    /** The reference (weighted lenient quantile over trusted keys) of one column, NaN with none. */
    public double median(int col, long now) {
        refresh(now);
        return centres[col];
    }

    /** The weighted median absolute deviation (unscaled) around {@link #median} of one column. */
    public double mad(int col, long now) {
        refresh(now);
        return spreads[col];
    }

    /**
     * Copies {@code slot}'s last summary ({@code width} values) into {@code out}: what its owner last
     * reported, whether or not it still counts (see {@link #weightOf}).
     */
    public void summaryOf(int slot, double[] out) {
        System.arraycopy(values, slot * width, out, 0, width);
    }

    /** The number of slots (slot hints returned by {@link #report} are below it). */
    public int capacity() {
        return capacity;
    }

    /**
     * The weight with which {@code slot}'s owner counts in the reference at {@code now} (0 when the
     * slot is free, forgotten, dropped by a report that was not ok, or too young), so a detector can
     * keep a richer summary of each trusted key beside the slot and weigh it the same way.
     */
    public double weightOf(int slot, long now) {
        return slot < 0 || slot >= capacity ? 0 : weight(slot, now);
    }

    /** True while {@code slot} has an owner (it may still weigh 0: too young, or not reported for a day). */
    public boolean owned(int slot) {
        return slot >= 0 && slot < capacity && owners[slot] != null;
    }

    private double weight(int s, long now) {
        if (owners[s] == null || now - reportedAt[s] > memoryMillis) {
            return 0;
        }
        long age = reportedAt[s] - firstAt[s];
        if (age < minAgeMillis) {
            return 0;
        }
        return Math.max(MIN_WEIGHT, Math.min(1.0, (double) age / fullWeightMillis));
    }

    private void refresh(long now) {
        if (reportsSinceCompute < 64 && now - computedAt < 1000) {
            return;
        }
        int n = 0;
        double total = 0;
        for (int s = 0; s < capacity; s++) {
            double w = weight(s, now);
            if (w > 0) {
                slots[n] = s;
                weights[n++] = w;
                total += w;
            }
        }
        for (int col = 0; col < width; col++) {
            if (n == 0) {
                centres[col] = Double.NaN;
                spreads[col] = Double.NaN;
                continue;
            }
            for (int i = 0; i < n; i++) {
                column[i] = values[slots[i] * width + col];
            }
            double centre = weightedQuantile(n, total, quantile);
            for (int i = 0; i < n; i++) {
                column[i] = Math.abs(column[i] - centre);
            }
            centres[col] = centre;
            spreads[col] = weightedQuantile(n, total, 0.5);
        }
        active = n;
        computedAt = now;
        reportsSinceCompute = 0;
    }

    /** {@link #weightedQuantile(double[], double[], long[], int, double, double)} of column[0..n). */
    private double weightedQuantile(int n, double total, double q) {
        return weightedQuantile(column, weights, packed, n, total, q);
    }

    /**
     * The smallest of values[0..n) whose cumulative weight (weights[0..n), summing to total) reaches q
     * of the total; order is scratch of at least n. Sorts (value as float, index) packed in longs: no
     * boxing, and float precision is plenty for a reference. For this population's references and for
     * the detectors' own weighted statistics over its slots.
     */
    public static double weightedQuantile(
            double[] values, double[] weights, long[] order, int n, double total, double q) {
        for (int i = 0; i < n; i++) {
            int b = Float.floatToIntBits((float) values[i]);
            b ^= (b >> 31) & 0x7fffffff;
            order[i] = ((long) b << 32) | i;
        }
        Arrays.sort(order, 0, n);
        double target = q * total;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            int idx = (int) order[i];
            acc += weights[idx];
            if (acc >= target - 1e-12) {
                return values[idx];
            }
        }
        return values[(int) order[n - 1]];
    }

    /** A free or forgotten slot, else the one with the least weight (the youngest), so old keys stay. */
    private int allocate(long now) {
        int least = 0;
        double leastWeight = Double.POSITIVE_INFINITY;
        for (int s = 0; s < capacity; s++) {
            if (owners[s] == null || now - reportedAt[s] > memoryMillis) {
                return s;
            }
            double w = Math.min(1.0, (double) (reportedAt[s] - firstAt[s]) / fullWeightMillis);
            if (w < leastWeight) {
                leastWeight = w;
                least = s;
            }
        }
        return least;
    }
}
