package dev.moat.detectors.params;

/**
 * One parameter a detector takes from its config map, and what it accepts. Each detector declares
 * its parameters in one table of these ({@code PARAMETERS}) and reads them only through that table,
 * so the table is the whole of what the detector accepts by name and range (rules that join two
 * parameters, such as {@code z_high} above {@code z_low}, stay in the detector's code). {@link
 * dev.moat.detectors.engine.DetectorProfile#parameters()} lists the tables: the config loader, which
 * cannot depend on the detectors, keeps its own, and gateway-core's tests compare the two.
 */
public sealed interface ParamSpec {

    /** The parameter's name in the config, e.g. {@code max_widening}. */
    String name();

    /** A whole number in [min, max]. */
    record Whole(String name, long min, long max) implements ParamSpec {}

    /** A number in [min, max]. */
    record Decimal(String name, double min, double max) implements ParamSpec {}

    /** A string, whose form the detector checks when it reads it (a choice, a list of numbers). */
    record Text(String name) implements ParamSpec {}

    /** A map of the named detector's own parameters (the {@code tenant} detector's pooled detectors). */
    record Nested(String name) implements ParamSpec {}
}
