package dev.moat.gateway.defense;

import dev.moat.config.MoatConfig;
import dev.moat.config.PolicyConfig;
import dev.moat.detectors.DetectionEngine;
import dev.moat.detectors.DetectorProfile;
import dev.moat.detectors.EngineListener;
import dev.moat.detectors.EngineSettings;
import dev.moat.detectors.Level;
import dev.moat.detectors.QueryEvent;
import dev.moat.detectors.Verdict;
import dev.moat.gateway.alerts.WebhookAlerts;
import dev.moat.gateway.audit.AuditLog;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.http.Json;
import dev.moat.gateway.metrics.MoatMetrics;
import dev.moat.gateway.protocol.OpenAiGuard;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.runtime.Route;
import dev.moat.gateway.server.Enforcement;
import dev.moat.policies.PolicyRuntime;
import dev.moat.policies.escalation.Decision;
import dev.moat.policies.watermark.WatermarkLedgers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moat's defences as one long-lived service: the detection engine, the watermark ledgers, the
 * block list, the audit trail and the alert webhook. It compiles policies at each config load,
 * answers the request path's gate ({@link Enforcement}) and takes the proxy's query events.
 * Deciding stays in the ladder; this class only acts on its decisions.
 */
public final class Defenses implements Enforcement, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Defenses.class);

    private final DetectionEngine engine;
    private final WatermarkLedgers ledgers = new WatermarkLedgers();
    private final BlockList blocks = new BlockList();
    private final RateLimiter limiter;
    private final MoatMetrics metrics;
    private final InstantSource clock;
    private final AuditLog audit;
    private final WebhookAlerts alerts;
    private final AtomicLongArray flagged = new AtomicLongArray(Level.values().length);

    public Defenses(MoatConfig config, RateLimiter limiter, MoatMetrics metrics, InstantSource clock) {
        this.limiter = limiter;
        this.metrics = metrics;
        this.clock = clock;
        try {
            this.audit = config.audit().file() == null
                    ? null
                    : AuditLog.open(config.audit().file());
        } catch (IOException e) {
            throw new UncheckedIOException("audit trail " + config.audit().file() + " cannot be opened", e);
        }
        this.alerts = config.alerts().webhook() == null ? null : new WebhookAlerts(config.alerts());
        var d = config.detection();
        EngineSettings defaults = EngineSettings.defaults();
        EngineSettings settings = new EngineSettings(
                d.workers(),
                d.queueCapacity(),
                d.maxTrackedKeys(),
                d.expireAfterIdle(),
                defaults.suspiciousAt(),
                defaults.extractingAt(),
                defaults.riskHalfLife());
        this.engine = new DetectionEngine(settings, clock, new Listener());
        metrics.gauge(
                MoatMetrics.KEYS_FLAGGED,
                "Keys at each detection level",
                flagged,
                a -> a.get(Level.SUSPICIOUS.ordinal()),
                "level",
                "suspicious");
        metrics.gauge(
                MoatMetrics.KEYS_FLAGGED,
                "Keys at each detection level",
                flagged,
                a -> a.get(Level.EXTRACTING.ordinal()),
                "level",
                "extracting");
        metrics.gauge(
                "moat.detection.keys", "Keys with detector state in memory", engine, DetectionEngine::keysTracked);
        metrics.gauge("moat.keys.blocked", "Keys blocked now", blocks, BlockList::size);
    }

    /** Compiles a policy for a config load. @throws IllegalArgumentException when it cannot be built */
    public CompiledPolicy compile(PolicyConfig policy) {
        PolicyRuntime runtime = PolicyRuntime.compile(policy, ledgers::sinkFor);
        DetectorProfile profile =
                policy.detectors().isEmpty() ? DetectorProfile.NONE : DetectorProfile.fromConfig(policy.detectors());
        OpenAiGuard guard = policy.llm() == null ? null : new OpenAiGuard(policy.llm());
        return new CompiledPolicy(runtime, profile, guard);
    }

    @Override
    public Gate check(ApiKey key, Route route) {
        // a blocked key is blocked on every route, guarded or not (an operator's block means "stop")
        long now = clock.millis();
        long until = blocks.blockedUntil(key.id(), now);
        if (until > 0) {
            metrics.action("block");
            return new Gate(Kind.BLOCKED, Decision.NONE, ceilSeconds(until - now), null);
        }
        CompiledPolicy cp = route.compiled();
        if (cp == null) {
            return Gate.PASS;
        }
        Verdict v = engine.verdict(key.id());
        if (v.risk() <= 0) {
            return Gate.PASS;
        }
        Decision d = cp.runtime().ladder().decide(v.risk());
        if (d.blocks() && blocks.mayBlock(key.id(), v.updatedAtMillis())) {
            long blockUntil = now + d.block().toMillis();
            if (blocks.block(key.id(), blockUntil)) {
                LOG.warn("key {} blocked for {} (risk {})", key.id(), d.block(), String.format("%.2f", v.risk()));
                audit(
                        "block",
                        key.id(),
                        "risk=" + round(v.risk()) + " level=" + v.level().jsonName() + " for=" + d.block());
            }
            metrics.action("block");
            return new Gate(Kind.BLOCKED, d, ceilSeconds(blockUntil - now), null);
        }
        if (d.throttles()) {
            RateLimiter.Decision t = limiter.tryConsumeThrottle(key.id(), d.throttle());
            if (!t.allowed()) {
                metrics.action("throttle");
                return new Gate(Kind.THROTTLED, d, t.retryAfterSeconds(), t);
            }
        }
        return d == Decision.NONE ? Gate.PASS : new Gate(Kind.PASS, d, 0, null);
    }

    /** Hands one answered query to the detectors; never blocks (a full queue drops and counts). */
    public void observe(ApiKey key, Route route, double[][] inputs, double[][] rawPredictions) {
        CompiledPolicy cp = route.compiled();
        if (cp == null || !cp.detects()) {
            return;
        }
        engine.submit(new QueryEvent(
                key.id(), key.tenant(), route.tag(), clock.millis(), inputs, rawPredictions, cp.profile()));
    }

    public DetectionEngine engine() {
        return engine;
    }

    public long blockedUntil(String keyId) {
        return blocks.blockedUntil(keyId, clock.millis());
    }

    /**
     * An operator's block: the key answers 403 on every route until {@code until} (epoch millis),
     * whatever its risk. Audited with the reason.
     */
    public void block(String keyId, long untilMillis, String reason) {
        blocks.block(keyId, untilMillis);
        audit("block", keyId, "by admin until " + java.time.Instant.ofEpochMilli(untilMillis) + ": " + reason);
    }

    /** Lifts a block (the detectors' state stays; the block step needs new evidence to strike again). */
    public void unblock(String keyId) {
        if (blocks.unblock(keyId, clock.millis())) {
            audit("unblock", keyId, "by admin");
        }
        limiter.clearThrottle(keyId);
    }

    /**
     * Forgets everything about a key: detector state, block, throttle. Waits (a few seconds at most)
     * until the detection worker has applied it, so the next read sees it; call off the event loop.
     */
    public void reset(String keyId) {
        engine.reset(keyId);
        engine.awaitIdle(java.time.Duration.ofSeconds(3));
        blocks.forget(keyId);
        limiter.clearThrottle(keyId);
        audit("reset", keyId, "by admin");
    }

    /** Receives every audit record as it is made (the console's per-key history). Must not block. */
    public interface AuditTap {
        void record(String event, String keyId, String detail);
    }

    private volatile AuditTap auditTap;

    public void tapAudit(AuditTap tap) {
        this.auditTap = tap;
    }

    public void audit(String event, String keyId, String detail) {
        AuditTap tap = auditTap;
        if (tap != null) {
            tap.record(event, keyId, detail);
        }
        if (audit != null) {
            audit.record(event, keyId, detail);
        }
    }

    @Override
    public void close() {
        engine.close();
        ledgers.close();
        if (audit != null) {
            audit.close();
        }
        if (alerts != null) {
            alerts.close();
        }
    }

    private final class Listener implements EngineListener {
        @Override
        public void onLevelChange(String keyId, Level from, Level to, Verdict verdict) {
            if (from != Level.OK) {
                flagged.decrementAndGet(from.ordinal());
            }
            if (to != Level.OK) {
                flagged.incrementAndGet(to.ordinal());
            }
            String detail =
                    from.jsonName() + "->" + to.jsonName() + " risk=" + round(verdict.risk()) + " " + reasons(verdict);
            LOG.info("key {} level {}", keyId, detail);
            audit("level_change", keyId, detail);
            if (alerts != null) {
                StringBuilder sb = new StringBuilder("{\"event\":\"level_change\",\"key\":");
                Json.quote(sb, keyId)
                        .append(",\"from\":\"")
                        .append(from.jsonName())
                        .append("\",\"to\":\"")
                        .append(to.jsonName())
                        .append("\",\"risk\":")
                        .append(round(verdict.risk()))
                        .append(",\"reasons\":");
                Json.quote(sb, reasons(verdict))
                        .append(",\"time\":\"")
                        .append(clock.instant())
                        .append("\"}");
                alerts.send(sb.toString());
            }
        }

        @Override
        public void onTenantLevelChange(String tenant, Level from, Level to, Verdict verdict) {
            audit(
                    "tenant_level_change",
                    "tenant:" + tenant,
                    from.jsonName() + "->" + to.jsonName() + " " + reasons(verdict));
        }

        @Override
        public void onAlert(String detector) {
            metrics.detectorAlert(detector);
        }

        @Override
        public void onDropped() {
            metrics.detectionDropped();
        }
    }

    static String reasons(Verdict v) {
        StringBuilder sb = new StringBuilder();
        v.scores().forEach((name, s) -> {
            if (s.score() > 0) {
                if (sb.length() > 0) {
                    sb.append("; ");
                }
                sb.append(s.reason());
            }
        });
        return sb.toString();
    }

    static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    private static long ceilSeconds(long millis) {
        return Math.max(1, (millis + 999) / 1000);
    }
}
