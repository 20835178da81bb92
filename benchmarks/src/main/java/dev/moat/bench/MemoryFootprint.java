package dev.moat.bench;

import dev.moat.config.RateLimit;
import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.gateway.ratelimit.RateLimiter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.management.ObjectName;

/**
 * Checks the memory target: 100,000 tracked keys, with their rate-limit buckets and the state of
 * every per-key detector, fit in 512 MiB of heap.
 *
 * <p>Builds a {@link RateLimiter} and a {@link DetectionEngine} as the gateway does (default engine
 * settings, the full detector profile: prada, volume, boundary, ood, coverage, each with its
 * defaults; {@code -Dmoat.detectors=...} for a subset, empty for none), then sends each
 * key {@value #QUERIES_PER_KEY} single-row queries: a noisy digits row and the sample model's
 * answer to it, each a fresh array as the gateway hands over freshly parsed rows (detectors may
 * keep them). Keys are driven in blocks of {@value #BLOCK}; after each block it waits for the engine
 * to drain, forces GC and compares the used heap with the heap before the limiter and engine
 * existed. Key id strings are made beforehand and not counted: the key store holds them anyway.
 *
 * <pre>java -Xmx1g -cp benchmarks/target/moat-benchmarks.jar dev.moat.bench.MemoryFootprint [keys] [queriesPerKey]</pre>
 *
 * Prints bytes per key, whether {@value #KEYS} keys fit in {@value #BUDGET_MIB} MiB, and the
 * largest classes on the heap; exits 1 if they do not fit. If the heap fills before all keys are
 * driven (past {@value #STOP_AT_HEAP_SHARE} of {@code -Xmx}) it stops there and projects from
 * the keys it has, rather than dying of an OutOfMemoryError. {@code -Dmoat.pauseSeconds=N} holds
 * the state N seconds at the end for {@code jcmd <pid> GC.class_histogram}.
 */
public final class MemoryFootprint {

    /**
     * The target: {@code -Dmoat.memory.keys} keys (default 100,000) in {@code -Dmoat.memory.budgetMib}
     * MiB (default 512); the issue-15 goal is {@code -Dmoat.memory.keys=1000000 -Dmoat.memory.budgetMib=2048}.
     * The engine and the limiter track at least that many keys.
     */
    static final int KEYS = Integer.getInteger("moat.memory.keys", 100_000);

    static final int QUERIES_PER_KEY = 20;
    static final long BUDGET_MIB = Long.getLong("moat.memory.budgetMib", 512);
    static final int BLOCK = 10_000;
    static final double STOP_AT_HEAP_SHARE = 0.6;
    /** The per-key detectors of the full profile; {@code -Dmoat.detectors=volume,ood} measures a subset. */
    static final String FULL_PROFILE = "prada,volume,boundary,ood,coverage";
    /** Distinct digits-like rows to draw from; each query still gets its own copy. */
    private static final int ROW_POOL = 4_096;

    private MemoryFootprint() {}

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : KEYS;
        int queries = args.length > 1 ? Integer.parseInt(args[1]) : QUERIES_PER_KEY;

        double[][] rows = BenchData.noisyDigits(ROW_POOL, 400);
        double[][] answers = BenchData.predict(rows);
        List<RateLimit> limits = List.of(RateLimit.parse("100/1m"), RateLimit.parse("5000/1d"));
        DetectorProfile profile = profile(System.getProperty("moat.detectors", FULL_PROFILE));
        String[] keyIds = new String[keys];
        for (int k = 0; k < keys; k++) {
            keyIds[k] = "key-" + Integer.toHexString(0x10000000 + k);
        }
        long maxHeap = Runtime.getRuntime().maxMemory();

        long before = usedHeapAfterGc();

