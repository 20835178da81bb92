import dev.moat.config.RateLimit;
import dev.moat.gateway.http.SmallTrailers;
import dev.moat.gateway.proxy.HeaderRewriter;
import dev.moat.gateway.ratelimit.RateLimitHeaders;
import dev.moat.gateway.ratelimit.RateLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.*;
import io.netty.util.ReferenceCountUtil;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.*;

/** One exchange's header path without sockets: decode, rewrite, encode, both directions (VARIANT). */
public class HeaderPathProbe {
    static final com.sun.management.ThreadMXBean T = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public static void main(String[] a) {
        String body = "{\"instances\": [" + "[1.000, 2.000, 3.000]".repeat(1) + "]}";
        byte[] req = ("POST /v1/models/digits:predict HTTP/1.1\r\nHost: 127.0.0.1:18082\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer moat-load-secret-07\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII);
        String answer = "{\"predictions\":[[0.1,0.9]]}";
        byte[] res = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 28 Nov 2026 18:00:00 GMT\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + answer.length() + "\r\nConnection: keep-alive\r\n\r\n" + answer)
                .getBytes(StandardCharsets.US_ASCII);
        EmbeddedChannel front = new EmbeddedChannel(new HttpServerCodec(SmallTrailers.decoderConfig(8192, 16384, 8192)));
        EmbeddedChannel up = new EmbeddedChannel(new HttpClientCodec(SmallTrailers.decoderConfig(4096, 16384, 8192), false, false));
        RateLimit l = RateLimit.parse("100000000/1m");
        Variant v = new Variant(l);
        int ops = Integer.getInteger("ops", 100_000);
        int rounds = Integer.getInteger("rounds", 9);
        for (int i = 0; i < 3 * ops; i++) {
            once(front, up, req, res, v, i);
        }
        long[] ns = new long[rounds];
        long[] bytes = new long[rounds];
        long tid = Thread.currentThread().getId();
        for (int r = 0; r < rounds; r++) {
            long c0 = T.getCurrentThreadCpuTime(), b0 = T.getThreadAllocatedBytes(tid);
            for (int i = 0; i < ops; i++) {
                once(front, up, req, res, v, i);
            }
            ns[r] = (T.getCurrentThreadCpuTime() - c0) / ops;
            bytes[r] = (T.getThreadAllocatedBytes(tid) - b0) / ops;
        }
        Arrays.sort(ns);
        Arrays.sort(bytes);
        System.out.println("ns_per_exchange median=" + ns[rounds / 2] + " min=" + ns[0] + " max=" + ns[rounds - 1]
                + " bytes_per_exchange median=" + bytes[rounds / 2] + " all_ns=" + Arrays.toString(ns));
    }

    static void once(EmbeddedChannel front, EmbeddedChannel up, byte[] req, byte[] res, Variant v, int i) {
        front.writeInbound(Unpooled.wrappedBuffer(req));
        HttpRequest r = front.readInbound();
        HttpContent c = front.readInbound();
        HeaderRewriter.toUpstream(r.headers(), v.authority, v.ip, false, v.requestId(i));
        up.writeOutbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, r.method(), r.uri(), r.headers()), c);
        drain(up);
        up.writeInbound(Unpooled.wrappedBuffer(res));
        HttpResponse h = up.readInbound();
        HttpContent hc = up.readInbound();
        HeaderRewriter.toClient(h.headers(), v.lastId);
        RateLimitHeaders.write(h.headers(), v.decision(i), v.policy);
        h.headers().remove(HttpHeaderNames.CONNECTION);
        front.writeOutbound(h, hc);
        drain(front);
    }

    static void drain(EmbeddedChannel ch) {
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
