package dev.moat.bench.eval;

import dev.moat.bench.eval.AttackSpec.Kind;
import dev.moat.bench.eval.AttackSpec.Layout;
import dev.moat.bench.eval.AttackSpec.Pace;
import dev.moat.fixtures.SampleModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that sizes an evaluation: per model, which attacks meet which presets; budgets,
 * pace, surrogate training, threads. {@link #full()} is what {@code ./moat eval} runs,
 * {@link #quick()} the short version.
 *
 * @param plans        per model, the attacks and presets it runs (every attack against every preset)
 * @param attackStart  simulated second the attacker starts (honest users warm the gateway up before)
 * @param maxSeconds   simulated second after which an attack stops whatever its progress
 */
public record EvalSettings(
        String mode,
        long seed,
        List<Plan> plans,
        double attackStart,
        double maxSeconds,
        int softmaxEpochs,
        int mlpEpochs,
        int llmPrompts,
        int threads) {

    /**
     * One model's share of the evaluation. Adaptive attacks run only against the presets that
     * detect (and {@code none}, for the fidelity they would get unopposed).
     */
    public record Plan(SampleModel model, List<AttackSpec> attacks, List<Preset> presets) {

        /** The (attack, preset) cells of this plan, in report order. */
        List<Cell> cells() {
            List<Cell> out = new ArrayList<>();
            for (AttackSpec a : attacks) {
                for (Preset p : presets) {
                    if (!a.adaptive() || p.detects() || p.name().equals(Goals.NONE)) {
                        out.add(new Cell(model, a, p));
                    }
                }
            }
            return out;
        }
    }

    /** One run of the evaluation. */
    record Cell(SampleModel model, AttackSpec attack, Preset preset) {}

    /** Rows per request of the fast attackers and their gap: 20 requests/s, above a 600/1m tier. */
    static final int BATCH = 32;

    static final double FAST_INTERVAL = 0.05;
    /** Rows per request of the cross-policy attacker: one chat request after every 4 rows. */
    static final int CROSS_BATCH = 4;

    /** Block length of {@code jbda-blocks}: from 7 on the smooth-displacement rule passes the step. */
    static final int BLOCK = 16;

    static final List<String> WIDE_PRESETS = List.of("none", "full");

    public static EvalSettings full() {
        int b = 8_000;
        List<AttackSpec> attacks = new ArrayList<>(List.of(
                fast("random", Kind.RANDOM, false, Layout.SINGLE, b),
                fast("jbda", Kind.JBDA, false, Layout.SINGLE, b),
                fast("knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, b),
                fast("active", Kind.ACTIVE, false, Layout.SINGLE, b),
                new AttackSpec("slow-knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, 8, 240, 6_000),
                fast("sybil5-jbda", Kind.JBDA, false, Layout.SYBIL_5, b),
                fast("sybil20-jbda", Kind.JBDA, false, Layout.SYBIL_20, b),
                fast("tenants5-jbda", Kind.JBDA, false, Layout.TENANTS_5, b),
                fast("label-random", Kind.RANDOM, true, Layout.SINGLE, b),
                fast("label-jbda", Kind.JBDA, true, Layout.SINGLE, b),
                fast("label-knockoff", Kind.KNOCKOFF, true, Layout.SINGLE, b),
                fast("label-active", Kind.ACTIVE, true, Layout.SINGLE, b)));
        attacks.addAll(adaptive(b));
        List<AttackSpec> wide = new ArrayList<>(List.of(
                fast("random", Kind.RANDOM, false, Layout.SINGLE, 3_000),
                fast("jbda", Kind.JBDA, false, Layout.SINGLE, 3_000),
                fast("jbda-scaled", Kind.JBDA_SCALED, false, Layout.SINGLE, 3_000),
                fast("knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, 3_000),
                fast("active", Kind.ACTIVE, false, Layout.SINGLE, 3_000),
                fast("sybil5-jbda-scaled", Kind.JBDA_SCALED, false, Layout.SYBIL_5, 3_000)));
        wide.addAll(adaptive(3_000));
        wide.add(fast("jbda-tapered", Kind.JBDA_TAPERED, false, Layout.SINGLE, 3_000));
        List<Plan> plans = List.of(
                new Plan(SampleModel.DIGITS, attacks, Preset.all()),
                new Plan(SampleModel.DIGITS32, wide, presets(WIDE_PRESETS)));
        return new EvalSettings("full", 20_261_122L, plans, 600, 7 * 86_400, 40, 30, 32, 4);
    }

    public static EvalSettings quick() {
        int b = 1_500;
        List<AttackSpec> attacks = List.of(
                fast("random", Kind.RANDOM, false, Layout.SINGLE, b),
                fast("jbda", Kind.JBDA, false, Layout.SINGLE, b),
                fast("knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, b),
                fast("active", Kind.ACTIVE, false, Layout.SINGLE, b),
                fast("jbda-random-step", Kind.JBDA_RANDOM_STEP, false, Layout.SINGLE, b),
                cross(b));
        List<AttackSpec> wide = List.of(
                fast("random", Kind.RANDOM, false, Layout.SINGLE, 1_000),
                fast("jbda-scaled", Kind.JBDA_SCALED, false, Layout.SINGLE, 1_000));
        List<Plan> plans = List.of(
                new Plan(SampleModel.DIGITS, attacks, presets(List.of("none", "perturb", "full"))),
                new Plan(SampleModel.DIGITS32, wide, presets(List.of("none", "full"))));
        return new EvalSettings("quick", 20_261_122L, plans, 600, 86_400, 30, 20, 12, 4);
    }

    /** The attackers who read the README (issue 9, item 5), each with {@code budget} rows. */
    static List<AttackSpec> adaptive(int budget) {
        return List.of(
                fast("jbda-random-step", Kind.JBDA_RANDOM_STEP, false, Layout.SINGLE, budget),
                blocks(BLOCK, budget),
                fast("jbda-mixed", Kind.JBDA_MIXED, false, Layout.SINGLE, budget),
                fast("tenants20-natural", Kind.NATURAL, false, Layout.TENANTS_20, budget),
                new AttackSpec(
                        "paced-knockoff",
                        Kind.KNOCKOFF,
                        false,
                        Layout.SINGLE,
                        BATCH,
                        FAST_INTERVAL,
                        budget,
                        Pace.UNDER_VOLUME,
                        false),
                cross(budget));
    }

    /**
     * JbDA constant over blocks of {@code block} consecutive coordinates, e.g. {@code jbda-blocks16}:
     * the attacker who read that PRADA's smooth-displacement rule passes such steps.
     */
    static AttackSpec blocks(int block, int budget) {
        return new AttackSpec(
                "jbda-blocks" + block,
                Kind.JBDA_BLOCKS,
                false,
                Layout.SINGLE,
                BATCH,
                FAST_INTERVAL,
                budget,
                Pace.STEADY,
                false,
                block);
    }

    static AttackSpec cross(int budget) {
        return new AttackSpec(
                "cross-policy-jbda",
                Kind.JBDA,
                false,
                Layout.SINGLE,
                CROSS_BATCH,
                FAST_INTERVAL,
                budget,
                Pace.STEADY,
                true);
    }

    static AttackSpec fast(String name, Kind kind, boolean labelOnly, Layout layout, int budget) {
        return new AttackSpec(name, kind, labelOnly, layout, BATCH, FAST_INTERVAL, budget);
    }

    private static List<Preset> presets(List<String> names) {
        return names.stream().map(Preset::named).toList();
    }

    /** Every attack of every plan, by name, in first-seen order (a name may run on several models). */
    public List<AttackSpec> attacks() {
        Map<String, AttackSpec> out = new LinkedHashMap<>();
        plans.forEach(p -> p.attacks().forEach(a -> out.putIfAbsent(a.name(), a)));
        return List.copyOf(out.values());
    }

    /** Every preset of every plan, in first-seen order. */
    public List<Preset> presets() {
        Map<String, Preset> out = new LinkedHashMap<>();
        plans.forEach(p -> p.presets().forEach(s -> out.putIfAbsent(s.name(), s)));
        return List.copyOf(out.values());
    }

    /** Every run, plan after plan. */
    List<Cell> cells() {
        return plans.stream().flatMap(p -> p.cells().stream()).toList();
    }

    /** The plan of one model, if it runs. */
    java.util.Optional<Plan> plan(SampleModel model) {
        return plans.stream().filter(p -> p.model() == model).findFirst();
    }

    /** A copy restricted to some models, attacks and presets (by name; null keeps all); empty plans are dropped. */
    public EvalSettings only(List<String> modelNames, List<String> attackNames, List<String> presetNames) {
        List<Plan> out = new ArrayList<>();
        for (Plan p : plans) {
            if (modelNames != null && !modelNames.contains(p.model().id())) {
                continue;
            }
            List<AttackSpec> a = attackNames == null
                    ? p.attacks()
                    : p.attacks().stream()
                            .filter(s -> attackNames.contains(s.name()))
                            .toList();
            List<Preset> s = presetNames == null
                    ? p.presets()
                    : p.presets().stream()
                            .filter(x -> presetNames.contains(x.name()))
                            .toList();
            if (!a.isEmpty() && !s.isEmpty()) {
                out.add(new Plan(p.model(), a, s));
            }
        }
        return withPlans(out);
    }

    /** A copy restricted to some attacks and presets of every model. */
    public EvalSettings only(List<String> attackNames, List<String> presetNames) {
        return only(null, attackNames, presetNames);
    }

    /** A copy with every attack budget replaced (tests). */
    public EvalSettings withBudget(int budget) {
        return withPlans(plans.stream()
                .map(p -> new Plan(
                        p.model(),
                        p.attacks().stream()
                                .map(s -> new AttackSpec(
                                        s.name(),
                                        s.kind(),
                                        s.labelOnly(),
                                        s.layout(),
                                        s.batch(),
                                        s.interval(),
                                        budget,
                                        s.pace(),
                                        s.crossPolicy(),
                                        s.block()))
                                .toList(),
                        p.presets()))
                .toList());
    }

    public EvalSettings withLlmPrompts(int prompts) {
        return new EvalSettings(mode, seed, plans, attackStart, maxSeconds, softmaxEpochs, mlpEpochs, prompts, threads);
    }

    public EvalSettings withThreads(int n) {
        return new EvalSettings(mode, seed, plans, attackStart, maxSeconds, softmaxEpochs, mlpEpochs, llmPrompts, n);
    }

    EvalSettings withPlans(List<Plan> p) {
        return new EvalSettings(
                mode, seed, List.copyOf(p), attackStart, maxSeconds, softmaxEpochs, mlpEpochs, llmPrompts, threads);
    }

    /** The seed of an attack: the same for every preset and model, so presets meet the same queries. */
    long attackSeed(AttackSpec spec) {
        return seed + 1_000L * (spec.name().hashCode() & 0xffff);
    }
}
