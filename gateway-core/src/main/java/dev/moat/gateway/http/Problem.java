package dev.moat.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * An RFC 9457 problem answer ({@code application/problem+json}). The gateway's own errors all go
 * through here, so none of them can echo a secret: the detail text is written by the gateway, never
 * copied from a request.
 *
 * @param type   a short slug; rendered as {@code https://moat.dev/problems/<type>}
 * @param status the HTTP status
 * @param title  a fixed, human title for the type
 * @param detail what happened in this instance
 */
public record Problem(String type, HttpResponseStatus status, String title, String detail) {

    public static final String CONTENT_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://moat.dev/problems/";

    public static Problem badRequest(String detail) {
        return new Problem("malformed-request", HttpResponseStatus.BAD_REQUEST, "Malformed request", detail);
    }

    public static Problem unauthorized(String detail) {
        return new Problem("unauthorized", HttpResponseStatus.UNAUTHORIZED, "Missing or unknown API key", detail);
    }

    public static Problem forbidden(String detail) {
        return new Problem(
                "abnormal-usage-detected", HttpResponseStatus.FORBIDDEN, "Key blocked for abnormal usage", detail);
    }

    /** 429 for a key the escalation ladder throttles (draft-ietf-httpapi-ratelimit-headers' problem type). */
    public static Problem throttled(String detail) {
        return new Problem(
                "abnormal-usage-detected",
                HttpResponseStatus.TOO_MANY_REQUESTS,
                "Throttled for abnormal usage",
                detail);
    }

    public static Problem notFound(String detail) {
        return new Problem("no-route", HttpResponseStatus.NOT_FOUND, "No route", detail);
    }

    public static Problem tooLarge(String detail) {
        return new Problem(
                "request-too-large", HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "Request body too large", detail);
    }

    public static Problem headersTooLarge(String detail) {
        return new Problem(
                "headers-too-large",
                HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request headers too large",
                detail);
    }

    public static Problem rateLimited(String detail) {
        return new Problem("rate-limited", HttpResponseStatus.TOO_MANY_REQUESTS, "Rate limit exceeded", detail);
    }

    public static Problem badGateway(String detail) {
        return new Problem("upstream-failed", HttpResponseStatus.BAD_GATEWAY, "Upstream failed", detail);
    }

    public static Problem gatewayTimeout(String detail) {
        return new Problem("upstream-timeout", HttpResponseStatus.GATEWAY_TIMEOUT, "Upstream timed out", detail);
    }

    /** 500: a fault of the gateway's own while handling the request (logged with its stack trace). */
    public static Problem internalError(String detail) {
        return new Problem("internal-error", HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error", detail);
    }

    public static Problem unavailable(String detail) {
        return new Problem("unavailable", HttpResponseStatus.SERVICE_UNAVAILABLE, "Service unavailable", detail);
    }

    /**
     * 503 for an answer whose rows the detectors could not take (their queue was full): on a route
     * that does not fail open, no answer leaves the gateway unscored, so flooding the detectors is no
     * way around them.
     */
    public static Problem detectionOverloaded() {
        return new Problem(
                "detection-overloaded",
                HttpResponseStatus.SERVICE_UNAVAILABLE,
                "Detection overloaded",
                "the gateway's detectors are behind; this answer was withheld, try again shortly");
    }

    /** A full response carrying this problem; the caller adds headers such as Retry-After. */
    public FullHttpResponse toResponse(ByteBufAllocator alloc, String requestId) {
        byte[] json = toJson(requestId).getBytes(StandardCharsets.UTF_8);
        ByteBuf body = alloc.buffer(json.length).writeBytes(json);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return res;
    }

    /** The JSON body alone (for listeners that build their own response). */
    public String toResponseBody() {
        return toJson(null);
    }

    String toJson(String requestId) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"type\":");
        Json.quote(sb, TYPE_BASE + type);
        sb.append(",\"title\":");
        Json.quote(sb, title);
        sb.append(",\"status\":").append(status.code());
        sb.append(",\"detail\":");
        Json.quote(sb, detail);
        if (requestId != null) {
            sb.append(",\"request_id\":");
            Json.quote(sb, requestId);
        }
        return sb.append('}').toString();
    }
}
