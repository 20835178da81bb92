package dev.moat.gateway.protocol.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads and writes the common row-format answer, {@code {"predictions": [[p0, ..., pk], ...]}}
 * with nothing else in it (what TF Serving and KServe v1 answer), token by token with Jackson's
 * streaming parser and generator: no tree, and each number written once, straight into the
 * output buffer. The tree of the answer (parse, put, serialise) was 7 % of mode b's CPU and half
 * its allocation in the load benchmark's profile (benchmarks/profiles/README.md); most of the CPU
 * left is Jackson's number parsing and writing.
 *
 * <p>A fast path only: {@link #predictions} returns {@code null} for any answer that is not plainly
 * of that shape (another field, a nested or empty row, a non-number, a non-finite number, a
 * duplicate key, invalid JSON, trailing content), and the caller reads it as a tree, which gives the
 * same rows for every answer this class accepts and the precise error for the others. {@link #write}
 * produces the bytes the tree path writes for the same answer (the same generator settings from
 * {@link JsonBodies#MAPPER}; numbers in Jackson's shortest form, see {@link ShortDecimals} and {@link ShortestDoubles}).
 */
public final class StreamingAnswer {

    private static final String FIELD = "predictions";

    private StreamingAnswer() {}

    /**
     * The prediction rows of an answer that holds only {@code "predictions"}, an array of flat,
     * non-empty arrays of finite numbers; else {@code null} (read it as a tree). Does not move the
     * buffer's reader index.
     */
    public static double[][] predictions(ByteBuf body) {
        if (body == null || !body.isReadable()) {
            return null;
        }
        double[][] plain = PlainRows.predictions(body); // the plainest answers, without a tokeniser
        return plain != null ? plain : withJackson(body);
    }

    /** {@link #predictions} with Jackson's streaming parser only (the path {@link PlainRows} must agree with). */
    static double[][] withJackson(ByteBuf body) {
        try (JsonParser p = JsonBodies.parser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT
                    || p.nextToken() != JsonToken.FIELD_NAME
                    || !FIELD.equals(p.currentName())
                    || p.nextToken() != JsonToken.START_ARRAY) {
                return null;
            }
            List<double[]> rows = new ArrayList<>(8);
            double[] row = new double[16];
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t != JsonToken.START_ARRAY) {
                    return null;
                }
                int n = 0;
                for (t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                        return null; // a nested row or a non-number: the tree path reads or refuses it
                    }
                    double v = p.getDoubleValue();
                    if (!Double.isFinite(v)) {
                        return null;
                    }
                    if (n == row.length) {
                        row = Arrays.copyOf(row, n * 2);
                    }
                    row[n++] = v;
                }
                if (n == 0) {
                    return null;
                }
                rows.add(Arrays.copyOf(row, n));
            }
            if (rows.isEmpty() || p.nextToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null; // no rows, another field, or trailing content
            }
            return rows.toArray(new double[0][]);
        } catch (IOException | RuntimeException e) {
            return null; // malformed, too deep: the tree path reports it
        }
    }

    /**
     * Whether {@link #write} can apply these strip pointers: each is empty (ignored) or names one
     * top-level field. A deeper pointer into {@code predictions} needs the tree.
     *
     * @throws IllegalArgumentException for a pointer that is not valid syntax, as the tree path does
     */
    public static boolean canStrip(List<String> strip) {
        for (String pointer : strip) {
            JsonPointer p = JsonPointer.compile(pointer);
            if (!p.matches() && !p.tail().matches()) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code {"predictions": rows}} into a new buffer from {@code alloc} (the caller owns it), or
     * {@code {}} when a strip pointer removes {@code /predictions} (the only field there is). Rows are
     * checked finite by the caller; {@link #canStrip} must hold.
     */
    public static ByteBuf write(double[][] rows, List<String> strip, ByteBufAllocator alloc, int sizeHint) {
        boolean dropped = false;
        for (String pointer : strip) {
            JsonPointer p = JsonPointer.compile(pointer);
            dropped |= !p.matches() && FIELD.equals(p.getMatchingProperty());
        }
        ByteBuf out = alloc.buffer(Math.max(64, sizeHint));
        try (JsonGenerator g = JsonBodies.MAPPER
                .getFactory()
                .createGenerator((OutputStream) new ByteBufOutputStream(out), JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (!dropped) {
                g.writeFieldName(FIELD);
                char[] digits = new char[ShortestDoubles.MAX_CHARS];
                g.writeStartArray();
                for (double[] row : rows) {
                    g.writeStartArray();
                    for (double v : row) {
                        int len = ShortDecimals.format(v, digits);
                        if (len == 0) {
                            len = ShortestDoubles.write(v, digits); // 17-digit ones (perturbed answers)
                        }
                        if (len > 0) {
                            g.writeNumber(digits, 0, len);
                        } else {
                            g.writeNumber(v);
                        }
                    }
                    g.writeEndArray();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        } catch (IOException e) {
            out.release();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
        return out;
    }
}
