package dev.moat.detectors.engine;

import dev.moat.detectors.Detector;
import dev.moat.detectors.DetectorScore;
import java.util.Map;

/**
 * What the engine keeps for one key (or one tenant) under one detector profile: the per-detector
 * states, the last published scores, and the decaying risk ({@link KeyEntry} holds one per profile). Owned by exactly one worker thread; never locked.
 */
final class KeyState {

    final DetectorProfile profile;
    final Detector<Object>[] detectors;
    final Object[] states;
    final double[] lastScores;
    /** This event's scores, before they are published (no allocation per event). */
    final double[] scratch;

    final DetectorScore[] lastScored;
    final boolean[] alerted;
    Map<String, DetectorScore> published = Map.of();
    int eventsSinceReasons;
    long queries;
    /** The query count the published reasons were written at (what a verdict reports). */
    long queriesAtReasons;
    /** The time of the last event scored (what a late reason refresh is written at). */
    long lastEventMillis;

    double risk;
    double maxScore;
    long riskAt;
    /** Tenants only: hashes of the distinct keys seen, bounded. */
    long[] keyHashes;
    /** Tenant states: the ids of those keys, so a rise of the tenant's level reaches keys that send no more. */
    String[] keyIds;

    int keyCount;

    @SuppressWarnings("unchecked")
    KeyState(DetectorProfile profile, Detector<?>[] detectors) {
        this.profile = profile;
        this.detectors = (Detector<Object>[]) detectors;
        this.states = new Object[detectors.length];
        for (int i = 0; i < detectors.length; i++) {
            states[i] = this.detectors[i].newState();
        }
        this.lastScores = new double[detectors.length];
        this.scratch = new double[detectors.length];
        java.util.Arrays.fill(lastScores, -1);
        this.lastScored = new DetectorScore[detectors.length];
        this.alerted = new boolean[detectors.length];
    }

    void update(double[] input, double[] prediction, long timeMillis) {
        for (int i = 0; i < detectors.length; i++) {
            detectors[i].update(states[i], input, prediction, timeMillis);
        }
    }

    /** Counts a distinct key of a tenant (up to 64 remembered), returning how many were seen. */
    int noteKey(String keyId) {
        if (keyHashes == null) {
            keyHashes = new long[64];
            keyIds = new String[64];
        }
        long h = keyId.hashCode() * 0x9E3779B97F4A7C15L | 1;
        for (int i = 0; i < keyCount; i++) {
            if (keyHashes[i] == h) {
                return keyCount;
            }
        }
        if (keyCount < keyHashes.length) {
            keyIds[keyCount] = keyId;
            keyHashes[keyCount++] = h;
        }
        return keyCount;
    }
}
