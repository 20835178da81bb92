package dev.moat.gateway.metrics;

import dev.moat.config.DetectorNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Every meter Moat publishes, named in this one place (DESIGN.md section 3). Meters with tags are
 * looked up once per tag combination and cached, so the request path never builds a meter. No meter
 * carries an API key or key id unless the operator turns per-key metrics on.
 */
public final class MoatMetrics implements MeterBinder {

    public static final String REQUESTS = "moat.requests"; // moat_requests_total{route,outcome}
    public static final String REQUEST_DURATION = "moat.request.duration"; // moat_request_duration_seconds
    public static final String UPSTREAM_DURATION = "moat.upstream.duration"; // moat_upstream_duration_seconds
    public static final String RATELIMIT_REJECTIONS = "moat.ratelimit.rejections"; // moat_ratelimit_rejections_total
    public static final String DETECTOR_ALERTS = "moat.detector.alerts"; // moat_detector_alerts_total{detector}
    public static final String ACTIONS = "moat.actions"; // moat_actions_total{action}
    public static final String KEYS_TRACKED = "moat.keys.tracked"; // moat_keys_tracked
    public static final String KEYS_FLAGGED = "moat.keys.flagged"; // moat_keys_flagged{level}
    public static final String DETECTION_DROPPED = "moat.detection.dropped"; // moat_detection_dropped_total
    public static final String CROSS_KEY_SHED = "moat.detection.cross.key.shed"; // moat_detection_cross_key_shed_total
    public static final String CROSS_KEY_SAMPLED_OUT =
            "moat.detection.cross.key.sampled.out"; // moat_detection_cross_key_sampled_out_total
    public static final String ACCESS_LOG_DROPPED = "moat.access_log.dropped"; // moat_access_log_dropped_total
    public static final String CONFIG_RELOADS = "moat.config.reloads"; // moat_config_reloads_total{result}
    public static final String REDIS_UP = "moat.redis.up"; // moat_redis_up
    public static final String REDIS_DECISIONS_WITHOUT =
            "moat.redis.decisions.without"; // moat_redis_decisions_without_total
    public static final String REDIS_OUTAGES = "moat.redis.outages"; // moat_redis_outages_total
    public static final String ACTIVE_CONNECTIONS = "moat.connections.active"; // moat_connections_active

    /** Every outcome {@code moat_requests_total} can carry (README "Admin API and metrics"). */
    public static final List<String> OUTCOMES = List.of(
            "ok",
            "upstream_error",
            "upstream_client_error",
            "unauthorized",
            "rate_limited",
            "throttled",
            "blocked",
            "bad_request",
            "too_large",
            "no_route",
            "bad_gateway",
            "timeout",
            "unsafe_answer",
            "unavailable",
            "overloaded",
            "client_closed",
            "client_timeout",
            "shared_state_unavailable",
            "internal_error");

    /** Every action {@code moat_actions_total} can carry. */
    public static final List<String> ACTION_NAMES = List.of(
            "top_k",
            "round",
            "label_only",
            "noise",
            "reverse_sigmoid",
            "watermark",
            "block",
            "throttle",
            "fail_closed",
            "fail_open",
            "llm_reject",
            "llm_rewrite",
            "llm_round");

    /** The outcomes of requests refused before a route is chosen (route {@code none}). */
    public static final List<String> UNROUTED_OUTCOMES =
            List.of("no_route", "bad_request", "overloaded", "method_refused", "client_timeout");

