package dev.moat.detectors.engine;

import dev.moat.detectors.DetectorScore;
import dev.moat.detectors.Level;
import dev.moat.detectors.Verdict;
import dev.moat.detectors.internal.Decimals;
import dev.moat.detectors.internal.Rows;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Turns detector scores into published verdicts: risk = max(detector scores, decayed previous
 * risk, the tenant's decayed risk), the level it maps to, and the listener calls. Workers call it
 * for the keys they own; readers see verdicts through {@link #read} without locks.
 *
 * <p>Reasons are rebuilt only when a score moved by more than 0.01 or every 64 events, so the hot
 * path formats no strings; the published map is reused until then.
 */
public final class Publisher {

    private static final int REASON_REFRESH_EVENTS = 64;

    private final EngineSettings settings;
    private final InstantSource clock;
    private final EngineListener listener;
    private final double halfLifeMillis;
    /**
     * A key's entry, without touching its idle time (the workers' caches, set by the engine): the
     * key's verdict is published in its entry (see {@link KeyEntry#verdict}).
     */
    private java.util.function.Function<String, KeyEntry> entries = id -> null;

    private final ConcurrentHashMap<String, Verdict> tenantVerdicts = new ConcurrentHashMap<>();
    private final LongAdder failures = new LongAdder();
    /** Keys' cross-key scores (written by the worker owning the store, read by the keys' workers); only non-zero ones. */
    private final ConcurrentHashMap<String, DetectorScore> crossScores = new ConcurrentHashMap<>();

    /** The engine's listener (the cross-key store's worker reports its sampled-out rows to it). */
    EngineListener listener() {
        return listener == null ? EngineListener.NONE : listener;
    }

    public Publisher(EngineSettings settings, InstantSource clock, EngineListener listener) {
        this.settings = settings;
        this.clock = clock;
        this.listener = listener;
        this.halfLifeMillis = settings.riskHalfLife().toMillis();
    }

    /**
     * The key's verdict with its risk decayed to now, or {@link Verdict#OK}. When decay alone has
     * moved the verdict to a lower level, the lowered verdict replaces the published one and this
     * call fires {@link EngineListener#onLevelChange} (once: a racing reader or the key's worker
     * sees the replaced verdict and fires nothing).
     */
    public Verdict read(String keyId) {
        KeyEntry e = entries.apply(keyId);
        Verdict v = e == null ? null : e.verdict;
        if (v == null) {
            return Verdict.OK;
        }
        long now = clock.millis();
        Verdict decayed = decayed(v, now);
        if (decayed.level() != v.level() && KeyEntry.VERDICT.compareAndSet(e, v, decayed)) {
            fire(keyId, v.level(), decayed.level(), decayed, false);
        }
        return decayed;
    }

    /** Where {@link #read} finds keys' entries (set once, before the workers publish anything). */
    void entries(java.util.function.Function<String, KeyEntry> lookup) {
        this.entries = lookup;
    }

    /**
     * v with its risk decayed to now: v itself when unchanged; restamped at now when its level dropped,
     * its evidence's time kept (decay is no new evidence: see {@link Verdict}).
     */
    private Verdict decayed(Verdict v, long now) {
        double r = decay(v.risk(), v.updatedAtMillis(), now);
        if (r == v.risk()) {
            return v;
        }
        Level level = level(r);
        if (level == v.level()) {
            return new Verdict(r, level, v.scores(), v.queries(), v.updatedAtMillis(), v.evidenceAtMillis());
        }
        // restamped at now, so that later reads decay from here rather than twice
        return new Verdict(r, level, v.scores(), v.queries(), now, v.evidenceAtMillis());
    }

    /** The tenant's pooled verdict, decayed to now, or {@link Verdict#OK}; fires level drops like {@link #read}. */
    public Verdict readTenant(String tenant) {
        return read(tenant, tenantVerdicts, true);
    }

    private Verdict read(String id, ConcurrentHashMap<String, Verdict> from, boolean tenant) {
        Verdict v = from.get(id);
        if (v == null) {
            return Verdict.OK;
        }
        Verdict lowered = decayed(v, clock.millis());
        if (lowered.level() != v.level() && from.replace(id, v, lowered)) {
            fire(id, v.level(), lowered.level(), lowered, tenant);
        }
        return lowered;
    }

    private void fire(String id, Level from, Level to, Verdict v, boolean tenant) {
        if (tenant) {
            listener.onTenantLevelChange(id, from, to, v);
        } else {
            listener.onLevelChange(id, from, to, v);
        }
    }

    private double decay(double risk, long at, long now) {
        return now <= at || risk == 0 ? risk : risk * Math.pow(0.5, (now - at) / halfLifeMillis);
    }

    private Level level(double risk) {
        return Level.of(risk, settings.suspiciousAt(), settings.extractingAt());
    }

    /** The tenant's published level (not decayed; the worker compares it before and after an event). */
    Level tenantLevel(String tenant) {
        Verdict v = tenantVerdicts.get(tenant);
        return v == null ? Level.OK : v.level();
    }

    void forgetCross(String keyId) {
        crossScores.remove(keyId);
    }

    /**
     * Per key reset by an admin, how many times: a cross-key search queued before a reset carries
     * the count it saw, and its score is not published after the reset (it was the key's old
     * evidence; before, it could cross the reset and hand the key its old score back once). Only
     * reset keys have an entry; the map is cleared past {@value #MAX_RESET_EPOCHS} keys (a search
     * queued across that clearing may publish once, as before).
     */
    private final ConcurrentHashMap<String, Integer> crossEpochs = new ConcurrentHashMap<>();

    private static final int MAX_RESET_EPOCHS = 100_000;

    /** An admin reset: the key's cross-key score is forgotten, and searches queued before now publish nothing. */
    void resetCross(String keyId) {
        if (crossEpochs.size() >= MAX_RESET_EPOCHS) {
            crossEpochs.clear();
        }
        crossEpochs.merge(keyId, 1, Integer::sum);
        crossScores.remove(keyId);
    }

    /** The key's reset count (0 for a key never reset). */
    int crossEpoch(String keyId) {
        if (crossEpochs.isEmpty()) {
            return 0;
        }
        return crossEpochs.getOrDefault(keyId, 0);
    }

    /**
     * Records a key's cross-key score (its reason rebuilt when the score moved by more than 0.01).
     * Returns true when it raised the key's level over what the score was before, so the key's worker
     * should re-publish the key.
     */
    boolean publishCross(String keyId, double score, dev.moat.detectors.prada.CrossKeyParents store) {
        DetectorScore prev = crossScores.get(keyId);
        double before = prev == null ? 0 : prev.score();
        if (score <= 0) {
            if (prev != null) {
                crossScores.remove(keyId);
            }
            return false;
        }
        if (prev != null && Math.abs(score - before) <= 0.01) {
            return false;
        }
        crossScores.put(keyId, new DetectorScore(Rows.clamp01(score), store.reason(keyId)));
        if (score >= settings.suspiciousAt() && before < settings.suspiciousAt()) {
            listener.onAlert(dev.moat.detectors.prada.CrossKeyParents.NAME);
        }
        return level(score).compareTo(level(before)) > 0;
    }

    void forgetTenant(String tenant) {
        tenantVerdicts.remove(tenant);
    }

    void onFailure(RuntimeException e) {
        failures.increment();
    }

    public long failures() {
        return failures.sum();
    }

    /** Publishes the key's verdict after an event; returns the risk published (what its detectors observe). */
    double publishKey(String keyId, String tenant, KeyEntry e, KeyState s, long eventMillis) {
        long now = clock.millis();
        boolean tenantMoved = false;
        if (tenant != null) {
            Verdict tv = tenantVerdicts.get(tenant);
            double pooled = tv == null ? 0 : decay(tv.risk(), tv.updatedAtMillis(), now);
            KeyEntry.TenantLink link = e.tenant();
            double tr = exempt(link, pooled);
            if (Math.abs(tr - link.lastRisk) > 0.01) {
                link.lastRisk = tr;
                link.score = tv == null
                        ? null
                        : new DetectorScore(
                                Rows.clamp01(tr),
                                tr == pooled
                                        ? tenantReason(tenant, tr, " over its keys")
                                        : tenantReason(tenant, pooled, " not inherited since the key's reset"));
                tenantMoved = true;
                // every reason rebuilt at the key's current count, so a level change the tenant's risk
                // causes reports the key's queries (not those of its last rebuild, often its first event)
                s.eventsSinceReasons = REASON_REFRESH_EVENTS;
            }
        }
        boolean changed = refreshScores(s, eventMillis) || tenantMoved;
        double risk = s.run.maxScore;
        if (tenant != null) {
            risk = Math.max(risk, Math.max(0, e.tenant().lastRisk));
        }
        DetectorScore cross = crossScores.isEmpty() ? null : crossScores.get(keyId);
        if (cross != null) {
            risk = Math.max(risk, cross.score());
        }
        if (!changed && s.queriesAtReasons != s.queries && e.size() == 1) {
            // a verdict that changes the key's level is published with its reasons rebuilt at the key's
            // count: its own scores did not move, so it is the cross-key score, or decay, that moves it,
            // and the listener, the audit log and enforcement read this verdict. Before, the verdict that
            // first flagged a line search by cross_key carried queries=1 next to a cross_key reason that
            // had seen 23 of its rows (issue 9, UnsureModelsTest's small deployment).
            Verdict shown = e.verdict;
            double own = Rows.clamp01(Math.max(risk, decay(s.risk, s.riskAt, now)));
            if (level(own) != (shown == null ? Level.OK : shown.level())) {
                rebuildReasons(s, eventMillis);
                changed = true;
            }
        }
        if (changed) {
            s.published = s.published.with(s.run.list.length, e.tenantScore());
        }
        return finish(keyId, e, s, risk, now, null, false, cross);
    }

    /** {@code "tenant <name>: pooled risk <%.2f><tail>"}, String.format's text without a Formatter. */
    private static String tenantReason(String tenant, double risk, String tail) {
        StringBuilder b = new StringBuilder(64).append("tenant ").append(tenant).append(": pooled risk ");
        return Decimals.fixed(b, risk, 2).append(tail).toString();
    }

    /**
     * Publishes the key again with its tenant's current risk, its own scores as at its last event and
     * its reasons rebuilt (so the verdict's query count is the key's, not that of its last rebuild).
     */
    double republishKey(String keyId, String tenant, KeyEntry e, KeyState s) {
        s.eventsSinceReasons = REASON_REFRESH_EVENTS;
        return publishKey(keyId, tenant, e, s, s.lastEventMillis);
    }

    void publishTenant(String tenant, KeyEntry e, KeyState s, boolean enoughKeys, long eventMillis) {
        long now = clock.millis();
        // a fresh map of the detectors' scores when they changed (a tenant's has no tenant entry)
        refreshScores(s, eventMillis);
        finish(tenant, e, s, enoughKeys ? s.run.maxScore : 0, now, tenantVerdicts, true, null);
    }

    /**
     * The tenant risk a key inherits. A key reset by an admin starts with a floor: the tenant risk it
     * saw at its first event after the reset, which it does not inherit (the admin has judged the
     * key, whose own queries are part of the tenant's pooled evidence). The floor lifts once the
     * tenant's risk rises above it by more than 0.05 (new evidence) or falls below the suspicious
     * threshold (the episode is over).
     */
    private double exempt(KeyEntry.TenantLink e, double tenantRisk) {
        if (Double.isNaN(e.floor)) {
            e.floor = tenantRisk;
        }
        if (e.floor <= 0) {
            return tenantRisk;
        }
        if (tenantRisk > e.floor + 0.05 || tenantRisk < settings.suspiciousAt()) {
            e.floor = 0;
            return tenantRisk;
        }
        return 0;
    }

    /**
     * Publishes the entry's verdict: the fed profile's risk (its score, or its decayed previous
     * risk), and the maximum with the decayed risks of the key's other profiles. Scores of several
     * profiles are merged by name, the higher score winning. Returns the risk published.
     */
    private double finish(
            String id,
            KeyEntry e,
            KeyState s,
            double score,
            long now,
            ConcurrentHashMap<String, Verdict> into,
            boolean tenant,
            DetectorScore cross) {
        double own = Rows.clamp01(Math.max(score, decay(s.risk, s.riskAt, now)));
        s.risk = own;
        s.riskAt = now;
        double risk = own;
        Map<String, DetectorScore> scores = s.published;
        if (e.size() > 1) {
            Map<String, DetectorScore> merged = new LinkedHashMap<>(scores);
            for (int i = 0; i < e.size(); i++) {
                KeyState o = e.get(i);
                if (o == s) {
                    continue;
                }
                risk = Math.max(risk, decay(o.risk, o.riskAt, now));
                o.published.forEach((name, sc) -> merged.merge(name, sc, (a, b) -> b.score() > a.score() ? b : a));
            }
            scores = merged;
        }
        if (cross != null) {
            // the cross-key score as its own entry (only keys the store has scored pay for the copy)
            Map<String, DetectorScore> withCross = new LinkedHashMap<>(scores);
            withCross.merge(dev.moat.detectors.prada.CrossKeyParents.NAME, cross, (a, b) -> b);
            scores = withCross;
        }
        Level level = level(risk);
        // one profile: the count its reasons were written at (they agree); several: the key's total
        Verdict v = new Verdict(risk, level, scores, e.size() > 1 ? e.queries() : s.queriesAtReasons, now);
        // compared with what readers last saw, which a read may have lowered by decay (and fired)
        Verdict before = into == null ? (Verdict) KeyEntry.VERDICT.getAndSet(e, v) : into.put(id, v);
        Level from = before == null ? Level.OK : before.level();
        if (level != from) {
            fire(id, from, level, v, tenant);
        }
        return risk;
    }

    /**
     * Rebuilds a key's reasons at its current query count and republishes its verdict with them
     * (same risk and level: nothing fires). Called by the owning worker when it is idle.
     */
    void refreshReasons(String keyId, KeyEntry entry, KeyState s) {
        Verdict v = entry.verdict;
        if (v == null || s.queriesAtReasons == s.queries) {
            return;
        }
        int n = s.run.list.length;
        DetectorScore tenantScore = entry.tenantScore();
        DetectorScore[] fresh = new DetectorScore[tenantScore == null ? n : n + 1];
        for (int i = 0; i < n; i++) {
            double score = Math.max(0, s.lastScore(i));
            fresh[i] = s.run.score(score, s.run.list[i].reason(s.states[i], s.lastEventMillis));
        }
        if (tenantScore != null) {
            fresh[n] = tenantScore;
        }
        s.queriesAtReasons = s.queries;
        s.eventsSinceReasons = 0;
        s.published = s.run.scores(fresh, fresh.length);
        KeyEntry.VERDICT.compareAndSet(
                entry,
                v,
                new Verdict(v.risk(), v.level(), s.published, s.queries, v.updatedAtMillis(), v.evidenceAtMillis()));
    }

    /**
     * Reads every detector's score; when one moved (or every {@value #REASON_REFRESH_EVENTS} events)
     * rebuilds every reason. Returns true if they were rebuilt.
     */
    private boolean refreshScores(KeyState s, long eventMillis) {
        s.lastEventMillis = eventMillis;
        boolean refresh = ++s.eventsSinceReasons >= REASON_REFRESH_EVENTS;
        boolean changed = false;
        double max = 0;
        double[] scratch = s.run.scratch;
        for (int i = 0; i < s.run.list.length; i++) {
            double score = Rows.clamp01(s.run.list[i].score(s.states[i], eventMillis));
            max = Math.max(max, score);
            scratch[i] = score;
            if (refresh || Math.abs(score - s.lastScore(i)) > 0.01) {
                changed = true;
            }
            long bit = 1L << i;
            if (score >= settings.suspiciousAt() && (s.alerted & bit) == 0) {
                s.alerted |= bit;
                listener.onAlert(s.run.list[i].name());
            } else if (score < settings.suspiciousAt() / 2) {
                s.alerted &= ~bit;
            }
        }
        if (changed) {
            rebuildReasons(s, eventMillis);
        } else if (refresh || s.run.list.length == 0) {
            s.eventsSinceReasons = 0;
            s.queriesAtReasons = s.run.list.length == 0 ? s.queries : s.queriesAtReasons;
        }
        s.run.maxScore = max;
        return changed;
    }

    /** Rebuilds every reason, at the key's query count, from the scores {@link #refreshScores} just read. */
    private static void rebuildReasons(KeyState s, long eventMillis) {
        // every reason rebuilt together, at one query count: the verdict's count agrees with them all
        int n = s.run.list.length;
        double[] scratch = s.run.scratch;
        DetectorScore[] fresh = new DetectorScore[n];
        for (int i = 0; i < n; i++) {
            fresh[i] = s.run.score(scratch[i], s.run.list[i].reason(s.states[i], eventMillis));
        }
        s.published = s.run.scores(fresh, n);
        s.queriesAtReasons = s.queries;
        s.eventsSinceReasons = 0;
    }
}
