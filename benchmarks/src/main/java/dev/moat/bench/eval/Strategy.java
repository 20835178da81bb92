package dev.moat.bench.eval;

import dev.moat.fixtures.traffic.QuerySource;
import java.util.List;

/**
 * An attacker's query strategy as the harness drives it: batches of inputs out, answers back.
 * Answers are what the attacker is allowed to see: a probability row, or for a label-only attacker
 * a one-element row holding the label (the {@link QuerySource} convention).
 */
interface Strategy {

    /** The next batch; {@code preferred} rows unless the strategy has its own batch shape. */
    double[][] nextBatch(int preferred);

    /** Feeds back the answers to a batch this strategy produced (only for answered batches). */
    void observe(double[][] x, double[][] answers);

    /** A fixture query source queried one row after another; batching only groups its rows. */
    static Strategy sequential(QuerySource source) {
        return new Strategy() {
            @Override
            public double[][] nextBatch(int preferred) {
                double[][] out = new double[preferred][];
                for (int i = 0; i < preferred; i++) {
                    out[i] = source.next();
                }
                return out;
            }

            @Override
            public void observe(double[][] x, double[][] answers) {
                for (int i = 0; i < x.length; i++) {
                    source.observe(x[i], answers[i]);
                }
            }
        };
    }

    /**
     * Independent lanes of a sequential, feedback-driven source (e.g. bisection): each batch
     * holds one query per lane, and each lane sees its own answer before its next query, so the
     * batch does not break the algorithm.
     */
    static Strategy lanes(List<QuerySource> lanes) {
        List<QuerySource> copy = List.copyOf(lanes);
        return new Strategy() {
            @Override
            public double[][] nextBatch(int preferred) {
                double[][] out = new double[copy.size()][];
                for (int i = 0; i < out.length; i++) {
                    out[i] = copy.get(i).next();
                }
                return out;
            }

            @Override
            public void observe(double[][] x, double[][] answers) {
                for (int i = 0; i < x.length; i++) {
                    copy.get(i).observe(x[i], answers[i]);
                }
            }
        };
    }

    /**
     * Rows of {@code a} and {@code b} in turn (a, b, a, b, ...), each source seeing only the
     * answers to its own rows: e.g. JbDA diluted 1:1 with natural images.
     */
    static Strategy alternating(QuerySource a, QuerySource b) {
        return new Strategy() {
            private boolean nextIsA = true;
            private boolean[] fromA = new boolean[0];

            @Override
            public double[][] nextBatch(int preferred) {
                double[][] out = new double[preferred][];
                fromA = new boolean[preferred];
                for (int i = 0; i < preferred; i++) {
                    fromA[i] = nextIsA;
                    out[i] = nextIsA ? a.next() : b.next();
                    nextIsA = !nextIsA;
                }
                return out;
            }

            @Override
            public void observe(double[][] x, double[][] answers) {
                for (int i = 0; i < x.length; i++) {
                    (i < fromA.length && fromA[i] ? a : b).observe(x[i], answers[i]);
                }
            }
        };
    }
}
