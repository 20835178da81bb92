package dev.moat.gateway.http;

import io.netty.handler.codec.DefaultHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * The name validation of the header fields the gateway's decoders make for requests and answers
 * ({@link FlatHeaders}, which uses {@link #NAMES}; {@link #FACTORY} is Netty's map with the same
 * validator): Netty's, except that the names the gateway itself sets on every exchange (these
 * constants, compared by identity) are not validated again at each {@code set}. Netty validated each of them
 * character by character on every exchange (about 1 % of mode a's CPU); they are checked once,
 * here, when the class loads. Every other name, the wire's included, is validated as before, and
 * values are validated as before.
 */
public final class GatewayHeaders {

    public static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    public static final AsciiString RATELIMIT_POLICY = AsciiString.cached("RateLimit-Policy");
    public static final AsciiString RATELIMIT = AsciiString.cached("RateLimit");

    private static final DefaultHeaders.NameValidator<CharSequence> NETTY =
            DefaultHttpHeadersFactory.headersFactory().getNameValidator();

    /** The names set on every exchange, most frequent first. */
    private static final AsciiString[] SET_EACH_EXCHANGE = {
        X_REQUEST_ID,
        HttpHeaderNames.VIA,
        HttpHeaderNames.HOST,
        X_FORWARDED_FOR,
        X_FORWARDED_PROTO,
        X_FORWARDED_HOST,
        RATELIMIT_POLICY,
        RATELIMIT,
        HttpHeaderNames.CONNECTION,
        HttpHeaderNames.TRANSFER_ENCODING,
        HttpHeaderNames.CONTENT_LENGTH,
        HttpHeaderNames.ACCEPT_ENCODING,
    };

    static {
        for (AsciiString name : SET_EACH_EXCHANGE) {
            NETTY.validateName(name); // a constant that is not a token fails the class, not a request
        }
    }

    static final DefaultHeaders.NameValidator<CharSequence> NAMES = name -> {
        for (AsciiString known : SET_EACH_EXCHANGE) {
            if (name == known) {
                return;
            }
        }
        NETTY.validateName(name);
    };

    /** Netty's header factory with {@link #NAMES} as the name validator. */
    public static final HttpHeadersFactory FACTORY =
            DefaultHttpHeadersFactory.headersFactory().withNameValidator(NAMES);

    private GatewayHeaders() {}

    /** The names that skip re-validation (for tests). */
    static List<AsciiString> setEachExchange() {
        return List.of(SET_EACH_EXCHANGE);
    }
}
