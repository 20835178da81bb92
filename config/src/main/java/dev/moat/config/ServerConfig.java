package dev.moat.config;

import java.time.Duration;

/**
 * The client-facing listener.
 *
 * @param eventLoopThreads 0 means one per available core
 * @param tls              {@code null} for plain HTTP
 */
public record ServerConfig(HostPort listen, int eventLoopThreads, Limits limits, Timeouts timeouts, TlsConfig tls) {

    /**
     * Size and connection limits; sizes are bytes (YAML: {@code 16KiB}, {@code 4MiB}).
     *
     * @param maxConnectionsPerAddress how many connections one client address may hold open before
     *                                 one of them carried an authenticated request; 0 = no cap
     */
    public record Limits(
            long maxRequestBytes,
            int maxHeaderBytes,
            long maxResponseBytes,
            int maxConnections,
            int maxConnectionsPerAddress) {

        public Limits(long maxRequestBytes, int maxHeaderBytes, long maxResponseBytes, int maxConnections) {
            this(maxRequestBytes, maxHeaderBytes, maxResponseBytes, maxConnections, 64);
        }
    }

    /**
     * @param idle       a connection with no request in progress that reads nothing for this long is closed
     * @param headerRead  a request whose head is not complete this long after its first byte is cut off
     * @param drain       on shutdown, how long in-flight requests may take before the gateway closes them
     * @param requestRead a request (head and body) not fully read this long after its first byte is cut off
     * @param keepAlive   a connection that starts no request this long after it opened, or after its
     *                    previous answer, is closed
     */
    public record Timeouts(
            Duration idle, Duration headerRead, Duration drain, Duration requestRead, Duration keepAlive) {

        public Timeouts(Duration idle, Duration headerRead, Duration drain) {
            this(idle, headerRead, drain, Duration.ofSeconds(30), Duration.ofSeconds(15));
        }
    }

    /** PEM certificate chain and private key. */
    public record TlsConfig(java.nio.file.Path certificate, java.nio.file.Path privateKey) {}
}
