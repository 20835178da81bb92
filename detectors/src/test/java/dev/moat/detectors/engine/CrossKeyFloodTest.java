package dev.moat.detectors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.traffic.HonestClient;
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
 * The worker owning the gateway-wide cross-key store also owns keys. A flood of cross-key searches
 * (a Sybil sending as fast as its keys' limits allow) must not take the queue slots those keys'
 * events need, nor pile up a backlog: searches are refused once a sixteenth of the queue is taken
 * (in rows and in slots), key events are not; and the rows of the refused searches are still stored.
 */
class CrossKeyFloodTest {

    static final EngineSettings SETTINGS =
            new EngineSettings(1, 64, 1_000, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
    static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(1_000_000));

    @Test
    void crossKeyFloodCannotCrowdOutTheStoreOwnersKeyEvents() {
        // never run: the queue only fills, as behind a worker that cannot keep up
        Worker w = new Worker(64, 1_000, 3_600_000, CLOCK, new Publisher(SETTINGS, CLOCK, EngineListener.NONE));
        DetectorProfile profile = DetectorProfile.fromConfig(Map.of("prada", Map.of(), "cross_key", Map.of()));
        QueryEvent e = new QueryEvent(
                "k", "t", "/m", 1_000_000L, new double[][] {{1, 2, 3}}, new double[][] {{0.9, 0.1}}, profile);
        int crossAccepted = 0;
        for (int i = 0; i < 200; i++) {
            crossAccepted += w.offerCross(e) ? 1 : 0;
        }
        assertThat(crossAccepted).isEqualTo(64 / Worker.CROSS_SHARE);
        // the searches, and one task telling the worker to store the shed searches' rows
        assertThat(w.queued()).isEqualTo(64 / Worker.CROSS_SHARE + 1);
        int keyAccepted = 0;
        for (int i = 0; i < 200; i++) {
            keyAccepted += w.offer(e) ? 1 : 0;
        }
        assertThat(keyAccepted).isEqualTo(64 - 64 / Worker.CROSS_SHARE - 1);
        assertThat(w.offerCross(e)).isFalse();
    }

    /**
     * detectors/README "Keeping the store's worker busy": searches were shed by queued events, not
     * rows, and a shed event's rows were never stored. A flood of 64-row events then queued 16 times
     * the rows of the search budget, and a parent sent during the flood was lost: its children, sent
     * once the worker had caught up, found nothing. Now the queued searches are bounded in rows and
     * the parent is stored without a search, so its children are caught.
     */
    @Test
    void keepingTheStoresWorkerBusyBypassNeitherQueuesManyRowSearchesNorLosesParents() throws Exception {
        int capacity = 256;
        AtomicInteger alerts = new AtomicInteger();
        EngineListener listener = new EngineListener() {
            @Override
            public void onAlert(String detector) {
                if (detector.equals("cross_key")) {
                    alerts.incrementAndGet();
                }
            }
        };
        Worker w = new Worker(capacity, 1_000, 3_600_000, CLOCK, new Publisher(SETTINGS, CLOCK, listener));
        DetectorProfile profile = DetectorProfile.fromConfig(Map.of("cross_key", Map.of("sample_seed", 7L)));
        HonestClient honest = new HonestClient(3);
        int searched = 0;
        for (int ev = 0; ev < 40; ev++) {
            double[][] xs = new double[64][];
            double[][] ps = new double[64][];
            for (int i = 0; i < 64; i++) {
                xs[i] = honest.next();
                ps[i] = new double[] {0.05, 0.9, 0.05};
            }
            searched += w.offerCross(new QueryEvent("flood-" + ev, "t", "/m", 1_000_000L, xs, ps, profile)) ? 1 : 0;
        }
        // the search budget is 16 rows: the first 64-row event takes it (the old per-event count took 16 events)
        assertThat(searched).isEqualTo(1);
        double[][] parents = new double[20][];
        double[][] labels = new double[20][];
        for (int i = 0; i < parents.length; i++) {
            parents[i] = Digits.get().train().x()[i].clone();
            labels[i] = new double[] {0.9, 0.05, 0.05};
        }
        // sent while the worker is still behind: its search is shed, its rows must be stored anyway
        w.offerCross(new QueryEvent("parent", "t", "/m", 1_000_000L, parents, labels, profile));
        Thread t = new Thread(w, "cross-worker");
        t.start();
        try {
            CountDownLatch caughtUp = new CountDownLatch(1);
            w.barrier(caughtUp);
            assertThat(caughtUp.await(30, TimeUnit.SECONDS)).isTrue();
            Random rnd = new Random(5);
            double[][] children = new double[20][];
            for (int i = 0; i < children.length; i++) {
                children[i] = new double[parents[i].length];
                for (int j = 0; j < children[i].length; j++) {
                    children[i][j] = Math.max(0, Math.min(16, parents[i][j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
                }
            }
            assertThat(w.offerCross(new QueryEvent("child", "t", "/m", 1_000_000L, children, labels, profile)))
                    .isTrue();
            CountDownLatch done = new CountDownLatch(1);
            w.barrier(done);
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(alerts.get()).as("the child key flagged by cross_key").isEqualTo(1);
            assertThat(w.crossRowsLost()).isZero();
        } finally {
            w.stop();
            t.join(30_000);
        }
    }
}
