package dev.moat.detectors.engine;

import java.util.Objects;

/**
 * One finished request/response pair as the gateway hands it to the {@link DetectionEngine}.
 * Rows align: {@code inputs[i]} was answered with {@code predictions[i]}; a batch request has
 * several rows and each row counts as one query. Predictions are the raw probability vectors, before
 * any output transform. The arrays are not copied: the gateway must not change them after submitting
 * (the workers also remember results computed from a row by the row's identity, see {@link
 * dev.moat.detectors.stats.SparseProjection#rememberRowsOnThisThread}).
 *
 * @param keyId       the authenticated API key id (never the secret)
 * @param tenant      the key's tenant, or null when it has none
 * @param route       the route's path prefix, for reasons and audit only
 * @param timeMillis  when the response was sent, from the gateway's clock
 * @param inputs      input feature vectors, one per row
 * @param predictions probability vectors, one per row (may be empty when none could be parsed)
 * @param profile     the detectors the key's policy enables
 */
public record QueryEvent(
        String keyId,
        String tenant,
        String route,
        long timeMillis,
        double[][] inputs,
        double[][] predictions,
        DetectorProfile profile) {

    public QueryEvent {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(predictions, "predictions");
        Objects.requireNonNull(profile, "profile");
        if (inputs.length != predictions.length) {
            throw new IllegalArgumentException("inputs has " + inputs.length + " rows but predictions has "
                    + predictions.length + " (expected: the same number)");
        }
    }

    /** A copy attributed to another tenant (null for none). */
    public QueryEvent withTenant(String newTenant) {
        return new QueryEvent(keyId, newTenant, route, timeMillis, inputs, predictions, profile);
    }

    /** The number of queries (rows) in this event. */
    public int rows() {
        return inputs.length;
    }
}
