package dev.moat.gateway.protocol.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the input rows of a row-format request ({@code {"instances": [...]}} or {@code {"inputs":
 * [...]}}) token by token with Jackson's streaming parser, straight from the buffer, without a
 * tree: the common case of the policy stage (the tree of a 3 KB request was 25 % of mode b's CPU
 * and 69 % of its allocation, benchmarks/profiles/README.md).
 *
 * <p>The plainest bodies ({@code {"instances": [[numbers], ...]}} and nothing else) are read by
 * {@link PlainRows} from their bytes, without Jackson; the others by Jackson's streaming parser.
 *
 * <p>It is a fast path only: for any body that is not plainly well-formed in that shape (invalid
 * JSON, a duplicate key, both fields, a non-number, an empty row, a non-finite number, trailing
 * content) it returns {@code null} and the caller reads the body as a tree, which gives the same
 * rows for every body this class accepts and the precise error for the others. The parser is made
 * by {@link JsonBodies#MAPPER}'s factory, so the same limits (nesting depth, duplicate keys, fast
 * double parsing) apply.
 */
public final class StreamingRows {

    private StreamingRows() {}

    /**
     * The rows of the {@code instances} or {@code inputs} array, or {@code null} when the body must
     * be read as a tree (see the class comment). Does not move the buffer's reader index.
     */
    public static double[][] instances(ByteBuf body) {
        if (body == null || !body.isReadable()) {
            return null;
        }
        double[][] plain = PlainRows.rows(body); // the plainest shape, without a tokeniser
        return plain != null ? plain : withJackson(body);
    }

    /** {@link #instances} with Jackson's streaming parser only (the path {@link PlainRows} must agree with). */
    static double[][] withJackson(ByteBuf body) {
        try (JsonParser p = JsonBodies.parser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            double[][] rows = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if ("instances".equals(name) || "inputs".equals(name)) {
                    if (rows != null) {
                        return null; // both fields: the tree path says which error
                    }
                    rows = instanceRows(p);
                    if (rows == null) {
                        return null;
                    }
                } else if ("signature_name".equals(name)
                        && !(p.currentToken() == JsonToken.VALUE_STRING && "serving_default".equals(p.getText()))) {
                    return null; // another signature: the tree path refuses it
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
            return rows;
        } catch (IOException | RuntimeException e) {
            return null; // malformed, duplicate key, too deep: the tree path reports it
        }
    }

    /** At START_ARRAY: a flat vector (one instance) or an array of rows, each flattened. */
    private static double[][] instanceRows(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            return null;
        }
        JsonToken first = p.nextToken();
        if (first == JsonToken.VALUE_NUMBER_INT || first == JsonToken.VALUE_NUMBER_FLOAT) {
            Values v = new Values(16);
            for (JsonToken t = first; t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (!v.addNumber(p, t)) {
                    return null; // not all numbers: the tree path reads it as rows and names the culprit
                }
            }
            return new double[][] {v.toArray()};
        }
        List<double[]> rows = new ArrayList<>(8);
        int width = 16;
        for (JsonToken t = first; t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.START_ARRAY) {
                return null;
            }
            Values v = new Values(width);
            if (!flatten(p, v) || v.size == 0) {
                return null;
            }
            width = v.size;
            rows.add(v.toArray());
        }
        return rows.isEmpty() ? null : rows.toArray(new double[0][]);
    }

    /** At START_ARRAY: the number leaves to its END_ARRAY, depth first; false for anything else. */
    private static boolean flatten(JsonParser p, Values out) throws IOException {
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t == JsonToken.START_ARRAY) {
                if (!flatten(p, out)) { // depth is bounded by the parser's nesting limit
                    return false;
                }
            } else if (!out.addNumber(p, t)) {
                return false;
            }
        }
        return true;
    }

    /** A growable double array. */
    private static final class Values {
        double[] a;
        int size;

        Values(int capacity) {
            a = new double[Math.max(1, capacity)];
        }

        boolean addNumber(JsonParser p, JsonToken t) throws IOException {
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                return false;
            }
            double d = t == JsonToken.VALUE_NUMBER_FLOAT ? ShortDecimals.parse(p) : p.getDoubleValue();
            if (!Double.isFinite(d)) {
                return false;
            }
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = d;
            return true;
        }

        double[] toArray() {
            return size == a.length ? a : Arrays.copyOf(a, size);
        }
    }
}
