package dev.moat.gateway.state;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A {@link StateStore} that keeps everything in memory: one instance, nothing survives a restart. */
public class InMemoryStateStore implements StateStore {

    private final ConcurrentHashMap<String, Block> blocks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> unblockedAt = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> revoked = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, KeyRecord> keys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Risk> risks = new ConcurrentHashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

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

    protected void applyUnblock(String keyId, long atMillis) {
        blocks.remove(keyId);
        unblockedAt.put(keyId, atMillis);
    }

    protected void applyUnblockMark(String keyId, long atMillis) {
        unblockedAt.put(keyId, atMillis);
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

    /** Every unblock mark, by key id (for persistence). */
    protected Map<String, Long> unblockMarks() {
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
