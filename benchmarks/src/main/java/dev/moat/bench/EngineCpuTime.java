package dev.moat.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * The engine benchmark's work as the worker thread's CPU time per event, for a machine other work
 * shares: JMH's {@code engineOneWorker} measures wall time, which grows with every time slice the
 * worker waits for; the worker's own CPU time does not (what the other work costs it through the
 * shared caches still shows). Same setup as {@link DetectorBenchmarks.Engine}: 20,000 honest events
 * of 200 keys per round through one worker. Run: {@code java -cp benchmarks/target/moat-benchmarks.jar
 * dev.moat.bench.EngineCpuTime 3072 cold [rounds]}; prints the minimum and median of the measured rounds
 * (the first third are warm-up).
 */
public final class EngineCpuTime {

    private EngineCpuTime() {}

    public static void main(String[] args) throws Exception {
        DetectorBenchmarks.Engine e = new DetectorBenchmarks.Engine();
        e.dims = args.length > 0 ? Integer.parseInt(args[0]) : 3072;
        e.rows = args.length > 1 ? args[1] : "cold";
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        e.setUp();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long worker = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("moat-detector-0"))
                .findFirst()
                .orElseThrow()
                .getId();
        int warm = rounds / 3;
        double[] us = new double[rounds - warm];
        for (int r = 0; r < rounds; r++) {
            long before = mx.getThreadCpuTime(worker);
            for (var ev : e.events) {
                while (!e.engine.submit(ev)) {
                    Thread.onSpinWait();
                }
            }
            e.engine.awaitIdle(Duration.ofMinutes(1));
            double perEvent = (mx.getThreadCpuTime(worker) - before) / 1e3 / e.events.length;
            if (r >= warm) {
                us[r - warm] = perEvent;
            }
        }
        e.tearDown();
        Arrays.sort(us);
        System.out.printf(
                Locale.ROOT,
                "engine worker CPU dims=%d rows=%s: min %.2f median %.2f us/event (%d rounds of %d events)%n",
                e.dims,
                e.rows,
                us[0],
                us[us.length / 2],
                us.length,
                e.events.length);
    }
}
