package dev.moat.gateway.protocol.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.gateway.http.MalformedBodyException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Reads JSON trees straight from a {@link ByteBuf} (no intermediate {@code String}) and writes them
 * into a fresh buffer, with the limits every body the gateway parses must respect.
 *
 * <p>Limits: nesting deeper than {@value #MAX_DEPTH} levels is rejected while parsing, so a body
 * of ten megabytes of {@code [[[[...} costs 65 tokens and a {@link MalformedBodyException}, never a
 * deep recursion; duplicate object keys are rejected (the gateway and the model server could
 * otherwise read different values for the same field); trailing content after the document is
 * rejected.
 */
public final class JsonBodies {

    /** The deepest nesting accepted; realistic inference bodies stay below ten. */
    public static final int MAX_DEPTH = 64;

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    // bodies are mostly numbers: the fast (FastDoubleParser / Ryu-style) paths
                    // cut parse and write time several-fold (JFR of the load benchmark: 61% of the
                    // event loop was FloatingDecimal.parseDouble)
                    .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                    .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonBodies() {}

    /**
     * Parses the readable bytes of {@code body} without moving its reader index or releasing it.
     *
     * @throws MalformedBodyException for an empty body, invalid JSON or too deep a nesting
     */
    public static JsonNode read(ByteBuf body) throws MalformedBodyException {
        if (body == null || !body.isReadable()) {
            throw new MalformedBodyException("body is empty (expected a JSON document)");
        }
        try {
            JsonNode tree;
            if (body.hasArray()) {
                tree = MAPPER.readTree(body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes());
            } else {
                try (InputStream in = new ByteBufInputStream(body.duplicate())) {
                    tree = MAPPER.readTree(in);
                }
            }
            if (tree == null || tree.isMissingNode()) {
                throw new MalformedBodyException("body is empty (expected a JSON document)");
            }
            return tree;
        } catch (StreamConstraintsException e) {
            throw new MalformedBodyException("body is nested too deeply (at most " + MAX_DEPTH + " levels)");
        } catch (JsonProcessingException e) {
            // Jackson's own message quotes the offending characters; only the position is safe.
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new MalformedBodyException("body is not valid JSON" + where);
        } catch (IOException e) {
            throw new MalformedBodyException("body could not be read as JSON");
        }
    }

    /**
     * Serialises {@code tree} into a new buffer from {@code alloc}; the caller owns (and releases)
     * the result. Nothing is left allocated if serialisation fails.
     */
    public static ByteBuf write(JsonNode tree, ByteBufAllocator alloc, int sizeHint) {
        ByteBuf out = alloc.buffer(Math.max(64, sizeHint));
        try (OutputStream os = new ByteBufOutputStream(out)) {
            MAPPER.writeValue(os, tree);
            return out;
        } catch (IOException e) {
            out.release();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
    }

    /**
     * Removes the node at each RFC 6901 pointer; pointers that lead nowhere are ignored, and the
     * empty pointer (the whole document) cannot be removed and is ignored too.
     *
     * @throws IllegalArgumentException for a pointer that is not valid syntax (config validates them)
     */
    public static void strip(JsonNode root, List<String> pointers) {
        for (String pointer : pointers) {
            JsonPointer p = JsonPointer.compile(pointer);
            if (p.matches()) {
                continue;
            }
            JsonNode parent = root.at(p.head());
            JsonPointer last = p.last();
            if (parent instanceof ObjectNode o) {
                o.remove(last.getMatchingProperty());
            } else if (parent instanceof ArrayNode a) {
                int i = last.getMatchingIndex();
                if (i >= 0 && i < a.size()) {
                    a.remove(i);
                }
            }
        }
    }

    /** The node at {@code pointer}, or a missing node; an invalid pointer is a programming error. */
    public static JsonNode at(JsonNode root, String pointer) {
        return root.at(JsonPointer.compile(pointer));
    }

    /** A streaming parser over the body's readable bytes, without copying them (the buffer's indices are left alone). */
    static JsonParser parser(ByteBuf body) throws IOException {
        if (body.hasArray()) {
            return MAPPER.getFactory()
                    .createParser(body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes());
        }
        return MAPPER.getFactory().createParser((InputStream) new ByteBufInputStream(body.duplicate()));
    }
}
