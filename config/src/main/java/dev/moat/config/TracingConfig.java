package dev.moat.config;

import java.net.URI;

/**
 * OpenTelemetry tracing. Off (no tracer, no exporter thread, no per-request work) unless
 * {@code otlp} is set.
 *
 * @param otlp        the OTLP/HTTP traces endpoint (e.g. {@code http://collector:4318/v1/traces}), or
 *                    {@code null} for off
 * @param sampleRatio the fraction of new traces recorded (a client's sampled flag is honoured)
 * @param serviceName the {@code service.name} resource attribute
 */
public record TracingConfig(URI otlp, double sampleRatio, String serviceName) {

    /** Tracing off. */
    public static final TracingConfig OFF = new TracingConfig(null, 1.0, "moat");

    public boolean enabled() {
        return otlp != null;
    }
}
