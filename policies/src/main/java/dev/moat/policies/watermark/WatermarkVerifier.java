package dev.moat.policies.watermark;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * Decides whether a suspect model was trained on our watermarked answers (DAWN verification,
 * Szyller et al., ACM MM 2021): ask it for the ledger's inputs, count m matches with the watermark
 * labels among n, and claim ownership when P[X &gt;= m] for X ~ Binomial(n, p) is below a threshold
 * ({@link #DEFAULT_THRESHOLD} = 1e-6).
 *
 * <p><b>Chance rate p = 1/(C-1).</b> For a model that never saw our answers, the watermark label
 * y' is, over the secret key, uniform over the C - 1 labels other than the true top-1 y and
 * independent of the model. So the model matches with probability 1/(C-1) when it predicts some
 * wrong label and 0 when it predicts y: at most 1/(C-1) per input, whatever the model. 1/C (DAWN's
 * worked example uses 0.1 for 10 classes) would understate it for a model that is often wrong.
 * When entries have different C the smallest C (largest p) is used; a caller may override p.
 *
 * <p>Entries with the same canonical input are tested once (the watermark is deterministic, so
 * repeats are not independent trials). Pure logic: the gateway's CLI does the HTTP querying.
 */
public final class WatermarkVerifier {

    public static final double DEFAULT_THRESHOLD = 1e-6;

    private final double threshold;
    private final double chanceRateOverride;
    private final CanonicalInput canonical;

    /** Threshold 1e-6, chance rate 1/(C-1), the default grid. */
    public WatermarkVerifier() {
        this(DEFAULT_THRESHOLD, Double.NaN, CanonicalInput.defaultGrid());
    }

    /**
     * @param threshold  claim when the p-value is below this, in (0, 1)
     * @param chanceRate p to use instead of 1/(C-1), or NaN for 1/(C-1)
     * @param canonical  the grid the watermarker used
     */
    public WatermarkVerifier(double threshold, double chanceRate, CanonicalInput canonical) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold: " + threshold + " (expected: between 0 and 1)");
        }
        if (!Double.isNaN(chanceRate) && !(chanceRate > 0 && chanceRate < 1)) {
            throw new IllegalArgumentException("chance rate: " + chanceRate + " (expected: between 0 and 1)");
        }
        this.threshold = threshold;
        this.chanceRateOverride = chanceRate;
        this.canonical = canonical;
    }

    /** The entries whose canonical input appears first, in ledger order: what to send the suspect. */
    public List<LedgerEntry> distinct(List<LedgerEntry> entries) {
        Set<ByteBuffer> seen = new HashSet<>();
        List<LedgerEntry> out = new ArrayList<>();
        for (LedgerEntry e : entries) {
            if (seen.add(key(e))) {
                out.add(e);
            }
        }
        return out;
    }

    /** The canonical form of an entry's input, as a map key. */
    ByteBuffer key(LedgerEntry e) {
        return ByteBuffer.wrap(canonical.encode(e.inputView()));
    }

    public double threshold() {
        return threshold;
    }

    /**
     * Tests a suspect per key (or tenant, {@code by}) with the family-wise correction; asks the
     * suspect once per distinct input of the whole ledger.
     */
    public Attribution attribute(List<LedgerEntry> entries, String by, ToIntFunction<double[]> suspect) {
        List<LedgerEntry> asked = distinct(entries);
        int[] labels = new int[asked.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = suspect.applyAsInt(asked.get(i).inputView());
        }
        return Attribution.score(this, entries, by, asked, labels);
    }

    /**
     * Tests a suspect.
     *
     * @param entries the ledger (duplicates allowed)
     * @param suspect the suspect's top-1 label for an input, or a negative number when it gave none
     */
    public Verification verify(List<LedgerEntry> entries, ToIntFunction<double[]> suspect) {
        List<LedgerEntry> unique = distinct(entries);
        int[] labels = new int[unique.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = suspect.applyAsInt(unique.get(i).input());
        }
        return score(unique, labels, entries.size() - unique.size());
    }

    /**
     * Scores answers the caller already collected for {@code distinct(entries)}.
     *
     * @param unique       the result of {@link #distinct}
     * @param suspectLabel the suspect's label for each, negative where it gave none
     */
    public Verification verify(List<LedgerEntry> unique, int[] suspectLabel) {
        if (suspectLabel.length != unique.size()) {
            throw new IllegalArgumentException(suspectLabel.length + " labels for " + unique.size() + " entries");
        }
        List<LedgerEntry> checked = distinct(unique);
        if (checked.size() != unique.size()) {
            throw new IllegalArgumentException("entries repeat a canonical input: pass distinct(entries)");
        }
        return score(unique, suspectLabel, 0);
    }

    private Verification score(List<LedgerEntry> unique, int[] labels, int duplicates) {
        int n = unique.size();
        int matches = 0;
        int unanswered = 0;
        int minClasses = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            LedgerEntry e = unique.get(i);
            minClasses = Math.min(minClasses, e.classes());
            if (labels[i] < 0) {
                unanswered++;
            } else if (labels[i] == e.label()) {
                matches++;
            }
        }
        double p = !Double.isNaN(chanceRateOverride) ? chanceRateOverride : n == 0 ? 1.0 : 1.0 / (minClasses - 1);
        double logP = n == 0 ? 0.0 : BinomialTail.logPValue(n, matches, p);
        boolean claimed = logP < Math.log(threshold);
        return new Verification(
                n, matches, unanswered, duplicates, p, Math.exp(logP), logP / Math.log(10), threshold, claimed);
    }
}
