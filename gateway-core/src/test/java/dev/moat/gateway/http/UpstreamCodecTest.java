package dev.moat.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link UpstreamCodec} against Netty's {@code HttpClientCodec} (what the upstream connections
 * used before), decoding the same bytes after the same requests: generated answer streams of one
 * to three answers (plain heads, and heads with every kind of line Netty refuses or treats
 * specially: obs-fold, bare LF and CR, white space before the colon, control characters and high
 * bytes in values, bad names, duplicate and conflicting {@code Content-Length}, {@code
 * Transfer-Encoding} with and without a length, interim answers, {@code HEAD}, 204, 304, heads
 * over the limits, bodies cut off by the close), delivered in random pieces. Both must give the
 * same answers: status, version, decoding result, every field with its name as sent and its value
 * (per name in order; fields of different names may come in another order: the framing fields
 * first), the same body bytes and trailers, and fail alike (a failed head's fields are not
 * compared: the gateway drops a head that failed to decode whole, and answers 502).
 */
class UpstreamCodecTest {

    /** Whether a head with a spliced field (a value that is a view, not a String) was decoded. */
    private static final ThreadLocal<Boolean> SPLICED = ThreadLocal.withInitial(() -> false);

    private static final String[] PLAIN_NAMES = {
        "Server",
        "server",
        "Date",
        "Content-Type",
        "content-type",
        "X-Foo",
        "x-foo",
        "X-FOO",
        "Set-Cookie",
        "Connection",
        "connection",
        "Keep-Alive",
        "Via",
        "X-Request-Id",
        "Cache-Control",
        "ETag",
        "Vary",
        "Proxy-Authenticate",
        "Trailer",
        "Upgrade",
        "TE",
        "x!#$%&'*+-.^_`|~9"
    };

    private static final String[] PLAIN_VALUES = {
        "nginx/1.24.0",
        "Sun, 29 Nov 2026 01:30:00 GMT",
        "application/json",
        "",
        "a",
        "a, b",
        "keep-alive",
        "close",
        "close, X-Foo",
        "X-Foo, Server",
        "1.1 up",
        "id=1; Path=/",
        "\"etag\"",
        "a\tb",
        "x y  z",
        "timeout=5",
        "token68==",
        "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"
    };

    @Test
    void decodesLikeNettysClientCodec() {
        SplittableRandom random = new SplittableRandom(20261129L);
        int spliced = 0;
        for (int run = 0; run < 20_000; run++) {
            HttpDecoderConfig config = random.nextInt(5) == 0
                    ? SmallTrailers.decoderConfig(120, 200, 16)
                    : SmallTrailers.decoderConfig(4096, 8192, 8192);
            List<HttpMethod> methods = new ArrayList<>();
            StringBuilder stream = new StringBuilder();
            int answers = 1 + random.nextInt(3);
            for (int i = 0; i < answers; i++) {
                methods.add(random.nextInt(6) == 0 ? HttpMethod.HEAD : HttpMethod.GET);
                stream.append(answer(random, methods.get(i) == HttpMethod.HEAD));
            }
            byte[] bytes = stream.toString().getBytes(StandardCharsets.ISO_8859_1);
            int[] cuts = cuts(random, bytes.length);
            boolean close = random.nextInt(3) == 0;
            String netty = decode(new HttpClientCodec(config, false, false), methods, bytes, cuts, close);
            SPLICED.set(false);
            String ours = decode(new UpstreamCodec(config), methods, bytes, cuts, close);
            assertThat(ours)
                    .as(
                            "run %d, cuts %s, close %s, %s",
                            run,
                            java.util.Arrays.toString(cuts),
                            close,
                            stream.toString().replace("\r", "\\r").replace("\n", "\\n"))
                    .isEqualTo(netty);
            if (SPLICED.get()) {
                spliced++;
            }
        }
        assertThat(spliced).as("runs with a spliced head").isGreaterThan(2_500);
    }

