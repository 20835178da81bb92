package dev.moat.detectors.internal;

import dev.moat.detectors.params.ParamSpec;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Typed access to one detector's parameter map from config, by the detector's declared table of
 * parameters ({@link ParamSpec}): a name the table does not hold is refused, and a value is checked
 * against the range the table gives it. Messages name the detector, the parameter, the value and
 * what was expected, e.g. {@code detectors.prada.delta: 1.5 (expected: a number in [0, 1])}.
 */
public final class Params {

    private final String detector;
    private final Map<String, Object> values;
    private final List<ParamSpec> declared;

    public Params(String detector, Map<String, Object> values, List<ParamSpec> declared) {
        this.detector = detector;
        this.values = values == null ? Map.of() : values;
        this.declared = declared;
        for (String name : this.values.keySet()) {
            if (declared.stream().noneMatch(s -> s.name().equals(name))) {
                TreeSet<String> known = new TreeSet<>();
                declared.forEach(s -> known.add(s.name()));
                throw new IllegalArgumentException("detectors." + detector + ": unknown parameter \"" + name
                        + "\" (expected one of: " + String.join(", ", known) + ")");
            }
        }
    }

    /** A number in its declared range, or the default when absent. */
    public double number(String name, double defaultValue) {
        ParamSpec.Decimal spec = spec(name, ParamSpec.Decimal.class);
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Number n)
                || Double.isNaN(n.doubleValue())
                || n.doubleValue() < spec.min()
                || n.doubleValue() > spec.max()) {
            throw fail(name, v, "a number in [" + fmt(spec.min()) + ", " + fmt(spec.max()) + "]");
        }
        return n.doubleValue();
    }

    /** A whole number in its declared range, or the default when absent. */
    public long integer(String name, long defaultValue) {
        ParamSpec.Whole spec = spec(name, ParamSpec.Whole.class);
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        boolean whole = v instanceof Long
                || v instanceof Integer
                || v instanceof Short
                || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
        if (!whole || ((Number) v).longValue() < spec.min() || ((Number) v).longValue() > spec.max()) {
            throw fail(name, v, "a whole number in [" + spec.min() + ", " + spec.max() + "]");
        }
        return ((Number) v).longValue();
    }

    /** A string, or the default when absent. */
    public String string(String name, String defaultValue) {
        spec(name, ParamSpec.Text.class);
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
        spec(name, ParamSpec.Nested.class);
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

    /** The declaration of {@code name}, which a detector reads only as the kind it declared. */
    private <T extends ParamSpec> T spec(String name, Class<T> kind) {
        for (ParamSpec s : declared) {
            if (s.name().equals(name) && kind.isInstance(s)) {
                return kind.cast(s);
            }
        }
        throw new IllegalStateException("detectors." + detector + "." + name + " is read as a " + kind.getSimpleName()
                + " but not declared so");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
