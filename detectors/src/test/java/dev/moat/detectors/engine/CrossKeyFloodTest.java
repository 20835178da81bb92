package dev.moat.detectors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The worker owning the gateway-wide cross-key store also owns keys. A flood of cross-key searches
 * (a Sybil sending as fast as its keys' limits allow) must not take the queue slots those keys'
 * events need, nor pile up a backlog: searches are refused once a sixteenth of the queue is taken,
 * key events are not.
 */
class CrossKeyFloodTest {

    @Test
    void crossKeyFloodCannotCrowdOutTheStoreOwnersKeyEvents() {
        EngineSettings settings = new EngineSettings(1, 64, 1_000, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
        InstantSource clock = InstantSource.fixed(Instant.ofEpochMilli(1_000_000));
        // never run: the queue only fills, as behind a worker that cannot keep up
        Worker w = new Worker(64, 1_000, 3_600_000, clock, new Publisher(settings, clock, EngineListener.NONE));
        DetectorProfile profile = DetectorProfile.fromConfig(Map.of("prada", Map.of(), "cross_key", Map.of()));
        QueryEvent e = new QueryEvent(
                "k", "t", "/m", 1_000_000L, new double[][] {{1, 2, 3}}, new double[][] {{0.9, 0.1}}, profile);
        int crossAccepted = 0;
        for (int i = 0; i < 200; i++) {
            crossAccepted += w.offerCross(e) ? 1 : 0;
        }
        assertThat(crossAccepted).isEqualTo(64 / Worker.CROSS_SHARE);
        assertThat(w.queued()).isEqualTo(64 / Worker.CROSS_SHARE);
        int keyAccepted = 0;
        for (int i = 0; i < 200; i++) {
            keyAccepted += w.offer(e) ? 1 : 0;
        }
        assertThat(keyAccepted).isEqualTo(64 - 64 / Worker.CROSS_SHARE);
        assertThat(w.offerCross(e)).isFalse();
    }
}
