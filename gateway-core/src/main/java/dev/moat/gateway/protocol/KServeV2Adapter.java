package dev.moat.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.NumericArrays;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * The Open Inference Protocol (KServe v2, Triton): tensors {@code {"name", "shape", "datatype",
 * "data"}} whose first dimension is the batch.
 *
 * <p>Request: every input tensor must have the same batch size N; row i is the concatenation of
 * each tensor's i-th slice ({@code prod(shape[1:])} values), in the order the inputs are listed.
 * Answer: the output the upstream's {@code prediction_output} names (an answer without it is
 * malformed), else the output named {@code probabilities} or {@code probs} if there is one, else the first
 * output, read as N rows of {@code prod(shape[1:])} values; it is written back with its name,
 * shape and datatype kept and {@code data} flat, and it is the only output written back: every
 * other output tensor is removed, because no transform ran on it (a model exporting {@code logits}
 * or {@code labels} beside its probabilities would hand out the raw scores, or the true label of a
 * watermarked answer, and a request's {@code outputs} can reorder the tensors past any positional
 * {@code strip}). A request's own {@code outputs} (which tensors, binary data, Triton's
 * classification extension) is refused as malformed: asked alone, a {@code logits} tensor would
 * be read as the probabilities, and rounding leaves logits nearly whole. Tensors sent as binary data (Triton's
 * {@code binary_data_size} extension) or as strings ({@code BYTES}) count as malformed on
 * inspected routes.
 */
final class KServeV2Adapter extends JsonAdapter {

    /** A tensor read as rows: {@code rows} slices of {@code width} values each, row-major. */
    private record Tensor(int rows, int width, double[] data) {}

    /** The configured prediction tensor, or {@code null} for the default rule. */
    private final PredictionOutput output;

    KServeV2Adapter() {
        this(null);
    }

    /** An adapter that answers the tensor {@code output} names ({@code null}: the default rule). */
    KServeV2Adapter(PredictionOutput output) {
        this.output = output;
    }

    @Override
    public Protocol protocol() {
        return Protocol.KSERVE_V2;
    }

    @Override
    public double[][] inputs(ByteBuf requestBody) throws MalformedBodyException {
        JsonNode root = object(requestBody);
        if (root.has("outputs")) {
            // the client would choose what the policy reads as probabilities: asked alone, a
            // "logits" tensor is taken for them and its scores pass nearly whole (EdgeBypassIT)
            throw new MalformedBodyException(
                    "outputs: a request may not choose the output tensors on this route (the model's"
                            + " prediction tensor is answered)");
        }
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw new MalformedBodyException("inputs: expected a non-empty array of tensors");
        }
        Tensor[] tensors = new Tensor[inputs.size()];
        int width = 0;
        for (int t = 0; t < tensors.length; t++) {
            tensors[t] = tensor(inputs.get(t), "inputs[" + t + "]");
            if (tensors[t].rows() != tensors[0].rows()) {
                throw new MalformedBodyException("inputs[" + t + "].shape: batch size " + tensors[t].rows()
                        + " differs from inputs[0]'s " + tensors[0].rows());
            }
            width = Math.addExact(width, tensors[t].width());
        }
        double[][] rows = new double[tensors[0].rows()][width];
        for (int i = 0; i < rows.length; i++) {
            int at = 0;
            for (Tensor t : tensors) {
                System.arraycopy(t.data(), i * t.width(), rows[i], at, t.width());
                at += t.width();
            }
        }
        return rows;
    }

    @Override
    public Answer parseAnswer(ByteBuf responseBody) throws MalformedBodyException {
        JsonNode root = object(responseBody);
        JsonNode outputs = root.get("outputs");
        if (outputs == null || !outputs.isArray() || outputs.isEmpty()) {
            throw new MalformedBodyException("outputs: expected a non-empty array of tensors");
        }
        int chosen = output == null ? 0 : -1;
        for (int i = 0; i < outputs.size(); i++) {
            String name = outputs.get(i).path("name").asText("");
            if (output == null ? name.equals("probabilities") || name.equals("probs") : name.equals(output.name())) {
                chosen = i;
                break;
            }
        }
        if (chosen < 0) {
            throw output.missing("outputs");
        }
        Tensor t = tensor(outputs.get(chosen), "outputs[" + chosen + "]");
        double[][] rows = new double[t.rows()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = Arrays.copyOfRange(t.data(), i * t.width(), (i + 1) * t.width());
        }
        return new Answer(rows, null, root, outputs.get(chosen), responseBody.readableBytes());
    }

    @Override
    void put(Answer answer, double[][] predictions) {
        ObjectNode chosen = (ObjectNode) answer.anchor();
        chosen.set("data", NumericArrays.arrayOf(predictions));
        if (answer.document().get("outputs") instanceof ArrayNode outputs && outputs.size() > 1) {
            outputs.removeAll(); // the untransformed tensors go (see the class comment)
            outputs.add(chosen);
        }
    }

    private static Tensor tensor(JsonNode node, String what) throws MalformedBodyException {
        if (!node.isObject()) {
            throw new MalformedBodyException(what + ": expected a tensor object, got " + NumericArrays.kind(node));
        }
        JsonNode shape = node.get("shape");
        if (shape == null || !shape.isArray() || shape.isEmpty()) {
            throw new MalformedBodyException(what + ".shape: expected a non-empty array of sizes");
        }
        long count = 1;
        long width = 1;
        for (int d = 0; d < shape.size(); d++) {
            JsonNode dim = shape.get(d);
            if (!dim.isIntegralNumber() || dim.asLong() < 1 || !dim.canConvertToInt()) {
                throw new MalformedBodyException(what + ".shape[" + d + "]: expected a positive integer");
            }
            // Any size beyond what the data holds is caught by the length check below.
            count = Math.min(count * dim.asLong(), Integer.MAX_VALUE + 1L);
            width = d == 0 ? width : Math.min(width * dim.asLong(), Integer.MAX_VALUE + 1L);
        }
        JsonNode data = node.get("data");
        if (data == null || !data.isArray()) {
            throw new MalformedBodyException(what + ".data: expected an array (binary tensor data is not supported)");
        }
        double[] values = NumericArrays.flatten(data, what + ".data");
        if (values.length != count) {
            throw new MalformedBodyException(
                    what + ".data: has " + values.length + " values, the shape needs " + count);
        }
        return new Tensor(shape.get(0).asInt(), (int) width, values);
    }
}
