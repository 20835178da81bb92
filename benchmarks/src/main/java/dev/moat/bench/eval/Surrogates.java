package dev.moat.bench.eval;

import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.SoftmaxRegression;
import java.util.List;

/**
 * The attacker's last step: fit surrogates on the stolen pairs, a softmax regression and the
 * served architecture (64-32-10 MLP), on soft targets when the attacker kept probabilities and on
 * hard labels when it kept only the argmax.
 */
final class Surrogates {

    /** Fewer stolen rows than this and no surrogate is trained (the attack got nothing useful). */
    static final int MIN_ROWS = 20;

    /** A trained surrogate with its scores on {@code Digits.test()}. */
    record Scored(String name, Classifier model, double accuracy, double fidelity) {}

    private final int softmaxEpochs;
    private final int mlpEpochs;
    private final SampleModel model;

    Surrogates(int softmaxEpochs, int mlpEpochs) {
        this(softmaxEpochs, mlpEpochs, SampleModel.DIGITS);
    }

    /** Surrogates of {@code model}, scored on its test split. */
    Surrogates(int softmaxEpochs, int mlpEpochs, SampleModel model) {
        // wide inputs cost 16x per epoch: half the epochs keeps a run in seconds (surrogates still converge)
        boolean wide = model.features() > Digits.FEATURES;
        this.softmaxEpochs = wide ? Math.max(10, softmaxEpochs / 2) : softmaxEpochs;
        this.mlpEpochs = wide ? Math.max(10, mlpEpochs / 2) : mlpEpochs;
        this.model = model;
    }

    /** Both surrogates, or an empty list when fewer than {@link #MIN_ROWS} rows were stolen. */
    List<Scored> train(List<double[]> x, List<double[]> seen, boolean labelOnly, long seed) {
        if (x.size() < MIN_ROWS) {
            return List.of();
        }
        double[][] xs = x.toArray(new double[0][]);
        Classifier softmax;
        Classifier mlp;
        if (labelOnly) {
            int[] y = seen.stream().mapToInt(Metrics::label).toArray();
            softmax = SoftmaxRegression.train(xs, y, seed, softmaxEpochs);
            mlp = DigitsModel.train(xs, y, seed, mlpEpochs);
        } else {
            double[][] t =
                    seen.stream().map(s -> Metrics.target(s, Digits.CLASSES)).toArray(double[][]::new);
            softmax = SoftmaxRegression.train(xs, t, seed, softmaxEpochs);
            mlp = DigitsModel.train(xs, t, seed, mlpEpochs);
        }
        return List.of(score("softmax", softmax, model), score("mlp", mlp, model));
    }

    static Scored score(String name, Classifier model) {
        return score(name, model, SampleModel.DIGITS);
    }

    static Scored score(String name, Classifier surrogate, SampleModel victim) {
        Digits.Part test = victim.data().test();
        return new Scored(name, surrogate, surrogate.accuracy(test), Metrics.fidelity(surrogate, victim.model(), test));
    }
}
