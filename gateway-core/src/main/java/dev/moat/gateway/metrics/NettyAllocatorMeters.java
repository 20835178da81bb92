package dev.moat.gateway.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

/**
 * Memory held by the allocator the gateway actually uses ({@link ByteBufAllocator#DEFAULT}, the
 * adaptive allocator in Netty 4.2): {@code netty_allocator_memory_used_bytes{type="heap|direct"}}.
 * Micrometer's own Netty binder reports the pooled allocator only, without help text.
 */
public final class NettyAllocatorMeters implements MeterBinder {

    @Override
    public void bindTo(MeterRegistry registry) {
        if (!(ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider)) {
            return;
        }
        ByteBufAllocatorMetric metric = provider.metric();
        Gauge.builder("netty.allocator.memory.used", metric, ByteBufAllocatorMetric::usedHeapMemory)
                .description("Bytes held by the Netty buffer allocator")
                .baseUnit("bytes")
                .tag("type", "heap")
                .register(registry);
        Gauge.builder("netty.allocator.memory.used", metric, ByteBufAllocatorMetric::usedDirectMemory)
                .description("Bytes held by the Netty buffer allocator")
                .baseUnit("bytes")
                .tag("type", "direct")
                .register(registry);
    }
}
