package dev.moat.policies;

import java.time.Instant;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Per-request state handed to every {@link OutputTransform}: a random source, the input row of the
 * answer being transformed, the API key id and the request time; and, going the other way, which
 * actions actually changed something and whether the watermark fired.
 *
 * <p>One context belongs to one request on one thread: it is mutable and not thread-safe, and its
 * random source must not be shared with other threads (use {@link #seeded} per request, or
 * {@link java.util.concurrent.ThreadLocalRandom#current()} on the calling thread). For a batch,
 * {@link TransformChain#apply(double[][], double[][], TransformContext)} points {@link #input()} at
 * each row's features in turn.
 */
public final class TransformContext {

    private static final int INITIAL_ACTIONS = 8;

    private final RandomGenerator random;
    private final String keyId;
    private final String tenant;
    private final Instant time;
    private double watermarkRate = Double.NaN;
    private double[] input;
    private String[] actionNames = new String[INITIAL_ACTIONS];
    private int[] actionCounts = new int[INITIAL_ACTIONS];
    private int actions;
    private int watermarks;
    private boolean uncounted;

    /**
     * @param random a source used only by this request's thread
     * @param input  the feature row of the answer to transform, or {@code null} when unknown
     * @param keyId  the API key id (never the secret), or {@code null} for anonymous routes
     * @param time   when the request arrived; written to the watermark ledger
     */
    public TransformContext(RandomGenerator random, double[] input, String keyId, Instant time) {
        this(random, input, keyId, null, time);
    }

    /** @param tenant the key's tenant, or {@code null}; written to the watermark ledger */
    public TransformContext(RandomGenerator random, double[] input, String keyId, String tenant, Instant time) {
        this.random = Objects.requireNonNull(random, "random");
        this.input = input;
        this.keyId = keyId;
        this.tenant = tenant;
        this.time = Objects.requireNonNull(time, "time");
    }

    /** A context with its own {@link SplittableRandom}: reproducible in tests and benchmarks. */
    public static TransformContext seeded(long seed, double[] input, String keyId, Instant time) {
        return new TransformContext(new SplittableRandom(seed), input, keyId, time);
    }

    public RandomGenerator random() {
        return random;
    }

    /** The feature row of the answer being transformed, or {@code null} when the adapter has none. */
    public double[] input() {
        return input;
    }

    /** Points the context at the next row of a batch. */
    public TransformContext input(double[] row) {
        this.input = row;
        return this;
    }

    public String keyId() {
        return keyId;
    }

    public Instant time() {
        return time;
    }

    public String tenant() {
        return tenant;
    }

    /** The watermark rate an escalation step set for this key, or NaN for the policy's base rate. */
    public double watermarkRate() {
        return watermarkRate;
    }

    /** Sets the escalated watermark rate for this request (NaN: the base rate). */
    public TransformContext watermarkRate(double rate) {
        this.watermarkRate = rate;
        return this;
    }

    /**
     * Turns the counting of {@link #applied} on or off: a pass whose actions were counted already
     * (the policy's minimisation run again after a perturbation) reuses the request's context
     * without counting them twice, instead of a second context per request.
     */
    public TransformContext counting(boolean on) {
        this.uncounted = !on;
        return this;
    }

    /** Called by a transform that changed a vector; counts per action name (unless counting is off). */
    public void applied(String action) {
        if (uncounted) {
            return;
        }
        for (int i = 0; i < actions; i++) {
            // action names are constants, so identity usually hits first
            if (actionNames[i] == action || actionNames[i].equals(action)) {
                actionCounts[i]++;
                return;
            }
        }
        if (actions == actionNames.length) {
            actionNames = java.util.Arrays.copyOf(actionNames, actions * 2);
            actionCounts = java.util.Arrays.copyOf(actionCounts, actions * 2);
        }
        actionNames[actions] = action;
        actionCounts[actions++] = 1;
    }

    /** Called by the watermark transform when it rewrote an answer. */
    public void watermarked() {
        watermarks++;
        applied("watermark");
    }

    /** How many rows the named action changed in this request (0 when it changed none). */
    public int appliedCount(String action) {
        for (int i = 0; i < actions; i++) {
            if (actionNames[i].equals(action)) {
                return actionCounts[i];
            }
        }
        return 0;
    }

    /** Whether the named action changed at least one row. */
    public boolean wasApplied(String action) {
        return appliedCount(action) > 0;
    }

    /** Number of distinct actions that changed something; see {@link #actionName(int)}. */
    public int actionCount() {
        return actions;
    }

    /** The i-th distinct action, in the order first applied; for metric loops without allocation. */
    public String actionName(int i) {
        return actionNames[java.util.Objects.checkIndex(i, actions)];
    }

    /** How many rows the i-th distinct action changed. */
    public int actionTimes(int i) {
        return actionCounts[java.util.Objects.checkIndex(i, actions)];
    }

    /** Whether any row of this request was watermarked. */
    public boolean watermarkFired() {
        return watermarks > 0;
    }

    /** How many rows of this request were watermarked. */
    public int watermarkCount() {
        return watermarks;
    }
}