    @Test
    void aPlainHeadIsSplicedAsViewsWithCaseAndOrderKept() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamCodec(SmallTrailers.decoderConfig(4096, 8192, 8192)));
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        ReferenceCountUtil.release(ch.readOutbound());
        ch.writeInbound(Unpooled.copiedBuffer(
                "HTTP/1.1 200 OK\r\nX-MiXeD: One\r\nContent-Length: 2\r\nx-mixed:  two \r\nServer: s\r\n\r\nok",
                StandardCharsets.ISO_8859_1));
        HttpResponse res = ch.readInbound();
        HttpHeaders h = res.headers();
        List<Map.Entry<CharSequence, CharSequence>> fields = new ArrayList<>();
        h.iteratorCharSequence().forEachRemaining(e -> fields.add(Map.entry(e.getKey(), e.getValue())));
        assertThat(fields.stream().map(e -> e.getKey() + ": " + e.getValue()))
                .containsExactly("Content-Length: 2", "X-MiXeD: One", "x-mixed: two", "Server: s");
        // the spliced fields are views of the head's bytes: no String made for them
        assertThat(fields.get(1).getKey()).isInstanceOf(AsciiString.class);
        assertThat(fields.get(1).getValue()).isInstanceOf(AsciiString.class);
        assertThat(h.getAll("x-mixed")).containsExactly("One", "two");
        HttpContent body = ch.readInbound();
        assertThat(body.content().toString(StandardCharsets.US_ASCII)).isEqualTo("ok");
        body.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private static String decode(
            ChannelHandler codec, List<HttpMethod> methods, byte[] bytes, int[] cuts, boolean close) {
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        for (HttpMethod m : methods) {
            ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, "/"));
            for (Object o; (o = ch.readOutbound()) != null; ) {
                ReferenceCountUtil.release(o);
            }
        }
        StringBuilder d = new StringBuilder();
        int from = 0;
        try {
            for (int cut : cuts) {
                ch.writeInbound(
                        Unpooled.copiedBuffer(bytes, from, cut - from)); // a copy: the decoder may move its bytes
                from = cut;
                drain(ch, d);
            }
            ch.writeInbound(Unpooled.copiedBuffer(bytes, from, bytes.length - from));
            drain(ch, d);
            if (close) {
                ch.finish();
                drain(ch, d);
            }
        } catch (RuntimeException e) {
            d.append("THROWS ").append(e.getClass().getSimpleName()).append('\n');
        } finally {
            ch.finishAndReleaseAll();
        }
        return d.toString();
    }

    private static void drain(EmbeddedChannel ch, StringBuilder d) {
        for (Object o; (o = ch.readInbound()) != null; ) {
            try {
                describe(o, d);
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
    }

    private static void describe(Object o, StringBuilder d) {
        if (o instanceof HttpResponse r) {
            d.append("HEAD ")
                    .append(r.protocolVersion())
                    .append(' ')
                    .append(r.status())
                    .append('\n');
            if (r.decoderResult().isSuccess()) { // a failed head is dropped whole by the gateway
                fields(r.headers(), d);
            }
        }
        if (o instanceof HttpContent c) {
            d.append(o instanceof LastHttpContent ? "LAST " : "CONTENT ")
                    .append(c.content()
                            .toString(StandardCharsets.ISO_8859_1)
                            .replace("\r", "\\r")
                            .replace("\n", "\\n"))
                    .append('\n');
            if (o instanceof LastHttpContent l) {
                fields(l.trailingHeaders(), d);
            }
        }
        if (o instanceof HttpObject h) {
            d.append("RESULT ")
                    .append(
                            h.decoderResult().isSuccess()
                                    ? "success"
                                    : String.valueOf(h.decoderResult().cause()))
                    .append('\n');
        } else if (o instanceof ByteBuf b) {
            d.append("BYTES ").append(ByteBufUtil.hexDump(b)).append('\n');
        }
    }

    /** The fields per name (without case, in name order), each name's fields in order, as sent. */
    private static void fields(HttpHeaders h, StringBuilder d) {
        List<String[]> all = new ArrayList<>();
        h.iteratorCharSequence().forEachRemaining(e -> {
            if (e.getValue() instanceof AsciiString) {
                SPLICED.set(true);
            }
        });
        h.iteratorCharSequence()
                .forEachRemaining(e -> all.add(
                        new String[] {e.getKey().toString(), e.getValue().toString()}));
        all.sort(Comparator.comparing(f -> f[0].toLowerCase(Locale.ROOT))); // stable: keeps each name's order
        for (String[] f : all) {
            d.append("  ").append(f[0]).append(": ").append(f[1]).append('\n');
        }
    }

    private static int[] cuts(SplittableRandom random, int length) {
        int n = random.nextInt(4);
        int[] cuts = new int[n];
        for (int i = 0; i < n; i++) {
            cuts[i] = random.nextInt(length + 1);
        }
        java.util.Arrays.sort(cuts);
        return cuts;
    }

    private static String answer(SplittableRandom random, boolean head) {
        StringBuilder a = new StringBuilder();
        if (random.nextInt(20) == 0) {
            a.append(random.nextBoolean() ? "\r\n" : "\n"); // a blank line before the status line
        }
        if (random.nextInt(10) == 0) {
            a.append("HTTP/1.1 100 Continue\r\n\r\n");
        }
        String[] statuses = {
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 404 Not Found",
            "HTTP/1.1 500 Internal Server Error",
            "HTTP/1.1 204 No Content",
            "HTTP/1.1 304 Not Modified",
            "HTTP/1.0 200 OK",
            "HTTP/1.1 103 Early Hints",
            "HTTP/1.1 2x0 OK",
            "HTTP/1.1 200",
            "HTTP/1.1  200 OK",
            "HTTP/1.1 999 Odd",
            "HTTP/2.0 200 OK",
            "http/1.1 200 OK",
            "HTTP/1.1 200 O\u0001K"
        };
        a.append(statuses[random.nextInt(statuses.length)]).append(eol(random));
        int fields = random.nextInt(9);
        String length = null;
        boolean chunked = false;
        for (int i = 0; i < fields; i++) {
            int kind = random.nextInt(40);
            if (kind < 4) { // framing
                if (random.nextBoolean()) {
                    String[] lengths = {"0", "2", "5", "17", "5", " 5 ", "5, 5", "5,6", "+5", "-1", "12a", "", "99999"};
                    String l = lengths[random.nextInt(lengths.length)];
                    a.append(random.nextBoolean() ? "Content-Length" : "content-LENGTH")
                            .append(":")
                            .append(l)
                            .append(eol(random));
                    length = l.trim();
                } else {
                    String[] codings = {"chunked", "Chunked", "gzip, chunked", "chunked, gzip", "gzip", "identity", ""};
                    String c = codings[random.nextInt(codings.length)];
                    a.append(random.nextBoolean() ? "Transfer-Encoding" : "transfer-encoding")
                            .append(": ")
                            .append(c)
                            .append(eol(random));
                    chunked |= c.toLowerCase(Locale.ROOT).endsWith("chunked");
                }
            } else if (kind < 31) {
                a.append(PLAIN_NAMES[random.nextInt(PLAIN_NAMES.length)])
                        .append(':')
                        .append(random.nextInt(3) == 0 ? "" : random.nextBoolean() ? " " : " \t ")
                        .append(PLAIN_VALUES[random.nextInt(PLAIN_VALUES.length)])
                        .append(random.nextInt(4) == 0 ? " \t" : "")
                        .append(eol(random));
            } else {
                String[] odd = {
                    " folded continuation\r\n", // obs-fold (a line starting with white space)
                    "\tfolded\r\n",
                    "X-Bad : space before colon\r\n",
                    "X-Bad\t: tab before colon\r\n",
                    "X Bad: space in name\r\n",
                    "X(Bad): paren\r\n",
                    ": no name\r\n",
                    "NoColon\r\n",
                    "X-Ctl: a\u0001b\r\n",
                    "X-Del: a\u007Fb\r\n",
                    "X-Nul: a\u0000b\r\n",
                    "X-High: caf\u00e9\r\n",
                    "X-High\u00e9: v\r\n",
                    "X-Cr: a\rb\r\n",
                    "X-Lf: a\nb\r\n",
                    "X-Bare: lf\n",
                    "X-Long: " + "v".repeat(300) + "\r\n",
                    "X-Injected: a\r\nSet-Cookie: evil\r\n", // two plain lines: fine
                    "X-Vt: a\u000Bb\r\n",
                    "X-Ff: a\u000Cb\r\n",
                };
                a.append(odd[random.nextInt(odd.length)]);
            }
        }
        a.append(random.nextInt(30) == 0 ? "\n" : "\r\n");
        // a body as framed (or not quite)
        if (!head) {
            if (chunked) {
                int chunks = random.nextInt(3);
                for (int i = 0; i < chunks; i++) {
                    String data = "abcdefghij".substring(0, 1 + random.nextInt(9));
                    a.append(Integer.toHexString(data.length()))
                            .append("\r\n")
                            .append(data)
                            .append("\r\n");
                }
                a.append("0\r\n");
                if (random.nextInt(4) == 0) {
                    a.append(random.nextBoolean() ? "X-Trailer: t\r\n" : "Content-Length: 3\r\n");
                }
                a.append("\r\n");
            } else if (length != null && length.matches("\\d{1,3}")) {
                int n = Integer.parseInt(length) + (random.nextInt(10) == 0 ? 1 : 0);
                a.append("0123456789abcdefghij".repeat(1 + n / 20), 0, n);
            } else if (random.nextBoolean()) {
                a.append("tail");
            }
        }
        return a.toString();
    }

    private static String eol(SplittableRandom random) {
        return random.nextInt(40) == 0 ? "\n" : "\r\n";
    }
}
