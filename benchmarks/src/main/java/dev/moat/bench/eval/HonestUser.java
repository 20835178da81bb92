package dev.moat.bench.eval;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.traffic.HonestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One honest API key in simulated time: a {@link HonestClient} (natural digits from the honest
 * split, Poisson arrivals) whose app flushes the queries that arrived since its last call every
 * few seconds, as one batch. Interactive users are not on line all day: they are active through
 * the first {@link #WARM_SECONDS} seconds (the gateway's warm-up, so population-based detectors
 * have peers) and then for a {@link #SESSION_SECONDS}-second session every hour. A batch-job user
 * ({@link #bursty}) instead sends a few thousand rows at once at fixed times, then nothing.
 */
final class HonestUser {

    static final double WARM_SECONDS = 1_800;
    static final double SESSION_SECONDS = 300;
    static final double HOUR = 3_600;
    static final int MAX_BATCH = 64;
    /** Rows per request of an app on the 8x8 model: a heavy user batches what a flush holds. */
    static final int MAX_BATCH_NARROW = 256;
    /** Rows of each job of the bursty user. */
    static final int BURST_ROWS = 2_500;
    /** When the bursty user's jobs start (simulated seconds): one before the attacks start, one during the warm-up. */
    static final double[] BURSTS = {300, 1_200};

    /** Which honest keys a run has. */
    enum Population {
        /** Four ordinary users and one heavy one (10x), tenant {@code acme}: runs without detectors. */
        STANDARD,
        /**
         * Customers as they come (issue 9): three ordinary users, heavy ones at 10x and 50x the
         * ordinary rate, a batch job ({@value #BURST_ROWS} rows at a time, then silence), and two
         * customers whose data differ from the others' (90% of their rows from 2-3 classes).
         */
        REALISTIC
    }

    final EvalGateway.Key key;
    final boolean heavy;
    private final HonestClient client;
    private final int maxBatch;
    private final boolean bursty;
    private double nextArrival;
    private double nextFlush;
    private int burst;

    private HonestUser(EvalGateway.Key key, HonestClient client, boolean heavy, boolean bursty) {
        this.key = key;
        this.client = client;
        this.heavy = heavy;
        this.bursty = bursty;
        this.nextArrival = client.nextDelay().toNanos() / 1e9;
        this.nextFlush = bursty ? BURSTS[0] : flushAfter(0);
        this.maxBatch = MAX_BATCH;
    }

    private HonestUser(HonestUser u, int maxBatch) {
        this.key = u.key;
        this.client = u.client;
        this.heavy = u.heavy;
        this.bursty = u.bursty;
        this.nextArrival = u.nextArrival;
        this.nextFlush = u.nextFlush;
        this.maxBatch = maxBatch;
    }

    HonestUser(EvalGateway.Key key, HonestClient client) {
        this(key, client, key.id().contains("heavy"), false);
    }

    /** Whether the key is on the unlimited {@code bulk} tier (a customer whose plan fits its volume). */
    static boolean bulk(String keyId) {
        return keyId.equals("honest-heavy50") || keyId.equals("honest-batch");
    }

    /** Whether the user is on line at simulated second {@code t}. */
    static boolean active(double t) {
        return t < WARM_SECONDS || (t % HOUR) < SESSION_SECONDS;
    }

    /** The next flush time after {@code t}: every 10 s while warming up, every 30 s in sessions. */
    static double flushAfter(double t) {
        double next = t + (t < WARM_SECONDS ? 10 : 30);
        if (active(next)) {
            return next;
        }
        return Math.ceil(next / HOUR) * HOUR + 30;
    }

    double nextFlush() {
        return nextFlush;
    }

    /** The queries that arrived up to {@code now} while on line, in batches of at most {@link #MAX_BATCH} (256 on the 8x8 model). */
    List<double[][]> flush(double now) {
        List<double[]> rows = new ArrayList<>();
        if (bursty) {
            for (int i = 0; i < BURST_ROWS; i++) {
                rows.add(decimals(client.next()));
            }
            burst++;
            nextFlush = burst < BURSTS.length ? BURSTS[burst] : Double.POSITIVE_INFINITY;
        } else {
            while (nextArrival <= now) {
                if (active(nextArrival)) {
                    rows.add(decimals(client.next()));
                }
                nextArrival += client.nextDelay().toNanos() / 1e9;
            }
            nextFlush = flushAfter(now);
        }
        List<double[][]> batches = new ArrayList<>();
        for (int i = 0; i < rows.size(); i += maxBatch) {
            batches.add(rows.subList(i, Math.min(rows.size(), i + maxBatch)).toArray(new double[0][]));
        }
        return batches;
    }

    /**
     * The row as an app sends it: pixel values with three decimals (the client's noise would
     * otherwise put 17 digits per value on the wire, three times the bytes on the wide model).
     */
    static double[] decimals(double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.round(x[i] * 1_000) / 1_000.0;
        }
        return x;
    }

    /** The honest keys of a run on {@code data}, seeded from the run's seed. */
    static List<HonestUser> of(Population population, Digits data, long seed) {
        Duration mean = HonestClient.DEFAULT_MEAN_INTER_ARRIVAL;
        double noise = HonestClient.DEFAULT_NOISE_SD;
        List<HonestUser> users = new ArrayList<>();
        int ordinary = population == Population.STANDARD ? 4 : 3;
        for (int i = 1; i <= ordinary; i++) {
            users.add(user("honest-" + i, new HonestClient(seed + i, mean, noise, "honest", data, new int[0], 0)));
        }
        users.add(
                user("honest-heavy", new HonestClient(seed + 9, mean.dividedBy(10), noise, "heavy", data, none(), 0)));
        if (population == Population.REALISTIC) {
            users.add(user(
                    "honest-heavy50",
                    new HonestClient(seed + 11, mean.dividedBy(50), noise, "heavy50", data, none(), 0)));
            users.add(new HonestUser(
                    new EvalGateway.Key("honest-batch", "acme"),
                    new HonestClient(seed + 12, mean, noise, "batch", data, none(), 0),
                    false,
                    true));
            users.add(user(
                    "honest-skewed-01",
                    new HonestClient(seed + 13, mean, noise, "skewed", data, new int[] {0, 1}, 0.9)));
            users.add(user(
                    "honest-skewed-479",
                    new HonestClient(seed + 14, mean, noise, "skewed", data, new int[] {4, 7, 9}, 0.9)));
        }
        if (data.features() <= Digits.FEATURES) {
            users.replaceAll(u -> new HonestUser(u, MAX_BATCH_NARROW));
        }
        return users;
    }

    /** Four ordinary users and one heavy one (ten times the rate), all of tenant {@code acme}, on the 8x8 digits. */
    static List<HonestUser> standard(long seed) {
        return of(Population.STANDARD, Digits.get(), seed);
    }

    private static int[] none() {
        return new int[0];
    }

    private static HonestUser user(String id, HonestClient client) {
        return new HonestUser(new EvalGateway.Key(id, "acme"), client);
    }
}
