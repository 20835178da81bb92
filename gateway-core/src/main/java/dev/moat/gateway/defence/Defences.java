package dev.moat.gateway.defence;

import dev.moat.config.MoatConfig;
import dev.moat.config.PolicyConfig;
import dev.moat.config.TierConfig;
import dev.moat.detectors.Level;
import dev.moat.detectors.Verdict;
import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.gateway.alerts.WebhookAlerts;
import dev.moat.gateway.audit.AuditLog;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.http.Json;
import dev.moat.gateway.metrics.MoatMetrics;
import dev.moat.gateway.protocol.OpenAiGuard;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.ratelimit.SharedLimiter;
import dev.moat.gateway.runtime.CompiledPolicy;
import dev.moat.gateway.runtime.Route;
import dev.moat.gateway.state.InMemoryStateStore;
import dev.moat.gateway.state.StateStore;
import dev.moat.policies.escalation.Decision;
import dev.moat.policies.runtime.PolicyRuntime;
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
public final class Defences implements Enforcement, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Defences.class);

    private final DetectionEngine engine;
    private final WatermarkLedgers ledgers = new WatermarkLedgers();
    private final StateStore store;
    private final RateLimiter limiter;
    private final SharedLimiter shared;
    private final long riskHalfLifeMillis;
    /** The risk at which a key is {@code suspicious}: the level thresholds' lower one. */
    private final double suspiciousAt;

    private final MoatMetrics metrics;
    private final InstantSource clock;
    private final AuditLog audit;
    private final WebhookAlerts alerts;
    private final AtomicLongArray flagged = new AtomicLongArray(Level.values().length);
    /**
     * Keys an operator reset on another instance (with how many such resets are in flight) whose
     * reset this instance's detection workers have not applied yet: until then the engine answers
     * the key's old verdict, which would share its risk and block it again on every instance.
     */
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> resetting =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Waits for the workers to apply a reset made elsewhere (its thread starts at the first one). */
    private final java.util.concurrent.ExecutorService resetsApplied =
            java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "moat-reset-elsewhere");
                t.setDaemon(true);
                return t;
            });

    public Defences(MoatConfig config, RateLimiter limiter, MoatMetrics metrics, InstantSource clock) {
        this(config, limiter, null, new InMemoryStateStore(clock), metrics, clock);
    }

    /**
     * @param shared the shared buckets (Redis), or null: then escalation throttles use {@code limiter}
     *               here; with shared buckets the request gate takes the throttle's token itself
     * @param store  blocks, unblock marks and shared risks (in memory, a state file, or Redis)
     */
    public Defences(
            MoatConfig config,
            RateLimiter limiter,
            SharedLimiter shared,
            StateStore store,
            MoatMetrics metrics,
            InstantSource clock) {
        this.limiter = limiter;
        this.shared = shared;
        this.store = store;
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
                // the unblock marks are kept until a risk measured before them has decayed to nothing at this
                // half-life (InMemoryStateStore.UNBLOCK_MARK_HORIZON_MILLIS), and a shared risk lives 8 of
                // them (SHARED_RISK_LIFE_MILLIS, the state file's risks too): one made configurable moves both
                defaults.riskHalfLife());
        this.riskHalfLifeMillis = Math.max(1, settings.riskHalfLife().toMillis());
        this.suspiciousAt = settings.suspiciousAt();
        this.engine = new DetectionEngine(settings, clock, new Listener());
        store.addResetListener(this::resetElsewhere);
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
        metrics.gauge(
                "moat.keys.blocked",
                "Keys blocked now",
                store,
                st -> st.blocks(clock.millis()).size());
    }

    /** Compiles a policy for a config load, without a calibration. @throws IllegalArgumentException when it cannot be built */
    public CompiledPolicy compile(PolicyConfig policy) {
        return compile(policy, null);
    }

    /**
     * Compiles a policy for a config load whose {@code detection.calibration} is {@code calibration}
     * (null: references learned online). The file is read at most once per path and modification time.
     *
     * @throws IllegalArgumentException when it cannot be built, or the calibration file is invalid
     *                                  (naming file:line and what was expected)
     */
    public CompiledPolicy compile(PolicyConfig policy, java.nio.file.Path calibration) {
        for (var spec : policy.outputs()) {
            if (spec instanceof dev.moat.config.OutputSpec.Watermark w && w.ledger() != null) {
                ledgers.rotation(w.ledger(), w.ledgerMaxBytes(), w.ledgerMaxFiles());
            }
        }
        PolicyRuntime runtime = PolicyRuntime.compile(policy, ledgers::sinkFor);
        DetectorProfile profile;
        try {
            profile = policy.detectors().isEmpty()
                    ? DetectorProfile.NONE
                    : DetectorProfile.fromConfig(policy.detectors(), calibrations.load(calibration));
        } catch (IllegalArgumentException e) {
            // the detector's message names it and its parameter; the policy is named here
            throw new IllegalArgumentException("policies." + policy.name() + ".detectors: " + e.getMessage(), e);
        }
        OpenAiGuard guard = policy.llm() == null ? null : new OpenAiGuard(policy.llm());
        return new CompiledPolicy(runtime, profile, guard);
    }

    private final CalibrationCache calibrations = new CalibrationCache();

    /** The last calibration file read, kept while its path and modification time stay the same. */
    private static final class CalibrationCache {
        private java.nio.file.Path path;
        private java.nio.file.attribute.FileTime modified;
        private dev.moat.detectors.Calibration value;

        synchronized dev.moat.detectors.Calibration load(java.nio.file.Path file) {
            if (file == null) {
                return null;
            }
            try {
                java.nio.file.attribute.FileTime m = java.nio.file.Files.getLastModifiedTime(file);
                if (!file.equals(path) || !m.equals(modified)) {
                    value = dev.moat.detectors.Calibration.read(file);
                    path = file;
                    modified = m;
                    if (value.hasCoverage() && !value.hasCoverageCells()) {
                        // a file written before session 25: its coverage line is of the former sign cells
                        LOG.warn(
                                "detection.calibration: {} has coverage.reference_novelty but no coverage.cell_widths"
                                        + " (written before they were recorded): coverage's default fixed cells learn"
                                        + " their widths and reference online; run moat calibrate again to fix them",
                                file);
                    }
                }
                return value;
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(
                        "detection.calibration: " + file + " cannot be read (" + e.getMessage() + ")", e);
            }
        }
    }

    @Override
    public Gate check(ApiKey key, Route route, TierConfig.MaxAction most) {
        // a blocked key is blocked on every route, guarded or not (an operator's block means "stop")
        long now = clock.millis();
        StateStore.Block block = store.block(key.id(), now);
        if (block != null) {
            metrics.action("block");
            return new Gate(Kind.BLOCKED, Decision.NONE, ceilSeconds(block.untilEpochMillis() - now), null);
        }
        CompiledPolicy cp = route.compiled();
        if (cp == null) {
            return Gate.PASS;
        }
        if (!resetting.isEmpty() && resetting.containsKey(key.id())) {
            // reset on another instance a moment ago: the verdict here is still the old one (SharedStateIT
            // .aResetIsNotUndoneByARequestBeforeTheDetectionWorkerAppliedIt)
            return Gate.PASS;
        }
        Applied a = applied(key, now);
        Verdict v = a.verdict();
        if (v.risk() >= PUBLISH_FLOOR) {
            publishRisk(key.id(), v.risk(), now);
        }
        double risk = a.risk();
        if (risk <= 0) {
            return Gate.PASS;
        }
        Decision d = cp.runtime().ladder().decide(risk, most);
        if (d.blocks() && a.atMillis() > store.unblockedAt(key.id())) {
            long blockUntil = now + d.block().toMillis();
            store.putBlock(new StateStore.Block(key.id(), blockUntil, "risk " + round(risk), "ladder"));
            LOG.warn("key {} blocked for {} (risk {})", key.id(), d.block(), String.format("%.2f", risk));
            audit(
                    "block",
                    key.id(),
                    "risk=" + round(risk) + " level=" + v.level().jsonName() + " for=" + d.block());
            metrics.action("block");
            return new Gate(Kind.BLOCKED, d, ceilSeconds(blockUntil - now), null);
        }
        RateLimiter.Decision t = null;
        if (d.throttles() && shared == null) {
            t = limiter.tryConsumeThrottle(key.id(), d.throttle());
            if (!t.allowed()) {
                metrics.action("throttle");
                return new Gate(Kind.THROTTLED, d, t.retryAfterSeconds(), t);
            }
        }
        // the throttle's state goes with the gate: a batch's further rows are charged to it too (BatchCharge)
        return d == Decision.NONE ? Gate.PASS : new Gate(Kind.PASS, d, 0, t);
    }

    /** Risks below this stay with the instance that measured them (honest keys are not broadcast). */
    static final double PUBLISH_FLOOR = 0.25;

    /** A published risk is published again once the local one has risen this much above it. */
    static final double PUBLISH_STEP = 0.05;

    /**
     * Shares a key's risk when it rose a step above what is shared: every instance then applies the
     * same ladder step (throttle, block) to the key, even one whose own detectors never saw it.
     */
    private void publishRisk(String id, double risk, long now) {
        StateStore.Risk known = store.risk(id);
        if (known == null || risk >= decayed(known, now) + PUBLISH_STEP) {
            store.putRisk(id, new StateStore.Risk(risk, now), InMemoryStateStore.SHARED_RISK_LIFE_MILLIS);
        }
    }

    /**
     * The highest shared risk for the key or its tenant, decayed to now; null when none. A shared risk
     * past its life (InMemoryStateStore.SHARED_RISK_LIFE_MILLIS, 8 half-lives) reads as none: it had
     * decayed to under 1/256 of what it was, so only a ladder step under about 0.004 acted on it.
     */
    private StateStore.Risk sharedRisk(ApiKey key, long now) {
        StateStore.Risk k = store.risk(key.id());
        StateStore.Risk t = key.tenant() == null ? null : store.risk(TENANT + key.tenant());
        if (k == null && t == null) {
            return null;
        }
        double kr = k == null ? 0 : decayed(k, now);
        double tr = t == null ? 0 : decayed(t, now);
        // a risk decays to exactly 0 after about 1,075 half-lives: then the other one stands, even if absent
        return k != null && (t == null || kr >= tr)
                ? new StateStore.Risk(kr, k.atMillis())
                : new StateStore.Risk(tr, t.atMillis());
    }

    /**
     * The action {@link #check} takes now for the key on a route of this policy, without taking it
     * (the admin report): at the larger of this instance's verdict and the shared risk, and without
     * the block step while the operator's unblock is newer than the evidence (the key is served
     * until new evidence comes, so a report that said "block" after an unblock was wrong).
     */
    public String actionNow(ApiKey key, CompiledPolicy cp, TierConfig.MaxAction most) {
        if (resetting.containsKey(key.id())) {
            return Decision.NONE.action();
        }
        Applied a = applied(key, clock.millis());
        if (a.risk() <= 0) {
            return Decision.NONE.action();
        }
        Decision d = cp.runtime().ladder().decide(a.risk(), most);
        if (d.blocks() && a.atMillis() <= store.unblockedAt(key.id())) {
            return d.throttles() ? "throttle" : d.perturbs() ? "perturb" : Decision.NONE.action();
        }
        return d.action();
    }

    /** The risk the ladder applies to a key: this instance's verdict's, or a higher shared one, and when it was measured. */
    private record Applied(Verdict verdict, double risk, long atMillis) {}

    /**
     * The larger of this instance's verdict and the risk shared for the key or its tenant (a publish of
     * this instance's own risk, which {@link #check} may make first, changes neither: it is that risk).
     */
    private Applied applied(ApiKey key, long now) {
        Verdict v = engine.verdict(key.id());
        StateStore.Risk shared = sharedRisk(key, now);
        return shared != null && shared.risk() > v.risk()
                ? new Applied(v, shared.risk(), shared.atMillis())
                : new Applied(v, v.risk(), v.evidenceAtMillis());
    }

    /**
     * The highest risk shared for the key or its tenant by any instance, decayed to now, or 0: what the
     * ladder applies here beside this instance's own verdict (the admin report shows both).
     */
    public double sharedRisk(ApiKey key) {
        StateStore.Risk r = sharedRisk(key, clock.millis());
        return r == null ? 0 : r.risk();
    }

    private double decayed(StateStore.Risk r, long now) {
        long age = Math.max(0, now - r.atMillis());
        return r.risk() * Math.pow(0.5, (double) age / riskHalfLifeMillis);
    }

    private static final String TENANT = "tenant:";

    /**
     * Hands one answered query to the detectors; never blocks (a full queue drops and counts).
     *
     * @return false when the detectors' queue was full and the query was dropped unscored (the
     *     caller withholds the answer unless the route fails open)
     */
    public boolean observe(ApiKey key, Route route, double[][] inputs, double[][] rawPredictions) {
        CompiledPolicy cp = route.compiled();
        if (cp == null || !cp.detects()) {
            return true;
        }
        return engine.submit(new QueryEvent(
                key.id(), key.tenant(), route.tag(), clock.millis(), inputs, rawPredictions, cp.profile()));
    }

    public DetectionEngine engine() {
        return engine;
    }

    /** The risk from which a key is {@code suspicious} (and a shared risk counts as a flag). */
    public double suspiciousAt() {
        return suspiciousAt;
    }

    public long blockedUntil(String keyId) {
        StateStore.Block b = store.block(keyId, clock.millis());
        return b == null ? 0 : b.untilEpochMillis();
    }

    /** The store of blocks, unblock marks and shared risks. */
    public StateStore store() {
        return store;
    }

    /**
     * An operator's block: the key answers 403 on every route until {@code until} (epoch millis),
     * whatever its risk. Audited with the reason.
     */
    public java.util.concurrent.CompletionStage<Void> block(String keyId, long untilMillis, String reason) {
        audit("block", keyId, "by admin until " + java.time.Instant.ofEpochMilli(untilMillis) + ": " + reason);
        return store.putBlock(new StateStore.Block(keyId, untilMillis, reason, "admin"));
    }

    /** Lifts a block (the detectors' state stays; the block step needs new evidence to strike again). */
    public void unblock(String keyId) {
        long now = clock.millis();
        boolean was = store.block(keyId, now) != null;
        store.unblock(keyId, now);
        if (was) {
            audit("unblock", keyId, "by admin");
        }
        clearThrottle(keyId);
    }

    private void clearThrottle(String keyId) {
        limiter.clearThrottle(keyId);
        if (shared != null) {
            shared.clearThrottle(keyId);
        }
    }

    /**
     * Forgets everything about a key: detector state, block, throttle. Waits (a few seconds at most)
     * until the detection worker has applied it, so the next read sees it; call off the event loop.
     */
    public void reset(String keyId) {
        engine.reset(keyId);
        engine.awaitIdle(java.time.Duration.ofSeconds(3));
        store.forget(keyId);
        clearThrottle(keyId);
        audit("reset", keyId, "by admin");
    }

    /**
     * A reset an operator made on another instance: the key's evidence here goes too (the load
     * balancer may have sent its queries to this instance), and so does its local throttle; the
     * store drops its block and risk right after. Called on a store thread: nothing waits (the reset
     * is queued for the workers from a thread of its own). Until the workers have applied the reset
     * (events queued before it still update the old verdict), {@link #check} does not read the key's
     * verdict: a request then shared the old risk and blocked the key again on every instance.
     */
    private void resetElsewhere(String keyId) {
        resetting.merge(keyId, 1, Integer::sum);
        limiter.clearThrottle(keyId);
        audit("reset", keyId, "by admin on another instance");
        try {
            resetsApplied.execute(() -> {
                // queued here, not on the store's thread (Redis' change connection): a full worker queue
                // makes the reset wait for room, and the other changes must not wait behind it
                engine.reset(keyId);
                engine.awaitIdle(java.time.Duration.ofSeconds(10));
                resetting.computeIfPresent(keyId, (k, n) -> n <= 1 ? null : n - 1);
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            resetting.remove(keyId);
        }
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
        resetsApplied.shutdownNow();
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
            if (verdict.risk() >= PUBLISH_FLOOR) { // a Sybil attack spread over instances is one tenant
                store.putRisk(
                        TENANT + tenant,
                        new StateStore.Risk(verdict.risk(), clock.millis()),
                        InMemoryStateStore.SHARED_RISK_LIFE_MILLIS);
            }
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

        @Override
        public void onCrossKeyShed() {
            metrics.crossKeyShed();
        }

        @Override
        public void onCrossKeySampledOut(int rows) {
            metrics.crossKeySampledOut(rows);
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
