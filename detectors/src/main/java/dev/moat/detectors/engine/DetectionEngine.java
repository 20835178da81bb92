package dev.moat.detectors.engine;

import dev.moat.detectors.Verdict;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The asynchronous, sharded detection engine between the gateway and the detectors. The gateway
 * {@link #submit}s every finished request/response and reads {@link #verdict}s on its event loop;
 * neither call blocks.
 *
 * <p>Workers: N threads, each owning the keys whose id hashes to it (and the tenants whose id
 * hashes to it), with a bounded queue in front. A key's state therefore has exactly one writer and
 * needs no lock; a full queue drops the event and counts it ({@link #dropped()}) rather than stall
 * traffic. Per-key state lives in a {@link KeyTable} per worker, bounded by {@code maxTrackedKeys / N}
 * and expired after {@code expireAfterIdle} on the injected clock.
 *
 * <p>Risk: the maximum of the key's detector scores and of its tenant's pooled risk; once raised
 * it fades with {@code riskHalfLife} (also when read, so an idle key calms down without traffic; a
 * level lowered that way is reported to the listener by the read).
 * Detectors see event time ({@link QueryEvent#timeMillis()}); risk decay and expiry use the clock.
 */
public final class DetectionEngine implements AutoCloseable {

    private final Worker[] workers;
    private final Thread[] threads;
    private final Publisher publisher;
    private final EngineListener listener;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder crossShed = new LongAdder();
    private volatile boolean closed;

    public DetectionEngine(EngineSettings settings, InstantSource clock, EngineListener listener) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(clock, "clock");
        this.listener = listener == null ? EngineListener.NONE : listener;
        this.publisher = new Publisher(settings, clock, this.listener);
        int n = settings.workers();
        this.workers = new Worker[n];
        this.threads = new Thread[n];
        this.publisher.entries(id -> shard(id).entryQuietly(id));
        for (int i = 0; i < n; i++) {
            workers[i] = new Worker(
                    Math.max(1, settings.queueCapacity() / n),
                    Math.max(1, settings.maxTrackedKeys() / n),
                    settings.expireAfterIdle().toMillis(),
                    clock,
                    publisher,
                    this::shard);
            threads[i] = new Thread(workers[i], "moat-detector-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /**
     * Hands an event to the worker owning its key (and, with the {@code tenant} detector on, to the
     * worker owning its tenant). Never blocks.
     *
     * @return false if the event was dropped (queue full, or the engine is closed), also when only
     *     its tenant's copy was (the tenant's pooled evidence would miss it)
     */
    public boolean submit(QueryEvent e) {
        if (closed) {
            return false;
        }
        if (e.profile().isEmpty()) {
            return true;
        }
        // a tenant-only profile still visits the key's worker, which folds the tenant's risk into the key's
        boolean accepted = shard(e.keyId()).offer(e);
        boolean tenantTaken = true;
        if (accepted && e.tenant() != null && e.profile().tenant() != null) {
            if (!shard(e.tenant()).offerTenant(e)) {
                drop();
                tenantTaken = false;
            }
        }
        if (accepted && e.profile().crossKey() != null) {
            // every such event visits the one worker owning the gateway-wide store of recent rows
            if (!shard(CROSS_KEY_STORE).offerCross(e)) {
                crossShed.increment();
                listener.onCrossKeyShed();
            }
        }
        if (!accepted) {
            drop();
        }
        return accepted && tenantTaken;
    }

    /** The id whose shard owns the cross-key store (no key or tenant id starts with a NUL). */
    static final String CROSS_KEY_STORE = "\0cross_key";

    private void drop() {
        dropped.increment();
        listener.onDropped();
    }

    private Worker shard(String id) {
        int h = id.hashCode() * 0x9E3779B9;
        return workers[Math.floorMod(h ^ (h >>> 16), workers.length)];
    }

    /** The key's current verdict (risk decayed to now); {@link Verdict#OK} for an unknown key. O(1), lock-free. */
    public Verdict verdict(String keyId) {
        return publisher.read(keyId);
    }

    /** A tenant's pooled verdict; {@link Verdict#OK} if unknown. */
    public Verdict tenantVerdict(String tenant) {
        return publisher.readTenant(tenant);
    }

    /**
     * Forgets a key's state and verdict (admin unblock). Waits for room in the key's queue.
     *
     * <p>Tenant pooling: the tenant's pooled state and verdict are left alone (they hold other keys'
     * evidence too, and {@link #tenantVerdict} still reports it), but the reset key stops inheriting
     * the tenant risk it finds at its first event after the reset. It inherits again once the
     * tenant's risk rises more than 0.05 above that level (new evidence) or falls below the
     * suspicious threshold.
     */
    public void reset(String keyId) {
        try {
            shard(keyId).reset(keyId);
            // the cross-key store's record of the key too, or its next event would inherit the old score
            publisher.resetCross(keyId);
            shard(CROSS_KEY_STORE).resetCross(keyId);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keys with state, summed over workers (an estimate while they run). */
    public long keysTracked() {
        long n = 0;
        for (Worker w : workers) {
            n += w.keysTracked();
        }
        return n;
    }

    /** Events dropped because a queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /** Events whose cross-key search was skipped because the store owner was busy ({@link Worker#offerCross}). */
    public long crossKeyShed() {
        return crossShed.sum();
    }

    /** Events a detector failed on (counted and skipped; the worker carries on). */
    public long failures() {
        return publisher.failures();
    }

    /**
     * Waits until every event submitted before this call has been processed: a test hook.
     *
     * @return false on timeout
     */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // twice: the first round of barriers also waits for the tasks that events before it handed
            // to other workers (a tenant's level rise re-publishing its keys), the second for those tasks
            for (int round = 0; round < 2; round++) {
                CountDownLatch latch = new CountDownLatch(workers.length);
                for (Worker w : workers) {
                    w.barrier(latch);
                }
                if (!latch.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Processes what is queued, then stops the workers. Later submits return false. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (Worker w : workers) {
                w.stop();
            }
            for (Thread t : threads) {
                t.join(10_000);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
