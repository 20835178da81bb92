package dev.moat.gateway.alerts;

import dev.moat.config.AlertsConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts a JSON alert to the operator's webhook on every level change, off the event loop: the
 * HTTP client is asynchronous, failed attempts retry with exponential backoff (250 ms, 500 ms, ...
 * up to {@code max_retries}), and at most 256 alerts are in flight, so a dead webhook costs
 * dropped alerts (counted), never slower traffic.
 */
public final class WebhookAlerts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookAlerts.class);

    private final URI webhook;
    private final int maxRetries;
    private final Duration timeout;
    private final HttpClient client;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "moat-alerts");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore inFlight = new Semaphore(256);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public WebhookAlerts(AlertsConfig config) {
        this.webhook = config.webhook();
        this.maxRetries = config.maxRetries();
        this.timeout = config.timeout();
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .executor(retries)
                .build();
    }

    /** Sends one alert (a JSON document); returns at once. */
    public void send(String json) {
        if (!inFlight.tryAcquire()) {
            failed.incrementAndGet();
            return;
        }
        attempt(json, 0);
    }

    private void attempt(String json, int attempt) {
        HttpRequest req = HttpRequest.newBuilder(webhook)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        CompletableFuture<HttpResponse<Void>> f = client.sendAsync(req, HttpResponse.BodyHandlers.discarding());
        f.whenComplete((res, err) -> {
            if (err == null && res.statusCode() / 100 == 2) {
                delivered.incrementAndGet();
                inFlight.release();
            } else if (attempt < maxRetries) {
                long backoff = 250L << Math.min(attempt, 6);
                retries.schedule(() -> attempt(json, attempt + 1), backoff, TimeUnit.MILLISECONDS);
            } else {
                failed.incrementAndGet();
                inFlight.release();
                LOG.warn(
                        "alert webhook gave up after {} attempt(s): {}",
                        attempt + 1,
                        err != null ? err.toString() : "HTTP " + res.statusCode());
            }
        });
    }

    public long delivered() {
        return delivered.get();
    }

    public long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
