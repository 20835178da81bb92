package dev.moat.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link FlatHeaders} against Netty's {@code DefaultHttpHeaders} with the gateway's validators
 * ({@link GatewayHeaders#FACTORY}, what the decoders made before): the same operations, drawn at
 * random over names in any case (the gateway's constants, wire names, hop-by-hop names, invalid
 * names) and values (text, numbers, dates, invalid values, lists with a null), must leave the same
 * fields in the same order and answer every look-up alike, and fail alike.
 */
class FlatHeadersTest {

    private static final CharSequence[] NAMES = {
        HttpHeaderNames.CONTENT_LENGTH,
        "content-length",
        "Content-Length",
        "CONTENT-LENGTH",
        HttpHeaderNames.CONNECTION,
        "Connection",
        HttpHeaderNames.TRANSFER_ENCODING,
        "transfer-encoding",
        HttpHeaderNames.HOST,
        "Host",
        GatewayHeaders.X_REQUEST_ID,
        "X-Request-Id",
        GatewayHeaders.X_FORWARDED_FOR,
        "x-forwarded-for",
        HttpHeaderNames.VIA,
        "via",
        "te",
        "TE",
        "x-a",
        "X-B",
        "x-b",
        new AsciiString("Keep-Alive"),
        "bad name",
        "a:b",
        "",
        "x\u00e9"
    };

    private static final Object[] VALUES = {
        "keep-alive",
        "close",
        "Keep-Alive, x-a",
        "chunked",
        "0",
        "3072",
        "-1",
        "12345678901",
        new AsciiString("1.1 moat"),
        "",
        " spaced ",
        "a\r\nb",
        "x\u0000y",
        42,
        7L,
        new Date(1_700_000_000_000L)
    };

    @Test
    void behavesAsNettysHeadersUnderRandomOperations() {
        compare(GatewayHeaders.FACTORY, FlatHeaders.FACTORY, 15);
    }

    /** The trailers (Netty's trailer validators: no Content-Length, Transfer-Encoding, Trailer) alike. */
    @Test
    void trailersBehaveAsNettysTrailers() {
        compare(DefaultHttpHeadersFactory.trailersFactory(), SmallTrailers.FACTORY, 16);
    }

    private static void compare(HttpHeadersFactory nettys, HttpHeadersFactory flats, long seed) {
        Random r = new Random(seed);
        for (int run = 0; run < 600; run++) {
            HttpHeaders netty = r.nextBoolean() ? nettys.newHeaders() : nettys.newEmptyHeaders();
            HttpHeaders flat = r.nextBoolean() ? flats.newHeaders() : flats.newEmptyHeaders();
            int ops = 1 + r.nextInt(40);
            for (int i = 0; i < ops; i++) {
                int op = r.nextInt(11);
                CharSequence name = NAMES[r.nextInt(NAMES.length)];
                Object value = VALUES[r.nextInt(VALUES.length)];
                int count = r.nextInt(3);
                String a = apply(netty, op, name, value, count);
                String b = apply(flat, op, name, value, count);
                assertThat(b).as("op %d on %s=%s", op, name, value).isEqualTo(a);
                assertSame(netty, flat);
            }
        }
    }

    /** Applies an operation; returns the class of what it threw, or "ok". */
    private static String apply(HttpHeaders h, int op, CharSequence name, Object value, int count) {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(value);
        }
        if (count == 2) {
            list.add(null);
            list.add(value);
        }
        try {
            switch (op) {
                case 0, 1, 2 -> h.add(name, value);
                case 3, 4 -> h.set(name, value);
                case 5 -> h.remove(name);
                case 6 -> h.addInt(name, value.hashCode() & 0xffff);
                case 7 -> h.setInt(name, value.hashCode() & 0xff);
                case 8 -> h.set(name, list);
                case 9 -> h.add(name.toString(), list.subList(0, Math.min(count, 1)));
                case 10 -> {
                    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence();
                            it.hasNext(); ) {
                        if (AsciiString.contentEqualsIgnoreCase(it.next().getKey(), name)) {
                            it.remove();
                            break;
                        }
                    }
                }
                default -> throw new AssertionError();
            }
            return "ok";
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }

    private static void assertSame(HttpHeaders netty, HttpHeaders flat) {
        assertThat(fields(flat)).isEqualTo(fields(netty));
        assertThat(flat.size()).isEqualTo(netty.size());
        assertThat(flat.isEmpty()).isEqualTo(netty.isEmpty());
        // Netty's set holds the stored names as objects (an AsciiString and a String of the same
        // text both appear); the distinct names, without case, are what a caller can rely on
        assertThat(lower(flat.names())).isEqualTo(lower(netty.names()));
        assertThat(flat.entries()).isEqualTo(netty.entries());
        for (CharSequence name : NAMES) {
            assertThat(flat.get(name)).isEqualTo(netty.get(name));
            assertThat(flat.get(name.toString())).isEqualTo(netty.get(name.toString()));
            assertThat(flat.getAll(name)).isEqualTo(netty.getAll(name));
            assertThat(flat.contains(name)).isEqualTo(netty.contains(name));
            assertThat(flat.getInt(name)).isEqualTo(netty.getInt(name));
            assertThat(flat.getShort(name)).isEqualTo(netty.getShort(name));
            assertThat(outcome(() -> flat.getTimeMillis(name))).isEqualTo(outcome(() -> netty.getTimeMillis(name)));
            for (String v : new String[] {"keep-alive", "close", "chunked", "x-a"}) {
                assertThat(flat.containsValue(name, v, true)).isEqualTo(netty.containsValue(name, v, true));
                assertThat(flat.containsValue(name, v, false)).isEqualTo(netty.containsValue(name, v, false));
                assertThat(flat.contains(name, v, true)).isEqualTo(netty.contains(name, v, true));
                assertThat(flat.contains(name.toString(), v, false))
                        .isEqualTo(netty.contains(name.toString(), v, false));
            }
            List<String> values = new ArrayList<>();
            flat.valueCharSequenceIterator(name).forEachRemaining(v -> values.add(v.toString()));
            assertThat(values).isEqualTo(netty.getAll(name));
        }
        assertThat(fields(flat.copy())).isEqualTo(fields(netty));
        HttpHeaders into = FlatHeaders.FACTORY.newHeaders().add("x-old", "1");
        assertThat(fields(into.set(flat))).isEqualTo(fields(netty));
        HttpHeaders nettyCopy = GatewayHeaders.FACTORY.newHeaders().set(flat); // Netty's copy of ours
        assertThat(fields(nettyCopy)).isEqualTo(fields(netty));
    }

    /** The value, or that it threw (Netty throws a checked ParseException without declaring it). */
    private static String outcome(java.util.function.Supplier<Object> s) {
        try {
            return String.valueOf(s.get());
        } catch (Exception e) {
            return "threw";
        }
    }

    private static java.util.Set<String> lower(java.util.Set<String> names) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        names.forEach(n -> out.add(n.toLowerCase(java.util.Locale.ROOT)));
        return out;
    }

    private static List<String> fields(HttpHeaders h) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }

    @Test
    void theGatewaysConstantsSkipNameValidationButNothingElseDoes() {
        HttpHeaders h = FlatHeaders.FACTORY.newHeaders();
        h.set(GatewayHeaders.X_REQUEST_ID, "id");
        assertThatThrownBy(() -> h.set("bad name", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.add(new AsciiString("x-request id"), "v"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.set(GatewayHeaders.X_REQUEST_ID, "a\r\nInjected: 1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(h.get("X-REQUEST-ID")).isEqualTo("id");
    }

    @Test
    void aDecodedHeadReEncodesToTheSameBytes() {
        String head = "POST /v1/models/m:predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                + "X-A: 1\r\nx-a: 2\r\nContent-Length: 2\r\n\r\n{}";
        EmbeddedChannel in = new EmbeddedChannel(new HttpRequestDecoder(SmallTrailers.decoderConfig(4096, 8192, 8192)));
        in.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII));
        HttpRequest req = in.readInbound();
        assertThat(req.headers()).isInstanceOf(FlatHeaders.class);
        assertThat(req.headers().getAll("x-a")).containsExactly("1", "2");
        EmbeddedChannel out = new EmbeddedChannel(new HttpRequestEncoder());
        out.writeOutbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, req.uri(), req.headers()));
        ByteBuf bytes = out.readOutbound();
        assertThat(bytes.toString(StandardCharsets.US_ASCII)).isEqualTo(head.substring(0, head.length() - 2));
        bytes.release();
        in.finishAndReleaseAll();
        out.finishAndReleaseAll();
    }
}
