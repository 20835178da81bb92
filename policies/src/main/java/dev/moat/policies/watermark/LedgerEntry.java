package dev.moat.policies.watermark;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One watermarked answer as kept in the ledger: the query's features, the watermark label it was
 * given, how many classes the answer had, the API key id and its tenant, and the time. The
 * verifier later asks a suspect model for these inputs and counts how often it says {@code label};
 * the key (or tenant) names who the label was keyed for, so a match names who leaked.
 *
 * @param input   the query's features as received (copied)
 * @param label   the watermark label y' written into the answer
 * @param classes the number of classes C of the answer (2 for a single-column binary answer)
 * @param key     the API key id, or {@code null}
 * @param tenant  the key's tenant, or {@code null}
 * @param time    when the query arrived
 */
public record LedgerEntry(double[] input, int label, int classes, String key, String tenant, Instant time) {

    public LedgerEntry {
        input = input.clone();
        if (classes < 2 || label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " of " + classes + " classes");
        }
        Objects.requireNonNull(time, "time");
    }

    /** An entry without a tenant. */
    public LedgerEntry(double[] input, int label, int classes, String key, Instant time) {
        this(input, label, classes, key, null, time);
    }

    /** A copy of the features. */
    @Override
    public double[] input() {
        return input.clone();
    }

    /** The features without copying; callers must not modify them. */
    double[] inputView() {
        return input;
    }

    /** Who the entry is attributed to under {@code by} ("key" or "tenant"); the key when it has no tenant. */
    public String owner(String by) {
        return "tenant".equals(by) && tenant != null ? tenant : key;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LedgerEntry e
                && label == e.label
                && classes == e.classes
                && Arrays.equals(input, e.input)
                && Objects.equals(key, e.key)
                && Objects.equals(tenant, e.tenant)
                && time.equals(e.time);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(input), label, classes, key, tenant, time);
    }

    @Override
    public String toString() {
        return "LedgerEntry[input=" + Arrays.toString(input) + ", label=" + label + ", classes=" + classes + ", key="
                + key + ", tenant=" + tenant + ", time=" + time + "]";
    }
}
