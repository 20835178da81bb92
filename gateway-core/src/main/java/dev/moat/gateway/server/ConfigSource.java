package dev.moat.gateway.server;

import dev.moat.config.ConfigException;
import dev.moat.config.DetectorCheck;
import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import dev.moat.detectors.Calibration;
import dev.moat.detectors.engine.DetectorProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where {@code moat run}, {@code moat validate} and a reload read a config from: the file, checked by
 * the loader and then by the detectors themselves (each policy's detectors built from their
 * parameters), so that the three accept the same files and report every error at its file:line:col.
 */
@FunctionalInterface
public interface ConfigSource {

    /**
     * Each detector built from its parameters alone, as {@link MoatServer} builds the policies'
     * profiles, and {@code detection.calibration} read as the gateway will read it: so {@code moat
     * validate} does not call ok a config that {@code moat run} refuses (session 42's review), and
     * what is wrong is reported at the field's line (it was "0:0").
     */
    DetectorCheck DETECTORS = new DetectorCheck() {
        @Override
        public void check(String detector, Map<String, Object> parameters) {
            DetectorProfile.fromConfig(Map.of(detector, parameters));
        }

        @Override
        public void calibration(Path file) {
            try {
                Calibration.read(file);
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        file + " cannot be read (" + e.getClass().getSimpleName() + ")");
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        file + " cannot be read (" + e.getClass().getSimpleName() + ")");
            }
        }
    };

    MoatConfig load() throws ConfigException;

    /** The file, with variables from the process environment. */
    static ConfigSource file(Path path) {
        return file(path, System.getenv());
    }

    /** The file, with variables from the given map (tests). */
    static ConfigSource file(Path path, Map<String, String> env) {
        return () -> ConfigLoader.load(path, env, DETECTORS);
    }
}
