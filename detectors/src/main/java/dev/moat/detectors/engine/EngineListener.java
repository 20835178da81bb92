package dev.moat.detectors.engine;

import dev.moat.detectors.Level;
import dev.moat.detectors.Verdict;

/**
 * Hooks the detection engine calls on its worker threads, so the gateway can count alerts and
 * level changes (as Micrometer meters) without this module depending on Micrometer, in the style
 * of Caffeine's {@code StatsCounter}. Every method has a no-op default; implementations must be
 * quick, thread-safe and must not block, since they run on the thread that owns a shard of keys or,
 * for a level lowered by decay alone, on the thread reading the verdict.
 */
public interface EngineListener {

    /** A listener that ignores everything. */
    EngineListener NONE = new EngineListener() {};

    /**
     * A key's level changed: on the worker that owns the key when an event moved it, or on the thread
     * of {@link DetectionEngine#verdict} when risk decay alone lowered it (then before the next event).
     * Each change is reported once.
     */
    default void onLevelChange(String keyId, Level from, Level to, Verdict verdict) {}

    /** A tenant's pooled level changed (also on a reading thread, as for keys); its keys inherit this risk. */
    default void onTenantLevelChange(String tenant, Level from, Level to, Verdict verdict) {}

    /** A detector's score for some key rose to the suspicious threshold or above (one call per episode). */
    default void onAlert(String detector) {}

    /** An event was dropped because its worker's queue was full. */
    default void onDropped() {}

    /**
     * An event's cross-key search was skipped because the store owner's queue was past its share for
     * searches (the event itself was scored by its key's detectors).
     */
    default void onCrossKeyShed() {}

    /**
     * Rows of an event stored by the cross-key store without a search because their key is old and
     * cold and the 1/{@code sample} draw passed them over (called only when there were some).
     */
    default void onCrossKeySampledOut(int rows) {}
}
