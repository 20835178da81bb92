package dev.moat.config;

/** A listen address such as {@code "0.0.0.0:8080"}; port 0 asks the OS for a free port. */
public record HostPort(String host, int port) {

    /**
     * Parses {@code "host:port"} or {@code "[v6]:port"} (the host is kept without brackets).
     *
     * @throws IllegalArgumentException when the text is not of that form or the port is not 0..65535
     */
    public static HostPort parse(String text) {
        HostPort parsed = dev.moat.config.Values.hostPort(text);
        if (parsed == null) {
            throw new IllegalArgumentException(
                    "\"" + text + "\" (expected " + dev.moat.config.Values.HOST_PORT_EXPECTED + ")");
        }
        return parsed;
    }

    /** {@code host:port}, with an IPv6 host in brackets so the port stays unambiguous. */
    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
