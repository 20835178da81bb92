package dev.moat.detectors.support;

import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.List;
import java.util.Random;

/**
 * Tramer et al.'s line search (USENIX Security 2016, path finding): take two of the attacker's own
 * rows, query both; when the API labels them differently, bisect between them, querying every
 * midpoint and keeping the half whose ends still differ, until an answer's top-1 minus top-2 margin
 * is below {@code margin} (or 30 steps), then start on a new pair. Every row sent is a real query
 * whose answer the attacker reads.
 */
public final class LineSearch implements QuerySource {

    private final List<double[]> rows;
    private final Random rnd;
    private final double margin;
    private double[] u;
    private double[] v;
    private int cu = -1;
    private int phase; // 0: send u, 1: send v, 2: bisecting
    private double lo;
    private double hi;
    private double mid;
    private int steps;

    public LineSearch(List<double[]> rows, long seed, double margin) {
        this.rows = rows;
        this.rnd = new UnsharedRandom(seed);
        this.margin = margin;
    }

    @Override
    public double[] next() {
        if (phase == 0) {
            u = rows.get(rnd.nextInt(rows.size()));
            v = rows.get(rnd.nextInt(rows.size()));
            return u.clone();
        }
        if (phase == 1) {
            return v.clone();
        }
        mid = (lo + hi) / 2;
        return lerp(mid);
    }

    @Override
    public void observe(double[] x, double[] answer) {
        int top = argmax(answer);
        if (phase == 0) {
            cu = top;
            phase = 1;
        } else if (phase == 1) {
            if (top == cu) {
                phase = 0;
            } else {
                lo = 0;
                hi = 1;
                steps = 0;
                phase = 2;
            }
        } else {
            if (top == cu) {
                lo = mid;
            } else {
                hi = mid;
            }
            if (topTwoMargin(answer) < margin || ++steps >= 30) {
                phase = 0;
            }
        }
    }

    private double[] lerp(double t) {
        double[] x = new double[u.length];
        for (int k = 0; k < x.length; k++) {
            x[k] = (1 - t) * u[k] + t * v[k];
        }
        return x;
    }

    public static int argmax(double[] p) {
        int b = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[b]) {
                b = i;
            }
        }
        return b;
    }

    static double topTwoMargin(double[] p) {
        double a = Double.NEGATIVE_INFINITY;
        double b = Double.NEGATIVE_INFINITY;
        for (double q : p) {
            if (q > a) {
                b = a;
                a = q;
            } else if (q > b) {
                b = q;
            }
        }
        return a - b;
    }

    @Override
    public String name() {
        return "line-search";
    }

    /**
     * {@code attack}'s rows with {@code natural}'s interleaved: {@code attackRows} of the attack, then
     * {@code naturalRows} natural ones, in turn (each source sees only its own answers).
     */
    public static QuerySource interleaved(QuerySource attack, QuerySource natural, int attackRows, int naturalRows) {
        return new QuerySource() {
            long sent;
            boolean lastWasAttack;

            @Override
            public double[] next() {
                lastWasAttack = sent++ % (attackRows + naturalRows) < attackRows;
                return lastWasAttack ? attack.next() : natural.next();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                (lastWasAttack ? attack : natural).observe(x, answer);
            }

            @Override
            public String name() {
                return attack.name() + "-interleaved";
            }
        };
    }

    /** {@code warmup} rows of {@code natural} first (an honest-looking start), then {@code attack}'s. */
    public static QuerySource after(QuerySource natural, int warmup, QuerySource attack) {
        return new QuerySource() {
            long sent;
            boolean lastWasAttack;

            @Override
            public double[] next() {
                lastWasAttack = sent++ >= warmup;
                return lastWasAttack ? attack.next() : natural.next();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                (lastWasAttack ? attack : natural).observe(x, answer);
            }

            @Override
            public String name() {
                return attack.name() + "-after-natural";
            }
        };
    }
}
