package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Inputs a key sends again, not in a row (issue 9, session 18; {@code internal.Runs#resend}): the
 * answer-window detectors ({@code ood}, {@code boundary}) count an input once while it is among the
 * key's last window of counted inputs, and a re-send tells {@code ood}'s spread test nothing new.
 * Through the engine with every detector, next to twelve ordinary peers of the same model. Seeded;
 * nothing timed.
 */
class ResentInputsTest {

    /** A customer's regression suite: the same {@code n} records, in the same order, over and over. */
    static QuerySource suite(HonestDomain d, long seed, int n) {
        List<double[]> rows = d.records(new UnsharedRandom(seed), n);
        int[] i = {0};
        return HonestDomain.source("suite-" + n, () -> rows.get(i[0]++ % n).clone());
    }

    /** A synthetic monitor: one request, always the same. */
    static QuerySource canary(double[] row) {
        return HonestDomain.source("canary", row::clone);
    }

    /**
     * A customer who runs a suite of 50 records again and again (each record every 50 queries), one a
     * second or in bursts of 50, on 3,072-input images. Before, {@code ood} read its window of 500 as
     * 500 draws where it held 50, ten times each, and that sample of 50 sat D+ 0.19-0.21 from the
     * peers' by chance: EXTRACTING at 110 rows (bursts) and 400 (steady). Now each record counts
     * once while it is in the window: ok.
     */
    @Test
    void aRegressionSuiteRunAgainAndAgainIsOneSampleOfFiftyNotTenOfThem() {
        HonestDomain d = HonestDomain.smooth(3072, 1);
        Scenario s = HonestTrafficThatLooksLikeProbingTest.peers(d, 1, 2_000);
        s.add("suite-50", Scenario.OWN_TENANT, suite(d, 9, 50), 3_000, 60_000, () -> 1_000);
        int[] sent = {0};
        s.add(
                "suite-50-in-bursts",
                Scenario.OWN_TENANT,
                suite(d, 9, 50),
                3_000,
                60_000,
                () -> ++sent[0] % 50 == 0 ? 600_000L : 20L);
        s.run();
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
    }

    /**
     * Synthetic monitors (one fixed request each: a record, the features' floors, their mid-range) and
     * regression suites next to the ordinary customers of the 13-input one-hot and integer records.
     * Before, the monitors were trusted keys whose inputs had no spread at all, and they pulled the
     * peers' spread reference down until an ordinary customer was past it: {@code ood} flagged
     * {@code peer-8} at 473 rows ("2.02x the trusted keys' spread ... past the peers' 1.81x"). Now a
     * re-send does not move a key's spread, so a monitor is never judged and joins no reference.
     */
    @Test
    void keysThatResendOneRequestDoNotTightenThePeersSpreadReference() {
        HonestDomain d = HonestDomain.mixed(1);
        Scenario s = HonestTrafficThatLooksLikeProbingTest.peers(d, 1, 2_000);
        Random r = new UnsharedRandom(9);
        double[] record = d.record(r);
        List<double[]> suite = d.records(r, 50);
        double[] floors = new double[d.dims()];
        double[] middle = new double[d.dims()];
        for (int j = 0; j < d.dims(); j++) {
            floors[j] = d.lo(j);
            middle[j] = (d.lo(j) + d.hi(j)) / 2;
        }
        s.add("canary-record", Scenario.OWN_TENANT, canary(record), 3_000, 60_000, () -> 1_000);
        s.add("canary-floor", Scenario.OWN_TENANT, canary(floors), 3_000, 60_000, () -> 1_000);
        s.add("canary-mid", Scenario.OWN_TENANT, canary(middle), 3_000, 60_000, () -> 1_000);
        int[] steady = {0};
        int[] bursts = {0};
        s.add(
                "suite-50",
                Scenario.OWN_TENANT,
                HonestDomain.source(
                        "suite-50", () -> suite.get(steady[0]++ % 50).clone()),
                3_000,
                60_000,
                () -> 1_000);
        s.add(
                "suite-50-burst",
                Scenario.OWN_TENANT,
                HonestDomain.source(
                        "suite-50-burst", () -> suite.get(bursts[0]++ % 50).clone()),
                3_000,
                60_000,
                () -> bursts[0] % 50 == 0 ? 600_000L : 20L);
        s.run();
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
    }

    /**
     * Pinned (fails when it closes), the thief's side of it: random rows on the clinical model (13
     * inputs, confident far from its data, so only {@code ood}'s spread test sees them), each followed
     * by a re-send of one natural record. The re-sends are left out of the answer windows, but not of
     * the key's spread: they pull it towards the peers' as distinct natural rows mixed 1:1 do (the
     * spread test's documented limit, detectors/README.md "What each detector cannot see"), so the key
     * is never flagged in 2,400 rows where the plain one is at 150 or so. Judging a re-send's spread
     * only once closes it (measured: flagged like the plain key) but lets JbDA whose clipped steps
     * land on the same corners of the box again (exact repeats) spread less: JbDA after 300 natural
     * rows mixed 1:3 went from under 2,000 rows to 2,489 ({@code
     * NarrowAndWideAdaptiveAttackersTest.jbdaAfterANaturalWarmUpAtThirteenInputsIsSeenByItsSpread}).
     */
    @Test
    void randomRowsDilutedWithResendsOfOneRecordBypass() {
        Unsure d = Unsure.clinical(4, 0.7);
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("honest-" + k, "good", d.peer(400 + k), 1_500, k * 700L, () -> 2_000);
        }
        double[] natural = d.record(new UnsharedRandom(11));
        QuerySource random = d.random(12);
        boolean[] odd = {false};
        s.add("random", null, d.random(12), 1_200, 900_000, () -> 2_000);
        s.add(
                "random-and-resends",
                null,
                HonestDomain.source("random-and-resends", () -> (odd[0] = !odd[0]) ? random.next() : natural.clone()),
                2_400,
                900_000,
                () -> 1_000);
        s.run();
        UnsureModelsTest.assertHonestOk(s, "re-sends");
        assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        assertThat(s.suspiciousAt.get("random-and-resends")).as(s.report()).isNull();
    }
}
