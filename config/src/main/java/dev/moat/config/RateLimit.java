package dev.moat.config;

import java.time.Duration;

/**
 * One token-bucket limit such as {@code "100/1m"}: {@code capacity} tokens, refilled greedily over
 * {@code period}.
 *
 * @param text the form it was written in, for headers and messages
 */
public record RateLimit(long capacity, Duration period, String text) {

    /**
     * Parses {@code COUNT/[N]UNIT} with unit {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}:
     * {@code "100/1m"}, {@code "5000/1d"}, {@code "10/s"}.
     *
     * @throws IllegalArgumentException when the text is not a rate with a positive count and period
     */
    public static RateLimit parse(String text) {
        RateLimit parsed = dev.moat.config.Values.rate(text);
        if (parsed == null) {
            throw new IllegalArgumentException(
                    "\"" + text + "\" (expected " + dev.moat.config.Values.RATE_EXPECTED + ")");
        }
        return parsed;
    }
}
