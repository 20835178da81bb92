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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A {@link StateStore} that keeps everything in memory: one instance, nothing survives a restart.
 *
 * <p>What is kept, and for how long: blocks until they end (dropped when read after that), unblock
 * marks for {@link #UNBLOCK_MARK_HORIZON_MILLIS}, revocations and runtime keys for good, and each shared
 * risk until the time to live it was put with runs out ({@link #SHARED_RISK_LIFE_MILLIS} for the
 * gateway's; one read from Redis, until its entry there expires). A shared risk past its life reads as
 * none at once and is dropped from memory by the next prune: at most once a {@link
 * #RISK_PRUNE_INTERVAL_MILLIS minute}, on a risk's arrival (put here, read from Redis or the state file,
 * or published by another instance), and before the risks are persisted or written back ({@link
 * #risks()}, {@link #heldRisks()}), so that no request scans the map.
 */
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
     * own verdict, kept while the key queries within {@code detection.expire_after_idle} (which has no
     * upper bound), decaying with the engine's half-life (1 h, not configurable: {@link
     * EngineSettings#defaults()}). (The shared risks of the key and its tenant go after {@link
     * #SHARED_RISK_LIFE_MILLIS}, 8 half-lives.) A ladder step may be at any risk from 0 up ({@code at:
     * 0} included), so no threshold bounds that life; a risk of at most 1 is exactly 0 in a double after
     * 1,075 half-lives (about 44.8 days), and the ladder does nothing at 0. Past this horizon the mark
     * spares the key nothing, and a key that queries again is judged on its new evidence.
     */
    static final long UNBLOCK_MARK_HORIZON_MILLIS = Math.max(
            REJOIN_HORIZON_MILLIS,
            1_080 * EngineSettings.defaults().riskHalfLife().toMillis());

    /**
     * How long a shared risk the gateway publishes lives, here, in the state file and in Redis ({@code
     * moat:risk:ID}): 8 risk half-lives (8 h at the engine's 1 h, not configurable: {@link
     * EngineSettings#defaults()}), when less than 1/256 of it is left. {@code Defences} publishes with it
     * as time to live, and a risk loaded from the state file, which keeps no time to live, is given it.
     * Past it the risk reads as none: a ladder step under about 0.004 (1/256 of a risk of 1) acted on what
     * was left of it before, and no longer does.
     */
    public static final long SHARED_RISK_LIFE_MILLIS =
            8 * EngineSettings.defaults().riskHalfLife().toMillis();

    /** The least time between two prunes of the shared risks on their arrival (one scan of the map each). */
    static final long RISK_PRUNE_INTERVAL_MILLIS = TimeUnit.MINUTES.toMillis(1);

    /** A shared risk held here, and when it expires (epoch millis): from then on it reads as none. */
    protected record HeldRisk(Risk risk, long untilMillis) {}

    private final InstantSource clock;
    private final ConcurrentHashMap<String, Block> blocks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> unblockedAt = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> revoked = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, KeyRecord> keys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, HeldRisk> risks = new ConcurrentHashMap<>();
    /** When the shared risks are next pruned on a risk's arrival (epoch millis). */
    private final AtomicLong nextRiskPrune = new AtomicLong();

    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    /** A store whose unblock marks and shared risks age by the system clock. */
    public InMemoryStateStore() {
        this(InstantSource.system());
    }

    /**
     * A store whose unblock marks are kept {@link #UNBLOCK_MARK_HORIZON_MILLIS} by {@code clock}, and its
     * shared risks until their time to live has passed by it.
     */
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

    /**
     * Holds a shared risk until {@code untilMillis} unless a newer one is held (a put here, a read of
     * Redis or of the state file, another instance's publish). One already expired is not taken. Prunes
     * the expired risks when the last prune is a {@link #RISK_PRUNE_INTERVAL_MILLIS minute} old.
     */
    protected void applyRisk(String id, Risk risk, long untilMillis) {
        long now = clock.millis();
        if (untilMillis > now) {
            HeldRisk held = new HeldRisk(risk, untilMillis);
            risks.merge(id, held, (a, b) -> b.risk().atMillis() >= a.risk().atMillis() ? b : a);
        }
        long next = nextRiskPrune.get();
        if (now >= next && nextRiskPrune.compareAndSet(next, now + RISK_PRUNE_INTERVAL_MILLIS)) {
            pruneRisks(now);
        }
    }

    /** The shared risk of {@code id}, or null when none is held or it has expired (then it is dropped). */
    @Override
    public Risk risk(String id) {
        HeldRisk held = risks.get(id);
        if (held == null) {
            return null;
        }
        if (held.untilMillis() <= clock.millis()) {
            risks.remove(id, held);
            return null;
        }
        return held.risk();
    }

    /** Holds the risk until {@code ttlMillis} after it was measured. */
    @Override
    public CompletionStage<Void> putRisk(String id, Risk risk, long ttlMillis) {
        applyRisk(id, risk, risk.atMillis() + ttlMillis);
        return changed(id);
    }

    /** Every live shared risk, by id (for persistence); the expired ones are pruned first. */
    protected Map<String, Risk> risks() {
        Map<String, Risk> live = new HashMap<>();
        heldRisks().forEach((id, held) -> live.put(id, held.risk()));
        return live;
    }

    /** Every live shared risk with when it expires, by id; the expired ones are pruned first. */
    protected Map<String, HeldRisk> heldRisks() {
        pruneRisks(clock.millis());
        return Map.copyOf(risks);
    }

    /** Drops the shared risks expired at {@code nowMillis}: they read as none already. */
    private void pruneRisks(long nowMillis) {
        risks.values().removeIf(held -> held.untilMillis() <= nowMillis);
    }

    /** Every unblock mark within the horizon, by key id (for persistence); those past it are pruned first. */
    protected Map<String, Long> unblockMarks() {
        pruneUnblockMarks();
        return Map.copyOf(unblockedAt);
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
