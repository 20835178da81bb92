package dev.moat.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.bench.eval.AttackSpec.Kind;
import dev.moat.bench.eval.AttackSpec.Layout;
import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.server.ModelServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A tiny evaluation over real sockets: real gateway, real model server, simulated time. */
class EvalEndToEndIT {

    static ModelServer model;

    @BeforeAll
    static void start() {
        Evaluation.noDelayModelServer();
        Logs.quiet("WARN");
        model = ModelServer.start();
    }

    @AfterAll
    static void stop() {
        model.close();
    }

    @Test
    void aRandomAttackAgainstNoDefenceAndTheStrictPolicy() throws Exception {
        EvalSettings s = EvalSettings.full()
                .only(List.of("digits"), List.of("random"), List.of("none", "strict"))
                .withBudget(320)
                .withLlmPrompts(0);
        Evaluation.Results results = new Evaluation(s, line -> {}).run();
        assertThat(results.runs()).hasSize(2);
        RunRecord none = Goals.find(results.runs(), "random", "none").orElseThrow();
        assertThat(none.rowsAnswered()).isEqualTo(320);
        assertThat(none.requests()).isEqualTo(10);
        assertThat(none.firstAlarmAt()).isNull();
        assertThat(none.bestFidelity()).isGreaterThan(0.3);
        assertThat(none.honest()).hasSize(5).allSatisfy(h -> {
            assertThat(h.agreement()).isEqualTo(1.0);
            assertThat(h.l1Sum()).isLessThan(1e-6);
        });
        // strict has full's detectors with the standard honest keys (the realistic population runs under
        // full and costs 50,000 honest rows a run: covered by PacingTest without a gateway)
        RunRecord full = Goals.find(results.runs(), "random", "strict").orElseThrow();
        assertThat(full.honest()).hasSize(5);
        assertThat(full.honestFlagged()).isZero();
        assertThat(full.attackerWatermarks()).isLessThanOrEqualTo((int) full.rowsAnswered());
        assertThat(full.independent()).hasSize(2).noneMatch(RunRecord.WatermarkCheck::claimed);
        String md = new Report(results, "test").markdown();
        assertThat(md).contains("| random |");
    }

    @Test
    void aFastAttackerWaitsOutTheRateLimitInSimulatedTime() throws Exception {
        Preset tight = new Preset("tight", "4 requests a minute", List.of("4/1m"), null);
        AttackSpec spec = new AttackSpec("r", Kind.RANDOM, false, Layout.SINGLE, 32, 0.05, 32 * 8);
        RunOutcome o = new AttackRun(spec, tight, 1, 600, 86_400).execute(model.baseUri());
        assertThat(o.rowsAnswered).isEqualTo(256);
        assertThat(o.throttledRequests).isPositive();
        // 4 at once, then one token per 15 s: the last of 8 requests is answered ~60 s in
        assertThat(o.attackSeconds).isBetween(45.0, 75.0);
    }

    /**
     * A thief who reads the 429 of a batch larger than the bucket (no Retry-After: it can never pass)
     * sends smaller batches: 32 rows against 20 a minute, then 16; one who retried the same batch got
     * nothing for ever, so the evaluation understated what a throttle lets through.
     */
    @Test
    void aBatchThatCanNeverPassIsHalvedUntilOneDoes() throws Exception {
        // a policy route: there every row of a batch costs a token
        Preset tight = new Preset("tight", "20 rows a minute", List.of("20/1m"), """
                outputs:
                  - round: 2
                """);
        AttackSpec spec = new AttackSpec("r", Kind.RANDOM, false, Layout.SINGLE, 32, 0.05, 16 * 4);
        RunOutcome o = new AttackRun(spec, tight, 1, 600, 1_200).execute(model.baseUri());
        assertThat(o.rowsAnswered).isEqualTo(64);
        // the batch of 32 once, then 16 a request: four answered, and at least three refused until the
        // bucket held 16 again (an empty bucket's 429 comes at admission, before the rows are counted,
        // so its Retry-After is the next token's and the thief comes back once more)
        assertThat(o.throttledRequests).isGreaterThanOrEqualTo(1 + 3);
        assertThat(o.rowsSent).isEqualTo(32 + 16 * (4 + o.throttledRequests - 1));
        assertThat(o.stolenX).hasSize(64);
    }

    @Test
    void aSlowAttackRunsDaysOfSimulatedTimeInSeconds() throws Exception {
        AttackSpec slow = new AttackSpec("slow", Kind.KNOCKOFF, false, Layout.SINGLE, 8, 3_600, 8 * 30);
        long t0 = System.nanoTime();
        RunOutcome o = new AttackRun(slow, Preset.named("none"), 2, 600, 10 * 86_400).execute(model.baseUri());
        assertThat(o.rowsAnswered).isEqualTo(240);
        assertThat(o.attackSeconds).isEqualTo(29 * 3_600.0, org.assertj.core.api.Assertions.within(1.0));
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
    }

    @Test
    void theCrossPolicyAttackerCallsTheChatRouteAfterEveryRequest() throws Exception {
        AttackSpec cross = EvalSettings.cross(40);
        RunOutcome o = new AttackRun(cross, Preset.named("none"), 3, 600, 86_400).execute(model.baseUri());
        assertThat(o.rowsAnswered).isEqualTo(40);
        assertThat(o.requests).isEqualTo(10);
        assertThat(o.crossRequests).isEqualTo(10);
        assertThat(o.crossStatuses).containsEntry(200, 10);
    }

    @Test
    void theWideModelIsAttackedThroughItsOwnRoute() throws Exception {
        try (ModelServer wide = ModelServer.start(ModelServer.Options.defaults().withModel(SampleModel.DIGITS32))) {
            AttackSpec spec = new AttackSpec("r", Kind.JBDA_SCALED, false, Layout.SINGLE, 32, 0.05, 128);
            RunOutcome o = new AttackRun(
                            spec,
                            Preset.named("none"),
                            1,
                            600,
                            86_400,
                            SampleModel.DIGITS32,
                            HonestUser.Population.STANDARD)
                    .execute(wide.baseUri());
            assertThat(o.rowsAnswered).isEqualTo(128);
            assertThat(o.stolenX).allSatisfy(x -> assertThat(x).hasSize(1_024));
            assertThat(o.honest).allSatisfy(h -> assertThat(h.agreement()).isEqualTo(1.0));
        }
    }

    @Test
    void theLlmProbeRecoversLogitsWithoutMoatAndNothingWithIt() throws Exception {
        LlmProbe probe = new LlmProbe();
        LlmProbe.Result open = probe.run(model.baseUri(), false, 3);
        assertThat(open.vectorsRecovered()).isEqualTo(3);
        assertThat(open.rank()).isEqualTo(3);
        assertThat(open.maxAbsError()).isLessThan(1e-6);
        LlmProbe.Result guarded = probe.run(model.baseUri(), true, 3);
        assertThat(guarded.vectorsRecovered()).isZero();
        assertThat(guarded.statuses()).containsKey(400);
    }
}
