package dev.moat.detectors.engine;

import dev.moat.detectors.Detector;
import dev.moat.detectors.DetectorScore;
import dev.moat.detectors.DetectorScores;
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
        this.empty = new DetectorScores(names, new DetectorScore[0], 0);
    }

    /** The scores of a key before its first publication (shared by every key of the run). */
    final DetectorScores empty;

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

    private static final int RECENT_MAPS = 512;
    private final DetectorScores[] recentMaps = new DetectorScores[RECENT_MAPS];

    /**
     * The published map of these n scores (the first n names): a remembered one holding the very
     * same score instances, or a new one over {@code fresh} (then remembered). Keys in the same
     * state share their map as they share their scores; a map is immutable, so sharing it changes
     * nothing a reader sees.
     */
    DetectorScores scores(DetectorScore[] fresh, int n) {
        int h = n;
        for (int i = 0; i < n; i++) {
            h = h * 31 + System.identityHashCode(fresh[i]);
        }
        int at = (h ^ (h >>> 16)) & (RECENT_MAPS - 1);
        DetectorScores m = recentMaps[at];
        if (m != null && m.size() == n) {
            boolean same = true;
            for (int i = 0; i < n && same; i++) {
                same = m.scoreAt(i) == fresh[i];
            }
            if (same) {
                return m;
            }
        }
        m = new DetectorScores(names, fresh, n);
        recentMaps[at] = m;
        return m;
    }
}
