package dev.moat.detectors;

/**
 * The detector SPI. A detector instance belongs to one engine worker (so any population
 * statistics it keeps, such as the median over its shard's keys, need no locks); it creates one
 * state per key and updates it with every query row of that key, always on that worker's thread.
 *
 * <p>{@link #update} runs on the hot path for every row: it must not allocate in loops, box, or
 * block. {@link #score} is cheap and called per event; {@link #reason} builds a string and is
 * called only when the engine publishes a changed score.
 *
 * @param <S> the per-key state
 */
public interface Detector<S> {

    /** The name in config and in verdicts, e.g. {@code "prada"}. */
    String name();

    /** A fresh state for a key that has sent nothing yet. */
    S newState();

    /**
     * Adds one query row. {@code prediction} may be empty (no parsable answer) and {@code input} may
     * have any length; a detector ignores what it cannot use.
     */
    void update(S state, double[] input, double[] prediction, long timeMillis);

    /** The current score in [0, 1]. */
    double score(S state, long timeMillis);

    /** Why the score is what it is, e.g. {@code "prada: W=0.81 < 0.90 after 340 queries"}. */
    String reason(S state, long timeMillis);

    /**
     * Tells the detector the key's published risk (over all its detectors, profiles and its tenant)
     * after each event: detectors that learn a reference from peers let only keys whose risk is low
     * shape it, so a key caught by any detector stops shaping every reference. Default: ignored.
     */
    default void observeRisk(S state, double risk) {}

    /** Builds a detector from validated parameters; one {@link #create()} per engine worker. */
    interface Factory {

        /** The detector name. */
        String name();

        /** A new detector instance for one worker. */
        Detector<?> create();

        /** A factory named {@code name} that builds detectors with {@code create}. */
        static Factory of(String name, java.util.function.Supplier<Detector<?>> create) {
            return new Factory() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public Detector<?> create() {
                    return create.get();
                }
            };
        }
    }
}
