package dev.moat.gateway.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.moat.config.AlertsConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The alert webhook over loopback: retries with backoff, and a dead webhook costs the caller nothing. */
class WebhookAlertsIT {

    @Test
    void retriesUntilTheWebhookAccepts() throws Exception {
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger calls = new AtomicInteger();
        List<String> bodies = new CopyOnWriteArrayList<>();
        hook.createContext("/hook", ex -> {
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(calls.incrementAndGet() < 3 ? 500 : 204, -1);
            ex.close();
        });
        hook.start();
        try (WebhookAlerts alerts = new WebhookAlerts(new AlertsConfig(
                URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/hook"), 5, Duration.ofSeconds(2)))) {
            alerts.send("{\"event\":\"level_change\",\"key\":\"mallory\"}");
            long deadline = System.currentTimeMillis() + 10_000;
            while (alerts.delivered() == 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(alerts.delivered()).isEqualTo(1);
            assertThat(calls.get()).isEqualTo(3);
            assertThat(bodies).allMatch(b -> b.contains("mallory"));
        } finally {
            hook.stop(0);
        }
    }

    @Test
    void aDeadWebhookNeverBlocksTheCaller() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (WebhookAlerts alerts = new WebhookAlerts(
                new AlertsConfig(URI.create("http://127.0.0.1:" + dead + "/hook"), 1, Duration.ofMillis(300)))) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                alerts.send("{\"n\":" + i + "}");
            }
            long micros = (System.nanoTime() - t0) / 1000;
            // 1,000 sends return at once (at most 256 in flight, the rest dropped and counted)
            assertThat(micros).isLessThan(5_000_000);
            long deadline = System.currentTimeMillis() + 10_000;
            while (alerts.failed() < 1000 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(alerts.failed()).isEqualTo(1000);
            assertThat(alerts.delivered()).isZero();
        }
    }
}
