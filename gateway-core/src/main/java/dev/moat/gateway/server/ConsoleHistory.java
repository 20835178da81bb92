package dev.moat.gateway.server;

import dev.moat.config.TierConfig;
import dev.moat.detectors.Verdict;
import dev.moat.gateway.admin.AdminHandler.Reply;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyDirectory;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.console.KeyHistory;
import dev.moat.gateway.defence.Defences;
import dev.moat.gateway.runtime.CompiledPolicy;
import dev.moat.gateway.runtime.RuntimeHolder;
import dev.moat.gateway.runtime.Snapshot;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the console's {@link KeyHistory} and answers {@code GET /admin/keys/{id}/history}. Its own
 * thread samples every key's risk each {@link #SAMPLE_PERIOD} and drains the audit records that
 * {@link Defences} hands over (without waiting: a bounded queue that drops when full), taking a
 * sample of that key with each, so a level change or a block shows at once. The event loops only
 * ever offer to the queue.
 */
final class ConsoleHistory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleHistory.class);

    /** How often every key's risk is sampled: 4 hours of history at 480 samples per key. */
    static final Duration SAMPLE_PERIOD = Duration.ofSeconds(30);

    private record Pending(String event, String keyId, String detail) {}

    private final KeyHistory history;
    private final InstantSource clock;
    private final Defences defences;
    private final KeyDirectory keys;
    private final RuntimeHolder runtime;
    private final ArrayBlockingQueue<Pending> pending = new ArrayBlockingQueue<>(4096);
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "moat-console-history");
        t.setDaemon(true);
        return t;
    });

    ConsoleHistory(
            KeyHistory history, Defences defences, KeyDirectory keys, RuntimeHolder runtime, InstantSource clock) {
        this.history = history;
        this.clock = clock;
        this.defences = defences;
        this.keys = keys;
        this.runtime = runtime;
        defences.tapAudit((event, keyId, detail) -> pending.offer(new Pending(event, keyId, detail)));
        thread.scheduleWithFixedDelay(this::drain, 200, 200, TimeUnit.MILLISECONDS);
        long period = SAMPLE_PERIOD.toMillis();
        thread.scheduleAtFixedRate(this::sampleAll, period, period, TimeUnit.MILLISECONDS);
    }

    private void drain() {
        try {
            Pending p;
            while ((p = pending.poll()) != null) {
                history.event(p.keyId(), p.event(), p.detail());
                if (p.keyId() != null && keys.current().entry(p.keyId()) != null) {
                    sample(p.keyId());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("console history: an audit record could not be recorded", e);
        }
    }

    private void sampleAll() {
        try {
            for (KeyStore.Entry e : keys.current().entries()) {
                sample(e.key().id());
            }
        } catch (RuntimeException e) {
            LOG.warn("console history: sampling failed", e);
        }
    }

    private void sample(String keyId) {
        Verdict v = defences.engine().verdict(keyId);
        history.sample(keyId, v.risk(), v.level().jsonName(), action(keyId, v));
    }

    /**
     * The most severe action any policy's ladder takes for the key now, as the request path decides it
     * (a risk another instance shared included, an unblock's pause of the block step too): block,
     * throttle, perturb or none.
     */
    private String action(String keyId, Verdict v) {
        if (defences.blockedUntil(keyId) > 0) {
            return "block";
        }
        ApiKey key = keys.current().byId(keyId);
        if (key == null) {
            return "none";
        }
        String worst = "none";
        Snapshot snap = runtime.current();
        TierConfig.MaxAction most = snap.maxAction(key);
        for (CompiledPolicy cp : snap.policies().values()) {
            String a = defences.actionNow(key, cp, most);
            if (severity(a) > severity(worst)) {
                worst = a;
            }
        }
        return worst;
    }

    private static int severity(String action) {
        return switch (action) {
            case "block" -> 3;
            case "throttle" -> 2;
            case "perturb" -> 1;
            default -> 0;
        };
    }

    /** {@code GET /admin/keys/{id}/history}: the samples, the events and the key's state now. */
    Reply describe(ApiKey key) {
        drain();
        Map<String, Object> out = new LinkedHashMap<>(history.toJson(key.id()));
        Verdict v = defences.engine().verdict(key.id());
        long until = defences.blockedUntil(key.id());
        Map<String, Object> now = new LinkedHashMap<>();
        now.put("time", clock.instant().toString());
        now.put("risk", KeyReport.round(v.risk()));
        now.put("level", v.level().jsonName());
        now.put("action", action(key.id(), v));
        now.put("blocked_until", until > 0 ? Instant.ofEpochMilli(until).toString() : null);
        out.put("now", now);
        out.put("sample_period_seconds", SAMPLE_PERIOD.toSeconds());
        return KeysAdmin.json(HttpResponseStatus.OK, out);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
