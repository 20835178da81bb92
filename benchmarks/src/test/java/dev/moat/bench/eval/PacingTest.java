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
        assertThat(EvalSettings.quick().attacks().size())
                .isLessThan(full.attacks().size());
        assertThat(full.presets())
                .extracting(Preset::name)
                .containsExactly("none", "ratelimit", "minimise", "perturb", "watermark", "full", "strict");
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
