package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.SimClock;
import dev.moat.detectors.support.Traffic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DetectionEngineTest {

    static final DetectorProfile BOUNDARY =
            DetectorProfile.fromConfig(Map.of("boundary", Map.of("reference_share", 0.05)));

    private static QueryEvent event(String key, long t, double[] x, DetectorProfile p) {
        return new QueryEvent(
                key, null, "/m", t, new double[][] {x}, new double[][] {CentroidModel.DIGITS.predict(x)}, p);
    }

    private static EngineSettings settings(int workers) {
        return new EngineSettings(workers, 100_000, 1000, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
    }

    @Test
    void unknownKeysAreOk() {
        try (DetectionEngine e = new DetectionEngine(settings(1), new SimClock(0), EngineListener.NONE)) {
            assertThat(e.verdict("nobody")).isSameAs(Verdict.OK);
            assertThat(e.keysTracked()).isZero();
        }
    }

    @Test
    void levelChangesFireTheListenerAndRiskDecaysWithTheHalfLife() {
        SimClock clock = new SimClock(1_000_000);
        List<Level> levels = new CopyOnWriteArrayList<>();
        AtomicInteger alerts = new AtomicInteger();
        EngineListener listener = new EngineListener() {
            @Override
            public void onLevelChange(String keyId, Level from, Level to, Verdict v) {
                levels.add(to);
            }

            @Override
            public void onAlert(String detector) {
                alerts.incrementAndGet();
            }
        };
        // idle for a day before the state goes (with the verdict, which lives in it): the decay is what is checked
        EngineSettings settings =
                new EngineSettings(2, 100_000, 1000, Duration.ofHours(24), 0.5, 0.8, Duration.ofHours(1));
        try (DetectionEngine e = new DetectionEngine(settings, clock, listener)) {
            long t = clock.millis();
            for (double[] x : Traffic.boundary(200, 1, CentroidModel.DIGITS)) {
                assertThat(e.submit(event("mallory", t, x, BOUNDARY))).isTrue();
            }
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            Verdict v = e.verdict("mallory");
            assertThat(v.level()).isEqualTo(Level.EXTRACTING);
            assertThat(v.queries()).isEqualTo(200);
            assertThat(v.scores().get("boundary").reason()).startsWith("boundary: ");
            assertThat(levels).containsExactly(Level.EXTRACTING);
            assertThat(alerts.get()).isEqualTo(1);
            assertThat(e.keysTracked()).isEqualTo(1);

            clock.advance(Duration.ofHours(1).toMillis());
            assertThat(e.verdict("mallory").risk())
                    .isCloseTo(v.risk() / 2, org.assertj.core.api.Assertions.within(1e-9));
            clock.advance(Duration.ofHours(3).toMillis());
            assertThat(e.verdict("mallory").level()).isEqualTo(Level.OK);

            e.reset("mallory");
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(e.verdict("mallory")).isSameAs(Verdict.OK);
            assertThat(e.keysTracked()).isZero();
        }
    }

    @Test
    void fullQueueDropsAndCountsInsteadOfBlocking() {
        AtomicInteger dropped = new AtomicInteger();
        EngineSettings tiny = new EngineSettings(1, 1, 10, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
        DetectorProfile prada = DetectorProfile.fromConfig(Map.of("prada", Map.of()));
        try (DetectionEngine e = new DetectionEngine(tiny, new SimClock(0), new EngineListener() {
            @Override
            public void onDropped() {
                dropped.incrementAndGet();
            }
        })) {
            int accepted = 0;
            List<double[]> rows = Traffic.uniform(5000, 1);
            for (int i = 0; i < rows.size(); i++) {
                accepted += e.submit(event("k" + (i % 7), i, rows.get(i), prada)) ? 1 : 0;
            }
            assertThat(e.dropped()).isPositive().isEqualTo(5000 - accepted).isEqualTo(dropped.get());
        }
    }

    @Test
    void idleKeysExpireOnTheInjectedClock() {
        SimClock clock = new SimClock(0);
        try (DetectionEngine e = new DetectionEngine(settings(1), clock, EngineListener.NONE)) {
            e.submit(event("a", 0, new double[64], BOUNDARY));
            e.awaitIdle(Duration.ofSeconds(10));
            assertThat(e.keysTracked()).isEqualTo(1);
            clock.advance(Duration.ofHours(2).toMillis());
            e.submit(event("b", clock.millis(), new double[64], BOUNDARY));
            e.awaitIdle(Duration.ofSeconds(10));
            assertThat(e.keysTracked()).isEqualTo(1);
            assertThat(e.verdict("a")).isSameAs(Verdict.OK);
        }
    }

    @Test
    void anIdleKeyReadsOkAtItsIdleTimeWithoutAnyOtherEvent() {
        SimClock clock = new SimClock(0);
        EngineSettings s = new EngineSettings(2, 100_000, 1000, Duration.ofMinutes(10), 0.5, 0.8, Duration.ofDays(1));
        try (DetectionEngine e = new DetectionEngine(s, clock, EngineListener.NONE)) {
            for (double[] x : Traffic.boundary(200, 1, CentroidModel.DIGITS)) {
                e.submit(event("mallory", 0, x, BOUNDARY));
            }
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            clock.advance(Duration.ofMinutes(10).toMillis() - 1);
            assertThat(e.verdict("mallory").level()).isEqualTo(Level.EXTRACTING);
            clock.advance(1);
            assertThat(e.verdict("mallory")).isSameAs(Verdict.OK);
        }
    }

    /**
     * {@code max_keys} bounds the keys tracked; past it the least recently fed keys go first, so a
     * key still sending keeps its state and verdict while a flood of new keys passes through.
     */
    @Test
    void maxTrackedKeysEvictsTheLeastRecentlyFedKeys() {
        SimClock clock = new SimClock(0);
        EngineSettings s = new EngineSettings(2, 100_000, 1000, Duration.ofHours(1), 0.5, 0.8, Duration.ofDays(1));
        try (DetectionEngine e = new DetectionEngine(s, clock, EngineListener.NONE)) {
            List<double[]> attack = Traffic.boundary(200, 1, CentroidModel.DIGITS);
            for (double[] x : attack) {
                e.submit(event("mallory", 0, x, BOUNDARY));
            }
            e.submit(event("quiet", 0, new double[64], BOUNDARY));
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(e.verdict("mallory").level()).isEqualTo(Level.EXTRACTING);
            for (int i = 0; i < 3_000; i++) {
                clock.advance(1);
                e.submit(event("new-" + i, clock.millis(), new double[64], BOUNDARY));
                if (i % 100 == 0) {
                    e.submit(event("mallory", clock.millis(), attack.get(i % attack.size()), BOUNDARY));
                }
            }
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(e.keysTracked()).isLessThanOrEqualTo(1000).isGreaterThanOrEqualTo(900);
            assertThat(e.verdict("mallory").level()).isEqualTo(Level.EXTRACTING);
            assertThat(e.verdict("quiet")).isSameAs(Verdict.OK);
            assertThat(e.verdict("new-0")).isSameAs(Verdict.OK);
            assertThat(e.verdict("new-2999")).isNotSameAs(Verdict.OK);
        }
    }

    @Test
    void tenantRiskRaisesEveryKeyOfTheTenant() {
        DetectorProfile p = DetectorProfile.fromConfig(
                // a fixed reference under the floor: the absolute thresholds (with none, coverage has no opinion);
                // sign cells, which need no widths (the fixed cells' come from five trusted keys or a calibration)
                Map.of(
                        "tenant",
                        Map.of(
                                "use",
                                "coverage",
                                "coverage",
                                Map.of("min_queries", 200L, "reference_novelty", 0.0, "cells", "sign"))));
        SimClock clock = new SimClock(0);
        try (DetectionEngine e = new DetectionEngine(settings(3), clock, EngineListener.NONE)) {
            List<double[]> rows = Traffic.uniform(1000, 5);
            for (int i = 0; i < rows.size(); i++) {
                double[] x = rows.get(i);
                e.submit(new QueryEvent(
                        "s" + (i % 5),
                        "evil",
                        "/m",
                        i,
                        new double[][] {x},
                        new double[][] {CentroidModel.DIGITS.predict(x)},
                        p));
            }
            e.awaitIdle(Duration.ofSeconds(10));
            assertThat(e.tenantVerdict("evil").level()).isEqualTo(Level.EXTRACTING);
            e.submit(event("s0", 1000, rows.get(0), p).withTenant("evil"));
            e.awaitIdle(Duration.ofSeconds(10));
            assertThat(e.verdict("s0").level()).isEqualTo(Level.EXTRACTING);
            assertThat(e.verdict("s0").scores()).containsKey("tenant");
        }
    }

    @Test
    void closeDrainsAndLaterSubmitsAreRefused() {
        DetectionEngine e = new DetectionEngine(settings(2), new SimClock(0), EngineListener.NONE);
        for (double[] x : Traffic.uniform(100, 1)) {
            e.submit(event("k", 0, x, BOUNDARY));
        }
        e.close();
        assertThat(e.verdict("k").queries()).isEqualTo(100);
        assertThat(e.submit(event("k", 0, new double[64], BOUNDARY))).isFalse();
    }

    @Test
    void levelLoweredByDecayAloneFiresOnceOnTheNextRead() {
        SimClock clock = new SimClock(1_000_000);
        List<String> changes = new CopyOnWriteArrayList<>();
        EngineListener listener = new EngineListener() {
            @Override
            public void onLevelChange(String keyId, Level from, Level to, Verdict v) {
                changes.add(from + "->" + to);
            }
        };
        EngineSettings remembering =
                new EngineSettings(1, 100_000, 1000, Duration.ofHours(24), 0.5, 0.8, Duration.ofHours(1));
        try (DetectionEngine e = new DetectionEngine(remembering, clock, listener)) {
            for (double[] x : Traffic.boundary(200, 1, CentroidModel.DIGITS)) {
                e.submit(event("mallory", clock.millis(), x, BOUNDARY));
            }
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(changes).containsExactly("OK->EXTRACTING");
            double risk = e.verdict("mallory").risk();

            clock.advance(Duration.ofHours(1).toMillis());
            assertThat(e.verdict("mallory").level()).isEqualTo(Level.SUSPICIOUS);
            assertThat(e.verdict("mallory").risk()).isCloseTo(risk / 2, org.assertj.core.api.Assertions.within(1e-9));
            assertThat(changes).containsExactly("OK->EXTRACTING", "EXTRACTING->SUSPICIOUS");

            // a reload that keeps the detector config keeps the key's evidence: the boundary window is still
            // full of hesitant answers, so the next event raises the risk again
            DetectorProfile reloaded = DetectorProfile.fromConfig(Map.of("boundary", Map.of("reference_share", 0.05)));
            assertThat(reloaded).isNotSameAs(BOUNDARY).isEqualTo(BOUNDARY);
            e.submit(event("mallory", clock.millis(), Traffic.honest(1, 1).get(0), reloaded));
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(e.failures()).isZero();
            assertThat(e.verdict("mallory").level()).isEqualTo(Level.EXTRACTING);
            assertThat(changes).containsExactly("OK->EXTRACTING", "EXTRACTING->SUSPICIOUS", "SUSPICIOUS->EXTRACTING");

            // changed parameters start a fresh state, but the old one's risk still counts (decaying)
            clock.advance(Duration.ofHours(1).toMillis());
            DetectorProfile changed = DetectorProfile.fromConfig(Map.of("boundary", Map.of("reference_share", 0.06)));
            e.submit(event("mallory", clock.millis(), Traffic.honest(1, 1).get(0), changed));
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(e.verdict("mallory").level()).isEqualTo(Level.SUSPICIOUS);
            assertThat(e.verdict("mallory").risk()).isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-6));
            assertThat(changes)
                    .containsExactly(
                            "OK->EXTRACTING",
                            "EXTRACTING->SUSPICIOUS",
                            "SUSPICIOUS->EXTRACTING",
                            "EXTRACTING->SUSPICIOUS");
        }
    }

    @Test
    void resetKeyStopsInheritingItsTenantsRiskUntilNewEvidence() {
        DetectorProfile p = DetectorProfile.fromConfig(
                // a fixed reference under the floor: the absolute thresholds (with none, coverage has no opinion);
                // sign cells, which need no widths (the fixed cells' come from five trusted keys or a calibration)
                Map.of(
                        "tenant",
                        Map.of(
                                "use",
                                "coverage",
                                "coverage",
                                Map.of("min_queries", 200L, "reference_novelty", 0.0, "cells", "sign"))));
        SimClock clock = new SimClock(0);
        try (DetectionEngine e = new DetectionEngine(settings(3), clock, EngineListener.NONE)) {
            List<double[]> rows = Traffic.uniform(1000, 5);
            for (int i = 0; i < rows.size(); i++) {
                double[] x = rows.get(i);
                e.submit(new QueryEvent(
                        "s" + (i % 5),
                        "evil",
                        "/m",
                        i,
                        new double[][] {x},
                        new double[][] {CentroidModel.DIGITS.predict(x)},
                        p));
            }
            e.awaitIdle(Duration.ofSeconds(10));
            assertThat(e.verdict("s0").level()).isEqualTo(Level.EXTRACTING);

            e.reset("s0");
            e.submit(event("s0", 1000, rows.get(0), p).withTenant("evil"));
            e.submit(event("s1", 1000, rows.get(1), p).withTenant("evil"));
            e.awaitIdle(Duration.ofSeconds(10));
            assertThat(e.tenantVerdict("evil").level()).isEqualTo(Level.EXTRACTING);
            assertThat(e.verdict("s1").level()).isEqualTo(Level.EXTRACTING);
            assertThat(e.verdict("s0").level()).isEqualTo(Level.OK);
            assertThat(e.verdict("s0").scores().get("tenant").reason()).contains("not inherited since the key's reset");
        }
    }
}
