package dev.moat.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The detectors' own check of one detector's parameters, which the loader runs after its own
 * ({@link DetectorParameters}) on every detector those left without an error: what a detector
 * would still refuse (a rule the loader does not know, such as {@code cross_key}'s store size for
 * its coordinates) is then reported at the detector's line, with the policy and the detector, like
 * any other error. The config module cannot depend on the detectors: the gateway passes the check in.
 */
@FunctionalInterface
public interface DetectorCheck {

    /** No check beyond the loader's own. */
    DetectorCheck NONE = (detector, parameters) -> {};

    /**
     * @param detector   a name of {@link DetectorNames#ALL}
     * @param parameters its parameters as {@link PolicyConfig#detectors()} will hold them
     * @throws IllegalArgumentException naming the parameter, the value and what was expected
     */
    void check(String detector, Map<String, Object> parameters);

    /**
     * The detectors' check of {@code detection.calibration}, a readable regular file by the time it
     * is called: what they would refuse in it is then an error at that field's line.
     *
     * @throws IllegalArgumentException naming the calibration file's line and what was expected
     */
    default void calibration(Path file) {}
}
