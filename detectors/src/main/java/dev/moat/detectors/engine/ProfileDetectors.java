package dev.moat.detectors.engine;

import dev.moat.detectors.Detector;
import dev.moat.detectors.DetectorScore;
import dev.moat.detectors.tenant.TenantProfile;

/**
 * One worker's detector instances for one profile and what every key scored under them shares:
 * their names (and the tenant entry's, for the published {@link dev.moat.detectors.DetectorScores})
 * and a scratch array for an event's scores. Owned by the worker's thread, like the keys.
 *
 * <p>It also remembers the scores it published last, by hash, in a small fixed table: a key whose
 * new score and reason equal one in the table gets that (immutable) instance, so keys in the same
 * state (light keys "collecting distances after 20 queries", "reference still learning") share one
 * score and one string instead of keeping a copy each. Nothing is looked up per event: only when
 * reasons are rebuilt.
 */
final class ProfileDetectors {

    final Detector<Object>[] list;
    /** The detector names, then the tenant's. */
    final String[] names;
    /** An event's scores before they are published (no allocation per event, nothing per key). */
    final double[] scratch;
    /** The highest of the last event's scores (read right after they are taken; nothing per key). */
    double maxScore;

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

    private static final int RECENT = 512;
    private final DetectorScore[] recent = new DetectorScore[RECENT];

    /** A score with this value and reason: a remembered equal one, or a new one (then remembered). */
    DetectorScore score(double score, String reason) {
        long bits = Double.doubleToLongBits(score);
        int h = reason.hashCode() * 31 + Long.hashCode(bits);
        int at = (h ^ (h >>> 16)) & (RECENT - 1);
        DetectorScore d = recent[at];
        if (d != null
                && Double.doubleToLongBits(d.score()) == bits
                && d.reason().equals(reason)) {
            return d;
        }
        d = new DetectorScore(score, reason);
        recent[at] = d;
        return d;
    }
}
