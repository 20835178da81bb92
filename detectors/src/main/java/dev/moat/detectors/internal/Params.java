package dev.moat.detectors.internal;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed access to one detector's parameter map from config, with messages that name the
 * detector, the parameter, the value and what was expected, e.g.
 * {@code detectors.prada.delta: 1.5 (expected: a number in (0, 1))}.
 */
public final class Params {

    private final String detector;
    private final Map<String, Object> values;

    public Params(String detector, Map<String, Object> values, Set<String> known) {
        this.detector = detector;
        this.values = values == null ? Map.of() : values;
        for (String name : this.values.keySet()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("detectors." + detector + ": unknown parameter \"" + name
                        + "\" (expected one of: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    /** A number in [min, max], or the default when absent. */
    public double number(String name, double defaultValue, double min, double max) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Number n)
                || Double.isNaN(n.doubleValue())
                || n.doubleValue() < min
                || n.doubleValue() > max) {
            throw fail(name, v, "a number in [" + fmt(min) + ", " + fmt(max) + "]");
        }
        return n.doubleValue();
    }

    /** A whole number in [min, max], or the default when absent. */
    public long integer(String name, long defaultValue, long min, long max) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        boolean whole = v instanceof Long
                || v instanceof Integer
                || v instanceof Short
                || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
        if (!whole || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
            throw fail(name, v, "a whole number in [" + min + ", " + max + "]");
        }
        return ((Number) v).longValue();
    }

    /** A string, or the default when absent. */
    public String string(String name, String defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof String s)) {
            throw fail(name, v, "a string");
        }
        return s;
    }

    /** A nested map (for the tenant detector's per-detector parameters), or empty when absent. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> map(String name) {
        Object v = values.get(name);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw fail(name, v, "a map of parameters");
        }
        return (Map<String, Object>) m;
    }

    public IllegalArgumentException fail(String name, Object value, String expected) {
        String shown = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        return new IllegalArgumentException(
                "detectors." + detector + "." + name + ": " + shown + " (expected: " + expected + ")");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
