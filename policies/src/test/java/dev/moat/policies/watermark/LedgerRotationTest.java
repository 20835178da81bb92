package dev.moat.policies.watermark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation by size, the bound on rotated files, and reading one key through the indexes. */
class LedgerRotationTest {

    static final Instant T = Instant.parse("2025-01-01T00:00:00Z");

    @TempDir
    Path dir;

    @Test
    void rotatesBySizeStaysBoundedAndReadsOneKeyThroughTheIndex() throws IOException {
        Path file = dir.resolve("wm.jsonl");
        int n = 3_000;
        try (WatermarkLedger ledger = WatermarkLedger.open(file, n, 8_192, 5)) {
            for (int i = 0; i < n; i++) {
                ledger.record(new LedgerEntry(new double[] {i, i * 0.5}, i % 10, 10, "k" + (i % 7), "t", T));
            }
            ledger.close();
            assertThat(ledger.rotations()).isGreaterThan(5);
        }
        List<Path> rotated = LedgerFiles.rotated(file);
        assertThat(rotated).hasSize(5);
        for (Path segment : LedgerFiles.segments(file)) {
            assertThat(Files.size(segment)).isLessThanOrEqualTo(8_192);
            assertThat(LedgerIndex.indexFile(segment)).exists();
            assertThat(LedgerIndex.readValid(segment))
                    .as("a valid index for " + segment)
                    .isNotNull();
        }
        List<LedgerEntry> all = WatermarkLedger.read(file);
        assertThat(all.size()).isLessThan(n); // the oldest segments were dropped
        for (int k = 0; k < 7; k++) {
            String key = "k" + k;
            assertThat(LedgerFiles.readKey(file, key))
                    .isEqualTo(all.stream().filter(e -> key.equals(e.key())).toList());
            assertThat(LedgerFiles.counts(file).get(key)).isEqualTo((int)
                    all.stream().filter(e -> key.equals(e.key())).count());
        }
        // the newest entry survives
        assertThat(all.get(all.size() - 1).input()).containsExactly(n - 1, (n - 1) * 0.5);
    }

    @Test
    void aStaleIndexIsIgnoredAndRebuiltAndReopeningContinuesTheSequence() throws IOException {
        Path file = dir.resolve("wm.jsonl");
        try (WatermarkLedger ledger = WatermarkLedger.open(file, 1_000, 4_096, 100)) {
            for (int i = 0; i < 200; i++) {
                ledger.record(new LedgerEntry(new double[] {i}, 1, 2, i % 2 == 0 ? "even" : "odd", T));
            }
        }
        int segments = LedgerFiles.rotated(file).size();
        assertThat(segments).isGreaterThan(1);
        // someone appends by hand: the active file's index no longer matches its size
        Files.writeString(
                file,
                "{\"input\":[999],\"label\":1,\"classes\":2,\"key\":\"odd\",\"time\":\"2025-01-01T00:00:00Z\"}\n",
                java.nio.file.StandardOpenOption.APPEND);
        assertThat(LedgerIndex.readValid(file)).isNull();
        assertThat(LedgerFiles.readKey(file, "odd")).hasSize(101);
        try (WatermarkLedger ledger = WatermarkLedger.open(file, 1_000, 4_096, 100)) {
            for (int i = 0; i < 200; i++) {
                ledger.record(new LedgerEntry(new double[] {1000 + i}, 1, 2, "even", T));
            }
        }
        assertThat(LedgerFiles.rotated(file).size()).isGreaterThan(segments);
        assertThat(LedgerFiles.readKey(file, "even")).hasSize(300);
        assertThat(LedgerFiles.readKey(file, "odd")).hasSize(101);
        assertThat(WatermarkLedger.read(file)).hasSize(401);
    }
}