    private MeterRegistry registry;
    private final Map<String, Map<String, Counter>> requestCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> actionCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> alertCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> reloadCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> keyCounters = new ConcurrentHashMap<>();
    private Timer requestDuration;
    private Timer upstreamDuration;
    private Counter rateLimitRejections;
    private Counter detectionDropped;
    private Counter crossKeyShed;
    private Counter crossKeySampledOut;

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        this.requestDuration = Timer.builder(REQUEST_DURATION)
                .description("Time from a request's headers to the last byte of its answer")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        this.upstreamDuration = Timer.builder(UPSTREAM_DURATION)
                .description("Time from the request sent upstream to the end of the upstream answer")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        this.rateLimitRejections = Counter.builder(RATELIMIT_REJECTIONS)
                .description("Requests answered 429 by a token bucket")
                .register(registry);
        this.detectionDropped = Counter.builder(DETECTION_DROPPED)
                .description("Query events dropped because the detection queue was full")
                .register(registry);
        this.crossKeyShed = Counter.builder(CROSS_KEY_SHED)
                .description("Query events whose cross-key search was skipped because its worker was busy")
                .register(registry);
        this.crossKeySampledOut = Counter.builder(CROSS_KEY_SAMPLED_OUT)
                .description("Rows of old, cold keys stored by cross_key without a search (1/sample drawn)")
                .register(registry);
        for (String result : new String[] {"success", "failure"}) {
            reloadCounter(result);
        }
        // Counters exist at zero from the start, so increase() sees the first event and a
        // dashboard panel shows 0 rather than "no data".
        ACTION_NAMES.forEach(this::actionCounter);
        DetectorNames.ALL.stream().sorted().forEach(this::alertCounter);
        UNROUTED_OUTCOMES.forEach(o -> requestCounter("none", o));
    }

    /**
     * Registers {@code moat_requests_total} at zero for every outcome of each route (called at
     * startup and after a reload; a route that went away keeps its series until restart).
     */
    public void knownRoutes(Collection<String> routeTags) {
        for (String route : routeTags) {
            for (String outcome : OUTCOMES) {
                if (!"no_route".equals(outcome)) {
                    requestCounter(route, outcome);
                }
            }
        }
    }

    /** Registers a gauge whose value is read from {@code obj} at scrape time. */
    public <T> void gauge(String name, String description, T obj, ToDoubleFunction<T> f, String... tags) {
        Gauge.builder(name, obj, f)
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }

    /** Registers a counter whose value is read from {@code obj} at scrape time (monotonic). */
    public <T> void functionCounter(String name, String description, T obj, ToDoubleFunction<T> f) {
        FunctionCounter.builder(name, obj, f).description(description).register(registry);
    }

    public void request(String route, String outcome, long durationNanos) {
        requestCounter(route, outcome).increment();
        requestDuration.record(durationNanos, TimeUnit.NANOSECONDS);
    }

    private Counter requestCounter(String route, String outcome) {
        Map<String, Counter> byOutcome = requestCounters.get(route);
        Counter known = byOutcome == null ? null : byOutcome.get(outcome);
        if (known != null) {
            return known; // registered at startup or by an earlier request: no capturing lambda per request
        }
        return requestCounters
                .computeIfAbsent(route, r -> new ConcurrentHashMap<>())
                .computeIfAbsent(
                        outcome,
                        o -> Counter.builder(REQUESTS)
                                .description("Requests by route and outcome")
                                .tag("route", route)
                                .tag("outcome", o)
                                .register(registry));
    }

    /** {@code moat_key_requests_total{key}}: only when the operator turned per-key metrics on. */
    public void keyRequest(String keyId) {
        keyCounters
                .computeIfAbsent(
                        keyId,
                        k -> Counter.builder("moat.key.requests")
                                .description("Requests by key id (admin.per_key_metrics)")
                                .tag("key", k)
                                .register(registry))
                .increment();
    }

    public void upstream(long durationNanos) {
        upstreamDuration.record(durationNanos, TimeUnit.NANOSECONDS);
    }

    public void rateLimited() {
        rateLimitRejections.increment();
    }

    public void action(String action) {
        actionCounter(action).increment();
    }

    private Counter actionCounter(String action) {
        Counter known = actionCounters.get(action); // no capturing lambda per call (18 per mode-b request)
        if (known != null) {
            return known;
        }
        return actionCounters.computeIfAbsent(
                action,
                a -> Counter.builder(ACTIONS)
                        .description("Defensive actions applied, by action")
                        .tag("action", a)
                        .register(registry));
    }

    public void detectorAlert(String detector) {
        alertCounter(detector).increment();
    }

    private Counter alertCounter(String detector) {
        return alertCounters.computeIfAbsent(
                detector,
                d -> Counter.builder(DETECTOR_ALERTS)
                        .description("Detector alarms, by detector")
                        .tag("detector", d)
                        .register(registry));
    }

    public void detectionDropped() {
        detectionDropped.increment();
    }

    public void crossKeyShed() {
        crossKeyShed.increment();
    }

    public void crossKeySampledOut(int rows) {
        crossKeySampledOut.increment(rows);
    }

    public void reload(boolean success) {
        reloadCounter(success ? "success" : "failure").increment();
    }

    private Counter reloadCounter(String result) {
        return reloadCounters.computeIfAbsent(
                result,
                r -> Counter.builder(CONFIG_RELOADS)
                        .description("Config reloads, by result")
                        .tag("result", r)
                        .register(registry));
    }

    public MeterRegistry registry() {
        return registry;
    }
}
