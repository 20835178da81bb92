package dev.moat.policies.watermark;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where each key's lines start in one ledger segment: key id -&gt; byte offsets, plus the segment's
 * size when the index was written, so a stale index (the segment grew or was cut since) is detected
 * and ignored. Kept next to the segment as {@code <segment>.idx}:
 * <pre>{"bytes":5120,"entries":40,"keys":{"alice":[0,128,256],"bob":[384]}}</pre>
 * A key without an id is listed under {@code ""}. Not thread-safe: the ledger's writer thread owns
 * the live one.
 */
final class LedgerIndex {

    private final Map<String, long[]> offsets = new LinkedHashMap<>();
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private long bytes;
    private int entries;

    /** Records that the line of {@code key} starts at {@code offset} and is {@code length} bytes long. */
    void add(String key, long offset, int length) {
        String k = key == null ? "" : key;
        int n = counts.getOrDefault(k, 0);
        long[] list = offsets.get(k);
        if (list == null) {
            list = new long[4];
        } else if (n == list.length) {
            list = Arrays.copyOf(list, n * 2);
        }
        list[n] = offset;
        offsets.put(k, list);
        counts.put(k, n + 1);
        entries++;
        bytes = Math.max(bytes, offset + length);
    }

    long bytes() {
        return bytes;
    }

    int entries() {
        return entries;
    }

    /** The key ids with lines in this segment ({@code ""} for entries without a key). */
    Set<String> keys() {
        return Collections.unmodifiableSet(counts.keySet());
    }

    /** The offsets of {@code key}'s lines, ascending (empty when it has none). */
    long[] offsets(String key) {
        String k = key == null ? "" : key;
        long[] list = offsets.get(k);
        return list == null ? new long[0] : Arrays.copyOf(list, counts.get(k));
    }

    int count(String key) {
        return counts.getOrDefault(key == null ? "" : key, 0);
    }

    /** Writes the index atomically (temp file, then rename). */
    void writeTo(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp);
                JsonGenerator g = LedgerJson.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("bytes", bytes);
            g.writeNumberField("entries", entries);
            g.writeFieldName("keys");
            g.writeStartObject();
            for (Map.Entry<String, long[]> e : offsets.entrySet()) {
                g.writeFieldName(e.getKey());
                g.writeArray(e.getValue(), 0, counts.get(e.getKey()));
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The index of {@code segment} if its {@code .idx} exists, parses and matches the segment's size; else null. */
    static LedgerIndex readValid(Path segment) {
        Path file = indexFile(segment);
        try {
            if (!Files.exists(file)) {
                return null;
            }
            LedgerIndex idx = read(file);
            return idx.bytes == Files.size(segment) ? idx : null;
        } catch (IOException | RuntimeException e) {
            return null; // a damaged index is rebuilt from the segment
        }
    }

    static Path indexFile(Path segment) {
        return segment.resolveSibling(segment.getFileName() + ".idx");
    }

    private static LedgerIndex read(Path file) throws IOException {
        LedgerIndex idx = new LedgerIndex();
        try (InputStream in = Files.newInputStream(file);
                JsonParser p = LedgerJson.FACTORY.createParser(in)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            long bytes = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "bytes" -> bytes = p.getLongValue();
                    case "entries" -> idx.entries = p.getIntValue();
                    case "keys" -> {
                        expect(p.currentToken(), JsonToken.START_OBJECT);
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String key = p.currentName();
                            expect(p.nextToken(), JsonToken.START_ARRAY);
                            long[] list = new long[16];
                            int n = 0;
                            while (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
                                if (n == list.length) {
                                    list = Arrays.copyOf(list, n * 2);
                                }
                                list[n++] = p.getLongValue();
                            }
                            idx.offsets.put(key, list);
                            idx.counts.put(key, n);
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            idx.bytes = bytes;
        }
        return idx;
    }

    private static void expect(JsonToken got, JsonToken want) throws IOException {
        if (got != want) {
            throw new IOException("ledger index: expected " + want + ", got " + got);
        }
    }
}
