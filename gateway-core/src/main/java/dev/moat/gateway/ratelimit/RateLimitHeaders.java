package dev.moat.gateway.ratelimit;

import dev.moat.config.RateLimit;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * Writes {@code RateLimit-Policy} and {@code RateLimit} (draft-ietf-httpapi-ratelimit-headers-11)
 * and, on a rejection, {@code Retry-After} in whole seconds, rounded up.
 * <pre>
 * RateLimit-Policy: "100/1m";q=100;w=60, "5000/1d";q=5000;w=86400
 * RateLimit: "100/1m";r=42;t=35
 * </pre>
 * The policy list is the same for every request of a tier, so it is rendered once per limit list.
 */
public final class RateLimitHeaders {
    public static final String POLICY = "RateLimit-Policy";
    public static final String RATELIMIT = "RateLimit";

    private RateLimitHeaders() {}

    /** @param policyHeader the tier's pre-rendered {@link #policy(List)} */
    public static void write(HttpHeaders headers, RateLimiter.Decision d, String policyHeader) {
        headers.set(POLICY, policyHeader != null ? policyHeader : policy(d.limits()));
        RateLimit l = d.limits().get(d.limitingIndex());
        headers.set(RATELIMIT, '"' + l.text() + "\";r=" + d.remaining() + ";t=" + d.resetSeconds());
        if (!d.allowed() && d.retryAfterSeconds() > 0) {
            headers.set(HttpHeaderNames.RETRY_AFTER, Long.toString(d.retryAfterSeconds()));
        }
    }

    public static String policy(List<RateLimit> limits) {
        StringBuilder sb = new StringBuilder(48 * limits.size());
        for (RateLimit l : limits) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append('"')
                    .append(l.text())
                    .append("\";q=")
                    .append(l.capacity())
                    .append(";w=")
                    .append(Math.max(1, l.period().toSeconds()));
        }
        return sb.toString();
    }
}
