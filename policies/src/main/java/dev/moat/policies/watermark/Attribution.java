package dev.moat.policies.watermark;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Names who leaked: tests a suspect against each key's (or tenant's) ledger entries separately and
 * corrects the p-values for the number of owners tested (Holm's step-down method, which controls
 * the family-wise error rate like Bonferroni and is never less powerful).
 *
 * <p>Why per owner: with the watermark label keyed by the owner (see {@link Watermarker}), a copy
 * trained on key A's answers matches A's labels far above chance and any other key's labels at
 * chance (their labels for the same inputs are independent draws from the wrong labels). Testing
 * k owners gives a false claim k chances, hence the correction: an owner is claimed when its
 * Holm-adjusted p-value is below the threshold.
 *
 * @param verdictClaimed whether any owner is claimed
 * @param owners         one result per owner, smallest adjusted p-value first
 * @param threshold      the family-wise false-claim bound
 * @param by             {@code key} or {@code tenant}
 */
public record Attribution(boolean verdictClaimed, List<Owner> owners, double threshold, String by) {

    /**
     * One owner's test.
     *
     * @param owner          key id or tenant ({@code null} for entries without a key)
     * @param verification   the uncorrected test of this owner's entries
     * @param log10Adjusted  log10 of the Holm-adjusted p-value
     * @param claimed        {@code adjusted p < threshold}
     */
    public record Owner(String owner, Verification verification, double log10Adjusted, boolean claimed) {
        public double adjustedPValue() {
            return Math.pow(10, log10Adjusted);
        }
    }

    /** The owner with the smallest adjusted p-value, or null when the ledger was empty. */
    public Owner best() {
        return owners.isEmpty() ? null : owners.get(0);
    }

    /** The owners claimed. */
    public List<String> claimed() {
        return owners.stream().filter(Owner::claimed).map(Owner::owner).toList();
    }

    /**
     * Scores a suspect's labels per owner.
     *
     * @param verifier     the single-owner verifier (threshold, chance rate, grid)
     * @param entries      the whole ledger (duplicates allowed)
     * @param by           {@code key} or {@code tenant}
     * @param suspectLabel the suspect's label for each input of {@code verifier.distinct(entries)}
     *                     (negative where it gave none): each distinct input is asked once
     */
    public static Attribution score(
            WatermarkVerifier verifier,
            List<LedgerEntry> entries,
            String by,
            List<LedgerEntry> asked,
            int[] suspectLabel) {
        Map<ByteBuffer, Integer> answer = new HashMap<>();
        for (int i = 0; i < asked.size(); i++) {
            answer.put(verifier.key(asked.get(i)), suspectLabel[i]);
        }
        Map<String, List<LedgerEntry>> byOwner = new LinkedHashMap<>();
        for (LedgerEntry e : entries) {
            byOwner.computeIfAbsent(e.owner(by), k -> new ArrayList<>()).add(e);
        }
        List<Verification> results = new ArrayList<>();
        List<String> names = new ArrayList<>();
        byOwner.forEach((owner, list) -> {
            List<LedgerEntry> unique = verifier.distinct(list);
            int[] labels = new int[unique.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = answer.getOrDefault(verifier.key(unique.get(i)), -1);
            }
            names.add(owner);
            results.add(verifier.verify(unique, labels));
        });
        return holm(names, results, verifier.threshold(), by);
    }

    /** Holm's step-down adjustment in log space: p_(j) * (k - j), made monotone, capped at 1. */
    static Attribution holm(List<String> names, List<Verification> results, double threshold, String by) {
        int k = results.size();
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(
                order, Comparator.comparingDouble(i -> results.get(i).log10PValue()));
        List<Owner> owners = new ArrayList<>();
        double running = Double.NEGATIVE_INFINITY;
        double logThreshold = Math.log10(threshold);
        boolean stillClaiming = true;
        for (int j = 0; j < k; j++) {
            Verification v = results.get(order[j]);
            double adjusted = Math.min(0.0, v.log10PValue() + Math.log10(k - j));
            running = Math.max(running, adjusted);
            boolean claimed = stillClaiming && running < logThreshold;
            stillClaiming = claimed;
            owners.add(new Owner(names.get(order[j]), v, running, claimed));
        }
        return new Attribution(owners.stream().anyMatch(Owner::claimed), List.copyOf(owners), threshold, by);
    }
}
