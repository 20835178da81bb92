package dev.moat.gateway.protocol.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import dev.moat.gateway.http.MalformedBodyException;
import java.util.Arrays;

/**
 * Numbers in JSON arrays, nested to any depth, read as flat {@code double} vectors and written back
 * leaf by leaf in the same places (depth-first, left to right), so an image row {@code [8][8]} is a
 * 64-vector and comes back as {@code [8][8]}.
 */
public final class NumericArrays {

    private NumericArrays() {}

    /** True when {@code node} is an array whose elements are all numbers (a flat vector). */
    public static boolean isFlatVector(JsonNode node) {
        if (!node.isArray() || node.isEmpty()) {
            return false;
        }
        for (JsonNode e : node) {
            if (!e.isNumber()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The number leaves of {@code node} (a number or an array nested to any depth) in order.
     *
     * @param what how to name the node in an error, e.g. {@code instances[3]}
     */
    public static double[] flatten(JsonNode node, String what) throws MalformedBodyException {
        Builder b = new Builder(node.isArray() ? node.size() : 1);
        collect(node, b, what, false);
        return b.toArray();
    }

    /**
     * {@link #flatten} of a BOOL tensor, as Triton takes its JSON data: {@code true} and {@code false}
     * (read as 1 and 0) or the numbers 0 and 1.
     */
    public static double[] flattenBooleans(JsonNode node, String what) throws MalformedBodyException {
        Builder b = new Builder(node.isArray() ? node.size() : 1);
        collect(node, b, what, true);
        return b.toArray();
    }

    private static void collect(JsonNode node, Builder out, String what, boolean booleans)
            throws MalformedBodyException {
        if (booleans && node.isBoolean()) {
            out.add(node.booleanValue() ? 1 : 0);
        } else if (booleans && node.isNumber() && node.doubleValue() != 0 && node.doubleValue() != 1) {
            throw new MalformedBodyException(what + ": expected true or false, got " + node.asText());
        } else if (node.isNumber()) {
            double v = node.doubleValue();
            if (!Double.isFinite(v)) {
                throw new MalformedBodyException(what + ": number out of range");
            }
            out.add(v);
        } else if (node.isArray()) {
            // Depth is bounded by the parser (JsonBodies.MAX_DEPTH), so recursion is safe.
            for (JsonNode e : node) {
                collect(e, out, what, booleans);
            }
        } else {
            throw new MalformedBodyException(what + ": expected numbers, got " + kind(node));
        }
    }

    /**
     * Overwrites the number leaves under {@code array}, in {@link #flatten} order, with {@code values}.
     * The caller has checked that the leaf count equals {@code values.length}.
     */
    public static void overwrite(ArrayNode array, double[] values) {
        int written = overwrite(array, values, 0);
        if (written != values.length) {
            throw new IllegalArgumentException("wrote " + written + " of " + values.length + " values");
        }
    }

    private static int overwrite(ArrayNode array, double[] values, int pos) {
        for (int i = 0; i < array.size(); i++) {
            JsonNode e = array.get(i);
            if (e.isArray()) {
                pos = overwrite((ArrayNode) e, values, pos);
            } else {
                array.set(i, DoubleNode.valueOf(finite(values[pos++])));
            }
        }
        return pos;
    }

    /** A new JSON array holding {@code rows} flattened, row after row. */
    public static ArrayNode arrayOf(double[][] rows) {
        ArrayNode a = JsonBodies.MAPPER.getNodeFactory().arrayNode();
        for (double[] row : rows) {
            for (double v : row) {
                a.add(finite(v));
            }
        }
        return a;
    }

    /** JSON cannot carry NaN or infinities; a transform that produced one has a bug. */
    public static double finite(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("prediction " + v + " cannot be written as JSON");
        }
        return v;
    }

    /** Checks that {@code predictions} has the row count and widths of {@code like}, all finite. */
    public static void requireFits(double[][] like, double[][] predictions) {
        if (predictions.length != like.length) {
            throw new IllegalArgumentException(
                    "predictions have " + predictions.length + " rows, the answer has " + like.length);
        }
        for (int i = 0; i < like.length; i++) {
            if (predictions[i].length != like[i].length) {
                throw new IllegalArgumentException("predictions[" + i + "] has " + predictions[i].length
                        + " values, the answer has " + like[i].length);
            }
            for (double v : predictions[i]) {
                finite(v);
            }
        }
    }

    /** A short, body-free name for the JSON type of {@code node}, for error messages. */
    public static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case NUMBER -> "a number";
            default -> "a value of another type";
        };
    }

    private static final class Builder {
        private double[] values;
        private int size;

        Builder(int capacity) {
            values = new double[Math.max(4, capacity)];
        }

        void add(double v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        double[] toArray() {
            return size == values.length ? values : Arrays.copyOf(values, size);
        }
    }
}
