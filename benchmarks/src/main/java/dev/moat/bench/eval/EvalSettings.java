package dev.moat.bench.eval;

import dev.moat.bench.eval.AttackSpec.Kind;
import dev.moat.bench.eval.AttackSpec.Layout;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything that sizes an evaluation: which attacks and presets, budgets, pace, surrogate
 * training, threads. {@link #full()} is what {@code ./moat eval} runs, {@link #quick()} the
 * one-minute version.
 *
 * @param attackStart  simulated second the attacker starts (honest users warm the gateway up before)
 * @param maxSeconds   simulated second after which an attack stops whatever its progress
 */
public record EvalSettings(
        String mode,
        long seed,
        List<AttackSpec> attacks,
        List<Preset> presets,
        double attackStart,
        double maxSeconds,
        int softmaxEpochs,
        int mlpEpochs,
        int llmPrompts,
        int threads) {

    /** Rows per request of the fast attackers and their gap: 20 requests/s, above a 600/1m tier. */
    static final int BATCH = 32;

    static final double FAST_INTERVAL = 0.05;

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
        return new EvalSettings("full", 20_261_122L, attacks, Preset.all(), 600, 7 * 86_400, 40, 30, 32, 2);
    }

    public static EvalSettings quick() {
        int b = 1_500;
        List<AttackSpec> attacks = List.of(
                fast("random", Kind.RANDOM, false, Layout.SINGLE, b),
                fast("jbda", Kind.JBDA, false, Layout.SINGLE, b),
                fast("knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, b),
                fast("active", Kind.ACTIVE, false, Layout.SINGLE, b),
                fast("sybil5-jbda", Kind.JBDA, false, Layout.SYBIL_5, b));
        return new EvalSettings("quick", 20_261_122L, attacks, Preset.all(), 600, 86_400, 30, 20, 12, 2);
    }

    static AttackSpec fast(String name, Kind kind, boolean labelOnly, Layout layout, int budget) {
        return new AttackSpec(name, kind, labelOnly, layout, BATCH, FAST_INTERVAL, budget);
    }

    /** A copy restricted to some attacks and presets (by name; null keeps all). */
    public EvalSettings only(List<String> attackNames, List<String> presetNames) {
        List<AttackSpec> a = attackNames == null
                ? attacks
                : attacks.stream().filter(s -> attackNames.contains(s.name())).toList();
        List<Preset> p = presetNames == null
                ? presets
                : presets.stream().filter(s -> presetNames.contains(s.name())).toList();
        return new EvalSettings(
                mode, seed, a, p, attackStart, maxSeconds, softmaxEpochs, mlpEpochs, llmPrompts, threads);
    }

    /** A copy with every attack budget replaced (tests). */
    public EvalSettings withBudget(int budget) {
        List<AttackSpec> a = attacks.stream()
                .map(s ->
                        new AttackSpec(s.name(), s.kind(), s.labelOnly(), s.layout(), s.batch(), s.interval(), budget))
                .toList();
        return new EvalSettings(
                mode, seed, a, presets, attackStart, maxSeconds, softmaxEpochs, mlpEpochs, llmPrompts, threads);
    }

    public EvalSettings withLlmPrompts(int prompts) {
        return new EvalSettings(
                mode, seed, attacks, presets, attackStart, maxSeconds, softmaxEpochs, mlpEpochs, prompts, threads);
    }

    /** The seed of an attack: the same for every preset, so presets meet the same queries. */
    long attackSeed(AttackSpec spec) {
        return seed + 1_000L * (spec.name().hashCode() & 0xffff);
    }
}
