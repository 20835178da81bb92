package dev.moat.gateway.server;

import dev.moat.config.ConfigException;
import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import java.nio.file.Path;
import java.util.Map;

/** Where a reload reads the next config from. */
@FunctionalInterface
public interface ConfigSource {

    MoatConfig load() throws ConfigException;

    /** The file, with variables from the process environment. */
    static ConfigSource file(Path path) {
        return () -> ConfigLoader.load(path);
    }

    /** The file, with variables from the given map (tests). */
    static ConfigSource file(Path path, Map<String, String> env) {
        return () -> ConfigLoader.load(path, env);
    }
}
