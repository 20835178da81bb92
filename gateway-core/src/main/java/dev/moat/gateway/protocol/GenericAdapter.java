package dev.moat.gateway.protocol;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig.GenericPointers;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import dev.moat.gateway.protocol.internal.NumericArrays;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * Any JSON API, located by the upstream's RFC 6901 pointers: {@code inputs} to an array of input
 * instances in the request (flattened like TF Serving's), {@code outputs} to an array of
 * probability arrays in the answer, and optionally {@code labels} to an array of integer labels.
 * When an answer carries labels they are rewritten to the argmax of the written predictions, so a
 * label never reveals what a transform hid. The pointers may address the whole document ({@code ""}). A labels pointer that leads nowhere in an answer is
 * fine (no labels); one that leads to something else is malformed.
 */
final class GenericAdapter extends JsonAdapter {

    /** Where the labels sit in an answer the adapter parsed; the predictions' rows sit in {@code rows}. */
    private record Anchor(ArrayNode rows, ArrayNode labels) {}

    private final JsonPointer inputs;
    private final JsonPointer outputs;
    private final JsonPointer labels;

    GenericAdapter(GenericPointers pointers) {
        Objects.requireNonNull(pointers, "the generic protocol needs JSON pointers");
        this.inputs = JsonPointer.compile(Objects.requireNonNull(pointers.inputs(), "inputs pointer"));
        this.outputs = JsonPointer.compile(Objects.requireNonNull(pointers.outputs(), "outputs pointer"));
        this.labels = pointers.labels() == null ? null : JsonPointer.compile(pointers.labels());
    }

    @Override
    public Protocol protocol() {
        return Protocol.GENERIC;
    }

    @Override
    public double[][] inputs(ByteBuf requestBody) throws MalformedBodyException {
        JsonNode node = JsonBodies.read(requestBody).at(inputs);
        if (node.isMissingNode()) {
            throw new MalformedBodyException(inputs + ": missing");
        }
        return instances(node, inputs.toString());
    }

    @Override
    public Answer parseAnswer(ByteBuf responseBody) throws MalformedBodyException {
        JsonNode root = JsonBodies.read(responseBody);
        JsonNode out = root.at(outputs);
        if (out.isMissingNode()) {
            throw new MalformedBodyException(outputs + ": missing");
        }
        double[][] rows = rows(out, outputs.toString());
        JsonNode labelNode = labels == null ? null : root.at(labels);
        int[] parsedLabels = null;
        if (labelNode != null && !labelNode.isMissingNode()) {
            parsedLabels = labels(labelNode, rows.length);
        } else {
            labelNode = null;
        }
        return new Answer(
                rows,
                parsedLabels,
                root,
                new Anchor((ArrayNode) out, (ArrayNode) labelNode),
                responseBody.readableBytes());
    }

    @Override
    void put(Answer answer, double[][] predictions) {
        Anchor anchor = (Anchor) answer.anchor();
        for (int i = 0; i < predictions.length; i++) {
            NumericArrays.overwrite((ArrayNode) anchor.rows().get(i), predictions[i]);
            if (anchor.labels() != null) {
                anchor.labels().set(i, IntNode.valueOf(argmax(predictions[i])));
            }
        }
    }

    private int[] labels(JsonNode node, int rows) throws MalformedBodyException {
        if (!node.isArray() || node.size() != rows) {
            throw new MalformedBodyException(labels + ": expected an array of " + rows + " integer labels");
        }
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            JsonNode label = node.get(i);
            if (!label.isIntegralNumber() || !label.canConvertToInt()) {
                throw new MalformedBodyException(
                        labels + "[" + i + "]: expected an integer label, got " + NumericArrays.kind(label));
            }
            out[i] = label.intValue();
        }
        return out;
    }

    /** The first index of the largest value, the usual tie-break. */
    static int argmax(double[] row) {
        int best = 0;
        for (int j = 1; j < row.length; j++) {
            if (row[j] > row[best]) {
                best = j;
            }
        }
        return best;
    }
}
