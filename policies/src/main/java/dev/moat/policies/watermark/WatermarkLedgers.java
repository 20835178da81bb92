package dev.moat.policies.watermark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@link WatermarkLedger} per file, shared by every policy (and every config reload) that
 * names the same path, so that two writers never interleave lines in one file. The gateway keeps
 * one registry for its lifetime and closes it on shutdown, which drains every ledger.
 */
public final class WatermarkLedgers implements AutoCloseable {

    private final Map<Path, WatermarkLedger> open = new LinkedHashMap<>();
    private final Map<Path, long[]> rotations = new LinkedHashMap<>();
    private final int capacity;
    private boolean closed;

    public WatermarkLedgers() {
        this(WatermarkLedger.DEFAULT_CAPACITY);
    }

    public WatermarkLedgers(int capacity) {
        this.capacity = capacity;
    }

    /**
     * The ledger for {@code path}, opened on first use. Called at config load, not per request.
     *
     * @throws UncheckedIOException when the file cannot be opened for appending
     */
    public synchronized WatermarkLedger sinkFor(Path path) {
        if (closed) {
            throw new IllegalStateException("watermark ledgers closed");
        }
        Path key = path.toAbsolutePath().normalize();
        WatermarkLedger ledger = open.get(key);
        if (ledger == null) {
            try {
                long[] rotation = rotations.getOrDefault(
                        key, new long[] {WatermarkLedger.DEFAULT_MAX_BYTES, WatermarkLedger.DEFAULT_MAX_FILES});
                ledger = WatermarkLedger.open(key, capacity, rotation[0], (int) rotation[1]);
            } catch (IOException e) {
                throw new UncheckedIOException("watermark.ledger: " + path + " cannot be opened for appending", e);
            }
            open.put(key, ledger);
        }
        return ledger;
    }

    /**
     * Sets the rotation bound a ledger is opened with ({@code ledger_max_size}, {@code
     * ledger_max_files}); call before the first {@link #sinkFor} of the path. A ledger already open
     * keeps its bound until the process restarts.
     */
    public synchronized void rotation(Path path, long maxBytes, int maxFiles) {
        rotations.put(path.toAbsolutePath().normalize(), new long[] {maxBytes, maxFiles});
    }

    /** The ledgers opened so far. */
    public synchronized List<WatermarkLedger> ledgers() {
        return new ArrayList<>(open.values());
    }

    /** Drains, flushes and closes every ledger. */
    @Override
    public synchronized void close() {
        closed = true;
        for (WatermarkLedger ledger : open.values()) {
            ledger.close();
        }
    }
}
