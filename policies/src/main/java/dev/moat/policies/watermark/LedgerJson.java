package dev.moat.policies.watermark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;

/**
 * The ledger's line format, written and read with Jackson's streaming API:
 * <pre>{"input":[0.0,1.5],"label":3,"classes":10,"key":"alice","tenant":"acme","time":"2025-01-01T00:00:00Z"}</pre>
 * Non-finite features are written as {@code null} and read back as NaN; {@code tenant} is left out
 * when the key has none. The reader accepts the fields in any order and skips unknown fields.
 */
final class LedgerJson {

    /** Generators never close the stream they write to: callers own it. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private LedgerJson() {}

    /** A generator for a run of lines into {@code out}: no separator between root values (the caller writes '\n'). */
    static JsonGenerator generator(OutputStream out) throws IOException {
        JsonGenerator g = FACTORY.createGenerator(out);
        g.setRootValueSeparator(null);
        return g;
    }

    static void write(JsonGenerator g, LedgerEntry e) throws IOException {
        g.writeStartObject();
        g.writeFieldName("input");
        g.writeStartArray();
        for (double x : e.inputView()) {
            if (Double.isFinite(x)) {
                g.writeNumber(x);
            } else {
                g.writeNull();
            }
        }
        g.writeEndArray();
        g.writeNumberField("label", e.label());
        g.writeNumberField("classes", e.classes());
        g.writeStringField("key", e.key());
        if (e.tenant() != null) {
            g.writeStringField("tenant", e.tenant());
        }
        g.writeStringField("time", e.time().toString());
        g.writeEndObject();
    }

    /** One entry as a line (with its newline), for tests and tools. */
    static String line(LedgerEntry e) {
        var out = new java.io.ByteArrayOutputStream(128);
        try (JsonGenerator g = generator(out)) {
            write(g, e);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8) + "\n";
    }

    /** Parses one line; @throws IllegalArgumentException naming the column and what was expected */
    static LedgerEntry parse(String line) {
        try (JsonParser p = FACTORY.createParser(line)) {
            return entry(p);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LedgerEntry entry(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw error(p, "expected '{'");
        }
        double[] input = null;
        Integer label = null;
        Integer classes = null;
        String key = null;
        String tenant = null;
        Instant time = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "input" -> input = numbers(p, t);
                case "label" -> label = integer(p, t);
                case "classes" -> classes = integer(p, t);
                case "key" -> key = text(p, t);
                case "tenant" -> tenant = text(p, t);
                case "time" -> time = instant(p, text(p, t));
                default -> p.skipChildren();
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw error(p, "expected a field name or '}'");
        }
        if (p.nextToken() != null) {
            throw error(p, "trailing characters");
        }
        if (input == null || label == null || classes == null || time == null) {
            throw error(p, "missing field (expected: input, label, classes, time)");
        }
        try {
            return new LedgerEntry(input, label, classes, key, tenant, time);
        } catch (IllegalArgumentException e) {
            throw error(p, e.getMessage());
        }
    }

    private static double[] numbers(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw error(p, "input: expected an array of numbers");
        }
        double[] out = new double[16];
        int n = 0;
        for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
            if (n == out.length) {
                out = Arrays.copyOf(out, n * 2);
            }
            if (v == JsonToken.VALUE_NULL) {
                out[n++] = Double.NaN;
            } else if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
                out[n++] = p.getDoubleValue();
            } else {
                throw error(p, "input: expected a number or null");
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int integer(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw error(p, p.currentName() + ": expected an integer");
        }
        return p.getIntValue();
    }

    private static String text(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_STRING) {
            throw error(p, p.currentName() + ": expected a string or null");
        }
        return p.getText();
    }

    private static Instant instant(JsonParser p, String text) {
        try {
            return Instant.parse(String.valueOf(text));
        } catch (DateTimeParseException e) {
            throw error(p, "time: \"" + text + "\" (expected: ISO-8601 instant)");
        }
    }

    private static IllegalArgumentException error(JsonParser p, String message) {
        return new IllegalArgumentException("column " + p.currentLocation().getColumnNr() + ": " + message);
    }
}
