package dev.moat.gateway.server;

import dev.moat.config.ConfigError;
import dev.moat.config.ConfigException;
import dev.moat.config.DetectorCheck;
import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import dev.moat.detectors.Calibration;
import dev.moat.detectors.engine.DetectorProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where {@code moat run}, {@code moat validate} and a reload read a config from: the file, checked by
 * the loader and then by the detectors themselves (each policy's detectors built from their
 * parameters), so that the three accept the same files and report every error at its file:line:col.
 */
@FunctionalInterface
public interface ConfigSource {

    /** Each detector built from its parameters alone, as {@link MoatServer} builds the policies' profiles. */
    DetectorCheck DETECTORS = (detector, parameters) -> DetectorProfile.fromConfig(Map.of(detector, parameters));

    MoatConfig load() throws ConfigException;

    /** The file, with variables from the process environment. */
    static ConfigSource file(Path path) {
        return file(path, System.getenv());
    }

    /** The file, with variables from the given map (tests). */
    static ConfigSource file(Path path, Map<String, String> env) {
        return () -> {
            MoatConfig config = ConfigLoader.load(path, env, DETECTORS);
            calibrationReadable(config);
            return config;
        };
    }

    /**
     * {@code detection.calibration}, read as the gateway will read it: a file that is missing or does
     * not parse is a config error here, so {@code moat validate} does not call ok a config that {@code
     * moat run} refuses (session 42's review).
     */
    private static void calibrationReadable(MoatConfig config) throws ConfigException {
        Path file = config.detection().calibration();
        if (file == null) {
            return;
        }
        try {
            Calibration.read(file);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(List.of(new ConfigError(
                    String.valueOf(config.source()),
                    0,
                    0,
                    "detection.calibration",
                    file + " cannot be read (" + e.getMessage() + ")")));
        }
    }
}
