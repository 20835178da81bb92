package dev.moat.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The console's per-key rings stay bounded: samples and events per key, and keys in all. */
class KeyHistoryTest {

    final AtomicLong millis = new AtomicLong(1_000_000);
    final InstantSource clock = () -> Instant.ofEpochMilli(millis.get());

    @Test
    void aKeyAtZeroRiskIsNotTrackedUntilItShowsRisk() {
        KeyHistory h = new KeyHistory(clock, 10, 5, 5);
        h.sample("quiet", 0, "ok", "none");
        assertThat(h.trackedKeys()).isZero();
        h.sample("thief", 0.6, "suspicious", "perturb");
        assertThat(h.samples("thief")).hasSize(1);
        assertThat(h.events("thief")).extracting(KeyHistory.Event::detail).containsExactly("none->perturb");
    }

    @Test
    void theRingKeepsTheNewestSamplesInOrder() {
        KeyHistory h = new KeyHistory(clock, 10, 5, 3);
        for (int i = 1; i <= 12; i++) {
            millis.addAndGet(1000);
            h.sample("k", i / 100.0, "suspicious", i % 2 == 0 ? "perturb" : "throttle");
        }
        assertThat(h.samples("k")).extracting(KeyHistory.Sample::risk).containsExactly(0.08, 0.09, 0.10, 0.11, 0.12);
        assertThat(h.events("k"))
                .hasSize(3)
                .extracting(KeyHistory.Event::detail)
                .last()
                .isEqualTo("throttle->perturb");
    }

    @Test
    void theLeastRecentlyTouchedKeyGoesFirst() {
        KeyHistory h = new KeyHistory(clock, 2, 5, 5);
        h.sample("a", 0.5, "suspicious", "perturb");
        h.sample("b", 0.5, "suspicious", "perturb");
        h.event("a", "block", "by admin");
        h.sample("c", 0.5, "suspicious", "perturb");
        assertThat(h.trackedKeys()).isEqualTo(2);
        assertThat(h.samples("b")).isEmpty();
        assertThat(h.events("a")).extracting(KeyHistory.Event::event).contains("block");
    }
}
