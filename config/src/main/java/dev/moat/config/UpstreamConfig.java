package dev.moat.config;

import java.net.URI;
import java.time.Duration;

/**
 * A model server.
 *
 * @param url             {@code http://host:port} (a path, if any, is prefixed to every request path)
 * @param maxConnections  the pool bound per event loop
 * @param generic         JSON pointers for the {@code generic} protocol, else {@code null}
 * @param predictionOutput the name of the output that carries the probabilities ({@code kserve-v2}:
 *                         the output tensor; {@code tfserving}: the named output of a multi-output
 *                         signature), or {@code null} for the protocol's default rule
 */
public record UpstreamConfig(
        String name,
        URI url,
        Protocol protocol,
        Duration connectTimeout,
        Duration responseTimeout,
        int maxConnections,
        GenericPointers generic,
        String predictionOutput) {

    /**
     * Where the {@code generic} adapter finds things, as RFC 6901 JSON pointers.
     *
     * @param inputs      array of input vectors in the request, e.g. {@code /data}
     * @param outputs     array of probability vectors in the response, e.g. {@code /result/probabilities}
     * @param labels      optional array of labels in the response, or {@code null}
     */
    public record GenericPointers(String inputs, String outputs, String labels) {}

    public String host() {
        return url.getHost();
    }

    public int port() {
        int p = url.getPort();
        return p > 0 ? p : ("https".equals(url.getScheme()) ? 443 : 80);
    }

    /** The Host header value to send upstream. */
    public String authority() {
        return url.getPort() > 0 ? url.getHost() + ":" + url.getPort() : url.getHost();
    }

    /** The base path to prefix, without a trailing slash ("" when none). */
    public String basePath() {
        String p = url.getRawPath();
        if (p == null || p.isEmpty() || "/".equals(p)) {
            return "";
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
