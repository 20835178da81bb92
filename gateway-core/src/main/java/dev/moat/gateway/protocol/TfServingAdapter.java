package dev.moat.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import dev.moat.gateway.protocol.internal.NumericArrays;
import dev.moat.gateway.protocol.internal.StreamingAnswer;
import dev.moat.gateway.protocol.internal.StreamingRows;
import io.netty.buffer.ByteBuf;

/**
 * TensorFlow Serving's (and KServe v1's) row format: requests {@code {"instances": [...]}} or
 * {@code {"inputs": [...]}}, answers {@code {"predictions": [[p0, ..., pk], ...]}} (or, to an
 * {@code inputs} request, TF Serving's columnar {@code {"outputs": [[...], ...]}}; an answer with
 * both is malformed). Instances and
 * prediction rows may be nested (an 8x8 image is one 64-feature row); a request whose array holds
 * plain numbers is one instance. A {@code signature_name} other than {@code serving_default} is
 * refused as malformed: another signature may answer logits, which the policy would read as
 * probabilities ({@code EdgeBypassIT}). Named inputs, in the row format ({@code "instances": [{"name":
 * ...}, ...]}) or the columnar one ({@code "inputs": {"name": ...}}), are read by name in sorted order;
 * {@code b64} and string inputs are not featurised and count as malformed on inspected routes.
 *
 * <p>A signature with several outputs answers each instance as an object of named outputs
 * ({@code {"predictions": [{"probabilities": [...], "logits": [...]}, ...]}}, columnar
 * {@code {"outputs": {"probabilities": [[...], ...], "logits": ...}}}); the upstream's
 * {@code prediction_output} names the one read as probabilities, and it alone is written back. Without
 * that setting such an answer is malformed (fail closed): which output is the probabilities is not
 * guessed.
 */
final class TfServingAdapter extends JsonAdapter {

    /** The only {@code signature_name} a request may name (or leave out): the model's default one. */
    static final String DEFAULT_SIGNATURE = "serving_default";

    /** The named output read as probabilities in a multi-output answer, or {@code null}. */
    private final PredictionOutput output;

    TfServingAdapter() {
        this(null);
    }

    /** An adapter that reads the output {@code output} names ({@code null}: none configured). */
    TfServingAdapter(PredictionOutput output) {
        this.output = output;
    }

    @Override
    public Protocol protocol() {
        return Protocol.TFSERVING;
    }

    @Override
    public double[][] inputs(ByteBuf requestBody) throws MalformedBodyException {
        double[][] fast = StreamingRows.instances(requestBody); // no tree for the common shape
        if (fast != null) {
            return fast;
        }
        JsonNode root = object(requestBody);
        JsonNode signature = root.get("signature_name");
        if (signature != null && !DEFAULT_SIGNATURE.equals(signature.asText(null))) {
            // another signature may answer logits (or anything) where the policy reads probabilities
            throw new MalformedBodyException("signature_name: only \"" + DEFAULT_SIGNATURE
                    + "\" is served on this route (another signature's outputs would pass as probabilities)");
        }
        JsonNode instances = root.get("instances");
        JsonNode inputs = root.get("inputs");
        if (instances != null && inputs != null) {
            // TF Serving refuses both; accepting one would let the model see what detectors did not.
            throw new MalformedBodyException("body: expected one of \"instances\" or \"inputs\", not both");
        }
        if (instances != null) {
            return instances.isArray()
                            && !instances.isEmpty()
                            && instances.get(0).isObject()
                    ? namedInstances(instances)
                    : instances(instances, "instances");
        }
        if (inputs != null) {
            return inputs.isObject() ? namedColumns(inputs) : instances(inputs, "inputs");
        }
        throw new MalformedBodyException("body: expected \"instances\" or \"inputs\"");
    }

    /**
     * The row format with named inputs ({@code {"instances": [{"image": [...], "mask": [...]}, ...]}},
     * a model with several inputs, or one called by its input's name): each instance an object of the
     * same names, its row every named value's numbers, the names in sorted order. Sorted, not as sent:
     * the model reads inputs by name, so a client who reorders the names between requests changes
     * nothing for the model and must change nothing for the detectors.
     */
    private static double[][] namedInstances(JsonNode instances) throws MalformedBodyException {
        java.util.List<String> names = names(instances.get(0), "instances[0]");
        double[][] rows = new double[instances.size()][];
        for (int i = 0; i < rows.length; i++) {
            JsonNode instance = instances.get(i);
            String what = "instances[" + i + "]";
            if (!instance.isObject() || !names(instance, what).equals(names)) {
                // TF Serving refuses instances with different inputs: the model would read what detectors did not
                throw new MalformedBodyException(what + ": expected an object of the inputs " + names
                        + " (every instance names the same inputs)");
            }
            rows[i] = concat(instance, names, what);
        }
        return rows;
    }

