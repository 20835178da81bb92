package dev.moat.gateway.protocol;

import dev.moat.gateway.http.MalformedBodyException;

/**
 * The model output an upstream's {@code prediction_output} names as the one that carries the
 * probabilities, and where it was configured.
 */
record PredictionOutput(String name, String setting) {

    /** {@code name} as upstream {@code upstream}'s setting. */
    static PredictionOutput of(String upstream, String name) {
        return new PredictionOutput(name, "upstreams." + upstream + ".prediction_output");
    }

    /** The answer lacks the named output: malformed (never another output in its place). */
    MalformedBodyException missing(String where) {
        // another output may be logits, which rounding leaves nearly whole
        return new MalformedBodyException(
                where + ": no output named \"" + name + "\" in the model's answer (" + setting + ")");
    }
}
