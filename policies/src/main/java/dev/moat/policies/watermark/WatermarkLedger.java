package dev.moat.policies.watermark;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Append-only JSON-lines file of watermarked answers, one {@link LedgerEntry} per line (format in
 * {@code LedgerJson}), kept so that {@code moat watermark verify} can later test a suspect model.
 *
 * <p><b>Bounded, rotated, indexed.</b> When the active file would grow past {@code maxBytes} it is
 * renamed to the next numbered segment ({@code watermarks.jsonl.000001}, ...) with its per-key
 * offset index beside it ({@code .idx}, {@link LedgerIndex}), and a new active file starts; beyond
 * {@code maxFiles} rotated segments the oldest (and its index) is deleted, so the ledger never
 * holds more than about (maxFiles + 1) * maxBytes. The active file's index is kept in memory and
 * written on close; reopening loads it, or rebuilds it by scanning when it is stale. Readers:
 * {@link LedgerFiles}.
 *
 * <p>{@link #record} only offers to a bounded queue and returns: it never blocks the event loop.
 * When the queue is full the entry is dropped and counted ({@link #dropped()}). A single daemon
 * writer thread drains the queue in batches and flushes after each batch. {@link #close()} stops
 * new entries, waits for callers already inside {@code record}, writes everything still queued,
 * flushes and syncs the file: nothing accepted is lost on an orderly shutdown. A failed write is
 * counted in {@link #writeErrors()} and the batch is lost; the writer keeps going.
 */
public final class WatermarkLedger implements WatermarkSink, AutoCloseable {

    public static final int DEFAULT_CAPACITY = 65_536;
    public static final long DEFAULT_MAX_BYTES = 256L << 20;
    public static final int DEFAULT_MAX_FILES = 20;
    private static final int BATCH = 1_024;
    private static final LedgerEntry POISON = new LedgerEntry(new double[0], 0, 2, null, java.time.Instant.EPOCH);
    private static final System.Logger LOG = System.getLogger(WatermarkLedger.class.getName());

    private final Path path;
    private final long maxBytes;
    private final int maxFiles;
    private final BlockingQueue<LedgerEntry> queue;
    private FileOutputStream file;
    private OutputStream out;
    private LedgerIndex index;
    private long size;
    private long nextSegment;
    private final LongAdder rotations = new LongAdder();
    private final Thread writer;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder writeErrors = new LongAdder();
    private volatile boolean closed;

    private WatermarkLedger(Path path, int capacity, long maxBytes, int maxFiles) throws IOException {
        this.path = path;
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
        this.queue = new ArrayBlockingQueue<>(capacity);
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        List<Path> rotated = LedgerFiles.rotated(path);
        this.nextSegment = rotated.isEmpty() ? 1 : LedgerFiles.sequence(rotated.get(rotated.size() - 1)) + 1;
        this.index = Files.exists(path) ? LedgerFiles.index(path) : new LedgerIndex();
        Files.deleteIfExists(LedgerIndex.indexFile(path)); // rewritten on close; stale while we append
        openActive();
        this.size = Files.size(path);
        this.writer = new Thread(this::drainLoop, "moat-watermark-ledger");
        writer.setDaemon(true);
        writer.start();
    }

    /** Opens (appending to) the ledger at {@code path} with the default queue capacity. */
    public static WatermarkLedger open(Path path) throws IOException {
        return open(path, DEFAULT_CAPACITY);
    }

    public static WatermarkLedger open(Path path, int capacity) throws IOException {
        return open(path, capacity, DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES);
    }

    /**
     * @param maxBytes the active file rotates before it would grow past this (at least 4096)
     * @param maxFiles rotated segments kept; older ones are deleted (at least 1)
     */
    public static WatermarkLedger open(Path path, int capacity, long maxBytes, int maxFiles) throws IOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("ledger capacity: " + capacity + " (expected: >= 1)");
        }
        if (maxBytes < 4096 || maxFiles < 1) {
            throw new IllegalArgumentException("ledger rotation: max size " + maxBytes + ", max files " + maxFiles
                    + " (expected: at least 4096 bytes and 1 file)");
        }
        return new WatermarkLedger(path, capacity, maxBytes, maxFiles);
    }

    /** Times the active file was rotated since open. */
    public long rotations() {
        return rotations.sum();
    }

    public Path path() {
        return path;
    }

    /** Queues the entry for writing; drops and counts it if the queue is full or the ledger closed. */
    @Override
    public void record(LedgerEntry entry) {
        inFlight.incrementAndGet();
        try {
            if (closed || !queue.offer(entry)) {
                dropped.increment();
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** Entries lost because the queue was full or the ledger already closed. */
    public long dropped() {
        return dropped.sum();
    }

    /** Entries written and flushed. */
    public long written() {
        return written.sum();
    }

    /** Batches that failed to write (their entries are lost). */
    public long writeErrors() {
        return writeErrors.sum();
    }

    /** Entries waiting for the writer. */
    public int pending() {
        return queue.size();
    }

    /** Writes everything accepted so far, flushes, syncs and closes the file. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // A caller that got past the closed check is still offering; once none is, nothing new
        // can arrive, so the marker is the last element and the writer drains all before it.
        while (inFlight.get() != 0) {
            Thread.onSpinWait();
        }
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(POISON);
                writer.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void drainLoop() {
        List<LedgerEntry> batch = new ArrayList<>(BATCH);
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        boolean done = false;
        while (!done) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                continue; // only close() ends the writer
            }
            queue.drainTo(batch, BATCH - 1);
            int n = 0;
            try {
                for (LedgerEntry e : batch) {
                    if (e == POISON) {
                        done = true;
                        break;
                    }
                    line.reset();
                    try (JsonGenerator g = LedgerJson.generator(line)) {
                        LedgerJson.write(g, e);
                    }
                    line.write('\n');
                    if (size > 0 && size + line.size() > maxBytes) {
                        rotate();
                    }
                    line.writeTo(out);
                    index.add(e.key(), size, line.size());
                    size += line.size();
                    n++;
                }
                out.flush();
                written.add(n);
            } catch (IOException e) {
                writeErrors.increment();
                LOG.log(System.Logger.Level.ERROR, "writing watermark ledger " + path, e);
            }
            batch.clear();
        }
        try {
            out.flush();
            file.getFD().sync();
            out.close();
            index.writeTo(LedgerIndex.indexFile(path));
        } catch (IOException e) {
            writeErrors.increment();
            LOG.log(System.Logger.Level.ERROR, "closing watermark ledger " + path, e);
        }
    }

    private void openActive() throws IOException {
        this.file = new FileOutputStream(path.toFile(), true);
        this.out = new BufferedOutputStream(file, 1 << 16);
    }

    /** Closes the active file as the next segment with its index, drops the oldest beyond the bound. */
    private void rotate() throws IOException {
        out.flush();
        file.getFD().sync();
        out.close();
        Path segment = path.resolveSibling(path.getFileName() + String.format(".%06d", nextSegment++));
        Files.move(path, segment);
        index.writeTo(LedgerIndex.indexFile(segment));
        List<Path> rotated = LedgerFiles.rotated(path);
        for (int i = 0; i < rotated.size() - maxFiles; i++) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "watermark ledger: deleting the oldest segment " + rotated.get(i)
                            + " (ledger_max_files reached; archive segments to keep them)");
            Files.deleteIfExists(LedgerIndex.indexFile(rotated.get(i)));
            Files.deleteIfExists(rotated.get(i));
        }
        index = new LedgerIndex();
        size = 0;
        openActive();
        rotations.increment();
    }

    /**
     * Reads a whole ledger back, every rotated segment then the active file; blank lines are
     * skipped, a malformed line fails with its file and line number. For one key use
     * {@link LedgerFiles#readKey}.
     */
    public static List<LedgerEntry> read(Path path) throws IOException {
        return LedgerFiles.readAll(path);
    }
}
