import dev.moat.config.RateLimit;
import dev.moat.gateway.ratelimit.RateLimitHeaders;
import dev.moat.gateway.ratelimit.RateLimiter;
import java.nio.charset.StandardCharsets;
import java.util.List;
/** What the gateway passes now: AsciiStrings. */
class Variant {
    final CharSequence authority = dev.moat.gateway.http.HeaderValues.ascii("127.0.0.1:18080"), ip = dev.moat.gateway.http.HeaderValues.ascii("127.0.0.1");
    final CharSequence policy;
    final List<RateLimit> limits;
    CharSequence lastId;
    Variant(RateLimit l) { limits = List.of(l); policy = dev.moat.gateway.http.HeaderValues.ascii(RateLimitHeaders.policy(limits)); }
    CharSequence requestId(int i) {
        byte[] id = new byte[32];
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        hex(r.nextLong(), id, 0); hex(r.nextLong(), id, 16);
        return lastId = new io.netty.util.AsciiString(id, false);
    }
    static void hex(long v, byte[] out, int at) { for (int i = 15; i >= 0; i--) { out[at + i] = (byte) "0123456789abcdef".charAt((int) (v & 0xf)); v >>>= 4; } }
    RateLimiter.Decision decision(int i) { return new RateLimiter.Decision(true, limits, 0, 99_999_999 - (i & 1023), 60, 0); }
}
