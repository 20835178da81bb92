package dev.moat.config.internal;

import dev.moat.config.ConfigError;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.error.Mark;

/**
 * One YAML file being read: the name errors carry, the directory relative paths resolve against, the
 * environment for {@code ${VAR}}, and the error list shared by every file of one load.
 */
public final class Source {
    /**
     * Errors kept for one load: past it, one more says so. A file of two million wrong list items
     * listed every one, and the list ran a 1 GiB heap out.
     */
    static final int MAX_ERRORS = 1_000;

    private final String name;
    private final Path baseDir;
    private final Map<String, String> env;
    private final List<ConfigError> errors;
    /** The errors reported, shared like the list: a node read twice (a tenant's pooled detector) reports once. */
    private final Set<ConfigError> reported;
    /** Errors found, kept or not, shared like the list (one element, so that every file's Source counts). */
    private final int[] found;

    public Source(String name, Path baseDir, Map<String, String> env, List<ConfigError> errors) {
        this(name, baseDir, env, errors, new HashSet<>(errors), new int[] {errors.size()});
    }

    private Source(
            String name,
            Path baseDir,
            Map<String, String> env,
            List<ConfigError> errors,
            Set<ConfigError> reported,
            int[] found) {
        this.name = name;
        this.baseDir = baseDir;
        this.env = Map.copyOf(env);
        this.errors = errors;
        this.reported = reported;
        this.found = found;
    }

    /** A file referenced from this one (e.g. {@code keys_file}), reporting into the same list. */
    Source referenced(String relative) {
        Path named = Path.of(name).getParent() == null
                ? Path.of(relative)
                : Path.of(name).resolveSibling(relative);
        Path resolved = resolve(relative);
        return new Source(named.normalize().toString(), resolved.getParent(), env, errors, reported, found);
    }

    String name() {
        return name;
    }

    Map<String, String> env() {
        return env;
    }

    /** {@code path} made absolute against this file's directory. */
    Path resolve(String path) {
        return baseDir.resolve(path).normalize();
    }

    /** How many errors the load has found so far, including those past {@link #MAX_ERRORS}. */
    int errorCount() {
        return found[0];
    }

    void error(Mark mark, String path, String message) {
        int line = mark == null ? 1 : mark.getLine() + 1;
        int column = mark == null ? 1 : mark.getColumn() + 1;
        if (reported.size() >= MAX_ERRORS) {
            if (found[0]++ == reported.size()) {
                errors.add(new ConfigError(
                        name,
                        line,
                        column,
                        "",
                        "more than " + MAX_ERRORS
                                + " errors; the rest are not listed (expected fewer: fix these first)"));
            }
            return;
        }
        ConfigError error = new ConfigError(name, line, column, path, message);
        if (reported.add(error)) {
            found[0]++;
            errors.add(error);
        }
    }
}
