package dev.moat.detectors;

import java.util.Map;

/**
 * What the engine currently thinks of a key: its risk in [0, 1], the level that risk maps to, the
 * per-detector scores it came from, how many queries (rows) the key had sent when those scores'
 * reasons were written (so the count agrees with the reasons; under a steady stream it may lag the
 * live count by up to 64 events, and it catches up whenever the key's worker is idle, or at
 * {@code awaitIdle}; a verdict its worker publishes at a new level, the one listeners are given, has
 * its reasons rebuilt at the live count), when the verdict was computed ({@code updatedAtMillis}, from
 * which its risk decays), and when the evidence behind it was measured ({@code evidenceAtMillis}): the
 * same time for a verdict a worker publishes; a verdict that decay alone moved to a lower level on a
 * read is restamped at the read but keeps its evidence's time, so that a risk measured before an
 * operator's unblock does not pass for one measured after it (the ladder's block step strikes only
 * on evidence newer than the unblock). Immutable; workers publish a new one per event.
 */
public record Verdict(
        double risk,
        Level level,
        Map<String, DetectorScore> scores,
        long queries,
        long updatedAtMillis,
        long evidenceAtMillis) {

    /** The verdict of a key the engine has not seen (or has forgotten). */
    public static final Verdict OK = new Verdict(0.0, Level.OK, Map.of(), 0, 0);

    /** A verdict whose evidence was measured when it was computed. */
    public Verdict(double risk, Level level, Map<String, DetectorScore> scores, long queries, long updatedAtMillis) {
        this(risk, level, scores, queries, updatedAtMillis, updatedAtMillis);
    }

    public Verdict {
        // the engine's own immutable map is kept as it is (a copy would cost every key a hash table)
        scores = scores instanceof DetectorScores ? scores : Map.copyOf(scores);
        if (!(risk >= 0.0 && risk <= 1.0)) {
            throw new IllegalArgumentException("risk: " + risk + " (expected: 0..1)");
        }
    }
}
