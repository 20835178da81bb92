package dev.moat.config.internal;

import dev.moat.config.HostPort;
import dev.moat.config.Values;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;

/**
 * The fields of one YAML mapping with a fixed set of names, read with defaults. Unknown names are
 * reported (with a suggestion when one is close) as the view is built.
 */
final class Fields {
    private final ConfigNode owner;
    private final Map<String, ConfigNode> present;
    private final boolean quiet;

    Fields(ConfigNode owner, Map<String, ConfigNode> present, boolean quiet) {
        this.owner = owner;
        this.present = present;
        this.quiet = quiet;
    }

    static Fields of(ConfigNode owner, Map<String, ConfigNode> entries, List<String> names) {
        entries.forEach((name, node) -> {
            if (!names.contains(name)) {
                String hint = DidYouMean.closest(name, names)
                        .map(s -> "did you mean " + s + "? ")
                        .orElse("");
                node.reportAtKey("unknown field (" + hint + "expected one of: " + String.join(", ", names) + ")");
            }
        });
        return new Fields(owner, entries, false);
    }

    /** The field, or an absent node (reporting at this mapping) when it is not written. */
    ConfigNode get(String name) {
        ConfigNode node = present.get(name);
        return node != null ? node : owner.absentChild(name, quiet);
    }

    ConfigNode required(String name) {
        return get(name).required();
    }

    /** The names written, in file order. */
    java.util.Set<String> names() {
        return present.keySet();
    }

    boolean has(String name) {
        return !get(name).isAbsent();
    }

    String string(String name, String def) {
        return get(name).as(def, "a string", s -> s);
    }

    boolean bool(String name, boolean def) {
        return get(name).as(def, "true or false", Values::bool);
    }

    int integer(String name, int min, int max, int def) {
        return (int) longValue(name, min, max, def);
    }

    long longValue(String name, long min, long max, long def) {
        return get(name).as(def, range("an integer", min, max), s -> {
            Long v = Values.integer(s);
            return v != null && v >= min && v <= max ? v : null;
        });
    }

    double number(String name, double def, DoublePredicate ok, String expected) {
        return get(name).as(def, expected, s -> {
            Double v = Values.decimal(s);
            return v != null && ok.test(v) ? v : null;
        });
    }

    /** A positive duration. */
    Duration duration(String name, Duration def) {
        return get(name).as(def, "a positive " + Values.DURATION_EXPECTED.substring(2), s -> {
            Duration d = Values.duration(s);
            return d != null && !d.isZero() ? d : null;
        });
    }

    Duration durationOrZero(String name, Duration def) {
        return get(name).as(def, Values.DURATION_EXPECTED, Values::duration);
    }

    long size(String name, long min, long max, long def) {
        String bound = max == Long.MAX_VALUE ? "" : " up to " + max + " bytes";
        return get(name).as(def, "a positive " + Values.SIZE_EXPECTED.substring(2) + bound, s -> {
            Long v = Values.size(s);
            return v != null && v >= min && v <= max ? v : null;
        });
    }

    HostPort hostPort(String name, HostPort def) {
        return get(name).as(def, Values.HOST_PORT_EXPECTED, Values::hostPort);
    }

    /** A path resolved against the config file's directory, or {@code null} when not written. */
    Path path(String name) {
        return path(get(name));
    }

    static Path path(ConfigNode node) {
        return node.as(null, "a file path", s -> {
            if (s.isBlank() || s.indexOf('\0') >= 0) {
                return null;
            }
            try {
                return node.source().resolve(s);
            } catch (java.nio.file.InvalidPathException e) {
                return null;
            }
        });
    }

    /**
     * A file that must exist and be readable now (a TLS certificate, a calibration), or {@code null}
     * when not written; reported at its line when it is not.
     */
    static Path existingFile(ConfigNode node, String expected) {
        Path p = path(node);
        if (p == null) {
            return null;
        }
        String problem = Files.isDirectory(p)
                ? "is a directory"
                : !Files.exists(p)
                        ? "does not exist"
                        : !Files.isRegularFile(p)
                                ? "is not a regular file"
                                : !Files.isReadable(p) ? "cannot be read" : null;
        if (problem != null) {
            node.report("\"" + p + "\" " + problem + " (expected " + expected + ")");
        }
        return p;
    }

    /**
     * A file the gateway appends to or rewrites (creating its folders), or {@code null} when not
     * written: reported at its line when it is a directory, cannot be written, or sits under a
     * regular file. A folder that does not exist yet is not judged for writing: the machine that
     * validates may not be the one that runs.
     */
    static Path writableFile(ConfigNode node, String expected) {
        Path p = path(node);
        if (p == null) {
            return null;
        }
        String problem = null;
        if (Files.isDirectory(p)) {
            problem = "is a directory";
        } else if (Files.exists(p)) {
            problem = Files.isWritable(p) ? null : "is not writable";
        } else {
            Path folder = p.getParent();
            while (folder != null && !Files.exists(folder)) {
                folder = folder.getParent();
            }
            if (folder != null && !Files.isDirectory(folder)) {
                problem = "cannot be created: " + folder + " is not a directory";
            } else if (folder != null && folder.equals(p.getParent()) && !Files.isWritable(folder)) {
                problem = "cannot be created: its directory is not writable";
            }
        }
        if (problem != null) {
            node.report("\"" + p + "\" " + problem + " (expected " + expected + ")");
        }
        return p;
    }

    String oneOf(String name, Collection<String> options, String def) {
        return oneOf(get(name), options, def);
    }

    static String oneOf(ConfigNode node, Collection<String> options, String def) {
        String expected =
                options.isEmpty() ? "a defined name (none are defined)" : "one of: " + String.join(", ", options);
        return node.as(def, expected, s -> options.contains(s) ? s : null);
    }

    static String range(String what, long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return what + " >= " + min;
        }
        return what + " from " + min + " to " + max;
    }
}
