package dev.moat.bench.eval;

import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
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

    Surrogates(int softmaxEpochs, int mlpEpochs) {
        this.softmaxEpochs = softmaxEpochs;
        this.mlpEpochs = mlpEpochs;
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
        return List.of(score("softmax", softmax), score("mlp", mlp));
    }

    static Scored score(String name, Classifier model) {
        Digits.Part test = Digits.get().test();
        return new Scored(name, model, model.accuracy(test), Metrics.fidelity(model, DigitsModel.get(), test));
    }
}
