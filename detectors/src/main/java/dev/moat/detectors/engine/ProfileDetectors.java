package dev.moat.detectors.engine;

import dev.moat.detectors.Detector;
import dev.moat.detectors.tenant.TenantProfile;

/**
 * One worker's detector instances for one profile and what every key scored under them shares:
 * their names (and the tenant entry's, for the published {@link dev.moat.detectors.DetectorScores})
 * and a scratch array for an event's scores. Owned by the worker's thread, like the keys.
 */
final class ProfileDetectors {

    final Detector<Object>[] list;
    /** The detector names, then the tenant's. */
    final String[] names;
    /** An event's scores before they are published (no allocation per event, nothing per key). */
    final double[] scratch;

    @SuppressWarnings("unchecked")
    ProfileDetectors(Detector<?>[] detectors) {
        if (detectors.length > 64) {
            throw new IllegalArgumentException(detectors.length + " detectors in one profile (at most 64)");
        }
        this.list = (Detector<Object>[]) detectors;
        this.names = new String[detectors.length + 1];
        for (int i = 0; i < detectors.length; i++) {
            names[i] = detectors[i].name();
        }
        names[detectors.length] = TenantProfile.NAME;
        this.scratch = new double[detectors.length];
    }
}
