package dev.moat.detectors;

import java.util.Map;

/**
 * What the engine currently thinks of a key: its risk in [0, 1], the level that risk maps to, the
 * per-detector scores it came from, how many queries (rows) the key had sent when those scores'
 * reasons were written (so the count agrees with the reasons; under a steady stream it may lag the
 * live count by up to 64 events, and it catches up whenever the key's worker is idle, or at
 * {@code awaitIdle}; a verdict its worker publishes at a new level, the one listeners are given, has
 * its reasons rebuilt at the live count), and when the verdict was computed. Immutable; workers publish a new one per event.
 */
public record Verdict(double risk, Level level, Map<String, DetectorScore> scores, long queries, long updatedAtMillis) {

    /** The verdict of a key the engine has not seen (or has forgotten). */
    public static final Verdict OK = new Verdict(0.0, Level.OK, Map.of(), 0, 0);

    public Verdict {
        // the engine's own immutable map is kept as it is (a copy would cost every key a hash table)
        scores = scores instanceof DetectorScores ? scores : Map.copyOf(scores);
        if (!(risk >= 0.0 && risk <= 1.0)) {
            throw new IllegalArgumentException("risk: " + risk + " (expected: 0..1)");
        }
    }
}
