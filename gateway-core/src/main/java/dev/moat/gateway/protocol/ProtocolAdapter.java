package dev.moat.gateway.protocol;

import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * Maps one wire protocol's JSON bodies to what detectors and output transforms work on: input
 * feature rows from a request, probability rows from an answer, and back into the answer's own
 * shape. Pure byte/JSON logic with no Netty pipeline code; the proxy calls it on an aggregated
 * body. Get one with {@link ProtocolAdapters#forUpstream}.
 *
 * <p>Buffers: no method moves the reader index of, or releases, a buffer it is given; a buffer it
 * returns belongs to the caller. Adapters are stateless and thread-safe.
 */
public interface ProtocolAdapter {

    /** The protocol this adapter speaks. */
    Protocol protocol();

    /**
     * The input feature rows of a request body, one per instance (for detectors and the watermark).
     *
     * @throws MalformedBodyException if the body is not a request of this protocol (the proxy answers 400)
     */
    double[][] inputs(ByteBuf requestBody) throws MalformedBodyException;

    /**
     * Reads a request once, before it goes upstream: its input rows, how many answers it asks for,
     * and the body to send. By default the rows of {@link #inputs}, one answer each, and the body
     * itself; an adapter whose protocol frames a body by a header field, lets a request ask for
     * answers the policy stage could not read, or lets one input row ask for many answers, overrides it.
     *
     * @param headers the request's header fields; an override may rewrite the ones that frame the
     *     body it returns
     * @return the rows and the body to send: {@code requestBody} itself, or a new buffer the caller
     *     owns (and then releases {@code requestBody})
     * @throws MalformedBodyException as {@link #inputs}
     */
    default Inbound read(ByteBuf requestBody, HttpHeaders headers, ByteBufAllocator alloc)
            throws MalformedBodyException {
        return new Inbound(inputs(requestBody), requestBody, false);
    }

    /**
     * What {@link #read} found: the request's input rows, the body that goes upstream, whether the
     * client asked for its answer in the protocol's byte form (then {@link #writeAnswerAsBytes}
     * writes it so), and how many rows of the tier's bucket the request costs: one per answer it asks
     * for (an LLM's prompts times {@code n}), at least one per input row.
     */
    record Inbound(double[][] rows, ByteBuf body, boolean answerAsBytes, int answersAsked) {

        /** A request that asks for one answer per input row. */
        public Inbound(double[][] rows, ByteBuf body, boolean answerAsBytes) {
            this(rows, body, answerAsBytes, rows.length);
        }
    }

    /**
     * {@link #writeAnswer}, in the protocol's byte form when it has one, for a request that asked for
     * it ({@link Inbound#answerAsBytes}), with the header fields that frame it set on {@code
     * headers}; by default (no byte form) the JSON {@link #writeAnswer} writes, {@code headers} left alone.
     */
    default ByteBuf writeAnswerAsBytes(
            Answer answer, double[][] predictions, List<String> strip, ByteBufAllocator alloc, HttpHeaders headers) {
        return writeAnswer(answer, predictions, strip, alloc);
    }

    /**
     * Parses an upstream answer into predictions (one probability row per instance).
     *
     * @throws MalformedBodyException if the answer is not in the expected shape (the proxy fails
     *                                closed with 502)
     */
    Answer parseAnswer(ByteBuf responseBody) throws MalformedBodyException;

    /**
     * The answer rewritten in the same shape with {@code predictions} in place of the parsed ones,
     * and every JSON pointer in {@code strip} removed (pointers that lead nowhere are ignored).
     *
     * @param predictions the same row count and row widths as {@link Answer#predictions()}, finite
     * @return a new buffer from {@code alloc} that the caller releases
     * @throws IllegalArgumentException if the predictions do not fit the answer or are not finite
     * @throws IllegalStateException    if {@code answer} was already written
     */
    ByteBuf writeAnswer(Answer answer, double[][] predictions, List<String> strip, ByteBufAllocator alloc);
}
