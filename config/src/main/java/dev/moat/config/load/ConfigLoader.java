package dev.moat.config.load;

import dev.moat.config.ConfigError;
import dev.moat.config.ConfigException;
import dev.moat.config.DetectorCheck;
import dev.moat.config.MoatConfig;
import dev.moat.config.internal.ConfigReader;
import dev.moat.config.internal.YamlFiles;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads a YAML config file into a validated, immutable {@link MoatConfig}.
 *
 * <p>Every problem is collected and reported together, each located by file, line and column and
 * naming the field, the value and what was expected. {@code ${VAR}} and {@code ${VAR:-default}} in
 * scalar values are replaced from the environment. Relative paths resolve against the directory of
 * the config file. The same entry point serves {@code moat run}, {@code moat validate} and
 * {@code POST /admin/reload}: a reload builds a whole new config or fails without side effects.
 */
public final class ConfigLoader {

    private ConfigLoader() {}

    /** Loads {@code file}, substituting from the process environment. */
    public static MoatConfig load(Path file) throws ConfigException {
        return load(file, System.getenv());
    }

    /** Loads {@code file}, substituting {@code ${VAR}} from {@code env}. */
    public static MoatConfig load(Path file, Map<String, String> env) throws ConfigException {
        return load(file, env, DetectorCheck.NONE);
    }

    /**
     * Loads {@code file}, substituting {@code ${VAR}} from {@code env}, and runs {@code detectors} on
     * every policy's detectors that the loader's own checks passed: what it refuses is an error at
     * the detector's line.
     */
    public static MoatConfig load(Path file, Map<String, String> env, DetectorCheck detectors) throws ConfigException {
        YamlFiles.Text read = YamlFiles.read(file, "YAML file");
        if (read.problem() != null) {
            throw fileError(file, read.problem());
        }
        String text = read.text();
        Path absolute = file.toAbsolutePath().normalize();
        return ConfigReader.read(text, file.toString(), file, absolute.getParent(), env, detectors);
    }

    /**
     * Parses YAML text as if it had been read from {@code sourceName} (used in messages; relative
     * paths resolve against its directory, or the working directory when it has none).
     */
    public static MoatConfig parse(String yaml, String sourceName, Map<String, String> env) throws ConfigException {
        Path source;
        try {
            source = Path.of(sourceName);
        } catch (InvalidPathException e) {
            source = null;
        }
        Path baseDir = source == null
                ? Path.of("").toAbsolutePath()
                : source.toAbsolutePath().normalize().getParent();
        return ConfigReader.read(yaml, sourceName, source, baseDir, env, DetectorCheck.NONE);
    }

    private static ConfigException fileError(Path file, String message) {
        return new ConfigException(List.of(new ConfigError(file.toString(), 1, 1, "", message)));
    }
}
