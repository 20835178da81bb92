package dev.moat.bench.eval;

import dev.moat.detectors.volume.VolumeDetector;
import java.util.Map;

/**
 * The timing of an attacker who read the volume detector (its README and its defaults): it keeps
 * every rolling 24 hours under {@link #SHARE} of {@code daily_budget} rows, and is active in at
 * most {@link #SESSION_MINUTES} minutes of each hour, because the detector's population score is
 * multiplied by a steadiness factor that is 0 up to 15 active minutes in the last 60. Within its
 * session it spreads its requests evenly.
 */
final class VolumePacer {

    /** Minutes of each hour the attacker is active: under the steadiness factor's 15, with a margin for minute edges. */
    static final int SESSION_MINUTES = 13;
    /** Share of the daily budget it takes. */
    static final double SHARE = 0.95;

    private final double rowsPerHour;
    private final double gap;

    VolumePacer(long dailyBudget, int batch) {
        this.rowsPerHour = SHARE * dailyBudget / 24.0;
        double requestsPerHour = Math.max(1, Math.floor(rowsPerHour / batch));
        this.gap = SESSION_MINUTES * 60.0 / requestsPerHour;
    }

    /** Paced under the volume detector's default parameters. */
    static VolumePacer forDefaults(int batch) {
        return new VolumePacer(VolumeDetector.Settings.from(Map.of()).dailyBudget(), batch);
    }

    double rowsPerDay() {
        return rowsPerHour * 24;
    }

    /** The time of the next request after one at {@code now}, for an attack that started at {@code start}. */
    double next(double now, double start) {
        double t = now + gap;
        double hour = Math.floor((t - start) / 3_600);
        if (t - start - hour * 3_600 > SESSION_MINUTES * 60.0 - gap / 2) {
            t = start + (hour + 1) * 3_600;
        }
        return t;
    }
}
