package dev.moat.gateway.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} for one instance that survives restarts: the in-memory view, written whole to
 * a JSON file after every change (on its own writer thread, never the event loop) and on close. Each
 * write goes to a temporary file in the same directory, is forced to disk, then renamed over the old
 * one (atomic on POSIX file systems), so a crash leaves either the old or the new state, never half.
 * Changes that arrive while a write is queued share that write.
 *
 * <p>What persists: blocks (until they expire), unblock marks (for {@link
 * InMemoryStateStore#UNBLOCK_MARK_HORIZON_MILLIS}: older ones are neither loaded nor written), revocations,
 * runtime keys and shared risks (so a key throttled by its risk is throttled again after a restart,
 * until the risk decays), each for {@link InMemoryStateStore#SHARED_RISK_LIFE_MILLIS} after it was
 * measured (the file keeps no time to live: every risk loaded gets that life): an expired one is
 * neither loaded nor written again.
 */
public final class FileStateStore extends InMemoryStateStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileStateStore.class);
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The file's shape (version 1). */
    record Contents(
            int version,
            List<Block> blocks,
            Map<String, Long> unblocked,
            Map<String, Long> revoked,
            List<KeyRecord> keys,
            Map<String, Risk> risks) {}

    private final Path file;
    private final InstantSource clock;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "moat-state-file");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<CompletableFuture<Void>> queued = new AtomicReference<>();
    private volatile boolean closed;

    private FileStateStore(Path file, InstantSource clock) {
        super(clock);
        this.file = file;
        this.clock = clock;
    }

    /**
     * Opens the state file, loading what it holds (a missing file is an empty state).
     *
     * @throws UncheckedIOException when the file exists but cannot be read or parsed
     */
    public static FileStateStore open(Path file, InstantSource clock) {
        FileStateStore store = new FileStateStore(file.toAbsolutePath(), clock);
        store.load();
        return store;
    }

    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        Contents c;
        try {
            c = JSON.readValue(file.toFile(), Contents.class);
        } catch (IOException e) {
            throw new UncheckedIOException("state file " + file + " cannot be read: " + e.getMessage(), e);
        }
        long now = clock.millis();
        if (c.blocks() != null) {
            c.blocks().stream().filter(b -> b.untilEpochMillis() > now).forEach(this::applyBlock);
        }
        if (c.unblocked() != null) {
            c.unblocked().forEach(this::applyUnblockMark);
        }
        if (c.revoked() != null) {
            c.revoked().forEach(this::applyRevoke);
        }
        if (c.keys() != null) {
            c.keys().forEach(this::applyKey);
        }
        if (c.risks() != null) {
            // the file keeps no time to live: a risk gets the life of the risks put here, and one past it
            // is not loaded
            c.risks().forEach((id, risk) -> applyRisk(id, risk, risk.atMillis() + SHARED_RISK_LIFE_MILLIS));
        }
        LOG.info(
                "state file {}: {} block(s), {} revocation(s), {} runtime key(s)",
                file,
                blocks(now).size(),
                revocations().size(),
                keys().size());
    }

    /** The file this store writes. */
    public Path file() {
        return file;
    }

    @Override
    public String health() {
        return "file";
    }

    @Override
    protected CompletionStage<Void> changed(String keyId) {
        super.changed(keyId);
        return writeSoon();
    }

    /** Queues one write of the whole state unless one is queued already (which then covers this change). */
    private CompletableFuture<Void> writeSoon() {
        while (true) {
            CompletableFuture<Void> current = queued.get();
            if (current != null) {
                return current;
            }
            CompletableFuture<Void> next = new CompletableFuture<>();
            if (queued.compareAndSet(null, next)) {
                if (closed) {
                    queued.set(null);
                    next.completeExceptionally(new IllegalStateException("state store closed"));
                    return next;
                }
                writer.execute(() -> {
                    queued.compareAndSet(next, null); // later changes queue another write
                    try {
                        writeNow();
                        next.complete(null);
                    } catch (IOException | RuntimeException e) {
                        LOG.error("state file {} could not be written", file, e);
                        next.completeExceptionally(e);
                    }
                });
                return next;
            }
        }
    }

    /** Writes the whole state: temporary file, fsync, atomic rename. */
    void writeNow() throws IOException {
        long now = clock.millis();
        Contents c = new Contents(
                1,
                List.copyOf(blocks(now).values()),
                unblockMarks(),
                revocations(),
                List.copyOf(keys().values()),
                risks());
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(c);
        Path dir = file.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the state one last time (after any queued write), then stops the writer. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.shutdown();
        try {
            if (!writer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("state file writer did not finish within 5 s");
            }
            writeNow();
        } catch (IOException e) {
            LOG.error("state file {} could not be written on shutdown", file, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
