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
        return hostOf(url);
    }

    public int port() {
        int p = portOf(url);
        return p > 0 ? p : ("https".equals(url.getScheme()) ? 443 : 80);
    }

    /** The Host header value to send upstream. */
    public String authority() {
        return portOf(url) > 0 ? hostOf(url) + ":" + portOf(url) : hostOf(url);
    }

    /**
     * A host name with an underscore (Docker Compose and Kubernetes-less setups name services so:
     * {@code http://model_server:8501}), which {@link URI} does not parse as a host (it is no RFC 1123
     * name, though DNS and the resolvers take it): the whole authority, a name and an optional port.
     */
    private static final java.util.regex.Pattern NAMED_AUTHORITY =
            java.util.regex.Pattern.compile("([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)(?::([0-9]{1,5}))?");

    /** The URL's host, an underscored name included; null when it has none. */
    public static String hostOf(URI url) {
        if (url.getHost() != null) {
            return url.getHost();
        }
        java.util.regex.Matcher m = namedAuthority(url);
        return m == null ? null : m.group(1);
    }

    /** The URL's port, -1 when it names none (an underscored name's included). */
    public static int portOf(URI url) {
        if (url.getHost() != null) {
            return url.getPort();
        }
        java.util.regex.Matcher m = namedAuthority(url);
        return m == null || m.group(2) == null ? -1 : Integer.parseInt(m.group(2));
    }

    private static java.util.regex.Matcher namedAuthority(URI url) {
        String a = url.getRawAuthority();
        if (a == null) {
            return null;
        }
        java.util.regex.Matcher m = NAMED_AUTHORITY.matcher(a);
        return m.matches() ? m : null;
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
