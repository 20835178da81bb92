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
        blocks.put(block.keyId(), block);
        return changed(block.keyId());
    }

    @Override
    public CompletionStage<Void> unblock(String keyId, long atMillis) {
        blocks.remove(keyId);
        unblockedAt.put(keyId, atMillis);
        return changed(keyId);
    }

    @Override
    public CompletionStage<Void> forget(String keyId) {
        blocks.remove(keyId);
        unblockedAt.remove(keyId);
        return changed(keyId);
    }

    @Override
    public CompletionStage<Void> putKey(KeyRecord key) {
        keys.put(key.id(), key);
        return changed(key.id());
    }

    @Override
    public CompletionStage<Void> revoke(String keyId, long atMillis) {
        revoked.put(keyId, atMillis);
        keys.remove(keyId);
        return changed(keyId);
    }

    @Override
    public void addListener(Consumer<String> onChange) {
        listeners.add(onChange);
    }

    /** Tells the listeners; subclasses that persist call this after the local view changed. */
    protected CompletionStage<Void> changed(String keyId) {
        for (Consumer<String> l : listeners) {
            l.accept(keyId);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {}
}
