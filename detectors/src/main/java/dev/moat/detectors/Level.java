package dev.moat.detectors;

import dev.moat.detectors.engine.EngineSettings;
import java.util.Locale;

/** How far a key's risk has gone: the escalation ladder in {@code policies} maps it to actions. */
public enum Level {
    OK,
    SUSPICIOUS,
    EXTRACTING;

    /** The lower-case name used in JSON and metrics tags ({@code ok}, {@code suspicious}, {@code extracting}). */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The level of a risk under the two thresholds of {@link EngineSettings}. */
    public static Level of(double risk, double suspiciousAt, double extractingAt) {
        if (risk >= extractingAt) {
            return EXTRACTING;
        }
        return risk >= suspiciousAt ? SUSPICIOUS : OK;
    }
}
