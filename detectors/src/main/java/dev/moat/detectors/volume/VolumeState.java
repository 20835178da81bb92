package dev.moat.detectors.volume;

/**
 * One key's volume state: two EWMA counters, which of the last 60 minutes were active (a bit each),
 * an hour ring. A light key has no ring (24 ints): while its queries of the last 24 hours all fall
 * in one hour bucket and number fewer than {@link #RING_AFTER}, {@code thisHour} counts them. The
 * current minute and hour are those of {@code lastMillis} (the latest query time), not fields.
 */
final class VolumeState {
    long lastMillis = Long.MIN_VALUE;
    double shortCount;
    double longCount;
    /** Bit m: the minute whose index is m modulo 60 had a query (only activity is used, not counts). */
    long activeMinutes;

    /** Queries before the ring is allocated even within one hour (so a busy key's state stops growing early). */
    static final int RING_AFTER = 64;

    /** Queries per hour bucket (index modulo 24), or null while {@link #thisHour} holds the only non-empty bucket. */
    int[] hours;

    /**
     * Queries in the current hour bucket while {@link #hours} is null (every other bucket is empty):
     * below {@link #RING_AFTER}, so a byte.
     */
    byte thisHour;

    long queries;
    int slot = -1;
    double z = Double.NaN;
    double score;
    /** The score before the {@code max_score} cap (reported when the cap bites). */
    double uncapped;
    /**
     * Whether the key's published risk (see {@link dev.moat.detectors.Detector#observeRisk}) was not below
     * {@link dev.moat.detectors.internal.KeyPopulation#KEY_OK_BELOW}: all that is asked of it (a boolean,
     * not the double: 8 bytes a key).
     */
    boolean keyNotOk;
}
