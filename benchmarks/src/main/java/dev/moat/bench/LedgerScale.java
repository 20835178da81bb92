package dev.moat.bench;

import dev.moat.policies.watermark.Attribution;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.LedgerFiles;
import dev.moat.policies.watermark.WatermarkLedger;
import dev.moat.policies.watermark.WatermarkVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The watermark ledger at scale: writes N entries (default 1,000,000; 8 features, 1,000 keys)
 * through {@link WatermarkLedger} with rotation, then times reading it all, reading one key
 * through the indexes, and the per-key verification (Holm) against an in-process suspect that
 * stands in for the HTTP round trips. {@code java -cp benchmarks/target/moat-benchmarks.jar
 * dev.moat.bench.LedgerScale [N] [DIR]}.
 */
public final class LedgerScale {

    private LedgerScale() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("moat-ledger-scale");
        Path file = dir.resolve("watermarks.jsonl");
        SplittableRandom rnd = new SplittableRandom(1);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        long t0 = System.nanoTime();
        try (WatermarkLedger ledger = WatermarkLedger.open(file, 1 << 20, 64L << 20, 100)) {
            for (int i = 0; i < n; i++) {
                double[] x = new double[8];
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.round(rnd.nextDouble() * 1e4) / 1e4;
                }
                int key = rnd.nextInt(1_000);
                LedgerEntry e = new LedgerEntry(x, rnd.nextInt(10), 10, "key-" + key, "tenant-" + key % 50, t);
                while (ledger.pending() > (1 << 19)) {
                    Thread.onSpinWait(); // the benchmark outruns the writer; a gateway drops instead
                }
                ledger.record(e);
            }
        }
        long write = System.nanoTime() - t0;
        var cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long bytes = 0;
        for (Path p : LedgerFiles.segments(file)) {
            bytes += Files.size(p);
        }
        t0 = System.nanoTime();
        long c0 = cpu.getCurrentThreadCpuTime();
        List<LedgerEntry> all = WatermarkLedger.read(file);
        long readAll = System.nanoTime() - t0;
        long readAllCpu = cpu.getCurrentThreadCpuTime() - c0;
        t0 = System.nanoTime();
        c0 = cpu.getCurrentThreadCpuTime();
        List<LedgerEntry> one = LedgerFiles.readKey(file, "key-7");
        long readKey = System.nanoTime() - t0;
        long readKeyCpu = cpu.getCurrentThreadCpuTime() - c0;
        t0 = System.nanoTime();
        c0 = cpu.getCurrentThreadCpuTime();
        // a suspect that learnt key-7's answers: it answers key-7's labels on its inputs
        java.util.Map<String, Integer> learnt = new java.util.HashMap<>();
        one.forEach(e -> learnt.put(java.util.Arrays.toString(e.input()), e.label()));
        Attribution a = new WatermarkVerifier()
                .attribute(all, "key", x -> learnt.getOrDefault(java.util.Arrays.toString(x), 0));
        long verify = System.nanoTime() - t0;
        long verifyCpu = cpu.getCurrentThreadCpuTime() - c0;
        System.out.printf(
                "%,d entries, %d segment file(s), %.0f MB on disk%n"
                        + "write (queue -> rotated, indexed files): %.1f s%n"
                        + "read all: %.1f s (CPU %.1f s)%n"
                        + "read one key through the index (%d entries): %.3f s (CPU %.3f s)%n"
                        + "verify all %d keys (Holm), in-process suspect: %.1f s (CPU %.1f s); claimed %s%n",
                all.size(),
                LedgerFiles.segments(file).size(),
                bytes / 1e6,
                write / 1e9,
                readAll / 1e9,
                readAllCpu / 1e9,
                one.size(),
                readKey / 1e9,
                readKeyCpu / 1e9,
                a.owners().size(),
                verify / 1e9,
                verifyCpu / 1e9,
                a.claimed());
    }
}
