package dev.moat.detectors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.Digits;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * detectors/README "Reset race": an admin reset and a cross-key search queued before it could
 * cross. The reset forgot the key's score at once, the search (the key's pre-reset rows) then
 * published the old evidence again, until the reset's own task reached the store's worker: the
 * just-reset key was flagged again by what it sent before the reset. A search now carries the key's
 * reset count from when it was queued and publishes nothing after a reset.
 */
class CrossKeyResetRaceTest {

    @Test
    void aSearchQueuedBeforeAResetDoesNotHandTheKeyItsOldScoreBack() throws Exception {
        EngineSettings settings =
                new EngineSettings(1, 1024, 1_000, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
        InstantSource clock = InstantSource.fixed(Instant.ofEpochMilli(1_000_000));
        AtomicInteger alerts = new AtomicInteger();
        EngineListener listener = new EngineListener() {
            @Override
            public void onAlert(String detector) {
                if (detector.equals("cross_key")) {
                    alerts.incrementAndGet();
                }
            }
        };
        Publisher publisher = new Publisher(settings, clock, listener);
        Worker w = new Worker(1024, 1_000, 3_600_000, clock, publisher);
        DetectorProfile profile = DetectorProfile.fromConfig(Map.of("cross_key", Map.of("sample_seed", 7L)));
        double[][] parents = new double[20][];
        double[][] children = new double[20][];
        double[][] labels = new double[20][];
        Random rnd = new Random(5);
        for (int i = 0; i < parents.length; i++) {
            parents[i] = Digits.get().train().x()[i].clone();
            labels[i] = new double[] {0.9, 0.05, 0.05};
            children[i] = new double[parents[i].length];
            for (int j = 0; j < children[i].length; j++) {
                children[i][j] = Math.max(0, Math.min(16, parents[i][j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
            }
        }
        // the worker is behind: both searches wait in its queue when the admin resets the child key
        assertThat(w.offerCross(new QueryEvent("parent", "t", "/m", 1_000_000L, parents, labels, profile)))
                .isTrue();
        assertThat(w.offerCross(new QueryEvent("child", "t", "/m", 1_000_000L, children, labels, profile)))
                .isTrue();
        // as DetectionEngine.reset does
        publisher.resetCross("child");
        w.resetCross("child");
        Thread t = new Thread(w, "cross-worker");
        t.start();
        try {
            await(w);
            assertThat(alerts.get())
                    .as("alerts from the child key's pre-reset rows")
                    .isZero();
            // what the key sends after the reset still counts: new steps from the same parents (the
            // same children again would be re-sends, which count no step again)
            double[][] fresh = new double[parents.length][];
            for (int i = 0; i < parents.length; i++) {
                fresh[i] = new double[parents[i].length];
                for (int j = 0; j < fresh[i].length; j++) {
                    fresh[i][j] = Math.max(0, Math.min(16, parents[i][j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
                }
            }
            assertThat(w.offerCross(new QueryEvent("child", "t", "/m", 1_000_000L, fresh, labels, profile)))
                    .isTrue();
            await(w);
            assertThat(alerts.get())
                    .as("alerts from the child key's rows after the reset")
                    .isEqualTo(1);
        } finally {
            w.stop();
            t.join(30_000);
        }
    }

    private static void await(Worker w) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        w.barrier(done);
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    }
}
