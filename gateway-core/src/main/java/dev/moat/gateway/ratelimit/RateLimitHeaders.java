package dev.moat.gateway.ratelimit;

import dev.moat.config.RateLimit;
import dev.moat.gateway.http.GatewayHeaders;
import dev.moat.gateway.http.HeaderValues;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Writes {@code RateLimit-Policy} and {@code RateLimit} (draft-ietf-httpapi-ratelimit-headers-11)
 * and, on a rejection, {@code Retry-After} in whole seconds, rounded up.
 * <pre>
 * RateLimit-Policy: "100/1m";q=100;w=60, "5000/1d";q=5000;w=86400
 * RateLimit: "100/1m";r=42;t=35
 * </pre>
 * The policy list is the same for every request of a tier, so it is rendered once per limit list.
 * On LLM routes a tier's token budgets follow as {@code "tokens-100000/1m"} items ({@link #writeTokens}).
 */
public final class RateLimitHeaders {
    // AsciiString names: hashed once, and written by the encoder as a byte copy (a String name is
    // hashed at every set and written char by char)
    public static final AsciiString POLICY = GatewayHeaders.RATELIMIT_POLICY;
    public static final AsciiString RATELIMIT = GatewayHeaders.RATELIMIT;

    private RateLimitHeaders() {}

    /** @param policyHeader the tier's pre-rendered {@link #policy(List)} */
    public static void write(HttpHeaders headers, RateLimiter.Decision d, CharSequence policyHeader) {
        headers.set(POLICY, policyHeader != null ? policyHeader : policy(d.limits()));
        RateLimit l = d.limits().get(d.limitingIndex());
        headers.set(RATELIMIT, item(l.text(), d.remaining(), d.resetSeconds()));
        if (!d.allowed() && d.retryAfterSeconds() > 0) {
            headers.set(HttpHeaderNames.RETRY_AFTER, Long.toString(d.retryAfterSeconds()));
        }
    }

    /**
     * Adds an LLM token budget's policy and standing to headers {@link #write} already wrote:
     * {@code "tokens-100000/1m";q=100000;w=60} in {@code RateLimit-Policy}, and its
     * {@code r}/{@code t} item in {@code RateLimit}; {@code Retry-After} when it refused the request.
     */
    public static void writeTokens(HttpHeaders headers, RateLimiter.Decision d) {
        String policy = render(d.limits(), TOKENS);
        String prior = headers.get(POLICY);
        headers.set(POLICY, prior == null ? policy : prior + ", " + policy);
        RateLimit l = d.limits().get(d.limitingIndex());
        String item = '"' + TOKENS + l.text() + "\";r=" + d.remaining() + ";t=" + d.resetSeconds();
        String priorItem = headers.get(RATELIMIT);
        headers.set(RATELIMIT, priorItem == null ? item : priorItem + ", " + item);
        if (!d.allowed() && d.retryAfterSeconds() > 0) {
            headers.set(HttpHeaderNames.RETRY_AFTER, Long.toString(d.retryAfterSeconds()));
        }
    }

    /**
     * {@code "TEXT";r=REMAINING;t=RESET}, written into one array and wrapped as an {@code AsciiString}
     * (was a string concatenation, then written char by char by the encoder); a limit text with a
     * non-ASCII character takes the concatenation.
     */
    static CharSequence item(String text, long remaining, long resetSeconds) {
        int n = text.length();
        byte[] b = new byte[n + 8 + HeaderValues.decimalLength(remaining) + HeaderValues.decimalLength(resetSeconds)];
        int i = 0;
        b[i++] = '"';
        for (int k = 0; k < n; k++) {
            char c = text.charAt(k);
            if (c >= 0x80) {
                return '"' + text + "\";r=" + remaining + ";t=" + resetSeconds;
            }
            b[i++] = (byte) c;
        }
        b[i++] = '"';
        b[i++] = ';';
        b[i++] = 'r';
        b[i++] = '=';
        i = HeaderValues.decimal(remaining, b, i);
        b[i++] = ';';
        b[i++] = 't';
        b[i++] = '=';
        i = HeaderValues.decimal(resetSeconds, b, i);
        return new AsciiString(b, 0, i, false);
    }

    /** The name prefix of token budgets in the headers. */
    public static final String TOKENS = "tokens-";

    public static String policy(List<RateLimit> limits) {
        return render(limits, "");
    }

    private static String render(List<RateLimit> limits, String prefix) {
        StringBuilder sb = new StringBuilder(48 * limits.size());
        for (RateLimit l : limits) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append('"')
                    .append(prefix)
                    .append(l.text())
                    .append("\";q=")
                    .append(l.capacity())
                    .append(";w=")
                    .append(Math.max(1, l.period().toSeconds()));
        }
        return sb.toString();
    }
}
