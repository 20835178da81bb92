package dev.moat.bench.eval;

import dev.moat.fixtures.traffic.BoundaryAttacker;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import dev.moat.fixtures.traffic.RandomAttacker;
import java.util.ArrayList;
import java.util.List;

/**
 * One extraction attack of the evaluation: which query strategy, whether the attacker keeps only
 * the label (argmax) of each answer, how it spreads over API keys, and its pace in simulated time.
 *
 * @param name      id in tables and JSON, e.g. {@code sybil20-jbda}
 * @param kind      the query strategy
 * @param labelOnly the attacker uses only the argmax of each answer
 * @param layout    the API keys it uses
 * @param batch     rows per request
 * @param interval  simulated seconds between its requests (it also honours Retry-After)
 * @param budget    answered rows it wants
 */
public record AttackSpec(
        String name, Kind kind, boolean labelOnly, Layout layout, int batch, double interval, int budget) {

    static final int JBDA_MAX_PER_ROUND = 1_000;

    /** The query strategies (REFERENCES.md). */
    public enum Kind {
        /** Uniform inputs (Tramer et al. 2016). */
        RANDOM,
        /** Jacobian-based augmentation (Papernot et al. 2017). */
        JBDA,
        /** Natural attacker-split samples plus noisy and shifted ones (Orekondy et al. 2019). */
        KNOCKOFF,
        /** Uncertainty sampling: bisection towards the decision boundary, one lane per batch row. */
        ACTIVE
    }

    /** How the attack uses API keys. */
    public enum Layout {
        SINGLE(1, false),
        SYBIL_5(5, false),
        SYBIL_20(20, false),
        TENANTS_5(5, true);

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

    /** The attack's query strategy, deterministic for the seed. */
    Strategy strategy(long seed) {
        return switch (kind) {
            case RANDOM -> Strategy.sequential(new RandomAttacker(seed));
            // up to 1,000 new points per augmentation round (the fixture's default is 400): the same
            // attack in half the rounds, and the attacker retrains its own surrogate every round
            case JBDA -> Strategy.sequential(new JbdaAttacker(seed, JbdaAttacker.DEFAULT_LAMBDA, JBDA_MAX_PER_ROUND));
            case KNOCKOFF -> Strategy.sequential(new KnockoffAttacker(seed));
            case ACTIVE -> {
                List<QuerySource> lanes = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    lanes.add(new BoundaryAttacker(seed * 1_000 + i));
                }
                yield Strategy.lanes(lanes);
            }
        };
    }

    /** Simulated days the attack would take at its pace, ignoring rejections. */
    public double plannedDays() {
        return Math.ceil((double) budget / batch) * interval / 86_400.0;
    }
}
