package dev.moat.gateway.server;

import dev.moat.config.DetectionConfig;
import dev.moat.config.MoatConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The fields a reload cannot apply, because the gateway builds what they configure once, at start:
 * its listeners and their TLS, its event loops, the rate limiter's and the detection engine's
 * sizes, Redis, the state file, the audit trail, alerts, the access log and tracing. A reload that
 * changes one still swaps in everything else; the gateway says which wait for a restart rather
 * than report a success that left them as they were. Decides only; {@link MoatServer} logs.
 */
public final class StartupOnly {

    private StartupOnly() {}

    /** The fields of {@code next} that differ from those the gateway {@code started} with, in file order. */
    public static List<String> changed(MoatConfig started, MoatConfig next) {
        List<String> out = new ArrayList<>();
        differs(out, "server.listen", started.server().listen(), next.server().listen());
        differs(
                out,
                "server.event_loop_threads",
                started.server().eventLoopThreads(),
                next.server().eventLoopThreads());
        differs(out, "server.tls", started.server().tls(), next.server().tls());
        differs(out, "admin.listen", started.admin().listen(), next.admin().listen());
        differs(out, "rate_limiting", started.rateLimiting(), next.rateLimiting());
        // the calibration is read again when it changes: the engine's sizes are what stay
        differs(out, "detection", engine(started.detection()), engine(next.detection()));
        differs(out, "distributed", started.distributed(), next.distributed());
        differs(out, "state", started.state(), next.state());
        differs(out, "audit", started.audit(), next.audit());
        differs(out, "alerts", started.alerts(), next.alerts());
        differs(out, "access_log", started.accessLog(), next.accessLog());
        differs(out, "tracing", started.tracing(), next.tracing());
        return out;
    }

    private static DetectionConfig engine(DetectionConfig d) {
        return new DetectionConfig(d.workers(), d.queueCapacity(), d.maxTrackedKeys(), d.expireAfterIdle(), null);
    }

    private static void differs(List<String> out, String field, Object started, Object next) {
        if (!Objects.equals(started, next)) {
            out.add(field);
        }
    }
}
