package dev.moat.detectors.engine;

import dev.moat.detectors.Detector;
import dev.moat.detectors.Level;
import dev.moat.detectors.coverage.CoverageDetector;
import dev.moat.detectors.stats.SparseProjection;
import dev.moat.detectors.tenant.TenantProfile;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One detection worker: a thread, the bounded queue in front of it, and the shard of keys (and
 * tenants) it owns in {@link KeyTable}s bounded by size and idle time, on the engine's clock. It is
 * the only writer of its keys' state, its detector instances and their population statistics.
 */
public final class Worker implements Runnable {

    /** A tenant's share of an event, routed to the tenant's worker. */
    record TenantTask(QueryEvent event) {}

    /** An event for the gateway-wide cross-key store (owned by one worker). */
    record CrossTask(QueryEvent event, int epoch) {}

    record ResetTask(String keyId) {}

    /** An admin reset of a key: forget what the cross-key stores hold of it as a child. */
    record CrossReset(String keyId) {}

    /** The key's tenant rose a level: fold the tenant's risk into the key's verdict now, not at its next event. */
    record TenantRaised(String keyId, String tenant) {}

    record Barrier(CountDownLatch latch) {}

    private static final Object STOP = new Object();

    private final BlockingQueue<Object> queue;
    private final int queueCapacity;
    private final KeyTable keys;
    private final KeyTable tenants;
    /**
     * Detector instances (and so their population references) per profile, by equality: a reload
     * that keeps a policy's detector config keeps its instances. Grows only with distinct detector
     * configs ever loaded.
     */
    private final Map<DetectorProfile, ProfileDetectors> keyDetectors = new HashMap<>();

    private final Map<DetectorProfile, ProfileDetectors> tenantDetectors = new HashMap<>();
    private final Publisher publisher;
    /** Keys reset since their last event: their next state starts with a tenant floor. Bounded. */
    private final java.util.Set<String> resetKeys = new java.util.HashSet<>();

    private static final int MAX_PENDING_RESETS = 10_000;

    /**
     * Keys whose published reasons lag their query count (reasons are rebuilt only when a score
     * moves, to keep string formatting off the per-event path); brought up to date after a second
     * without events, and before a barrier or a stop (never on the busy path), so a quiet key's
     * report agrees with itself.
     */
    private final java.util.Set<String> staleReasons = new java.util.LinkedHashSet<>();

    private static final int MAX_STALE_REASONS = 4096;

    /** The worker owning a key (for {@link TenantRaised} tasks). */
    private final java.util.function.Function<String, Worker> router;

    public Worker(int queueCapacity, long maxKeys, long idleMillis, InstantSource clock, Publisher publisher) {
        this(queueCapacity, maxKeys, idleMillis, clock, publisher, null);
    }

    public Worker(
            int queueCapacity,
            long maxKeys,
            long idleMillis,
            InstantSource clock,
            Publisher publisher,
            java.util.function.Function<String, Worker> router) {
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.queueCapacity = queueCapacity;
        this.publisher = publisher;
        this.router = router;
        // a key's verdict lives in its entry, so an evicted key's goes with it
        this.keys = new KeyTable(maxKeys, idleMillis, clock, k -> {});
        this.tenants = new KeyTable(maxKeys, idleMillis, clock, publisher::forgetTenant);
    }

    /** Never blocks. */
    public boolean offer(Object task) {
        return queue.offer(task);
    }

    public boolean offerTenant(QueryEvent e) {
        return queue.offer(new TenantTask(e));
    }