    /**
     * The columnar format with named inputs ({@code {"inputs": {"image": [[...], ...], "mask": ...}}}):
     * every input an array of the same length N, read as N rows, row i every input's i-th element's
     * numbers (names sorted, as {@link #namedInstances}). Inputs whose first dimensions differ, or a
     * scalar input, are refused: TF Serving passes such tensors to the model whole, so which one is
     * the batch (how many answers the request buys, how many rows the detectors should see) is the
     * model's to say; read as one row, a request of N queries beside one scalar cost one token and
     * made one event.
     */
    private static double[][] namedColumns(JsonNode inputs) throws MalformedBodyException {
        java.util.List<String> names = names(inputs, "inputs");
        int n = inputs.get(names.get(0)).size();
        for (String name : names) {
            JsonNode v = inputs.get(name);
            if (!v.isArray() || v.size() != n || n == 0) {
                throw new MalformedBodyException("inputs." + name + ": every named input must be an array of the same"
                        + " non-zero length (the batch) on this route");
            }
        }
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            java.util.ArrayList<double[]> parts = new java.util.ArrayList<>(names.size());
            for (String name : names) {
                parts.add(NumericArrays.flatten(inputs.get(name).get(i), "inputs." + name + "[" + i + "]"));
            }
            rows[i] = join(parts);
        }
        return rows;
    }

    /** The field names of a non-empty object of inputs, sorted. */
    private static java.util.List<String> names(JsonNode object, String what) throws MalformedBodyException {
        if (!object.isObject() || object.isEmpty()) {
            throw new MalformedBodyException(what + ": expected an object of named inputs");
        }
        java.util.ArrayList<String> names = new java.util.ArrayList<>(object.size());
        object.fieldNames().forEachRemaining(names::add);
        java.util.Collections.sort(names);
        return names;
    }

    /** Every named value's numbers (a {@code b64} object or a string is no number: refused), names in order. */
    private static double[] concat(JsonNode object, java.util.List<String> names, String what)
            throws MalformedBodyException {
        java.util.ArrayList<double[]> parts = new java.util.ArrayList<>(names.size());
        for (String name : names) {
            parts.add(NumericArrays.flatten(object.get(name), what + "." + name));
        }
        double[] row = join(parts);
        if (row.length == 0) {
            throw new MalformedBodyException(what + ": expected at least one number");
        }
        return row;
    }

    private static double[] join(java.util.List<double[]> parts) {
        int length = 0;
        for (double[] p : parts) {
            length = Math.addExact(length, p.length);
        }
        double[] row = new double[length];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, row, at, p.length);
            at += p.length;
        }
        return row;
    }

    @Override
    public Answer parseAnswer(ByteBuf responseBody) throws MalformedBodyException {
        double[][] fast = StreamingAnswer.predictions(responseBody); // no tree for the common shape
        if (fast != null) {
            return Answer.streamed(fast, responseBody.readableBytes());
        }
        JsonNode root = object(responseBody);
        JsonNode predictions = root.get("predictions");
        JsonNode outputs = root.get("outputs");
        if (predictions != null && outputs != null) {
            // one of them would pass untransformed
            throw new MalformedBodyException("answer: expected one of \"predictions\" or \"outputs\", not both");
        }
        String field = predictions != null ? "predictions" : "outputs";
        if (predictions == null) {
            predictions = outputs; // TF Serving answers a columnar ("inputs") request in columnar form
        }
        if (predictions == null) {
            throw new MalformedBodyException("answer: expected \"predictions\" (or \"outputs\")");
        }
        if (root.size() > 1) {
            // anything beside the predictions (a server's explanations, logits, embeddings) would pass
            // the policy untransformed: a policy route answers the defended predictions alone
            ((ObjectNode) root).retain(field);
        }
        if (output != null) {
            predictions = named(predictions, field);
        }
        if (NumericArrays.isFlatVector(predictions)) {
            throw new MalformedBodyException(
                    "predictions: expected one probability array per instance, got plain numbers");
        }
        return new Answer(rows(predictions, "predictions"), null, root, predictions, responseBody.readableBytes());
    }

    /**
     * The configured output of a multi-output answer, every other output removed: the rows of a
     * columnar object, or an array of each instance's named output (the same nodes, so writing
     * them writes the document). An answer of plain rows is the model's only output.
     */
    private JsonNode named(JsonNode predictions, String field) throws MalformedBodyException {
        if (predictions.isObject()) { // columnar: {"outputs": {"name": [[...], ...], ...}}
            JsonNode rows = predictions.get(output.name());
            if (rows == null) {
                throw output.missing(field);
            }
            ((ObjectNode) predictions).retain(output.name());
            return rows;
        }
        if (!predictions.isArray()
                || predictions.isEmpty()
                || !predictions.get(0).isObject()) {
            return predictions;
        }
        ArrayNode rows = JsonBodies.MAPPER.getNodeFactory().arrayNode(predictions.size());
        for (int i = 0; i < predictions.size(); i++) {
            JsonNode instance = predictions.get(i);
            JsonNode row = instance.isObject() ? instance.get(output.name()) : null;
            if (row == null) {
                throw output.missing(field + "[" + i + "]");
            }
            ((ObjectNode) instance).retain(output.name());
            rows.add(row);
        }
        return rows;
    }

    /** The document a streamed answer came from: {@code {"predictions": rows}} (and nothing else). */
    @Override
    Answer treeOf(Answer streamed) {
        ObjectNode root = JsonBodies.MAPPER.getNodeFactory().objectNode();
        ArrayNode rows = root.putArray("predictions");
        for (double[] row : streamed.predictions()) {
            ArrayNode r = rows.addArray();
            for (double v : row) {
                r.add(v);
            }
        }
        return new Answer(streamed.predictions(), null, root, rows, streamed.sourceBytes());
    }

    @Override
    void put(Answer answer, double[][] predictions) {
        ArrayNode rows = (ArrayNode) answer.anchor();
        for (int i = 0; i < predictions.length; i++) {
            NumericArrays.overwrite((ArrayNode) rows.get(i), predictions[i]);
        }
    }
}
