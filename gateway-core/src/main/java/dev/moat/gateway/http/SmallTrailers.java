package dev.moat.gateway.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * Trailer headers with a 2-slot hash table instead of Netty's 16. Netty's HTTP decoder gives every
 * body with a {@code Content-Length} a last piece with its own (always empty) trailer headers, so
 * each proxied request and each answer allocated an 80-byte table nobody fills. The name and value
 * validation are Netty's trailer validators, unchanged (a trailer still cannot be, e.g.,
 * {@code Content-Length}); a chunked message that does carry trailers gets a table that grows as
 * usual.
 */
public final class SmallTrailers implements HttpHeadersFactory {

    public static final SmallTrailers FACTORY = new SmallTrailers();

    private static final DefaultHttpHeadersFactory NETTY = DefaultHttpHeadersFactory.trailersFactory();

    private SmallTrailers() {}

    /** Netty's defaults for the three limits given, with these trailers and {@link FlatHeaders} as the heads' fields. */
    public static HttpDecoderConfig decoderConfig(int maxInitialLineLength, int maxHeaderSize, int maxChunkSize) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineLength)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(maxChunkSize)
                .setHeadersFactory(FlatHeaders.FACTORY)
                .setTrailersFactory(FACTORY);
    }

    @Override
    public HttpHeaders newHeaders() {
        return new Trailers();
    }

    @Override
    public HttpHeaders newEmptyHeaders() {
        return new Trailers();
    }

    private static final class Trailers extends DefaultHttpHeaders {
        Trailers() {
            super(NETTY.getNameValidator(), NETTY.getValueValidator(), 2);
        }
    }
}
