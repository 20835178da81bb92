package dev.moat.bench.eval;

import dev.moat.bench.eval.AttackSpec.Kind;
import dev.moat.bench.eval.AttackSpec.Layout;
import dev.moat.fixtures.SampleModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a test: what JbDA's step rule is worth to the thief, paired. Every JbDA variant
 * with the same attacker seed starts from the same 100 natural seed rows, so the differences are the
 * steps' alone; queried straight from the model (no gateway, no defence: the {@code none} preset's
 * answers), best surrogate fidelity (softmax regression or MLP, the evaluation's epochs) after 100
 * (the seed set only), 300, 1,100 and 3,000 rows. Runs only with {@code -Dmoat.stepPayoff=true}:
 * {@code mvn -B -o -pl benchmarks -am test -Dtest=StepPayoffProbe -Dmoat.stepPayoff=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "moat.stepPayoff", matches = "true")
class StepPayoffProbe {

    private static final int[] CHECKPOINTS = {100, 300, 1_100, 3_000};

    @Test
    void probe() {
        EvalSettings full = EvalSettings.full();
        String only = System.getProperty("moat.stepPayoff.models", "digits,digits32");
        int seeds = Integer.getInteger("moat.stepPayoff.seeds", 3);
        for (SampleModel model : List.of(SampleModel.DIGITS, SampleModel.DIGITS32)) {
            if (!List.of(only.split(",")).contains(model.id())) {
                continue;
            }
            Map<String, AttackSpec> specs = new LinkedHashMap<>();
            specs.put("jbda", EvalSettings.fast("jbda", Kind.JBDA, false, Layout.SINGLE, 3_000));
            specs.put("jbda-random-step", EvalSettings.fast("r", Kind.JBDA_RANDOM_STEP, false, Layout.SINGLE, 3_000));
            specs.put("jbda-blocks8", EvalSettings.blocks(8, 3_000));
            specs.put("jbda-blocks16", EvalSettings.blocks(16, 3_000));
            specs.put("jbda-blocks32", EvalSettings.blocks(32, 3_000));
            specs.put("jbda-tapered", EvalSettings.fast("t", Kind.JBDA_TAPERED, false, Layout.SINGLE, 3_000));
            specs.put("natural", EvalSettings.fast("n", Kind.NATURAL, false, Layout.SINGLE, 3_000));
            specs.put("random", EvalSettings.fast("x", Kind.RANDOM, false, Layout.SINGLE, 3_000));
            Surrogates surrogates = new Surrogates(full.softmaxEpochs(), full.mlpEpochs(), model);
            System.out.printf(
                    Locale.ROOT,
                    "%s: best fidelity %% after rows %s, per seed%n",
                    model.id(),
                    java.util.Arrays.toString(CHECKPOINTS));
            for (Map.Entry<String, AttackSpec> e : specs.entrySet()) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-17s", e.getKey()));
                double[] mean = new double[CHECKPOINTS.length];
                for (long seed = 1; seed <= seeds; seed++) {
                    Strategy s = e.getValue().strategy(seed, model);
                    List<double[]> xs = new ArrayList<>();
                    List<double[]> answers = new ArrayList<>();
                    line.append(" |");
                    for (int c = 0; c < CHECKPOINTS.length; c++) {
                        while (xs.size() < CHECKPOINTS[c]) {
                            double[][] batch = s.nextBatch(Math.min(EvalSettings.BATCH, CHECKPOINTS[c] - xs.size()));
                            double[][] a = new double[batch.length][];
                            for (int i = 0; i < batch.length; i++) {
                                a[i] = model.model().predict(batch[i]);
                            }
                            s.observe(batch, a);
                            xs.addAll(List.of(batch));
                            answers.addAll(List.of(a));
                        }
                        double best = surrogates.train(xs, answers, false, seed).stream()
                                .mapToDouble(Surrogates.Scored::fidelity)
                                .max()
                                .orElse(Double.NaN);
                        mean[c] += best / seeds;
                        line.append(String.format(Locale.ROOT, " %5.1f", 100 * best));
                    }
                }
                line.append("  | mean");
                for (double m : mean) {
                    line.append(String.format(Locale.ROOT, " %5.1f", 100 * m));
                }
                System.out.println(line);
            }
        }
    }
}
