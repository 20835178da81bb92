package dev.moat.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.config.Values;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A JSON object body of an admin call, read field by field: an unknown field, a wrong type or a bad
 * value throws a 422 naming the field, the value and what was expected.
 */
public final class AdminBody {

    /** Key ids and tenants made at runtime: the YAML's id characters, safe in URLs and logs. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode node;

    private AdminBody(JsonNode node) {
        this.node = node;
    }

    /** Parses a body (empty means {@code {}}) allowing only the given fields. */
    public static AdminBody parse(String body, Set<String> allowed) throws AdminProblemException {
        JsonNode n;
        try {
            n = body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            throw new AdminProblemException(AdminProblems.badRequest("the body is not JSON"));
        }
        if (n == null || !n.isObject()) {
            throw new AdminProblemException(AdminProblems.badRequest("the body must be a JSON object"));
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw invalid(f + ": unknown field (expected one of: " + String.join(", ", sorted(allowed)) + ")");
            }
        }
        return new AdminBody(n);
    }

    /** A string field, or null when absent or null. */
    public String string(String field) throws AdminProblemException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw invalid(field + ": " + v + " (expected a string)");
        }
        return v.asText();
    }

    /** A string field matching {@link #ID}, or null when absent. */
    public String id(String field) throws AdminProblemException {
        String s = string(field);
        if (s != null && !ID.matcher(s).matches()) {
            throw invalid(field + ": \"" + s + "\" (expected 1-128 of A-Z a-z 0-9 . _ -, starting alphanumeric)");
        }
        return s;
    }

    /** A duration such as {@code "24h"} between 0 and {@code max}, or {@code dflt} when absent. */
    public Duration duration(String field, Duration dflt, Duration max) throws AdminProblemException {
        String s = string(field);
        if (s == null) {
            if (dflt == null) {
                throw invalid(field + ": required (expected a duration such as \"1h\")");
            }
            return dflt;
        }
        Duration d = Values.duration(s);
        if (d == null || d.isNegative() || d.compareTo(max) > 0) {
            throw invalid(field + ": \"" + s + "\" (expected a duration such as \"30m\", \"24h\", at most "
                    + max.toHours() + "h)");
        }
        return d;
    }

    /** An RFC 3339 time such as {@code "2026-12-31T00:00:00Z"}, or null when absent. */
    public Instant instant(String field) throws AdminProblemException {
        String s = string(field);
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw invalid(field + ": \"" + s + "\" (expected an RFC 3339 time such as \"2026-12-31T00:00:00Z\")");
        }
    }

    private static AdminProblemException invalid(String detail) {
        return new AdminProblemException(AdminProblems.invalid(detail));
    }

    private static java.util.List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }
}
