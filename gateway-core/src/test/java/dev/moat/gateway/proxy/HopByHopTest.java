package dev.moat.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link HeaderRewriter#stripHopByHop}'s one pass removes what the nine removals did. */
class HopByHopTest {

    private static final List<AsciiString> HOP = List.of(
            HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION,
            HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION,
            HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER,
            HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE);

    private static final List<String> KEPT = List.of("content-length", "host", "content-type", "content-encoding");

    private static final String[] OTHER = {
        "Content-Encoding",
        "Host",
        "Content-Type",
        "Content-Length",
        "Accept",
        "X-Custom",
        "close",
        "Via",
        "Authorization",
        "tee",
        "Upgrades"
    };

    /**
     * The removal before the one-pass version: every name named by Connection but the message's
     * framing, target and representation ({@code KEPT}: session 42, a named length unframed the
     * forwarded body), then the nine.
     */
    private static void reference(HttpHeaders headers) {
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !KEPT.contains(name.toLowerCase(Locale.ROOT))) {
                    headers.remove(name);
                }
            }
        }
        for (AsciiString h : HOP) {
            headers.remove(h);
        }
    }

    private static String anyCase(String s, SplittableRandom r) {
        switch (r.nextInt(3)) {
            case 0:
                return s.toLowerCase(Locale.ROOT);
            case 1:
                return s.toUpperCase(Locale.ROOT);
            default:
                return s;
        }
    }

    private static String name(SplittableRandom r) {
        return anyCase(r.nextBoolean() ? HOP.get(r.nextInt(HOP.size())).toString() : OTHER[r.nextInt(OTHER.length)], r);
    }

    private static List<String> fields(HttpHeaders h) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : h) {
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }

    @Test
    void removesWhatTheNineRemovalsRemoved() {
        SplittableRandom r = new SplittableRandom(15);
        for (int round = 0; round < 50_000; round++) {
            HttpHeaders a = DefaultHttpHeadersFactory.headersFactory().newHeaders();
            int n = r.nextInt(10);
            for (int i = 0; i < n; i++) {
                String name = name(r);
                String value;
                if (name.equalsIgnoreCase("connection")) {
                    StringBuilder v = new StringBuilder();
                    int tokens = r.nextInt(4);
                    for (int t = 0; t < tokens; t++) {
                        if (t > 0) {
                            v.append(r.nextBoolean() ? "," : " , ");
                        }
                        v.append(r.nextBoolean() ? name(r) : (r.nextBoolean() ? "keep-alive" : "close"));
                    }
                    value = v.toString();
                } else {
                    value = "v" + r.nextInt(100);
                }
                a.add(name, value);
            }
            HttpHeaders b = a.copy();
            reference(a);
            HeaderRewriter.stripHopByHop(b);
            assertThat(fields(b)).as("round %d", round).isEqualTo(fields(a));
        }
    }

    @Test
    void hopByHopIndexKnowsEachName() {
        for (int i = 0; i < HOP.size(); i++) {
            assertThat(HeaderRewriter.hopByHopIndex(HOP.get(i))).isEqualTo(i);
            assertThat(HeaderRewriter.hopByHopIndex(HOP.get(i).toString().toUpperCase(Locale.ROOT)))
                    .isEqualTo(i);
        }
        for (String other : OTHER) {
            assertThat(HeaderRewriter.hopByHopIndex(other)).isEqualTo(-1);
        }
    }
}
