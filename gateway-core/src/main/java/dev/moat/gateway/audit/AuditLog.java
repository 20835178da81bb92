package dev.moat.gateway.audit;

import dev.moat.gateway.http.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's evidence: one JSON line per level change, block, unblock, reset and reload, each
 * holding the SHA-256 of the previous line ({@code "prev"}), so removing or editing a line breaks
 * the chain ({@code moat audit verify FILE}). Callers never wait: records go through a bounded queue
 * to one writer thread that appends, flushes after each batch, and drains everything on close.
 * Reopening an existing file continues its chain from its last line.
 *
 * <pre>{"seq":7,"time":"...","event":"block","key":"mallory","detail":"...","prev":"9f2c..."}</pre>
 */
public final class AuditLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    /** The {@code prev} of a file's first line. */
    public static final String GENESIS = "0".repeat(64);

    private static final Object STOP = new Object();

    private final Path path;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(16_384);
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private String prev;
    private long seq;

    private record Event(Instant time, String event, String key, String detail) {}

    private AuditLog(Path path, String prev, long seq) {
        this.path = path;
        this.prev = prev;
        this.seq = seq;
        this.writer = new Thread(this::run, "moat-audit");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    public static AuditLog open(Path path) throws IOException {
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        String prev = GENESIS;
        long seq = 0;
        if (Files.exists(path)) {
            List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    prev = sha256(lines.get(i));
                    seq = i + 1;
                    break;
                }
            }
        }
        return new AuditLog(path, prev, seq);
    }

    /** Queues a record; never blocks (a full queue drops and counts, and says so in the log). */
    public void record(String event, String keyId, String detail) {
        if (!queue.offer(new Event(Instant.now(), event, keyId, detail))) {
            dropped.incrementAndGet();
            LOG.warn("audit queue full: dropped a '{}' record for key {}", event, keyId);
        }
    }

    public long dropped() {
        return dropped.get();
    }

    public Path path() {
        return path;
    }

    private void run() {
        try (BufferedWriter out = Files.newBufferedWriter(
                path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            List<Object> batch = new ArrayList<>();
            for (; ; ) {
                Object first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch);
                boolean stop = false;
                for (Object o : batch) {
                    if (o == STOP) {
                        stop = true;
                    } else {
                        write(out, (Event) o);
                    }
                }
                batch.clear();
                out.flush();
                if (stop) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.error("audit trail {} cannot be written", path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(BufferedWriter out, Event e) throws IOException {
        StringBuilder sb =
                new StringBuilder(200).append("{\"seq\":").append(++seq).append(",\"time\":");
        Json.quote(sb, e.time().toString()).append(",\"event\":");
        Json.quote(sb, e.event()).append(",\"key\":");
        Json.quote(sb, e.key()).append(",\"detail\":");
        Json.quote(sb, e.detail()).append(",\"prev\":\"").append(prev).append("\"}");
        String line = sb.toString();
        out.write(line);
        out.write('\n');
        prev = sha256(line);
    }

    /** Drains every queued record to disk, then stops the writer. */
    @Override
    public void close() {
        try {
            queue.put(STOP);
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String sha256(String line) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
