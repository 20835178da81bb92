package dev.moat.bench.eval;

import dev.moat.fixtures.Digits;
import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.traffic.BoundaryAttacker;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.JbdaAttacker.Steps;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import java.util.ArrayList;
import java.util.List;

/**
 * One extraction attack of the evaluation: which query strategy, whether the attacker keeps only
 * the label (argmax) of each answer, how it spreads over API keys, and its pace in simulated time.
 *
 * @param name        id in tables and JSON, e.g. {@code sybil20-jbda}
 * @param kind        the query strategy
 * @param labelOnly   the attacker uses only the argmax of each answer
 * @param layout      the API keys it uses
 * @param batch       rows per request
 * @param interval    simulated seconds between its requests (it also honours Retry-After)
 * @param budget      answered rows it wants
 * @param pace        steady at {@code interval}, or paced under the volume detector's thresholds
 * @param crossPolicy after every answered request, one cheap chat request to the LLM route (another policy)
 * @param block       block length of {@link Kind#JBDA_BLOCKS} (consecutive input coordinates), 0 otherwise
 */
public record AttackSpec(
        String name,
        Kind kind,
        boolean labelOnly,
        Layout layout,
        int batch,
        double interval,
        int budget,
        Pace pace,
        boolean crossPolicy,
        int block) {

    static final int JBDA_MAX_PER_ROUND = 1_000;

    /** A steady attack on the predict route only. */
    public AttackSpec(
            String name, Kind kind, boolean labelOnly, Layout layout, int batch, double interval, int budget) {
        this(name, kind, labelOnly, layout, batch, interval, budget, Pace.STEADY, false);
    }

    /** Any attack but {@link Kind#JBDA_BLOCKS} (no block length). */
    public AttackSpec(
            String name,
            Kind kind,
            boolean labelOnly,
            Layout layout,
            int batch,
            double interval,
            int budget,
            Pace pace,
            boolean crossPolicy) {
        this(name, kind, labelOnly, layout, batch, interval, budget, pace, crossPolicy, 0);
    }

    public AttackSpec {
        if ((kind == Kind.JBDA_BLOCKS) != (block > 0)) {
            throw new IllegalArgumentException("a block length belongs to jbda-blocks only: " + name + " " + block);
        }
    }

    /** The query strategies (REFERENCES.md). */
    public enum Kind {
        /** Uniform inputs (Tramer et al. 2016). */
        RANDOM,
        /** Jacobian-based augmentation (Papernot et al. 2017), uniform steps. */
        JBDA,
        /** JbDA with steps scaled per feature by the feature's range over the attacker's data. */
        JBDA_SCALED,
        /** JbDA with a random step size per coordinate and query (adaptive: no equal-sized steps). */
        JBDA_RANDOM_STEP,
        /**
         * JbDA whose sign and size are constant over blocks of {@code block} consecutive input
         * coordinates, from the block's mean surrogate gradient (adaptive: passes PRADA's
         * smooth-displacement rule from 7 coordinates on, {@code BlockConstantStepTest}).
         */
        JBDA_BLOCKS,
        /**
         * JbDA with the step {@code lambda * tanh(3 g_j / rms(g))}, tapered to zero where the
         * surrogate gradient's sign flips (adaptive: {@code TaperedSignStepBypassTest}).
         */
        JBDA_TAPERED,
        /** JbDA rows interleaved 1:1 with natural rows (adaptive: dilutes per-key statistics). */
        JBDA_MIXED,
        /** Natural attacker-split samples plus noisy and shifted ones (Orekondy et al. 2019). */
        KNOCKOFF,
        /** Natural attacker-split samples with an honest client's pixel noise (CopycatCNN-like). */
        NATURAL,
        /** Uncertainty sampling: bisection towards the decision boundary, one lane per batch row. */
        ACTIVE
    }

    /** How the attacker times its requests. */
    public enum Pace {
        /** One request every {@code interval} seconds. */
        STEADY,
        /**
         * Just under the volume detector's thresholds, read from its defaults: at most 95% of
         * {@code daily_budget} rows in any 24 hours, and active in at most
         * {@link VolumePacer#SESSION_MINUTES} minutes of each hour (its steadiness factor starts at 15).
         */
        UNDER_VOLUME
    }

    /** How the attack uses API keys. */
    public enum Layout {
        SINGLE(1, false),
        SYBIL_5(5, false),
        SYBIL_20(20, false),
        TENANTS_5(5, true),
        TENANTS_20(20, true);

        final int keys;
        final boolean ownTenants;

        Layout(int keys, boolean ownTenants) {
            this.keys = keys;
            this.ownTenants = ownTenants;
        }

        /** The attacker's keys: one tenant ({@code mallory}) or, across tenants, one tenant per key. */
        List<EvalGateway.Key> keys() {
            List<EvalGateway.Key> out = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                String id = keys == 1 ? "attacker" : "attacker-" + i;
                out.add(new EvalGateway.Key(id, ownTenants ? "mallory-" + i : "mallory"));
            }
            return out;
        }
    }

    /** Whether this is one of the attacks written against Moat's README (issue 9). */
    public boolean adaptive() {
        return kind == Kind.JBDA_RANDOM_STEP
                || kind == Kind.JBDA_BLOCKS
                || kind == Kind.JBDA_TAPERED
                || kind == Kind.JBDA_MIXED
                || layout == Layout.TENANTS_20
                || pace == Pace.UNDER_VOLUME
                || crossPolicy;
    }

    /** Whether the attack's queries are synthetic (not natural images). */
    public boolean synthetic() {
        return kind != Kind.KNOCKOFF && kind != Kind.NATURAL;
    }

    /** The attack's query strategy on {@code model}'s data and width, deterministic for the seed. */
    Strategy strategy(long seed, SampleModel model) {
        Digits data = model.data();
        return switch (kind) {
            case RANDOM -> Strategy.sequential(new RandomAttacker(seed, model.features()));
            // up to 1,000 new points per augmentation round (the fixture's default is 400): the same
            // attack in half the rounds, and the attacker retrains its own surrogate every round
            case JBDA -> Strategy.sequential(jbda(seed, data, Steps.UNIFORM));
            case JBDA_SCALED -> Strategy.sequential(jbda(seed, data, Steps.RANGE_SCALED));
            case JBDA_RANDOM_STEP -> Strategy.sequential(jbda(seed, data, Steps.RANDOM));
            case JBDA_BLOCKS ->
                Strategy.sequential(new JbdaAttacker(
                        seed, data, JbdaAttacker.DEFAULT_LAMBDA, JBDA_MAX_PER_ROUND, Steps.BLOCKS, block));
            case JBDA_TAPERED -> Strategy.sequential(jbda(seed, data, Steps.TAPERED));
            case JBDA_MIXED -> Strategy.alternating(jbda(seed, data, Steps.UNIFORM), natural(seed, data));
            case KNOCKOFF -> Strategy.sequential(new KnockoffAttacker(seed, data));
            case NATURAL -> Strategy.sequential(natural(seed, data));
            case ACTIVE -> {
                List<QuerySource> lanes = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    lanes.add(new BoundaryAttacker(seed * 1_000 + i, data));
                }
                yield Strategy.lanes(lanes);
            }
        };
    }

    private static JbdaAttacker jbda(long seed, Digits data, Steps steps) {
        return new JbdaAttacker(seed, data, JbdaAttacker.DEFAULT_LAMBDA, JBDA_MAX_PER_ROUND, steps);
    }

    /** The attacker's own natural images with an honest client's noise: the same distribution as honest rows. */
    private static QuerySource natural(long seed, Digits data) {
        Digits.Part own = data.attacker();
        java.util.Random rng = new java.util.Random(seed ^ 0x6A09E667F3BCC909L);
        return new QuerySource() {
            @Override
            public double[] next() {
                double[] x = own.x()[rng.nextInt(own.size())];
                double[] out = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    out[i] = Math.max(
                            0, Math.min(Digits.MAX_PIXEL, x[i] + rng.nextGaussian() * HonestClient.DEFAULT_NOISE_SD));
                }
                return out;
            }

            @Override
            public String name() {
                return "natural";
            }
        };
    }

    /** Simulated days the attack would take at its pace, ignoring rejections. */
    public double plannedDays() {
        if (pace == Pace.UNDER_VOLUME) {
            return budget / VolumePacer.forDefaults(batch).rowsPerDay();
        }
        return Math.ceil((double) budget / batch) * interval / 86_400.0;
    }
}
