package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code ood}'s spread test beyond 16 inputs (issue 9, 2026-11-29): records of 17-63 features, where
 * the test reads 16 sampled coordinates, and why its default stops short of 8x8 images. Seeded
 * (the coordinates by {@code input_seed}); nothing timed.
 */
class InputSpreadWidthTest {

    /** Every detector, as the other engine tests, with the spread test reading inputs up to {@code width}. */
    static DetectorProfile all(int width) {
        return DetectorProfile.fromConfig(
                dev.moat.detectors.support.Policies.every(Map.of("input_seed", 7L, "spread_max_width", width)));
    }

    /**
     * Was a hole (found this round with a 30-feature model like UCI breast cancer, {@link
     * Unsure#cells}): on a linear model that is confident far from its data, uniform random rows,
     * random-size JbDA and its 5-key Sybil were never flagged in 600 rows (2,500 for the Sybil) at 20
     * and 30 inputs, every score 0.00: the spread test stopped at 16 inputs, and nothing else sees
     * rows answered as confidently as natural ones. With the test on up to 63 inputs (16 sampled
     * coordinates), random rows EXTRACTING at 150, the random-size JbDA at 180 and every Sybil key
     * within 390 of its rows; every honest customer (12 peers, 10x and 50x heavy, bursty, mostly one
     * class, harder cases) stays ok. The same population at 20 and 48 inputs in the survey ({@code
     * UnsureModelsProbe -Dmodels=cells20,cells48}).
     */
    @Test
    void randomRowsOnAThirtyInputModelThatExtrapolatesConfidentlyAreSeenByTheirSpread() {
        Scenario s =
                UnsureModelsProbe.population(Unsure.cells(1, 0.9, 30), 1, false).run();
        UnsureModelsProbe.print("cells-30@0.9/s1", s);
        UnsureModelsTest.assertHonestOk(s, "cells-30");
        assertThat(s.extractingAt.get("random")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        assertThat(s.firstFlag.get("random").scores().get("ood").reason())
                .as(s.report())
                .contains("inputs spread like no peer's");
        assertThat(s.suspiciousAt.get("jbda-random-size"))
                .as(s.report())
                .isNotNull()
                .isLessThanOrEqualTo(500L);
        for (int k = 0; k < 5; k++) {
            assertThat(s.suspiciousAt.get("sy-sybil-" + k))
                    .as("sy-sybil-%d\n%s", k, s.report())
                    .isNotNull()
                    .isLessThanOrEqualTo(500L);
        }
    }

    /**
     * Why the default stops at 63 inputs (pinned; fails when it no longer holds): where the test reads
     * the 64-input digits ({@code spread_max_width: 64}), customers who send 90% 7s are flagged by it at
     * 450 rows (2.0-2.1x the population's spread, past its 1.49x floor): a class of images varies
     * along directions the other classes, and so the population, barely vary on, and its few other
     * digits lie far from the customer's own centre. Under another draw of the 16 coordinates it was
     * a customer of 1s (2.8x), and honest near-duplicates with pixel noise of sd 1 among customers with
     * sd 0.5 (1.98x; {@code CrossKeyParentsTest}'s). Tried and dropped (2026-11-29): each class's own
     * centre and limit in the input reference (an input judged from its class's centre where nearer):
     * the 7s still at 2.0x under this draw. The 13- to 63-feature records of the test models show
     * nothing of the kind (one-class customers at 1.0-1.14x). Under the default no customer is
     * flagged and random rows still are.
     */
    @Test
    void customersSendingMostlyOneDigitSpreadLikeNoPeerWhereTheSpreadTestReadsImages() {
        Scenario wide = oneClassHeavy(
                DetectorProfile.fromConfig(Map.of("ood", Map.of("input_seed", 7L, "spread_max_width", 64))));
        assertThat(wide.suspiciousAt.keySet())
                .as(wide.report())
                .contains("random")
                .anyMatch(k -> k.startsWith("honest-"));
        wide.suspiciousAt.keySet().stream()
                .filter(k -> k.startsWith("honest-"))
                .forEach(k -> assertThat(
                                wide.firstFlag.get(k).scores().get("ood").reason())
                        .as(wide.report())
                        .contains("inputs spread like no peer's"));
        Scenario byDefault = oneClassHeavy(DetectorProfile.fromConfig(Map.of("ood", Map.of("input_seed", 7L))));
        assertThat(byDefault.suspiciousAt.keySet()).as(byDefault.report()).containsExactly("random");
        assertThat(byDefault.suspiciousAt.get("random")).as(byDefault.report()).isLessThanOrEqualTo(110L);
    }

    /**
     * Records wider than the default {@code spread_max_width} (63) on a model that is confident far
     * from its data: on a 100-feature {@link Unsure#cells} model, twelve ordinary customers, then
     * uniform random rows and random-size JbDA (600 rows each). Before {@code spread_wide_floor}
     * (session 19) neither was flagged under the defaults (every score under 0.5: nothing else sees
     * rows answered as confidently as natural ones). Now the spread test judges wider inputs too, past
     * 8x the trusted keys' spread: the random rows (9-15x) are flagged within 500 rows, no customer is;
     * the random-size JbDA (4-7x) is not, pinned ({@code ...Bypass}): with {@code spread_max_width:
     * 4096}, what an operator whose inputs are records sets, it is too (430 rows, 2026-11-29). Why not
     * the narrow threshold at every width: on images and sensor windows it flags honest customers
     * ({@code customersSendingMostlyOneDigitSpreadLikeNoPeerWhereTheSpreadTestReadsImages},
     * detectors/README "What each detector cannot see", {@code ood/WideSpreadProbe}).
     */
    @Test
    void randomRowsOnAHundredFeatureRecordModelUnderTheDefaultWidthBypass() {
        Unsure d = Unsure.cells(1, 0.9, 100);
        Scenario byDefault = hundred(d, all(63));
        assertThat(byDefault.suspiciousAt.keySet()).as(byDefault.report()).containsExactly("random");
        assertThat(byDefault.suspiciousAt.get("random")).as(byDefault.report()).isLessThanOrEqualTo(500L);
        Scenario noWideFloor = hundred(
                d,
                DetectorProfile.fromConfig(
                        dev.moat.detectors.support.Policies.every(Map.of("input_seed", 7L, "spread_wide_floor", 0))));
        assertThat(noWideFloor.suspiciousAt.keySet()).as(noWideFloor.report()).isEmpty();
        Scenario raised = hundred(d, all(4096));
        assertThat(raised.suspiciousAt.keySet())
                .as(raised.report())
                .containsExactlyInAnyOrder("random", "jbda-random-size");
        assertThat(raised.suspiciousAt.get("random")).as(raised.report()).isLessThanOrEqualTo(500L);
        assertThat(raised.suspiciousAt.get("jbda-random-size"))
                .as(raised.report())
                .isLessThanOrEqualTo(500L);
    }

    /**
     * The wide floor's own bypass, probed (session 19): the thief who has read that wide inputs are
     * judged only past 8x the peers' spread draws his random rows in a box narrower than the
     * features' ranges, centred on his natural records' mean ({@link
     * InputSpreadBypassTest#centredBox}), on the same 100-feature records. Measured (2026-11-29 22:40
     * UTC): a box of half the ranges lies where the model is unsure and the confidence test flags it
     * at 101 rows; one of 80% spreads 8.9x, just past the floor (suspicious at 432); one of 65% is
     * never flagged in 600 rows (every score under 0.15), and its rows teach a label-only learner
     * about what uniform rows over the whole ranges do (agreement printed beside theirs). Pinned.
     */
    @Test
    void centredBoxesOnAHundredFeatureRecordsUnderTheWideFloorBypass() {
        Unsure d = Unsure.cells(1, 0.9, 100);
        Scenario s = new Scenario(all(63), d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("honest-peer-" + k, "t" + k, d.peer(100 + k), 1_500, k * 700L, () -> 2_000);
        }
        for (double w : new double[] {0.5, 0.65, 0.8}) {
            s.add(
                    "box" + Math.round(100 * w),
                    null,
                    InputSpreadBypassTest.centredBox(d, 1_700, w),
                    600,
                    UnsureModelsProbe.START,
                    () -> 1_000);
        }
        s.run();
        System.out.printf("cells-100 centred boxes: suspicious at %s%n", new java.util.TreeMap<>(s.suspiciousAt));
        assertThat(s.suspiciousAt.get("box50")).as(s.report()).isNotNull().isLessThanOrEqualTo(300L);
        assertThat(s.suspiciousAt.get("box65")).as(s.report()).isNull();
        double[] box = InputSpreadBypassTest.worth(
                "centred box 65% at 100", d, InputSpreadBypassTest.centredBox(d, 1_700, 0.65), 600);
        double[] random = InputSpreadBypassTest.worth("random (full box) at 100", d, d.random(5), 600);
        assertThat(box[4]).isGreaterThan(random[4] - 0.05);
    }

    /**
     * Regression (session 19): JbDA on records wider than {@code cross_key}'s 128 sampled coordinates.
     * On the {@link Unsure#cells} model at 256 and 1,000 inputs (measurements on scales from 0.01 to
     * 2,500), twelve ordinary customers, then plain and per-feature JbDA (eps 0.1, 600 rows each):
     * before, neither was flagged at 256 inputs (every score under 0.15: the store read a sample of
     * 128 coordinates in raw units, where per-feature steps are equal in no units, and only stores of
     * every coordinate were rescaled and took the repeated move). Now a store of sampled coordinates
     * of mixed scales is rescaled and takes the repeated move too, unless a quarter or more of its
     * coordinates are flat (images on a background, {@code StrokeImagesTest}): both flagged within 200
     * rows at both widths (measured 108-164), no customer. Random-size JbDA repeats nothing and stays
     * unseen there, as on narrower records.
     */
    @Test
    void jbdaOnRecordsWiderThanTheSampleOfCoordinatesIsFlagged() {
        for (int width : new int[] {256, 1000}) {
            Unsure d = Unsure.cells(1, 0.9, width);
            Scenario s = new Scenario(all(63), d::predict);
            for (int k = 0; k < 12; k++) {
                s.add("honest-peer-" + k, "t" + k, d.peer(100 + k), 1_500, k * 700L, () -> 2_000);
            }
            s.add("jbda-plain", null, d.jbda(12, 0.1, Unsure.Step.PLAIN), 600, UnsureModelsProbe.START, () -> 1_000);
            s.add(
                    "jbda-per-feature",
                    null,
                    d.jbda(13, 0.1, Unsure.Step.PER_FEATURE),
                    600,
                    UnsureModelsProbe.START,
                    () -> 1_000);
            s.run();
            System.out.printf("cells-%d JbDA: suspicious at %s%n", width, new java.util.TreeMap<>(s.suspiciousAt));
            assertThat(s.suspiciousAt.keySet())
                    .as(s.report())
                    .containsExactlyInAnyOrder("jbda-plain", "jbda-per-feature");
            assertThat(s.suspiciousAt.values()).as(s.report()).allMatch(row -> row <= 500L);
        }
    }

    private static Scenario hundred(Unsure d, DetectorProfile profile) {
        Scenario s = new Scenario(profile, d::predict);
        for (int k = 0; k < 12; k++) {
            s.add("honest-peer-" + k, "t" + k, d.peer(100 + k), 1_500, k * 700L, () -> 2_000);
        }
        s.add("random", null, d.random(5), 600, UnsureModelsProbe.START, () -> 1_000);
        s.add(
                "jbda-random-size",
                null,
                d.jbda(6, 0.1, Unsure.Step.RANDOM_SIZE),
                600,
                UnsureModelsProbe.START,
                () -> 1_000);
        s.run();
        System.out.printf("cells-100 spread_max_width: suspicious at %s%n", new java.util.TreeMap<>(s.suspiciousAt));
        return s;
    }

    /** {@link OneClassCustomerIsNotOutOfDistributionTest#oneClassHeavy} on the 64-input digits, one worker. */
    private static Scenario oneClassHeavy(DetectorProfile profile) {
        OneClassCustomerIsNotOutOfDistributionTest.World w = OneClassCustomerIsNotOutOfDistributionTest.world(64);
        return OneClassCustomerIsNotOutOfDistributionTest.oneClassHeavy(
                w, new Scenario(profile, w.model()).oneWorker());
    }
}