    /**
     * Never blocks. Queues the event's cross-key search unless the searches already queued hold
     * {@link #CROSS_SHARE} of the queue's capacity in rows (4,096 rows of the default 65,536; the
     * check is by rows, not events, so a flood of many-row events cannot queue more work than that),
     * or take that share of its slots. The cross-key search is the costliest task and one worker does
     * it for the whole gateway: beyond what that worker can search its tasks must neither take the
     * queue slots this worker's own keys' events need nor pile up seconds of backlog. A refused
     * search is shed (the event is still scored by its key's detectors; counted apart from drops) but
     * its rows are still stored (an insert costs a fraction of a search), so a flood does not keep
     * parents out of the store: they wait in {@link #crossStoreOnly}, which keeps the newest {@code
     * store_size} rows (the older ones the store's ring would have dropped anyway).
     *
     * @return true if the search was queued, false if it was shed
     */
    public boolean offerCross(QueryEvent e) {
        int rows = e.inputs().length;
        if (crossSearchRows.get() < queueCapacity / CROSS_SHARE && queue.size() < queueCapacity / CROSS_SHARE) {
            crossSearchRows.addAndGet(rows);
            if (queue.offer(new CrossTask(e, publisher.crossEpoch(e.keyId())))) {
                return true;
            }
            crossSearchRows.addAndGet(-rows);
        }
        // lock-free (the event loop calls this): the newest rows are kept, the trimming approximate
        // under concurrent offers
        int limit = e.profile().crossKey().storeSize();
        crossStoreOnly.add(e);
        int waiting = crossStoreOnlyRows.addAndGet(rows);
        while (waiting > limit) {
            QueryEvent gone = crossStoreOnly.peek();
            if (gone == null || gone == e || !crossStoreOnly.remove(gone)) {
                break;
            }
            waiting = crossStoreOnlyRows.addAndGet(-gone.inputs().length);
            crossRowsLost.add(gone.inputs().length);
        }
        if (crossDrainQueued.compareAndSet(false, true) && !queue.offer(CROSS_DRAIN)) {
            // the queue is full: the next cross task, or the worker's next idle second, stores them
            crossDrainQueued.set(false);
        }
        return false;
    }

    /** Rows queued for a cross-key search (for tests and gauges). */
    int crossSearchRowsQueued() {
        return crossSearchRows.get();
    }

    /** Rows of shed searches waiting to be stored (for tests). */
    int crossStoreOnlyRows() {
        return crossStoreOnlyRows.get();
    }

    /** Rows of shed searches dropped before they were stored: older than the newest {@code store_size} waiting. */
    public long crossRowsLost() {
        return crossRowsLost.sum();
    }

    /** Rows queued for a cross-key search. */
    private final java.util.concurrent.atomic.AtomicInteger crossSearchRows =
            new java.util.concurrent.atomic.AtomicInteger();

    /** Events whose search was shed, waiting to be stored (written by event loops, read by this worker). */
    private final java.util.concurrent.ConcurrentLinkedQueue<QueryEvent> crossStoreOnly =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    private final java.util.concurrent.atomic.AtomicInteger crossStoreOnlyRows =
            new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.LongAdder crossRowsLost = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.AtomicBoolean crossDrainQueued =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** Tells the worker to store the rows of shed searches (at most one queued at a time). */
    private static final Object CROSS_DRAIN = new Object();

    /** The cross-key searches' share of a queue, in rows and in slots: one sixteenth (4,096 of the default 65,536). */
    static final int CROSS_SHARE = 16;

    /** Queued tasks (for tests and gauges). */
    int queued() {
        return queue.size();
    }

    public void resetCross(String keyId) throws InterruptedException {
        queue.put(new CrossReset(keyId));
    }

    public void reset(String keyId) throws InterruptedException {
        queue.put(new ResetTask(keyId));
    }

    public void barrier(CountDownLatch latch) throws InterruptedException {
        queue.put(new Barrier(latch));
    }

    public void stop() throws InterruptedException {
        queue.put(STOP);
    }

    /** The key's entry if it has one, without counting as an access (readers of its verdict). */
    KeyEntry entryQuietly(String keyId) {
        return keys.getQuietly(keyId);
    }

    public long keysTracked() {
        return keys.size();
    }

