package dev.moat.detectors.volume;

/** One key's volume state: two EWMA counters, which of the last 60 minutes were active (a bit each), an hour ring. */
final class VolumeState {
    long lastMillis = Long.MIN_VALUE;
    double shortCount;
    double longCount;
    /** Bit m: the minute whose index is m modulo 60 had a query (only activity is used, not counts). */
    long activeMinutes;

    long minuteIndex = Long.MIN_VALUE;
    final int[] hours = new int[24];
    long hourIndex = Long.MIN_VALUE;
    long queries;
    int slot = -1;
    double z = Double.NaN;
    double score;
    /** The key's published risk (see {@link dev.moat.detectors.Detector#observeRisk}). */
    double keyRisk;
}