        EngineSettings d = EngineSettings.defaults();
        EngineSettings settings = new EngineSettings(
                d.workers(),
                d.queueCapacity(),
                Math.max(d.maxTrackedKeys(), Math.max(keys, KEYS)),
                d.expireAfterIdle(),
                d.suspiciousAt(),
                d.extractingAt(),
                d.riskHalfLife());
        RateLimiter limiter = new RateLimiter(settings.maxTrackedKeys(), Duration.ofHours(1), System::nanoTime);
        DetectionEngine engine = new DetectionEngine(settings, InstantSource.system(), EngineListener.NONE);
        System.out.printf(
                Locale.ROOT,
                "driving %,d keys x %d queries (detectors: %s; max heap %,d MiB)%n",
                keys,
                queries,
                profile,
                maxHeap >> 20);
        long started = System.nanoTime();
        long retries = 0;
        int driven = 0;
        long after = before;
        int r = 0;
        while (driven < keys) {
            int end = Math.min(keys, driven + BLOCK);
            // within a block, round-robin over its keys, as concurrent clients arrive
            for (int q = 0; q < queries; q++) {
                for (int k = driven; k < end; k++) {
                    limiter.tryConsume(keyIds[k], limits);
                    int i = r++ & (ROW_POOL - 1);
                    QueryEvent e = new QueryEvent(
                            keyIds[k],
                            null,
                            "/v1/models/digits",
                            System.currentTimeMillis(),
                            new double[][] {rows[i].clone()},
                            new double[][] {answers[i].clone()},
                            profile);
                    while (!engine.submit(e)) {
                        retries++; // queue full: let the worker catch up rather than lose state
                        engine.awaitIdle(Duration.ofMinutes(1));
                    }
                }
            }
            if (!engine.awaitIdle(Duration.ofMinutes(10))) {
                throw new IllegalStateException("the detection engine did not drain in 10 minutes");
            }
            driven = end;
            after = usedHeapAfterGc();
            System.out.printf(
                    Locale.ROOT,
                    "  %,7d keys: %,13d B retained, %,7.0f B/key%n",
                    driven,
                    after - before,
                    (double) (after - before) / driven);
            if (driven < keys && after > STOP_AT_HEAP_SHARE * maxHeap) {
                System.out.printf(
                        Locale.ROOT,
                        "  heap past %.0f%% of -Xmx: stopping at %,d keys and projecting%n",
                        STOP_AT_HEAP_SHARE * 100,
                        driven);
                break;
            }
        }
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();

        double perKey = (double) (after - before) / driven;
        double projectedMib = perKey * KEYS / (1024.0 * 1024.0);
        boolean fits = projectedMib <= BUDGET_MIB;

        System.out.printf(
                Locale.ROOT,
                "keys driven:        %,d x %d queries in %,ds (%,d events re-offered after a full queue)%n",
                driven,
                queries,
                seconds,
                retries);
        System.out.printf(
                Locale.ROOT,
                "keys tracked:       %,d by the detection engine, %,d by the rate limiter%n",
                engine.keysTracked(),
                limiter.trackedKeys());
        System.out.printf(
                Locale.ROOT, "detector failures:  %,d, dropped events: %,d%n", engine.failures(), engine.dropped());
        System.out.printf(Locale.ROOT, "heap used:          %,d B before, %,d B after%n", before, after);
        System.out.printf(
                Locale.ROOT,
                "bytes per key:      %,.0f (budget %,d: %d MiB / %,d keys)%n",
                perKey,
                (BUDGET_MIB << 20) / KEYS,
                BUDGET_MIB,
                KEYS);
        System.out.printf(
                Locale.ROOT,
                "%,d keys:      %,.1f MiB of %d MiB -> %s%n",
                KEYS,
                projectedMib,
                BUDGET_MIB,
                fits ? "FITS" : "DOES NOT FIT");
        System.out.println("largest classes on the heap:");
        System.out.print(histogram(16));

        long pause = Long.getLong("moat.pauseSeconds", 0);
        if (pause > 0) {
            System.out.println("holding the state for " + pause + "s (pid "
                    + ProcessHandle.current().pid() + ")");
            Thread.sleep(pause * 1000);
        }
        // both stay reachable until here, so nothing above measured a collected limiter or engine
        if (limiter.trackedKeys() < 0 || engine.keysTracked() < 0) {
            throw new AssertionError();
        }
        engine.close();
        if (!fits) {
            System.exit(1);
        }
    }

    /** Every named detector with its default parameters; an empty list means none. */
    static DetectorProfile profile(String names) {
        Map<String, Map<String, Object>> detectors = new LinkedHashMap<>();
        for (String name : names.split(",")) {
            if (!name.isBlank()) {
                detectors.put(name.trim(), Map.of());
            }
        }
        return DetectorProfile.fromConfig(detectors);
    }

    /** The first {@code lines} entries of HotSpot's class histogram (what {@code jcmd GC.class_histogram} prints). */
    static String histogram(int lines) {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer()
                    .invoke(
                            new ObjectName("com.sun.management:type=DiagnosticCommand"),
                            "gcClassHistogram",
                            new Object[] {null},
                            new String[] {String[].class.getName()});
            String[] all = out.toString().split("\n");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(all.length, lines + 2); i++) {
                sb.append("  ").append(all[i]).append('\n');
            }
            return sb.toString();
        } catch (Exception | LinkageError e) {
            return "  (no histogram on this JVM: " + e + ")\n";
        }
    }

    /** Used heap once repeated full collections stop freeing anything. */
    static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(100);
            long now = memory.getHeapMemoryUsage().getUsed();
            if (i >= 3 && now >= used - 1024 * 1024) {
                return Math.min(now, used);
            }
            used = Math.min(used, now);
        }
        return used;
    }
}
