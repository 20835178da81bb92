package dev.moat.gateway.proxy;

import dev.moat.gateway.http.Problem;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * A request body sent with a content coding, on a route whose policy reads bodies: decoded here, so
 * that the detectors read the values and the model is sent the same decoded bytes (Triton's clients
 * compress requests with {@code gzip} or {@code deflate} when asked to, and Triton decodes them).
 * Before, the coded bytes met the JSON parser and the request was refused as "not valid JSON".
 *
 * <p>Why hand-written: Netty's {@code HttpContentDecompressor} is a pipeline stage for every request
 * on a connection, where only inspected bodies, already aggregated, need it; the JDK's streams do the
 * decoding, and what is written here is the cap: the decoded body may not exceed {@code
 * max_request_bytes} (a few kilobytes of gzip can decode to gigabytes).
 */
final class RequestCoding {

    /** The codings decoded: what Triton's server and clients speak (RFC 9110 section 8.4.1). */
    static final String ACCEPTED = "gzip, deflate";

    /** Why a coded body could not be decoded: the problem to answer. */
    static final class Refused extends Exception {
        final transient Problem problem;

        Refused(Problem problem) {
            super(problem.detail(), null, false, false);
            this.problem = problem;
        }
    }

    private RequestCoding() {}

    /** True when {@code coding} (the request's Content-Encoding, or null) names a coding other than identity. */
    static boolean coded(String coding) {
        return coding != null && !coding.isBlank() && !coding.trim().equalsIgnoreCase("identity");
    }

    /**
     * The decoded body, a new buffer the caller owns ({@code body} is left as it is).
     *
     * @throws Refused 415 for a coding other than gzip or deflate (or a list of codings), 400 for
     *     bytes that are not of the coding, 413 when the decoded body is larger than {@code max}
     */
    static ByteBuf decode(String coding, ByteBuf body, long max, ByteBufAllocator alloc) throws Refused {
        String c = coding.trim().toLowerCase(Locale.ROOT);
        ByteBuf out = alloc.buffer((int) Math.min(max, Math.max(256, 4L * body.readableBytes())));
        try (InputStream in = switch (c) {
            case "gzip", "x-gzip" -> new GZIPInputStream(new ByteBufInputStream(body.duplicate()), 8192);
            case "deflate" -> new InflaterInputStream(new ByteBufInputStream(body.duplicate()));
            default ->
                throw new Refused(new Problem(
                        "unsupported-content-coding",
                        io.netty.handler.codec.http.HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                        "Unsupported content coding",
                        "Content-Encoding \"" + coding + "\" is not decoded on this route (" + ACCEPTED
                                + ", or none)"));
        }) {
            byte[] chunk = new byte[8192];
            for (int n; (n = in.read(chunk)) > 0; ) {
                if (out.readableBytes() + (long) n > max) {
                    throw new Refused(Problem.tooLarge("the request body decodes to more than " + max + " bytes"));
                }
                out.writeBytes(chunk, 0, n);
            }
            return out;
        } catch (Refused e) {
            out.release();
            throw e;
        } catch (ZipException | java.io.EOFException e) {
            out.release();
            throw new Refused(Problem.badRequest("the request body is not valid " + c + " data"));
        } catch (IOException | RuntimeException e) {
            out.release();
            throw new Refused(Problem.badRequest("the request body could not be decoded as " + c));
        }
    }
}
