package dev.moat.gateway.state;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * What must outlive a process and hold on every instance: blocks (from the ladder or an operator),
 * the time a key was last unblocked, revocations, and keys made or rotated at runtime. YAML keys stay
 * the declarative source; this store is the overlay of runtime changes on top of them.
 *
 * <p>Reads come from a local view: O(1), never block, safe from any thread (the request path calls
 * them on the event loop). Writes apply to the local view at once and then persist (the local state
 * file, written atomically, or Redis, pushed to the other instances); the returned stage completes
 * when the change is durable. Implementations: {@link InMemoryStateStore} (tests, nothing persisted),
 * a local state file (one instance), Redis (several instances).
 */
public interface StateStore extends AutoCloseable {

    /**
     * How a change's stage fails when the change applies on this instance and the shared store
     * (Redis) holds it only later: it was unreachable, and the change waits, in order, to be written
     * when it answers again. Not a failure of the change: the caller says it is pending.
     */
    final class Deferred extends IllegalStateException {
        public Deferred(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A key blocked until a time.
     *
     * @param source {@code ladder} (the escalation ladder's block step) or {@code admin}
     */
    record Block(String keyId, long untilEpochMillis, String reason, String source) {}

    /**
     * A key made or changed at runtime. For a YAML key, a record with the same id overrides its
     * digest, tier and tenant (a rotation of a YAML key). {@code previousSha256} stays valid until
     * {@code previousValidUntilMillis} (rotation grace; null and 0 when none). {@code expiresAtMillis}
     * 0 means the key never expires.
     */
    record KeyRecord(
            String id,
            String sha256,
            String tier,
            String tenant,
            long expiresAtMillis,
            String previousSha256,
            long previousValidUntilMillis,
            long createdAtMillis) {}

    /**
     * A risk shared between instances: the highest risk an instance's detectors gave a key (or a
     * tenant, id {@code tenant:NAME}) at a time. Readers decay it with the engine's half-life.
     */
    record Risk(double risk, long atMillis) {}

    /** The block in force for a key, or null when none (or it has expired). */
    Block block(String keyId, long nowMillis);

    /** Every block in force, by key id. */
    Map<String, Block> blocks(long nowMillis);

    /** When an operator last unblocked the key (epoch millis), or 0. */
    long unblockedAt(String keyId);

    /** True when the key id has been revoked (a revoked id answers 401, whatever the YAML says). */
    boolean revoked(String keyId);

    /** Revoked key ids with the time of revocation. */
    Map<String, Long> revocations();

    /** Runtime keys and overrides, by id. */
    Map<String, KeyRecord> keys();

    CompletionStage<Void> putBlock(Block block);

    /** Lifts a block and records when (the ladder needs newer evidence to block again). */
    CompletionStage<Void> unblock(String keyId, long atMillis);

    /** Forgets a key's block and unblock mark (an operator's reset). */
    CompletionStage<Void> forget(String keyId);

    /** Creates or replaces a runtime key (create, rotate, change of tier). */
    CompletionStage<Void> putKey(KeyRecord key);

    /** Revokes a key id for good (and drops its runtime record). */
    CompletionStage<Void> revoke(String keyId, long atMillis);

    /** The shared risk of a key or tenant id, or null when none is known. */
    default Risk risk(String id) {
        return null;
    }

    /**
     * Publishes a risk (a key's or a tenant's) so every instance applies the same ladder step. Kept
     * until {@code ttlMillis} after {@code risk.atMillis()}.
     */
    default CompletionStage<Void> putRisk(String id, Risk risk, long ttlMillis) {
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    /** How the store's backing reaches its data: {@code memory}, {@code file}, {@code redis-up}, {@code redis-down}. */
    default String health() {
        return "memory";
    }

    /**
     * Called after every change, local or from another instance, with the key id it touched. Called
     * on a store thread (or the writer's); listeners must be quick and never block.
     */
    void addListener(Consumer<String> onChange);

    /**
     * Called with a key id when another instance forgot the key (an operator's reset made there):
     * this instance forgets its own evidence of the key too, since the load balancer may have sent
     * the key's queries here. Called before the view here drops the key's block and risk. Only
     * stores shared between instances call it; called on a store thread, so listeners must be quick
     * and never block.
     */
    default void addResetListener(Consumer<String> onReset) {}

    @Override
    void close();
}
