package dev.moat.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.bench.eval.AttackSpec.Kind;
import dev.moat.bench.eval.AttackSpec.Layout;
import dev.moat.fixtures.traffic.HonestClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Budgets and pacing in simulated time, without a gateway. */
class PacingTest {

    @Test
    void honestUsersAreOnLineForTheWarmUpAndFiveMinutesAnHour() {
        assertThat(HonestUser.active(0)).isTrue();
        assertThat(HonestUser.active(1_799)).isTrue();
        assertThat(HonestUser.active(1_800)).isFalse();
        assertThat(HonestUser.active(3_600 + 299)).isTrue();
        assertThat(HonestUser.active(3_600 + 300)).isFalse();
        assertThat(HonestUser.active(5 * 86_400 + 10)).isTrue();
    }

    @Test
    void flushesEveryTenSecondsThenThirtyInSessionsAndSkipToTheNextSession() {
        assertThat(HonestUser.flushAfter(0)).isEqualTo(10);
        assertThat(HonestUser.flushAfter(1_790)).isEqualTo(3_630);
        assertThat(HonestUser.flushAfter(3_630)).isEqualTo(3_660);
        assertThat(HonestUser.flushAfter(3_600 + 290)).isEqualTo(7_230);
    }

    @Test
    void anHonestUserSendsWhatArrivedWhileOnLineOnly() {
        HonestUser u = new HonestUser(new EvalGateway.Key("h", "t"), HonestClient.heavy(3));
        int warm = 0;
        while (u.nextFlush() < HonestUser.WARM_SECONDS) {
            warm += u.flush(u.nextFlush()).stream().mapToInt(b -> b.length).sum();
        }
        // heavy: one query per 0.2 s on average over the 30-minute warm-up
        assertThat(warm).isBetween(8_500, 9_500);
        double t = u.nextFlush();
        assertThat(t).isEqualTo(3_630);
        List<double[][]> first = u.flush(t);
        // the first session flush holds only the 30 s since the session began, not the idle half hour
        assertThat(first.stream().mapToInt(b -> b.length).sum()).isBetween(100, 200);
        assertThat(first).allSatisfy(b -> assertThat(b.length).isLessThanOrEqualTo(HonestUser.MAX_BATCH));
    }

    @Test
    void theLastBatchIsTrimmedToTheBudget() {
        double[][] batch = new double[32][];
        assertThat(AttackRun.trim(batch, 40).length).isEqualTo(32);
        assertThat(AttackRun.trim(batch, 5).length).isEqualTo(5);
    }

    @Test
    void theSlowAttackSpansDays() {
        AttackSpec slow = EvalSettings.full().attacks().stream()
                .filter(a -> a.name().equals("slow-knockoff"))
                .findFirst()
                .orElseThrow();
        assertThat(slow.plannedDays()).isBetween(2.0, 3.0);
        AttackSpec fast = EvalSettings.fast("r", Kind.RANDOM, false, Layout.SINGLE, 8_000);
        assertThat(fast.plannedDays() * 86_400).isLessThan(15);
    }

    @Test
    void attacksKeepTheirSeedAcrossPresetsAndQuickIsSmaller() {
        EvalSettings full = EvalSettings.full();
        AttackSpec jbda = full.attacks().get(1);
        assertThat(full.attackSeed(jbda))
                .isEqualTo(full.only(List.of("jbda"), List.of("full")).attackSeed(jbda));
        assertThat(EvalSettings.quick().cells().size()).isLessThan(full.cells().size());
        assertThat(EvalSettings.quick().attacks().size())
                .isLessThan(full.attacks().size());
        assertThat(full.presets())
                .extracting(Preset::name)
                .containsExactly("none", "ratelimit", "minimise", "perturb", "watermark", "full", "strict");
    }

    @Test
    void theVolumePacerStaysUnderTheDailyBudgetAndTheSteadinessThreshold() {
        VolumePacer pacer = VolumePacer.forDefaults(32);
        assertThat(pacer.rowsPerDay()).isEqualTo(0.95 * 20_000, org.assertj.core.api.Assertions.within(1e-6));
        double start = 600;
        double t = start;
        java.util.TreeSet<Long> minutes = new java.util.TreeSet<>();
        int requests = 0;
        while (t < start + 86_400) {
            minutes.add((long) Math.floor(t / 60));
            requests++;
            t = pacer.next(t, start);
        }
        assertThat(requests * 32).isLessThanOrEqualTo(20_000).isGreaterThan(18_000);
        for (long m = (long) (start / 60); m < (start + 86_400) / 60 - 60; m++) {
            long from = m;
            long active = minutes.subSet(from, from + 60).size();
            assertThat(active).as("active minutes in the hour from minute " + m).isLessThan(15);
        }
    }

