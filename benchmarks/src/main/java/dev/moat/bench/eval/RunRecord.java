package dev.moat.bench.eval;

import java.util.List;

/**
 * One cell of the evaluation (an attack against a preset), ready for the report.
 *
 * @param firstAlarmAt  attacker rows sent when it was first flagged (level suspicious), or null
 * @param firstBlockAt  attacker rows sent before its first 403, or null
 * @param surrogates    the surrogates trained on what it stole (empty if it stole under 20 rows)
 * @param watermarks    per surrogate, the verdict of the watermark ledger (empty without a ledger)
 * @param independent   the same ledger entries tested on models that never saw the API's answers
 * @param crossRequests chat requests of a cross-policy attacker (0 for the others), with their statuses
 */
public record RunRecord(
        String model,
        String attack,
        String preset,
        boolean labelOnly,
        int keys,
        long rowsSent,
        long rowsAnswered,
        long requests,
        long throttledRequests,
        long blockedRequests,
        Long firstAlarmAt,
        String alarmBy,
        Long firstBlockAt,
        int keysBlocked,
        double maxRisk,
        double attackSeconds,
        List<SurrogateScore> surrogates,
        List<WatermarkCheck> watermarks,
        List<WatermarkCheck> independent,
        int attackerWatermarks,
        List<RunOutcome.Honest> honest,
        long droppedEvents,
        long crossRequests,
        java.util.Map<Integer, Integer> crossStatuses) {

    /** A surrogate's test accuracy and fidelity (top-1 agreement with the served model). */
    public record SurrogateScore(String name, double accuracy, double fidelity) {}

    /** A watermark verification of one suspect model. */
    public record WatermarkCheck(
            String suspect, int n, int matches, double pValue, double log10PValue, boolean claimed) {}

    /** The highest fidelity over the surrogates, or NaN when none was trained. */
    public double bestFidelity() {
        return surrogates.stream().mapToDouble(SurrogateScore::fidelity).max().orElse(Double.NaN);
    }

    public double bestAccuracy() {
        return surrogates.stream().mapToDouble(SurrogateScore::accuracy).max().orElse(Double.NaN);
    }

    /** Honest keys of this run flagged at least suspicious. */
    public long honestFlagged() {
        return honest.stream().filter(RunOutcome.Honest::flagged).count();
    }
}
