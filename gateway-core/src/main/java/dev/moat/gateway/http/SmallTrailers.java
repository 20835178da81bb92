package dev.moat.gateway.http;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * Trailer headers as {@link FlatHeaders} without arrays until a first field (was Netty's
 * {@code DefaultHttpHeaders}, a 16-slot table, then a 2-slot one). Netty's HTTP decoder gives every
 * body with a {@code Content-Length} a last piece with its own (always empty) trailer headers, so
 * each proxied request and each answer allocated a table nobody fills. The name and value
 * validation are Netty's trailer validators, unchanged (a trailer still cannot be, e.g.,
 * {@code Content-Length}); a chunked message that does carry trailers gets arrays that grow as
 * fields arrive.
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
        return new FlatHeaders(NETTY.getNameValidator(), NETTY.getValueValidator(), 0);
    }

    @Override
    public HttpHeaders newEmptyHeaders() {
        return newHeaders();
    }
}
