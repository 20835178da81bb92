package dev.moat.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import dev.moat.gateway.protocol.internal.NumericArrays;
import dev.moat.gateway.protocol.internal.TensorBytes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Arrays;
import java.util.List;

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
 * {@code strip}). A request's own {@code outputs} may name only that tensor (the configured one, or
 * {@code probabilities} / {@code probs}), with no parameter but {@code binary_data}: asked alone, a
 * {@code logits} tensor would be read as the probabilities, and rounding leaves logits nearly whole;
 * Triton's classification extension would answer class labels in its place.
 *
 * <p>Triton's binary tensor data extension, which its clients use by default, is read as Triton reads
 * it ({@link #read}): input values as little-endian bytes after a JSON header whose length {@value
 * #JSON_LENGTH} gives, each input's {@code binary_data_size} of them in turn; the request's ask for a
 * binary answer is taken out on the way upstream, so the answer is JSON the policy transforms, and
 * the defended answer is written in bytes as asked ({@link #writeAnswerAsBytes}). Tensors of strings ({@code
 * BYTES}), and inputs in a shared-memory region (no values in the request at all), count as
 * malformed on inspected routes.
 */
final class KServeV2Adapter extends JsonAdapter {

    /**
     * A tensor read as rows: {@code rows} slices of {@code width} values each, row-major; {@code bytes}
     * of the body's binary part it took (0 for JSON numbers).
     */
    private record Tensor(int rows, int width, double[] data, int bytes) {}

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
        return requestRows(object(requestBody), null);
    }

    /**
     * Triton's binary tensor data extension: a body that opens with a JSON header of this many bytes,
     * followed by the binary data of the inputs that give a {@code binary_data_size}, in their order.
     */
    public static final String JSON_LENGTH = "Inference-Header-Content-Length";

    /**
     * A request with its tensors as JSON numbers or as bytes after a JSON header ({@value #JSON_LENGTH}),
     * read where Triton reads them: the header's first bytes as the JSON, each binary input's bytes in
     * turn after it, every byte accounted for. A request that asks for its answer as bytes (Triton's
     * clients do by default: {@code parameters.binary_data_output}, or {@code binary_data} on the output
     * they name) goes upstream without that ask, so the answer is JSON the policy can transform; the
     * defended answer is then written in bytes for the client ({@link #writeAnswerAsBytes}).
     */
    @Override
    public Inbound read(ByteBuf body, HttpHeaders headers, ByteBufAllocator alloc) throws MalformedBodyException {
        // a look-up a request, a list only when the field is there (the JSON bodies' common case has none)
        List<String> given = headers.contains(JSON_LENGTH) ? headers.getAll(JSON_LENGTH) : List.of();
        if (given.size() > 1) {
            throw new MalformedBodyException(JSON_LENGTH + ": given " + given.size() + " times");
        }
        int total = body.readableBytes();
        int jsonLength = given.isEmpty() ? total : jsonLength(given.get(0), total);
        ByteBuf tail = body.slice(body.readerIndex() + jsonLength, total - jsonLength);
        ObjectNode root = (ObjectNode) object(body.slice(body.readerIndex(), jsonLength));
        double[][] rows = requestRows(root, given.isEmpty() ? null : tail);
        Boolean asBytes = dropBinaryAnswer(root);
        if (asBytes == null) {
            return new Inbound(rows, body, false);
        }
        ByteBuf out = JsonBodies.write(root, alloc, jsonLength + tail.readableBytes() + 16);
        if (!given.isEmpty()) {
            headers.set(JSON_LENGTH, Integer.toString(out.readableBytes()));
            out.writeBytes(tail);
        }
        return new Inbound(rows, out, asBytes);
    }

    /** The datatypes a prediction tensor is written in as bytes (another stays JSON). */
    private static final java.util.Set<String> FLOATS = java.util.Set.of("FP64", "FP32", "FP16", "BF16");

    /**
     * The answer as Triton writes a binary one: the JSON without the output's {@code data}, its size
     * in bytes in {@code parameters.binary_data_size}, the JSON's length in {@value #JSON_LENGTH}, then
     * the values little-endian in the output's datatype (FP16 and BF16 rounded to nearest, ties to
     * even, as the model's own conversion would). Only floating-point outputs (what a prediction
     * tensor is); another datatype's answer stays JSON, which Triton's Python client reads as well.
     */
    @Override
    public ByteBuf writeAnswerAsBytes(
            Answer answer, double[][] predictions, List<String> strip, ByteBufAllocator alloc, HttpHeaders headers) {
        JsonNode root = written(answer, predictions, strip);
        int bytes = binarySize(root);
        if (bytes < 0) {
            return JsonBodies.write(root, alloc, answer.sourceBytes() + 64);
        }
        ByteBuf values = alloc.buffer(bytes);
        for (JsonNode o : root.get("outputs")) {
            String datatype = o.get("datatype").asText();
            ArrayNode data = (ArrayNode) ((ObjectNode) o).remove("data");
            for (JsonNode v : data) {
                switch (datatype) {
                    case "FP64" -> values.writeDoubleLE(v.asDouble());
                    case "FP32" -> values.writeFloatLE((float) v.asDouble());
                    case "FP16" -> values.writeShortLE(TensorBytes.floatToHalf((float) v.asDouble()));
                    default -> values.writeShortLE(TensorBytes.floatToBfloat16((float) v.asDouble()));
                }
            }
            ObjectNode parameters =
                    o.get("parameters") instanceof ObjectNode p ? p : ((ObjectNode) o).putObject("parameters");
            parameters.put("binary_data_size", data.size() * TensorBytes.elementSize(datatype));
        }
        ByteBuf out;
        try {
            out = JsonBodies.write(root, alloc, 256);
        } catch (RuntimeException e) {
            values.release();
            throw e;
        }
        headers.set(JSON_LENGTH, Integer.toString(out.readableBytes()));
        headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        out.writeBytes(values);
        values.release();
        return out;
    }

    /**
     * The bytes the outputs' values take in their datatypes, or -1 when an output has no byte form
     * here (not a floating-point tensor, or data that is not flat numbers; then the answer stays JSON).
     */
    private static int binarySize(JsonNode root) {
        if (!(root.get("outputs") instanceof ArrayNode outputs)) {
            return -1;
        }
        int bytes = 0;
        for (JsonNode o : outputs) {
            String datatype = o.path("datatype").asText("");
            if (!FLOATS.contains(datatype) || !o.path("data").isArray()) {
                return -1;
            }
            for (JsonNode v : o.get("data")) {
                if (!v.isNumber()) {
                    return -1; // not reached: put writes the data flat
                }
            }
            bytes += o.get("data").size() * TensorBytes.elementSize(datatype);
        }
        return bytes;
    }

    /** The header's length of the JSON: a decimal count of at most the body's bytes. */
    private static int jsonLength(String value, int total) throws MalformedBodyException {
        String v = value.trim();
        if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new MalformedBodyException(JSON_LENGTH + ": expected a byte count, got \"" + value + "\"");
        }
        long n = Long.parseLong(v);
        if (n > total) {
            throw new MalformedBodyException(
                    JSON_LENGTH + ": " + n + " bytes of JSON, but the body has " + total + " bytes");
        }
        return (int) n;
    }

    /**
     * Takes the request's asks for a binary answer out of it: {@code parameters.binary_data_output},
     * and {@code binary_data} on the output it names (which overrides the first, as in Triton).
     * Whether the answer was asked for in bytes; null when the request had neither field (nothing
     * taken out). What else the request may ask of the outputs was checked by {@link #requestRows}.
     */
    private static Boolean dropBinaryAnswer(ObjectNode root) {
        Boolean asked = null;
        if (root.get("parameters") instanceof ObjectNode p && p.has("binary_data_output")) {
            asked = p.remove("binary_data_output").asBoolean(false);
        }
        if (root.get("outputs") instanceof ArrayNode outputs) {
            for (JsonNode o : outputs) {
                if (o.get("parameters") instanceof ObjectNode p && p.has("binary_data")) {
                    asked = p.remove("binary_data").asBoolean(false);
                }
            }
        }
        return asked;
    }

    /**
     * The rows of a request's inputs; {@code binary} the bytes after its JSON header (null: a JSON
     * body, where no input may point at bytes).
     */
    private double[][] requestRows(JsonNode root, ByteBuf binary) throws MalformedBodyException {
        checkOutputs(root.get("outputs"));
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw new MalformedBodyException("inputs: expected a non-empty array of tensors");
        }
        Tensor[] tensors = new Tensor[inputs.size()];
        int width = 0;
        int at = 0;
        for (int t = 0; t < tensors.length; t++) {
            tensors[t] = tensor(inputs.get(t), "inputs[" + t + "]", binary, at);
            at += tensors[t].bytes();
            if (tensors[t].rows() != tensors[0].rows()) {
                throw new MalformedBodyException("inputs[" + t + "].shape: batch size " + tensors[t].rows()
                        + " differs from inputs[0]'s " + tensors[0].rows());
            }
            width = Math.addExact(width, tensors[t].width());
        }
        if (binary != null && at != binary.readableBytes()) {
            // every byte is some input's (Triton refuses the rest): bytes no detector read must not reach the model
            throw new MalformedBodyException((binary.readableBytes() - at) + " bytes after the JSON header belong to no"
                    + " input (the binary_data_size values add up to " + at + ")");
        }
        double[][] rows = new double[tensors[0].rows()][width];
        for (int i = 0; i < rows.length; i++) {
            int col = 0;
            for (Tensor t : tensors) {
                System.arraycopy(t.data(), i * t.width(), rows[i], col, t.width());
                col += t.width();
            }
        }
        return rows;
    }

    /**
     * A request's {@code outputs}: absent, or the one tensor this route answers ({@code
     * prediction_output}, else {@code probabilities} or {@code probs}), asked with nothing but {@code
     * binary_data}. Asked alone, another tensor ({@code logits}) would be read as the probabilities
     * and pass nearly whole through rounding; classification and shared-memory parameters would
     * answer something else than the tensor the policy reads.
     */
    private void checkOutputs(JsonNode outputs) throws MalformedBodyException {
        if (outputs == null) {
            return;
        }
        String allowed = output == null ? "\"probabilities\" or \"probs\"" : "\"" + output.name() + "\"";
        if (!outputs.isArray() || outputs.size() != 1 || !outputs.get(0).isObject()) {
            throw new MalformedBodyException("outputs: a request may name one output on this route, " + allowed
                    + " (the model's prediction tensor is answered)");
        }
        JsonNode o = outputs.get(0);
        String name = o.path("name").isTextual() ? o.get("name").asText() : "";
        boolean ok = output == null ? name.equals("probabilities") || name.equals("probs") : name.equals(output.name());
        if (!ok) {
            // the client would choose what the policy reads as probabilities (EdgeBypassIT)
            throw new MalformedBodyException("outputs[0].name: a request may not choose the output tensor on this"
                    + " route (only " + allowed + ", the model's prediction tensor, is answered)");
        }
        for (var f = o.fieldNames(); f.hasNext(); ) {
            String field = f.next();
            if (!field.equals("name") && !field.equals("parameters")) {
                throw new MalformedBodyException("outputs[0]." + field + ": not accepted on this route");
            }
        }
        JsonNode p = o.get("parameters");
        if (p != null) {
            if (!p.isObject()) {
                throw new MalformedBodyException("outputs[0].parameters: expected an object");
            }
            for (var f = p.fieldNames(); f.hasNext(); ) {
                String field = f.next();
                if (!field.equals("binary_data") || !p.get(field).isBoolean()) {
                    throw new MalformedBodyException("outputs[0].parameters." + field
                            + ": not accepted on this route (only binary_data, true or false)");
                }
            }
        }
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
        return tensor(node, what, null, 0);
    }

    /**
     * A tensor whose values are JSON numbers ({@code data}), or, in a body with a binary part, bytes
     * of it from {@code at} ({@code parameters.binary_data_size}; never both).
     */
    private static Tensor tensor(JsonNode node, String what, ByteBuf binary, int at) throws MalformedBodyException {
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
        JsonNode size = node.path("parameters").get("binary_data_size");
        JsonNode data = node.get("data");
        if (size != null) {
            if (binary == null) {
                throw new MalformedBodyException(what + ".parameters.binary_data_size: binary tensor data needs the "
                        + JSON_LENGTH + " header field");
            }
            if (data != null) {
                throw new MalformedBodyException(what + ": both data and binary_data_size");
            }
            String datatype = node.path("datatype").asText("");
            int element = TensorBytes.elementSize(datatype);
            if (element < 0) {
                throw new MalformedBodyException(what + ".datatype: \"" + datatype
                        + "\" cannot be read as numbers on this route (expected BOOL, INT8-64, UINT8-64, FP16, BF16,"
                        + " FP32 or FP64)");
            }
            long needed = count * element;
            if (!size.isIntegralNumber() || size.asLong() != needed) {
                throw new MalformedBodyException(what + ".parameters.binary_data_size: " + size
                        + " bytes, the shape and " + datatype + " need " + needed);
            }
            if (needed > binary.readableBytes() - at) {
                throw new MalformedBodyException(what + ".parameters.binary_data_size: " + needed + " bytes, but only "
                        + (binary.readableBytes() - at) + " are left after the JSON header");
            }
            double[] values = TensorBytes.decode(binary, binary.readerIndex() + at, datatype, (int) count, what);
            return new Tensor(shape.get(0).asInt(), (int) width, values, (int) needed);
        }
        if (data == null || !data.isArray()) {
            throw new MalformedBodyException(
                    what + ".data: expected an array (or binary_data_size with the " + JSON_LENGTH + " header field)");
        }
        double[] values = node.path("datatype").asText("").equals("BOOL")
                ? NumericArrays.flattenBooleans(data, what + ".data")
                : NumericArrays.flatten(data, what + ".data");
        if (values.length != count) {
            throw new MalformedBodyException(
                    what + ".data: has " + values.length + " values, the shape needs " + count);
        }
        return new Tensor(shape.get(0).asInt(), (int) width, values, 0);
    }
}
