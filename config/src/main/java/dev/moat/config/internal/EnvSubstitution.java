package dev.moat.config.internal;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in a scalar with environment values, as a
 * POSIX shell would ({@code :-} also applies when the variable is set but empty). {@code $${} writes
 * a literal {@code ${}.
 */
final class EnvSubstitution {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** The substituted text, or the reason it could not be made (never containing a variable's value). */
    record Result(String value, String error) {}

    private EnvSubstitution() {}

    static Result apply(String raw, Map<String, String> env) {
        if (raw.indexOf('$') < 0) {
            return new Result(raw, null);
        }
        StringBuilder out = new StringBuilder(raw.length());
        int i = 0;
        while (i < raw.length()) {
            if (raw.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (raw.startsWith("${", i)) {
                int close = raw.indexOf('}', i + 2);
                if (close < 0) {
                    return new Result(null, "unclosed \"${\" (expected ${NAME} or ${NAME:-default})");
                }
                String inner = raw.substring(i + 2, close);
                int sep = inner.indexOf(":-");
                String name = sep < 0 ? inner : inner.substring(0, sep);
                String fallback = sep < 0 ? null : inner.substring(sep + 2);
                if (!NAME.matcher(name).matches()) {
                    return new Result(
                            null,
                            "\"${" + name + "}\" is not a variable reference (expected ${NAME} or ${NAME:-default})");
                }
                String value = env.get(name);
                if ((value == null || value.isEmpty()) && fallback != null) {
                    value = fallback;
                }
                if (value == null) {
                    return new Result(
                            null,
                            "environment variable " + name + " is not set (expected it set, or a default: ${" + name
                                    + ":-default})");
                }
                out.append(value);
                i = close + 1;
            } else {
                out.append(raw.charAt(i++));
            }
        }
        return new Result(out.toString(), null);
    }
}
