package dev.moat.detectors.engine;

import dev.moat.detectors.Detector;
import dev.moat.detectors.DetectorScores;

/**
 * What the engine keeps for one key (or one tenant) under one detector profile: the per-detector
 * states, the last published scores, and the decaying risk ({@link KeyEntry} holds one per profile). Owned by exactly one worker thread; never locked.
 */
class KeyState {

    final DetectorProfile profile;
    /** The worker's detectors for the profile (shared by its keys). */
    final ProfileDetectors run;

    /** The run's detectors (not a field: one reference less per key). */
    Detector<Object>[] detectors() {
        return run.list;
    }

    final Object[] states;
    /** Bit i: detector i has alerted and not yet dropped below half the suspicious threshold. */
    long alerted;
    /** The scores last published, in detector order (then the tenant's, for a key of a tenant). */
    DetectorScores published;

    int eventsSinceReasons;
    long queries;
    /** The query count the published reasons were written at (what a verdict reports). */
    long queriesAtReasons;
    /** The time of the last event scored (what a late reason refresh is written at). */
    long lastEventMillis;

    double risk;
    long riskAt;

    KeyState(DetectorProfile profile, ProfileDetectors run) {
        this.profile = profile;
        this.run = run;
        Detector<Object>[] detectors = run.list;
        this.states = new Object[detectors.length];
        for (int i = 0; i < detectors.length; i++) {
            states[i] = detectors[i].newState();
        }
        this.published = run.empty;
    }

    /**
     * The score last published for detector i, or -1 before the first publication (the published
     * map holds every detector's score once published, so the key keeps no copy of them).
     */
    double lastScore(int i) {
        return published.size() > i ? published.scoreAt(i).score() : -1;
    }

    void update(double[] input, double[] prediction, long timeMillis) {
        Detector<Object>[] detectors = run.list;
        for (int i = 0; i < detectors.length; i++) {
            detectors[i].update(states[i], input, prediction, timeMillis);
        }
    }

    /** A tenant's state: also the distinct keys seen (the per-key states have no such fields). */
    static final class TenantState extends KeyState {
        /** Hashes of the distinct keys seen, bounded. */
        long[] keyHashes;
        /** The ids of those keys, so a rise of the tenant's level reaches keys that send no more. */
        String[] keyIds;

        int keyCount;

        TenantState(DetectorProfile profile, ProfileDetectors run) {
            super(profile, run);
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
}
