package dev.moat.policies.watermark;

/**
 * The outcome of testing a suspect model against the watermark ledger.
 *
 * @param n           distinct watermarked inputs tested
 * @param matches     m: how many the suspect labelled with the watermark label
 * @param unanswered  inputs the suspect gave no label for (counted in n, not in m)
 * @param duplicates  ledger entries skipped because their canonical input was already tested
 * @param chanceRate  p: the probability that a model independent of the watermark matches
 * @param pValue      P[X &gt;= m], X ~ Binomial(n, p): the chance of this many matches by accident
 * @param log10PValue the same in log10, finite even where {@code pValue} underflows to 0
 * @param threshold   the p-value below which ownership is claimed
 * @param claimed     whether {@code pValue < threshold}
 */
public record Verification(
        int n,
        int matches,
        int unanswered,
        int duplicates,
        double chanceRate,
        double pValue,
        double log10PValue,
        double threshold,
        boolean claimed) {

    /** The share of tested inputs that matched. */
    public double matchRate() {
        return n == 0 ? 0.0 : (double) matches / n;
    }

    /** One-line summary for the CLI. */
    public String summary() {
        return String.format(
                java.util.Locale.ROOT,
                "matches %d/%d (%.1f%%), chance rate %.4g, p-value %.3g (log10 %.2f), threshold %.3g: %s",
                matches,
                n,
                100 * matchRate(),
                chanceRate,
                pValue,
                log10PValue,
                threshold,
                claimed ? "WATERMARK PRESENT (claimed)" : "not claimed");
    }
}
