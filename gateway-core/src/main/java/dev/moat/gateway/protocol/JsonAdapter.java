package dev.moat.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import dev.moat.gateway.protocol.internal.NumericArrays;
import dev.moat.gateway.protocol.internal.StreamingAnswer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;

/**
 * What the JSON adapters share: writing back is "check the predictions fit, put them in place,
 * strip, serialise", and row arrays are read the same way everywhere.
 */
abstract class JsonAdapter implements ProtocolAdapter {

    @Override
    public final ByteBuf writeAnswer(
            Answer answer, double[][] predictions, List<String> strip, ByteBufAllocator alloc) {
        // Check everything before touching the document, so a bad call leaves it as parsed.
        NumericArrays.requireFits(answer.predictions(), predictions);
        answer.claimWrite();
        if (answer.isStreamed()) {
            if (StreamingAnswer.canStrip(strip)) {
                return StreamingAnswer.write(predictions, strip, alloc, answer.sourceBytes() + 64);
            }
            answer = treeOf(answer); // a pointer into the rows: strip them from a tree
        }
        put(answer, predictions);
        JsonBodies.strip(answer.document(), strip);
        return JsonBodies.write(answer.document(), alloc, answer.sourceBytes() + 64);
    }

    /**
     * The document of a parsed (not streamed) answer as {@link #writeAnswer} would write it: the same
     * checks, {@code predictions} put in place, {@code strip} applied; for an adapter that writes the
     * tree in another form.
     */
    final JsonNode written(Answer answer, double[][] predictions, List<String> strip) {
        NumericArrays.requireFits(answer.predictions(), predictions);
        if (answer.isStreamed()) {
            throw new IllegalStateException(getClass().getSimpleName() + " writes streamed answers as JSON only");
        }
        answer.claimWrite();
        put(answer, predictions);
        JsonBodies.strip(answer.document(), strip);
        return answer.document();
    }

    /**
     * The tree of a streamed answer ({@link Answer#isStreamed}): the document the tree path would
     * have parsed, as far as writing goes (its number leaves are all overwritten by {@link #put}).
     * Only adapters that stream answers override this.
     */
    Answer treeOf(Answer streamed) {
        throw new IllegalStateException(getClass().getSimpleName() + " does not stream answers");
    }

    /** Puts {@code predictions} (already checked to fit) where {@link #parseAnswer} found them. */
    abstract void put(Answer answer, double[][] predictions);

    /**
     * Input instances: an array of instances, each a number array nested to any depth and
     * flattened; an array of plain numbers is a single instance.
     */
    static double[][] instances(JsonNode array, String what) throws MalformedBodyException {
        if (!array.isArray()) {
            throw new MalformedBodyException(
                    what + ": expected an array of instances, got " + NumericArrays.kind(array));
        }
        if (array.isEmpty()) {
            throw new MalformedBodyException(what + ": expected at least one instance");
        }
        if (NumericArrays.isFlatVector(array)) {
            return new double[][] {NumericArrays.flatten(array, what)};
        }
        return rows(array, what);
    }

    /** A non-empty array of rows, each an array of numbers nested to any depth, flattened. */
    static double[][] rows(JsonNode array, String what) throws MalformedBodyException {
        if (!array.isArray()) {
            throw new MalformedBodyException(what + ": expected an array of arrays, got " + NumericArrays.kind(array));
        }
        if (array.isEmpty()) {
            throw new MalformedBodyException(what + ": expected at least one row");
        }
        double[][] rows = new double[array.size()][];
        for (int i = 0; i < rows.length; i++) {
            JsonNode row = array.get(i);
            String name = what + "[" + i + "]";
            if (!row.isArray()) {
                throw new MalformedBodyException(
                        name + ": expected an array of numbers, got " + NumericArrays.kind(row));
            }
            rows[i] = NumericArrays.flatten(row, name);
            if (rows[i].length == 0) {
                throw new MalformedBodyException(name + ": expected at least one number");
            }
        }
        return rows;
    }

    /** The object at the top of a body. */
    static JsonNode object(ByteBuf body) throws MalformedBodyException {
        JsonNode root = JsonBodies.read(body);
        if (!root.isObject()) {
            throw new MalformedBodyException("body: expected a JSON object, got " + NumericArrays.kind(root));
        }
        return root;
    }
}
