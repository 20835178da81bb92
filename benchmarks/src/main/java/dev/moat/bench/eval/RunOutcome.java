package dev.moat.bench.eval;

import dev.moat.policies.watermark.LedgerEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * What one attack-versus-preset run produced on the wire, before any surrogate is trained: the
 * attacker's counters, when the gateway first flagged and first blocked it, the stolen
 * (input, answer) pairs, the honest users' experience, and the watermarks served to the attacker.
 */
final class RunOutcome {

    /** One honest key's experience of the run. */
    record Honest(
            String keyId,
            boolean heavy,
            long rows,
            long answered,
            long rejectedRequests,
            long top1Agree,
            double l1Sum,
            boolean flagged,
            String flaggedBy) {

        double agreement() {
            return answered == 0 ? Double.NaN : (double) top1Agree / answered;
        }
    }

    final String attack;
    final String preset;
    long rowsSent;
    long rowsAnswered;
    long requests;
    long throttledRequests;
    long blockedRequests;
    /** Attacker rows sent when any of its keys first reached level suspicious; -1 if never. */
    long firstAlarmAt = -1;

    String alarmBy = "";
    /** Attacker rows sent before the first 403; -1 if never blocked. */
    long firstBlockAt = -1;

    int keys;
    /** Chat requests of a cross-policy attacker, and their HTTP statuses. */
    long crossRequests;

    final java.util.Map<Integer, Integer> crossStatuses = new java.util.TreeMap<>();
    int keysBlocked;
    double maxRisk;
    double attackSeconds;
    double simulatedSeconds;
    long droppedEvents;
    final List<double[]> stolenX = new ArrayList<>();
    final List<double[]> stolenAnswers = new ArrayList<>();
    final List<Honest> honest = new ArrayList<>();
    List<LedgerEntry> attackerWatermarks = List.of();
    int allWatermarks;

    RunOutcome(String attack, String preset) {
        this.attack = attack;
        this.preset = preset;
    }
}