    @Test
    void theRealisticPopulationHasHeavyBatchAndSkewedCustomers() {
        List<HonestUser> users = HonestUser.of(HonestUser.Population.REALISTIC, dev.moat.fixtures.Digits.get(), 5);
        assertThat(users)
                .extracting(u -> u.key.id())
                .containsExactly(
                        "honest-1",
                        "honest-2",
                        "honest-3",
                        "honest-heavy",
                        "honest-heavy50",
                        "honest-batch",
                        "honest-skewed-01",
                        "honest-skewed-479");
        HonestUser batch = users.get(5);
        assertThat(batch.nextFlush()).isEqualTo(HonestUser.BURSTS[0]);
        assertThat(batch.flush(batch.nextFlush()).stream()
                        .mapToInt(b -> b.length)
                        .sum())
                .isEqualTo(HonestUser.BURST_ROWS);
        assertThat(batch.nextFlush()).isEqualTo(HonestUser.BURSTS[1]);
        batch.flush(batch.nextFlush());
        assertThat(batch.nextFlush()).isInfinite();
        HonestUser heavy50 = users.get(4);
        int rows = 0;
        while (heavy50.nextFlush() < HonestUser.WARM_SECONDS) {
            rows += heavy50.flush(heavy50.nextFlush()).stream()
                    .mapToInt(b -> b.length)
                    .sum();
        }
        // 50x an ordinary user's one query per 2 s over the 30-minute warm-up
        assertThat(rows).isBetween(43_000, 47_000);
    }

    @Test
    void everyPlanRunsAdaptiveAttacksOnlyWhereTheyMeanSomething() {
        EvalSettings full = EvalSettings.full();
        assertThat(full.plans()).extracting(p -> p.model().id()).containsExactly("digits", "digits32");
        assertThat(full.cells())
                .filteredOn(c -> c.attack().adaptive())
                .allSatisfy(c -> assertThat(
                                c.preset().detects() || c.preset().name().equals("none"))
                        .isTrue());
        assertThat(full.attacks())
                .filteredOn(AttackSpec::adaptive)
                .extracting(AttackSpec::name)
                .contains("jbda-random-step", "jbda-mixed", "tenants20-natural", "paced-knockoff", "cross-policy-jbda");
        assertThat(full.only(List.of("digits32"), null, null).cells())
                .allSatisfy(c -> assertThat(c.model().id()).isEqualTo("digits32"));
    }

    @Test
    void blockAndTaperedJbdaAreAdaptiveAndKeepTheirBlockLength() {
        EvalSettings full = EvalSettings.full();
        AttackSpec blocks = full.attacks().stream()
                .filter(a -> a.kind() == Kind.JBDA_BLOCKS)
                .findFirst()
                .orElseThrow();
        assertThat(blocks.name()).isEqualTo("jbda-blocks16");
        assertThat(blocks.block()).isEqualTo(16);
        assertThat(blocks.adaptive()).isTrue();
        assertThat(full.withBudget(100).attacks())
                .filteredOn(a -> a.kind() == Kind.JBDA_BLOCKS)
                .singleElement()
                .satisfies(a -> assertThat(a.block()).isEqualTo(16));
        // both models meet the blocks; the tapered step only the wide one (a smooth gradient needs width)
        assertThat(full.plan(dev.moat.fixtures.SampleModel.DIGITS).orElseThrow().attacks())
                .extracting(AttackSpec::name)
                .contains("jbda-blocks16")
                .doesNotContain("jbda-tapered");
        assertThat(full.plan(dev.moat.fixtures.SampleModel.DIGITS32)
                        .orElseThrow()
                        .attacks())
                .extracting(AttackSpec::name)
                .contains("jbda-blocks16", "jbda-tapered");
        assertThat(full.attacks())
                .filteredOn(a -> a.kind() == Kind.JBDA_TAPERED)
                .allSatisfy(a -> assertThat(a.adaptive()).isTrue());
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new AttackSpec("b", Kind.JBDA_BLOCKS, false, Layout.SINGLE, 32, 0.05, 100))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void progressEtasReadNaturally() {
        assertThat(EvalMain.eta(12.4)).isEqualTo("12s");
        assertThat(EvalMain.eta(100)).isEqualTo("1m40s");
        assertThat(EvalMain.eta(3_720)).isEqualTo("1h02m");
    }

    @Test
    void sybilLayoutsNameTheirKeysAndTenants() {
        assertThat(Layout.SYBIL_20.keys())
                .hasSize(20)
                .allSatisfy(k -> assertThat(k.tenant()).isEqualTo("mallory"));
        assertThat(Layout.TENANTS_5.keys()).extracting(EvalGateway.Key::tenant).doesNotHaveDuplicates();
        assertThat(Layout.SINGLE.keys()).extracting(EvalGateway.Key::id).containsExactly("attacker");
    }
}
