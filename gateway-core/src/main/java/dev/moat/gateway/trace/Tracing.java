package dev.moat.gateway.trace;

import dev.moat.config.TracingConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry spans for requests, exported over OTLP/HTTP (protobuf) by a batch processor on its
 * own thread, so the event loop only fills in span objects. {@link #OFF} (the default, no
 * {@code tracing.otlp}) has no tracer and {@link #start} returns null: an untraced request does no
 * tracing work at all.
 */
public final class Tracing implements AutoCloseable {

    /** No tracing. */
    public static final Tracing OFF = new Tracing(null);

    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Tracing(SdkTracerProvider provider) {
        this.provider = provider;
        this.tracer = provider == null ? null : provider.get("dev.moat.gateway");
    }

    /** Builds the exporter and the tracer when {@code config} enables tracing, else {@link #OFF}. */
    public static Tracing create(TracingConfig config) {
        if (config == null || !config.enabled()) {
            return OFF;
        }
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(config.otlp().toString())
                .setTimeout(5, TimeUnit.SECONDS)
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(
                        Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, config.serviceName()))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter)
                        .setScheduleDelay(1, TimeUnit.SECONDS)
                        .setMaxQueueSize(8192)
                        .build())
                .build();
        return new Tracing(provider);
    }

    public boolean enabled() {
        return tracer != null;
    }

    /**
     * Opens the server span of one request, continuing the client's W3C {@code traceparent} if it
     * sent one.
     *
     * @return the request's spans, or null when tracing is off
     */
    public RequestSpans start(HttpRequest request, String path, CharSequence requestId) {
        if (tracer == null) {
            return null;
        }
        return new RequestSpans(tracer, W3CTraceContextPropagator.getInstance(), request, path, requestId.toString());
    }

    /** Exports what is queued (bounded wait) and stops the exporter thread. */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(5, TimeUnit.SECONDS);
        }
    }
}
