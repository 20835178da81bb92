package dev.moat.gateway.console;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The security console's static files ({@code /console}, {@code /console/console.js},
 * {@code /console/console.css}), read from the jar once and served by the admin listener with a
 * strict Content-Security-Policy: scripts, styles and API calls from this origin only, no inline
 * code, no frames, nothing from elsewhere. The page itself holds no data; it asks for the admin
 * token and calls the admin API with it (kept in the tab's sessionStorage).
 */
public final class ConsoleAssets {

    /** Sent with every console file. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record Asset(String contentType, byte[] bytes) {}

    private static final Map<String, Asset> ASSETS = Map.of(
            "/console", load("index.html", "text/html; charset=utf-8"),
            "/console/", load("index.html", "text/html; charset=utf-8"),
            "/console/console.js", load("console.js", "text/javascript; charset=utf-8"),
            "/console/console.css", load("console.css", "text/css; charset=utf-8"));

    private ConsoleAssets() {}

    /** True for the paths this class answers (everything under {@code /console}). */
    public static boolean handles(String path) {
        return path.equals("/console") || path.startsWith("/console/");
    }

    /** The answer for a console path: the file, 404, or 405 for a method other than GET and HEAD. */
    public static FullHttpResponse response(String path, HttpMethod method, ByteBufAllocator alloc) {
        Asset a = ASSETS.get(path);
        HttpResponseStatus status = a == null
                ? HttpResponseStatus.NOT_FOUND
                : method == HttpMethod.GET || method == HttpMethod.HEAD
                        ? HttpResponseStatus.OK
                        : HttpResponseStatus.METHOD_NOT_ALLOWED;
        byte[] body = status == HttpResponseStatus.OK
                ? a.bytes()
                : (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = method == HttpMethod.HEAD
                ? alloc.buffer(0)
                : alloc.buffer(body.length).writeBytes(body);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, status == HttpResponseStatus.OK ? a.contentType() : "text/plain")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
                .set("X-Content-Type-Options", "nosniff")
                .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY")
                .set("Referrer-Policy", "no-referrer")
                .set("Cross-Origin-Opener-Policy", "same-origin");
        if (status == HttpResponseStatus.METHOD_NOT_ALLOWED) {
            res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        }
        return res;
    }

    private static Asset load(String name, String contentType) {
        try (InputStream in = ConsoleAssets.class.getResourceAsStream("/console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("console asset missing from the jar: " + name);
            }
            return new Asset(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
