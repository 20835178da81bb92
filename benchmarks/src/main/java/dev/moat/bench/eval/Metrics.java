package dev.moat.bench.eval;

import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;

/** The numbers the evaluation reports, as small pure functions. */
final class Metrics {

    private Metrics() {}

    /** Sum of absolute differences; rows of different length compare over the longer one, missing = 0. */
    static double l1(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            s += Math.abs((i < a.length ? a[i] : 0) - (i < b.length ? b[i] : 0));
        }
        return s;
    }

    /**
     * Fidelity: the share of {@code part}'s rows on which the surrogate's top-1 equals the
     * reference model's top-1 (Jagielski et al. 2020 call it agreement).
     */
    static double fidelity(Classifier surrogate, Classifier reference, Digits.Part part) {
        if (part.size() == 0) {
            return Double.NaN;
        }
        int agree = 0;
        for (double[] x : part.x()) {
            if (surrogate.label(x) == reference.label(x)) {
                agree++;
            }
        }
        return (double) agree / part.size();
    }

    /**
     * Soft training targets from what the attacker saw: a probability row renormalised to sum 1
     * (top-k and rounding leave it short or long), a zero row made uniform, a one-element label
     * row made one-hot.
     */
    static double[] target(double[] seen, int classes) {
        double[] t = new double[classes];
        if (seen.length == 1) {
            t[(int) seen[0]] = 1;
            return t;
        }
        double sum = 0;
        for (int i = 0; i < classes && i < seen.length; i++) {
            t[i] = Math.max(0, seen[i]);
            sum += t[i];
        }
        for (int i = 0; i < classes; i++) {
            t[i] = sum > 0 ? t[i] / sum : 1.0 / classes;
        }
        return t;
    }

    /** The attacker's hard label for what it saw. */
    static int label(double[] seen) {
        return seen.length == 1 ? (int) seen[0] : Classifier.argmax(seen);
    }
}
