package dev.moat.policies.watermark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatermarkLedgerTest {

    private static final Instant T = Instant.parse("2025-03-04T05:06:07.123Z");

    @TempDir
    Path dir;

    @Test
    void writesOneJsonLinePerEntryInTheDocumentedShape() throws IOException {
        Path file = dir.resolve("wm.jsonl");
        try (WatermarkLedger ledger = WatermarkLedger.open(file)) {
            ledger.record(new LedgerEntry(new double[] {0.0, 1.5, -2.25e-7}, 3, 10, "alice", T));
        }
        assertThat(Files.readAllLines(file))
                .containsExactly(
                        "{\"input\":[0.0,1.5,-2.25E-7],\"label\":3,\"classes\":10,\"key\":\"alice\",\"time\":\"2025-03-04T05:06:07.123Z\"}");
    }

    @Test
    void keyIdsAreEscapedAndReadBack() throws IOException {
        Path file = dir.resolve("wm.jsonl");
        String nasty = "a\"b\\c\nd\te\u0001f\u2028g é 鍵";
        try (WatermarkLedger ledger = WatermarkLedger.open(file)) {
            ledger.record(new LedgerEntry(new double[] {1}, 0, 2, nasty, T));
            ledger.record(new LedgerEntry(new double[] {2}, 1, 2, null, T));
        }
        String text = Files.readString(file);
        assertThat(text)
                // U+2028 is legal raw in JSON (Jackson leaves it); every reader splits lines on \n only
                .contains("\"key\":\"a\\\"b\\\\c\\nd\\te\\u0001f\u2028g é 鍵\"")
                .contains("\"key\":null");
        assertThat(text.lines()).hasSize(2);
        List<LedgerEntry> back = WatermarkLedger.read(file);
        assertThat(back).extracting(LedgerEntry::key).containsExactly(nasty, null);
    }

    @Test
    void everyEntryFromManyThreadsIsOnDiskAfterClose() throws Exception {
        Path file = dir.resolve("many.jsonl");
        int threads = 8;
        int perThread = 5_000;
        WatermarkLedger ledger = WatermarkLedger.open(file, threads * perThread);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    ledger.record(new LedgerEntry(new double[] {id, i, i * 0.1}, i % 10, 10, "k" + id, T));
                }
            });
            th.start();
            writers.add(th);
        }
        go.countDown();
        for (Thread th : writers) {
            th.join();
        }
        ledger.close();
        assertThat(ledger.dropped()).isZero();
        assertThat(ledger.written()).isEqualTo((long) threads * perThread);
        List<LedgerEntry> back = WatermarkLedger.read(file);
        assertThat(back).hasSize(threads * perThread);
        // each thread's entries arrive complete and in its own order
        for (int t = 0; t < threads; t++) {
            int id = t;
            List<LedgerEntry> mine =
                    back.stream().filter(e -> e.key().equals("k" + id)).toList();
            assertThat(mine).hasSize(perThread);
            for (int i = 0; i < perThread; i++) {
                assertThat(mine.get(i))
                        .isEqualTo(new LedgerEntry(new double[] {id, i, i * 0.1}, i % 10, 10, "k" + id, T));
            }
        }
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        Path file = dir.resolve("full.jsonl");
        WatermarkLedger ledger = WatermarkLedger.open(file, 1);
        int n = 50_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ledger.record(new LedgerEntry(new double[] {i}, 0, 2, "k", T));
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        ledger.close();
        assertThat(ledger.written() + ledger.dropped()).isEqualTo(n);
        assertThat(WatermarkLedger.read(file)).hasSize((int) ledger.written());
        assertThat(elapsedMs).isLessThan(5_000);
    }

    @Test
    void recordsAfterCloseAreDroppedAndCounted() throws IOException {
        WatermarkLedger ledger = WatermarkLedger.open(dir.resolve("closed.jsonl"));
        ledger.close();
        ledger.record(new LedgerEntry(new double[] {1}, 0, 2, "k", T));
        assertThat(ledger.dropped()).isEqualTo(1);
        ledger.close(); // idempotent
    }

    @Test
    void appendsToAnExistingLedger() throws IOException {
        Path file = dir.resolve("sub/dir/wm.jsonl");
        try (WatermarkLedger ledger = WatermarkLedger.open(file)) {
            ledger.record(new LedgerEntry(new double[] {1}, 0, 2, "a", T));
        }
        try (WatermarkLedger ledger = WatermarkLedger.open(file)) {
            ledger.record(new LedgerEntry(new double[] {2}, 1, 2, "b", T));
        }
        assertThat(WatermarkLedger.read(file)).extracting(LedgerEntry::key).containsExactly("a", "b");
    }

    @Test
    void readAcceptsAnyFieldOrderWhitespaceAndUnknownFields() throws IOException {
        Path file = dir.resolve("hand.jsonl");
        Files.writeString(file, """
                { "time" : "2025-01-01T00:00:00Z", "key": "bob", "note": "x", "v": 2, "ok": true,
                  "classes": 3, "label": 2, "input": [ 1 , -0.5e1, null ] }

                {"input":[],"label":0,"classes":2,"key":null,"time":"2025-01-01T00:00:01Z"}
                """.replace(",\n  ", ", "), StandardCharsets.UTF_8);
        List<LedgerEntry> back = WatermarkLedger.read(file);
        assertThat(back).hasSize(2);
        assertThat(back.get(0).input()).containsExactly(1.0, -5.0, Double.NaN);
        assertThat(back.get(0).label()).isEqualTo(2);
        assertThat(back.get(0).classes()).isEqualTo(3);
        assertThat(back.get(0).key()).isEqualTo("bob");
        assertThat(back.get(1).key()).isNull();
    }

    @Test
    void aMalformedLineIsReportedWithItsLineNumber() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(
                file,
                "{\"input\":[1],\"label\":0,\"classes\":2,\"key\":\"a\",\"time\":\"2025-01-01T00:00:00Z\"}\n"
                        + "{\"input\":[1],\"label\":0,\"classes\":2,\"key\":\"a\"\n");
        assertThatThrownBy(() -> WatermarkLedger.read(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("bad.jsonl:2:");
    }

    @Test
    void nonFiniteFeaturesAreWrittenAsNull() throws IOException {
        Path file = dir.resolve("nan.jsonl");
        try (WatermarkLedger ledger = WatermarkLedger.open(file)) {
            ledger.record(new LedgerEntry(new double[] {Double.NaN, Double.POSITIVE_INFINITY, 1}, 0, 2, "k", T));
        }
        assertThat(Files.readString(file)).startsWith("{\"input\":[null,null,1.0]");
    }
}
