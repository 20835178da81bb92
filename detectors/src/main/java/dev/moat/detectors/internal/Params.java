package dev.moat.detectors.internal;

import dev.moat.detectors.params.ParamSpec;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Typed access to one detector's parameter map from config, by the detector's declared table of
 * parameters ({@link ParamSpec}): every parameter given is checked when the map is taken, a name
 * the table does not hold refused and a value held to the kind and range the table gives it, so a
 * detector accepts exactly what its table shows. Messages name the detector, the parameter, the
 * value and what was expected, e.g. {@code detectors.prada.delta: 1.5 (expected: a number in [0, 1])}.
 */
public final class Params {

    private final String detector;
    private final Map<String, Object> values;
    private final List<ParamSpec> declared;

    /**
     * @throws IllegalArgumentException for a name {@code declared} does not hold, or a value out of
     *                                  its declared range or of the wrong kind, read later or not
     */
    public Params(String detector, Map<String, Object> values, List<ParamSpec> declared) {
        this.detector = detector;
        this.values = values == null ? Map.of() : values;
        this.declared = declared;
        this.values.forEach((name, value) -> {
            ParamSpec spec = declared.stream()
                    .filter(s -> s.name().equals(name))
                    .findFirst()
                    .orElseThrow(() -> unknown(name));
            if (value != null) {
                check(spec, value);
            }
        });
    }

    /** A number in its declared range, or the default when absent. */
    public double number(String name, double defaultValue) {
        spec(name, ParamSpec.Decimal.class);
        Object v = values.get(name);
        return v == null ? defaultValue : ((Number) v).doubleValue();
    }

    /** A whole number in its declared range, or the default when absent. */
    public long integer(String name, long defaultValue) {
        spec(name, ParamSpec.Whole.class);
        Object v = values.get(name);
        return v == null ? defaultValue : ((Number) v).longValue();
    }

    /** A string, or the default when absent. */
    public String string(String name, String defaultValue) {
        spec(name, ParamSpec.Text.class);
        Object v = values.get(name);
        return v == null ? defaultValue : (String) v;
    }

    /** A nested map (for the tenant detector's per-detector parameters), or empty when absent. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> map(String name) {
        spec(name, ParamSpec.Nested.class);
        Object v = values.get(name);
        return v == null ? Map.of() : (Map<String, Object>) v;
    }

    public IllegalArgumentException fail(String name, Object value, String expected) {
        String shown = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        return new IllegalArgumentException(
                "detectors." + detector + "." + name + ": " + shown + " (expected: " + expected + ")");
    }

    private void check(ParamSpec spec, Object v) {
        String name = spec.name();
        if (spec instanceof ParamSpec.Decimal d) {
            if (!(v instanceof Number n)
                    || Double.isNaN(n.doubleValue())
                    || n.doubleValue() < d.min()
                    || n.doubleValue() > d.max()) {
                throw fail(name, v, "a number in [" + fmt(d.min()) + ", " + fmt(d.max()) + "]");
            }
        } else if (spec instanceof ParamSpec.Whole w) {
            boolean whole = v instanceof Long
                    || v instanceof Integer
                    || v instanceof Short
                    || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
            if (!whole || ((Number) v).longValue() < w.min() || ((Number) v).longValue() > w.max()) {
                throw fail(name, v, "a whole number in [" + w.min() + ", " + w.max() + "]");
            }
        } else if (spec instanceof ParamSpec.Text) {
            if (!(v instanceof String)) {
                throw fail(name, v, "a string");
            }
        } else if (!(v instanceof Map<?, ?>)) {
            throw fail(name, v, "a map of parameters");
        }
    }

    private IllegalArgumentException unknown(String name) {
        TreeSet<String> known = new TreeSet<>();
        declared.forEach(s -> known.add(s.name()));
        return new IllegalArgumentException("detectors." + detector + ": unknown parameter \"" + name
                + "\" (expected one of: " + String.join(", ", known) + ")");
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
