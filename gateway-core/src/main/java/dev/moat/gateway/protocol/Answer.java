package dev.moat.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An upstream answer parsed by a {@link ProtocolAdapter}: its predictions (one probability row per
 * instance, or per generated token for LLMs), its labels if the protocol carries them, and the
 * parsed document so that {@link ProtocolAdapter#writeAnswer} can put transformed predictions back
 * in the same places.
 *
 * <p>An answer is written back at most once: writing edits the held document in place (no copy on
 * the hot path), so a second {@code writeAnswer} throws {@link IllegalStateException}. Parse the
 * body again to write it twice.
 */
public final class Answer {

    private final double[][] predictions;
    private final int[] labels;
    private final JsonNode document;
    private final Object anchor;
    private final int sourceBytes;
    private boolean written;

    Answer(double[][] predictions, int[] labels, JsonNode document, Object anchor, int sourceBytes) {
        this.predictions = predictions;
        this.labels = labels;
        this.document = document;
        this.anchor = anchor;
        this.sourceBytes = sourceBytes;
    }

    /**
     * The parsed predictions, one row per instance. The array is the answer's own (not a copy):
     * transforms should produce new arrays rather than edit it.
     */
    public double[][] predictions() {
        return predictions;
    }

    /** The labels the answer carries (one per row), or {@code null} when it carries none. */
    public int[] labels() {
        return labels;
    }

    /** The number of rows. */
    public int rows() {
        return predictions.length;
    }

    /**
     * An answer read without a tree ({@code StreamingAnswer}): it holds only its predictions, and
     * writing it writes them anew in the same shape.
     */
    static Answer streamed(double[][] predictions, int sourceBytes) {
        return new Answer(predictions, null, null, STREAMED, sourceBytes);
    }

    private static final Object STREAMED = new Object();

    /** True for an answer read without a tree: {@link #document()} is null. */
    boolean isStreamed() {
        return anchor == STREAMED;
    }

    JsonNode document() {
        return document;
    }

    /** Where the adapter found the predictions (adapter-specific). */
    Object anchor() {
        return anchor;
    }

    /** The size of the body this answer was parsed from, a good first guess for the rewrite. */
    int sourceBytes() {
        return sourceBytes;
    }

    void claimWrite() {
        if (written) {
            throw new IllegalStateException("this answer was already written; parse the body again");
        }
        written = true;
    }
}
