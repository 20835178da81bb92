package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.volume.VolumeDetector;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VolumeDetectorTest {

    @SuppressWarnings("unchecked")
    private static Detector<Object> volume(Map<String, Object> params) {
        return (Detector<Object>) VolumeDetector.factory(params).create();
    }

    private static final double[] X = new double[4];
    private static final double[] P = {0.9, 0.1};

    @Test
    void steadyHarvestingAbovePeersIsFlaggedButAOneOffBurstIsNot() {
        // an operator who lets volume escalate on its own (the default caps it under suspicious)
        Detector<Object> d = volume(Map.of("max_score", 1.0));
        Object[] peers = new Object[8];
        for (int i = 0; i < peers.length; i++) {
            peers[i] = d.newState();
        }
        Object burst = d.newState();
        Object harvester = d.newState();
        long t0 = 0;
        double burstMax = 0;
        double harvesterAt2h = 0;
        for (long t = t0; t < t0 + 6 * 3_600_000L; t += 1000) {
            if (t == 2 * 3_600_000L) {
                harvesterAt2h = d.score(harvester, t);
            }
            if (t % 60_000 == 0) {
                for (int i = 0; i < peers.length; i++) {
                    d.update(peers[i], X, P, t + i);
                }
            }
            // 2 queries a second, for hours: 120x the peers' one a minute
            d.update(harvester, X, P, t);
            d.update(harvester, X, P, t + 500);
            if (t >= 3_600_000L && t < 3_600_000L + 60_000) {
                for (int k = 0; k < 10; k++) {
                    d.update(burst, X, P, t + k);
                }
            } else if (t % 60_000 == 0) {
                d.update(burst, X, P, t);
            }
            burstMax = Math.max(burstMax, d.score(burst, t));
        }
        long end = t0 + 6 * 3_600_000L;
        assertThat(harvesterAt2h)
                .as("120x the peers for 2h, before the daily budget")
                .isGreaterThanOrEqualTo(0.5);
        assertThat(d.score(harvester, end)).as(d.reason(harvester, end)).isGreaterThanOrEqualTo(0.8);
        assertThat(burstMax).isLessThan(0.5);
        for (Object peer : peers) {
            assertThat(d.score(peer, end)).isZero();
        }
    }

    @Test
    void byDefaultVolumeAloneNeverTakesAKeyPastOk() {
        // the same harvester as above (120x its peers for 6 h, over twice the daily budget): an
        // honest heavy customer looks the same, so the default score stops under suspicious (0.5)
        Detector<Object> d = volume(Map.of());
        Object[] peers = new Object[8];
        for (int i = 0; i < peers.length; i++) {
            peers[i] = d.newState();
        }
        Object harvester = d.newState();
        double max = 0;
        long end = 6 * 3_600_000L;
        for (long t = 0; t < end; t += 1000) {
            if (t % 60_000 == 0) {
                for (int i = 0; i < peers.length; i++) {
                    d.update(peers[i], X, P, t + i);
                }
            }
            for (int k = 0; k < 10; k++) {
                d.update(harvester, X, P, t + k);
            }
            max = Math.max(max, d.score(harvester, t));
        }
        assertThat(max).isEqualTo(VolumeDetector.Settings.DEFAULT_MAX_SCORE).isLessThan(0.5);
        assertThat(d.reason(harvester, end)).contains("(score 1.00, capped at max_score 0.45)");
    }

    @Test
    void maxScoreIsValidated() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> volume(Map.of("max_score", 1.5)))
                .hasMessageStartingWith("detectors.volume.max_score: 1.5");
    }

    @Test
    void dailyBudgetRaisesTheScoreLinearlyToTwiceTheBudget() {
        Detector<Object> d = volume(Map.of("daily_budget", 1000L, "max_score", 1.0));
        Object s = d.newState();
        for (int i = 0; i < 1500; i++) {
            d.update(s, X, P, i * 10L);
        }
        assertThat(d.score(s, 15_000)).isCloseTo(0.5, org.assertj.core.api.Assertions.within(0.01));
        assertThat(d.reason(s, 15_000)).contains("1500 queries in 24h (budget 1000)");
        Detector<Object> capped = volume(Map.of("daily_budget", 1000L));
        Object c = capped.newState();
        for (int i = 0; i < 1500; i++) {
            capped.update(c, X, P, i * 10L);
        }
        assertThat(capped.score(c, 15_000)).isEqualTo(0.45);
        assertThat(capped.reason(c, 15_000)).contains("(score 0.50, capped at max_score 0.45)");
    }
}