    /**
     * How long a worker that has just emptied its queue lets events gather before it looks again,
     * instead of waiting on the queue. A worker waiting on the queue is woken by every offer: on the
     * event loop, a lock hand-over and an unpark (2.5-2.9 % of mode b's CPU in the load benchmark's
     * profile), and a context switch each way, one per request, on a machine where the worker shares
     * the event loop's core. Gathering for a millisecond wakes it at most a thousand times a second
     * under load, each time for a batch; the price is that an event is handled up to a millisecond
     * later (verdicts were asynchronous already). When a gathering finds nothing, the worker waits
     * on the queue again, so an idle worker costs nothing and a lone event still wakes it.
     */
    static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    @Override
    public void run() {
        // the rows come from QueryEvents, which nobody changes after submitting: a key's detectors and
        // its tenant's, when this worker owns both, project each row once
        SparseProjection.rememberRowsOnThisThread();
        try {
            boolean gather = false;
            while (true) {
                Object task = queue.poll();
                if (task == null) {
                    if (gather) {
                        gather = false;
                        LockSupport.parkNanos(this, GATHER_NANOS);
                        continue;
                    }
                    task = queue.poll(1, TimeUnit.SECONDS);
                    if (task == null) {
                        drainCrossStoreOnly();
                        SparseProjection.forgetRowsOnThisThread();
                        refreshStaleReasons();
                        keys.cleanUp();
                        tenants.cleanUp();
                        continue;
                    }
                }
                gather = true;
                if (task == STOP) {
                    refreshStaleReasons();
                    return;
                }
                if (task instanceof Barrier) {
                    refreshStaleReasons();
                }
                handle(task);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(Object task) {
        try {
            if (task instanceof QueryEvent e) {
                onKeyEvent(e);
            } else if (task instanceof TenantTask t) {
                onTenantEvent(t.event());
            } else if (task instanceof CrossTask t) {
                try {
                    drainCrossStoreOnly();
                    onCrossEvent(t.event(), t.epoch());
                } finally {
                    crossSearchRows.addAndGet(-t.event().inputs().length);
                }
            } else if (task == CROSS_DRAIN) {
                crossDrainQueued.set(false);
                drainCrossStoreOnly();
            } else if (task instanceof CrossReset r) {
                for (var store : crossStores.values()) {
                    store.forget(r.keyId());
                }
                publisher.forgetCross(r.keyId());
            } else if (task instanceof ResetTask r) {
                keys.remove(r.keyId());
                if (resetKeys.size() < MAX_PENDING_RESETS) {
                    resetKeys.add(r.keyId());
                }
            } else if (task instanceof TenantRaised t) {
                onTenantRaised(t.keyId(), t.tenant());
            } else if (task instanceof Barrier b) {
                drainCrossStoreOnly();
                b.latch().countDown();
            }
        } catch (RuntimeException ex) {
            // a detector bug must not kill the worker and with it detection for the whole shard
            publisher.onFailure(ex);
        }
    }

    /**
     * Feeds the key's state for the event's profile: the one kept for an equal profile (another
     * route's policy, a reload with the same detectors) or a new one next to the others.
     */
    private void onKeyEvent(QueryEvent e) {
        KeyEntry entry = keys.get(e.keyId());
        if (entry == null) {
            entry = new KeyEntry(e.keyId());
            if (!resetKeys.isEmpty() && resetKeys.remove(e.keyId())) {
                entry.tenant().floor = Double.NaN;
            }
            keys.put(entry);
        }
        KeyState s = entry.find(e.profile());
        if (s == null) {
            s = new KeyState(e.profile(), keyDetectors.computeIfAbsent(e.profile(), p -> create(p.factories())));
            entry.add(s);
        }
        feed(s, e);
        double risk = publisher.publishKey(e.keyId(), e.tenant(), entry, s, e.timeMillis());
        for (int i = 0; i < s.run.list.length; i++) {
            s.run.list[i].observeRisk(s.states[i], risk);
        }
        if (s.queriesAtReasons != s.queries && staleReasons.size() < MAX_STALE_REASONS) {
            staleReasons.add(e.keyId());
        }
    }

    private void refreshStaleReasons() {
        if (staleReasons.isEmpty()) {
            return;
        }
        for (String keyId : staleReasons) {
            KeyEntry entry = keys.get(keyId);
            KeyState s = entry == null || entry.size() != 1 ? null : entry.get(0);
            if (s != null) {
                try {
                    publisher.refreshReasons(keyId, entry, s);
                } catch (RuntimeException ex) {
                    publisher.onFailure(ex);
                }
            }
        }
        staleReasons.clear();
    }

    private void onTenantEvent(QueryEvent e) {
        TenantProfile tp = e.profile().tenant();
        KeyEntry entry = tenants.get(e.tenant());
        if (entry == null) {
            entry = new KeyEntry(e.tenant());
            tenants.put(entry);
        }
        KeyState s = entry.find(e.profile());
        if (s == null) {
            s = new KeyState.TenantState(
                    e.profile(), tenantDetectors.computeIfAbsent(e.profile(), this::tenantDetectors));
            entry.add(s);
        }
        KeyState.TenantState ts = (KeyState.TenantState) s;
        int distinct = ts.noteKey(e.keyId());
        feed(s, e);
        Level before = publisher.tenantLevel(e.tenant());
        publisher.publishTenant(e.tenant(), entry, s, distinct >= tp.minKeys(), e.timeMillis());
        if (router != null && publisher.tenantLevel(e.tenant()).compareTo(before) > 0) {
            // a key blocked because of its tenant sends nothing more, so its own events would never
            // carry the tenant's risk into its verdict (issue 9: Sybil keys blocked at risk 0.00)
            for (int i = 0; i < ts.keyCount; i++) {
                String keyId = ts.keyIds[i];
                router.apply(keyId).offer(new TenantRaised(keyId, e.tenant()));
            }
        }
    }

    /** Cross-key stores, one per distinct {@code cross_key} config; only the owning worker has any. */
    private final Map<dev.moat.detectors.prada.CrossKeyParents.Settings, dev.moat.detectors.prada.CrossKeyParents>
            crossStores = new HashMap<>();

    /**
     * Searches the event's rows for parents sent by other keys and publishes the key's cross-key
     * score; when its level rises, the key's worker re-publishes the key (a key blocked for it sends
     * nothing more that would carry the score into its verdict).
     */
    private void onCrossEvent(QueryEvent e, int epoch) {
        var store = crossStore(e.profile().crossKey());
        long sampledOut = store.sampledOut();
        double score = store.observe(e.keyId(), e.inputs(), e.predictions());
        long skipped = store.sampledOut() - sampledOut;
        if (skipped > 0) {
            publisher.listener().onCrossKeySampledOut((int) skipped);
        }
        if (epoch != publisher.crossEpoch(e.keyId())) {
            // queued before an admin reset of the key: its rows stay as parents, its evidence does not
            // (the reset's own task, queued after this one, forgets the key's record)
            return;
        }
        if (publisher.publishCross(e.keyId(), score, store) && router != null) {
            router.apply(e.keyId()).offer(new TenantRaised(e.keyId(), e.tenant()));
        }
    }

    /** Stores the rows of shed searches, oldest first, without searching them. */
    private void drainCrossStoreOnly() {
        QueryEvent e;
        while ((e = crossStoreOnly.poll()) != null) {
            crossStoreOnlyRows.addAndGet(-e.inputs().length);
            crossStore(e.profile().crossKey()).store(e.keyId(), e.inputs(), e.predictions());
        }
    }

    /** The cross-key store for the settings (created on first use); only the owning worker calls it. */
    dev.moat.detectors.prada.CrossKeyParents crossStore(dev.moat.detectors.prada.CrossKeyParents.Settings settings) {
        return crossStores.computeIfAbsent(
                settings, k -> new dev.moat.detectors.prada.CrossKeyParents(k, publisher::forgetCross));
    }

    /** Re-publishes a key's verdict with its tenant's current risk (the key's own scores as at its last event). */
    private void onTenantRaised(String keyId, String tenant) {
        KeyEntry entry = keys.get(keyId);
        if (entry == null || entry.size() == 0) {
            return;
        }
        KeyState s = entry.get(0);
        double risk = publisher.republishKey(keyId, tenant, entry, s);
        for (int i = 0; i < s.run.list.length; i++) {
            s.run.list[i].observeRisk(s.states[i], risk);
        }
    }

    private static void feed(KeyState s, QueryEvent e) {
        double[][] in = e.inputs();
        double[][] out = e.predictions();
        for (int r = 0; r < in.length; r++) {
            s.update(in[r] == null ? EMPTY : in[r], out[r] == null ? EMPTY : out[r], e.timeMillis());
        }
        s.queries += in.length;
    }

    private static final double[] EMPTY = new double[0];

    /**
     * The tenant detectors of a profile; a pooled {@code coverage} with no tenants' reference uses the
     * reference of this worker's key-level {@code coverage} of the same profile (created here if no key
     * of the profile has come yet).
     */
    private ProfileDetectors tenantDetectors(DetectorProfile profile) {
        ProfileDetectors pooled = create(profile.tenant().factories());
        ProfileDetectors own = keyDetectors.computeIfAbsent(profile, p -> create(p.factories()));
        for (Detector<?> t : pooled.list) {
            for (Detector<?> k : own.list) {
                if (t instanceof CoverageDetector tc && k instanceof CoverageDetector kc) {
                    tc.pooledOver(kc);
                }
            }
        }
        return pooled;
    }

    private static ProfileDetectors create(List<Detector.Factory> factories) {
        Detector<?>[] d = new Detector<?>[factories.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = factories.get(i).create();
        }
        return new ProfileDetectors(d);
    }
}
