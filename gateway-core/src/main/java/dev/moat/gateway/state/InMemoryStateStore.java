package dev.moat.gateway.state;

import dev.moat.detectors.engine.EngineSettings;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A {@link StateStore} that keeps everything in memory: one instance, nothing survives a restart. */
public class InMemoryStateStore implements StateStore {

    /**
     * How long an instance cut off from Redis is expected to rejoin as it is, rather than be restarted:
     * 30 days. A reset's mark is kept that long ({@link RedisStateStore#RESET_MARK_HORIZON_MILLIS}), and an
     * unblock's no shorter ({@link #UNBLOCK_MARK_HORIZON_MILLIS}).
     */
    static final long REJOIN_HORIZON_MILLIS = TimeUnit.DAYS.toMillis(30);

    /**
     * How long an operator's unblock mark is kept, here, in the state file and in {@code moat:unblocked}:
     * 45 days, the longer of the {@link #REJOIN_HORIZON_MILLIS rejoin horizon} and 1,080 half-lives of
     * a risk. The ladder blocks a key only on a risk measured after its mark ({@code Defences.check}),
     * so the mark must outlive every risk measured before it that could still block: the instance's
     * own verdict and the shared risks (the key's, its tenant's) held in the local view, which stay
     * there after Redis expired them, decaying with the engine's half-life (1 h, not configurable:
     * {@link EngineSettings#defaults()}). A ladder step may be at any risk from 0 up ({@code at: 0}
     * included), so no threshold bounds that life; a risk of at most 1 is exactly 0 in a double after
     * 1,075 half-lives (about 44.8 days), and the ladder does nothing at 0. Past this horizon the mark
     * spares the key nothing, and a key that queries again is judged on its new evidence.
     */
    static final long UNBLOCK_MARK_HORIZON_MILLIS = Math.max(
            REJOIN_HORIZON_MILLIS,
            1_080 * EngineSettings.defaults().riskHalfLife().toMillis());

    private final InstantSource clock;
    private final ConcurrentHashMap<String, Block> blocks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> unblockedAt = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> revoked = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, KeyRecord> keys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Risk> risks = new ConcurrentHashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    /** A store whose unblock marks age by the system clock. */
    public InMemoryStateStore() {
        this(InstantSource.system());
    }

    /** A store whose unblock marks are kept {@link #UNBLOCK_MARK_HORIZON_MILLIS} by {@code clock}. */
    public InMemoryStateStore(InstantSource clock) {
        this.clock = clock;
    }

    @Override
    public Block block(String keyId, long nowMillis) {
        Block b = blocks.get(keyId);
        if (b == null) {
            return null;
        }
        if (b.untilEpochMillis() <= nowMillis) {
            blocks.remove(keyId, b);
            return null;
        }
        return b;
    }

    @Override
    public Map<String, Block> blocks(long nowMillis) {
        Map<String, Block> live = new HashMap<>();
        blocks.forEach((id, b) -> {
            if (b.untilEpochMillis() > nowMillis) {
                live.put(id, b);
            }
        });
        return live;
    }

    @Override
    public long unblockedAt(String keyId) {
        return unblockedAt.getOrDefault(keyId, 0L);
    }

    @Override
    public boolean revoked(String keyId) {
        return revoked.containsKey(keyId);
    }

    @Override
    public Map<String, Long> revocations() {
        return Map.copyOf(revoked);
    }

    @Override
    public Map<String, KeyRecord> keys() {
        return Map.copyOf(keys);
    }

    @Override
    public CompletionStage<Void> putBlock(Block block) {
        applyBlock(block);
        return changed(block.keyId());
    }

    @Override
    public CompletionStage<Void> unblock(String keyId, long atMillis) {
        applyUnblock(keyId, atMillis);
        return changed(keyId);
    }

    @Override
    public CompletionStage<Void> forget(String keyId) {
        applyForget(keyId);
        return changed(keyId);
    }

    @Override
    public CompletionStage<Void> putKey(KeyRecord key) {
        applyKey(key);
        return changed(key.id());
    }

    @Override
    public CompletionStage<Void> revoke(String keyId, long atMillis) {
        applyRevoke(keyId, atMillis);
        return changed(keyId);
    }

    // --- changes to the local view alone (loading, or a change made on another instance)

    protected void applyBlock(Block block) {
        blocks.put(block.keyId(), block);
    }

    /** Lifts the block and marks the unblock; the marks past the horizon go, so that they stay bounded. */
    protected void applyUnblock(String keyId, long atMillis) {
        blocks.remove(keyId);
        applyUnblockMark(keyId, atMillis);
        pruneUnblockMarks();
    }

    /**
     * Marks an unblock (loading, or a read of the shared view), unless the mark is past the horizon: one
     * that old spares the key nothing, and this instance would keep what it pruned from elsewhere.
     */
    protected void applyUnblockMark(String keyId, long atMillis) {
        if (atMillis >= unblockHorizon()) {
            unblockedAt.put(keyId, atMillis);
        }
    }

    /** The oldest unblock mark kept now (epoch millis): older ones are pruned. */
    protected long unblockHorizon() {
        return clock.millis() - UNBLOCK_MARK_HORIZON_MILLIS;
    }

    /** Drops the unblock marks past the horizon. */
    protected void pruneUnblockMarks() {
        dropMarksBefore(unblockedAt, unblockHorizon());
    }

    /** Drops from {@code marks} (key id to epoch millis) those older than {@code horizonMillis}. */
    static void dropMarksBefore(Map<String, Long> marks, long horizonMillis) {
        marks.values().removeIf(at -> at < horizonMillis);
    }

    protected void applyForget(String keyId) {
        blocks.remove(keyId);
        unblockedAt.remove(keyId);
        risks.remove(keyId);
    }

    protected void applyKey(KeyRecord key) {
        keys.put(key.id(), key);
    }

    protected void applyRevoke(String keyId, long atMillis) {
        revoked.put(keyId, atMillis);
        keys.remove(keyId);
    }

    protected void applyRisk(String id, Risk risk) {
        risks.merge(id, risk, (a, b) -> b.atMillis() >= a.atMillis() ? b : a);
    }

    @Override
    public Risk risk(String id) {
        return risks.get(id);
    }

    @Override
    public CompletionStage<Void> putRisk(String id, Risk risk, long ttlMillis) {
        applyRisk(id, risk);
        return changed(id);
    }

    /** Every shared risk, by id (for persistence). */
    protected Map<String, Risk> risks() {
        return Map.copyOf(risks);
    }

    /** Every unblock mark within the horizon, by key id (for persistence); those past it are pruned first. */
    protected Map<String, Long> unblockMarks() {
        pruneUnblockMarks();
        return Map.copyOf(unblockedAt);
    }

    /** Drops shared risks older than {@code cutoffMillis} (they have decayed to nothing). */
    protected void dropRisksBefore(long cutoffMillis) {
        risks.values().removeIf(r -> r.atMillis() < cutoffMillis);
    }

    @Override
    public void addListener(Consumer<String> onChange) {
        listeners.add(onChange);
    }

    /** Tells the listeners; subclasses that persist override this to persist too, after calling it. */
    protected CompletionStage<Void> changed(String keyId) {
        notifyListeners(keyId);
        return CompletableFuture.completedFuture(null);
    }

    /** Tells the listeners alone (a change that arrived from another instance). */
    protected void notifyListeners(String keyId) {
        for (Consumer<String> l : listeners) {
            l.accept(keyId);
        }
    }

    @Override
    public void close() {}
}
