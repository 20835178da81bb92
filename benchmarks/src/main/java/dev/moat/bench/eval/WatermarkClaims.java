package dev.moat.bench.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.bench.eval.AttackSpec.Kind;
import dev.moat.bench.eval.AttackSpec.Layout;
import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.SoftmaxRegression;
import dev.moat.fixtures.server.ModelServer;
import dev.moat.policies.watermark.Attribution;
import dev.moat.policies.watermark.WatermarkVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The watermark claims experiment (issue 11): attackers steal at least 5,000 answers through a
 * gateway whose policy watermarks at a base rate keyed by the API key and raises a flagged key's
 * rate; each thief then trains (a) a network fitted to what it got, to near 100% training accuracy,
 * as DAWN assumes, and (b) the eval's usual surrogates, which generalise instead. {@code moat
 * watermark verify}'s test (per key, Holm-corrected) is run on every surrogate and on independent
 * models; the output says which are claimed, for which key, and the honest keys' cost. Writes
 * {@code watermark-claims.md} and {@code .json} next to the evaluation.
 */
public final class WatermarkClaims {

    static final double BASE_RATE = 0.004;
    static final double ESCALATED_RATE = 0.05;
    static final int BUDGET = 6_000;
    static final int HIDDEN = 256;
    static final double FIT_TARGET = 1.0;
    static final int FIT_EPOCHS = 300;
    static final int FIT_EPOCHS_SOFT = 80;

    /** Base rate only, no detectors: what a thief whose traffic looks normal gets. */
    static final Preset BASE = new Preset(
            "claims-base", "watermark " + BASE_RATE + " by key, no detectors", Preset.UNLIMITED, """
            outputs:
              - watermark: {rate: %s, secret: "eval-watermark-secret-0001", ledger: "${LEDGER}", attribution: key}
            """.formatted(
                            BASE_RATE));

    /** The policy: base-rate watermark by key, all detectors, a flagged key's rate raised at risk 0.5. */
    static final Preset PRESET = new Preset(
            "claims",
            "watermark " + BASE_RATE + " by key, all detectors, escalation {at: 0.5, watermark: {rate: "
                    + ESCALATED_RATE + "}}",
            Preset.UNLIMITED,
            """
            outputs:
              - watermark: {rate: %s, secret: "eval-watermark-secret-0001", ledger: "${LEDGER}", attribution: key}
            detectors: {prada: {delta: 0.9}, volume: {}, boundary: {}, ood: {}, coverage: {}, tenant: {}}
            escalation:
              - {at: 0.5, watermark: {rate: %s}}
            """.formatted(BASE_RATE, ESCALATED_RATE));

    /** An attack against a preset. */
    record Case(AttackSpec spec, Preset preset) {}

    /** One surrogate's test. */
    record Claim(
            String attack,
            String surrogate,
            boolean labelOnly,
            boolean flagged,
            int stolen,
            double trainAccuracy,
            double fidelity,
            int matches,
            int n,
            double log10P,
            List<String> claimedKeys,
            boolean rightKey,
            boolean claimed) {}

    /** One run: its claims, its independent checks, the honest keys' cost. */
    record Run(
            String attack,
            String preset,
            boolean flagged,
            int attackerKeys,
            long stolen,
            int attackerMarks,
            double attackerRate,
            List<Claim> claims,
            int independentChecks,
            int independentClaims,
            double independentMinP,
            double honestMinAgreement,
            double honestAgreement,
            int honestFlagged) {}

    record Results(List<Run> runs, int independentModels, double seconds) {}

    private final long seed;
    private final int threads;
    private final Consumer<String> progress;
    private final List<Classifier> independent = new ArrayList<>();

    WatermarkClaims(long seed, int threads, Consumer<String> progress) {
        this.seed = seed;
        this.threads = threads;
        this.progress = progress;
    }

    /**
     * Natural-data and label-only thieves against the base rate (their traffic is not flagged
     * there: no detectors), then every thief against the adaptive policy, where the detectors flag
     * most of them and their rate rises.
     */
    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        out.add(new Case(EvalSettings.fast("knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, BUDGET), BASE));
        out.add(new Case(EvalSettings.fast("label-knockoff", Kind.KNOCKOFF, true, Layout.SINGLE, BUDGET), BASE));
        out.add(new Case(EvalSettings.fast("label-random", Kind.RANDOM, true, Layout.SINGLE, BUDGET), BASE));
        for (AttackSpec a : List.of(
                new AttackSpec("slow-knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, 8, 240, BUDGET),
                EvalSettings.fast("knockoff", Kind.KNOCKOFF, false, Layout.SINGLE, BUDGET),
                EvalSettings.fast("random", Kind.RANDOM, false, Layout.SINGLE, BUDGET),
                EvalSettings.fast("jbda", Kind.JBDA, false, Layout.SINGLE, BUDGET),
                EvalSettings.fast("active", Kind.ACTIVE, false, Layout.SINGLE, BUDGET),
                EvalSettings.fast("label-active", Kind.ACTIVE, true, Layout.SINGLE, BUDGET),
                EvalSettings.fast("sybil5-jbda", Kind.JBDA, false, Layout.SYBIL_5, BUDGET))) {
            out.add(new Case(a, PRESET));
        }
        return out;
    }

    Results run(List<Case> cases) throws Exception {
        long t0 = System.nanoTime();
        Digits.Part train = Digits.get().train();
        // independent models: never saw an answer of ours; different seeds, architectures and fits
        for (int s = 0; s < 6; s++) {
            independent.add(SoftmaxRegression.train(train.x(), train.y(), 7_000 + s, 40 + 10 * s));
            independent.add(DigitsModel.train(train.x(), train.y(), 8_000 + s, 30 + 10 * s));
        }
        double[][] oneHot = new double[train.size()][];
        for (int i = 0; i < oneHot.length; i++) {
            oneHot[i] = new double[Digits.CLASSES];
            oneHot[i][train.y()[i]] = 1;
        }
        for (int s = 0; s < 3; s++) {
            independent.add(MemorisingMlp.train(train.x(), oneHot, HIDDEN, 9_000 + s, 1.0, 60));
        }
        List<Run> runs = new ArrayList<>();
        try (ModelServer model = ModelServer.start()) {
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
            try {
                List<Future<Run>> futures = new ArrayList<>();
                for (Case c : cases) {
                    futures.add(pool.submit(() -> one(c.spec(), c.preset(), model)));
                }
                for (Future<Run> f : futures) {
                    runs.add(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
        return new Results(runs, independent.size(), (System.nanoTime() - t0) / 1e9);
    }

    private Run one(AttackSpec spec, Preset preset, ModelServer model) throws Exception {
        long t0 = System.nanoTime();
        long s = seed + 1_000L * (spec.name().hashCode() & 0xffff);
        RunOutcome o = new AttackRun(spec, preset, s, 600, 7 * 86_400).execute(model.baseUri());
        Set<String> attackerIds =
                spec.layout().keys().stream().map(EvalGateway.Key::id).collect(Collectors.toSet());
        boolean flagged = o.maxRisk >= 0.5;
        double[][] xs = o.stolenX.toArray(new double[0][]);
        double[][] targets = o.stolenAnswers.stream()
                .map(a -> Metrics.target(a, Digits.CLASSES))
                .toArray(double[][]::new);
        WatermarkVerifier verifier = new WatermarkVerifier();
        List<Claim> claims = new ArrayList<>();
        // hard labels reach 100% quickly; soft rows with near-ties may never, so they get fewer epochs
        MemorisingMlp fitted = MemorisingMlp.train(
                xs, targets, HIDDEN, s, FIT_TARGET, spec.labelOnly() ? FIT_EPOCHS : FIT_EPOCHS_SOFT);
        claims.add(claim(
                spec,
                flagged,
                xs.length,
                "fitted-mlp" + HIDDEN,
                fitted,
                fitted.trainAccuracy(),
                o,
                attackerIds,
                verifier));
        for (Surrogates.Scored g : new Surrogates(40, 30).train(o.stolenX, o.stolenAnswers, spec.labelOnly(), s)) {
            double acc = trainAccuracy(g.model(), xs, targets);
            claims.add(claim(
                    spec, flagged, xs.length, "generalising-" + g.name(), g.model(), acc, o, attackerIds, verifier));
        }
        int checks = 0;
        int falseClaims = 0;
        double minP = 1;
        for (Classifier m : independent) {
            Attribution a = verifier.attribute(o.ledger, "key", m::label);
            checks++;
            if (a.verdictClaimed()) {
                falseClaims++;
            }
            if (a.best() != null) {
                minP = Math.min(minP, a.best().adjustedPValue());
            }
        }
        double honestMin = o.honest.stream()
                .mapToDouble(RunOutcome.Honest::agreement)
                .filter(d -> !Double.isNaN(d))
                .min()
                .orElse(Double.NaN);
        long honestAnswered =
                o.honest.stream().mapToLong(RunOutcome.Honest::answered).sum();
        long honestAgree =
                o.honest.stream().mapToLong(RunOutcome.Honest::top1Agree).sum();
        double honestPooled = honestAnswered == 0 ? Double.NaN : (double) honestAgree / honestAnswered;
        int honestFlagged =
                (int) o.honest.stream().filter(RunOutcome.Honest::flagged).count();
        int marks = (int)
                o.ledger.stream().filter(e -> attackerIds.contains(e.key())).count();
        Run r = new Run(
                spec.name(),
                preset.name(),
                flagged,
                attackerIds.size(),
                o.rowsAnswered,
                marks,
                o.rowsAnswered == 0 ? 0 : (double) marks / o.rowsAnswered,
                claims,
                checks,
                falseClaims,
                minP,
                honestMin,
                honestPooled,
                honestFlagged);
        progress.accept(String.format(
                Locale.ROOT,
                "claims %-15s %-11s stolen %5d flagged %-5s marks %4d  %s  independent %d/%d  (%.1fs)",
                spec.name(),
                preset.name(),
                o.rowsAnswered,
                flagged,
                marks,
                claims.stream()
                        .map(c -> c.surrogate() + (c.claimed() ? (c.rightKey() ? " CLAIMED" : " WRONG KEY") : " no"))
                        .collect(Collectors.joining(", ")),
                falseClaims,
                checks,
                (System.nanoTime() - t0) / 1e9));
        return r;
    }

    private static Claim claim(
            AttackSpec spec,
            boolean flagged,
            int stolen,
            String name,
            Classifier model,
            double trainAccuracy,
            RunOutcome o,
            Set<String> attackerIds,
            WatermarkVerifier verifier) {
        Attribution a = verifier.attribute(o.ledger, "key", model::label);
        Attribution.Owner bestAttacker = a.owners().stream()
                .filter(w -> attackerIds.contains(w.owner()))
                .findFirst()
                .orElse(null);
        List<String> claimed = a.claimed();
        boolean right = !claimed.isEmpty() && attackerIds.containsAll(claimed);
        double fidelity =
                Metrics.fidelity(model, DigitsModel.get(), Digits.get().test());
        return new Claim(
                spec.name(),
                name,
                spec.labelOnly(),
                flagged,
                stolen,
                trainAccuracy,
                fidelity,
                bestAttacker == null ? 0 : bestAttacker.verification().matches(),
                bestAttacker == null ? 0 : bestAttacker.verification().n(),
                bestAttacker == null ? 0 : bestAttacker.log10Adjusted(),
                claimed,
                right,
                a.verdictClaimed());
    }

    private static double trainAccuracy(Classifier m, double[][] xs, double[][] targets) {
        int right = 0;
        for (int i = 0; i < xs.length; i++) {
            if (m.label(xs[i]) == Classifier.argmax(targets[i])) {
                right++;
            }
        }
        return xs.length == 0 ? 0 : (double) right / xs.length;
    }

    /** Runs the experiment and writes {@code watermark-claims.md} and {@code .json} into {@code out}. */
    static Results runAndWrite(long seed, int threads, Path out, String command, Consumer<String> progress)
            throws Exception {
        Results r = new WatermarkClaims(seed, threads, progress).run(cases());
        Files.createDirectories(out);
        Files.writeString(out.resolve("watermark-claims.md"), markdown(r, command));
        Files.writeString(out.resolve("watermark-claims.json"), json(r));
        return r;
    }

    static String markdown(Results r, String command) {
        StringBuilder md = new StringBuilder();
        md.append("# Watermark claims\n\n");
        md.append(String.format(
                Locale.ROOT,
                "Generated by `%s` (%.0f s wall time). Policies: `claims-base` (%s) and `claims` (%s). Each attacker steals %,d answers through"
                        + " a real gateway (simulated time, five honest users alongside); each thief then fits a"
                        + " %d-unit MLP to what it got until it reproduces all of its stolen labels (or %d epochs; %d for soft answers, whose near-ties"
                        + " may never all fit) (the"
                        + " thief DAWN assumes), and trains the eval's usual surrogates (softmax regression,"
                        + " 64-32-10 MLP for 30 epochs), which generalise instead. Every suspect is tested like"
                        + " `moat watermark verify`: per key, exact binomial tail at chance 1/9, Holm-corrected"
                        + " over all keys of the run, claimed below 1e-6.%n%n",
                command,
                r.seconds(),
                BASE.description(),
                PRESET.description(),
                BUDGET,
                HIDDEN,
                FIT_EPOCHS,
                FIT_EPOCHS_SOFT));
        md.append(goals(r)).append('\n');
        md.append(
                "| attack | preset | flagged (attacker's rate) | stolen | attacker marks | suspect | train acc | fidelity | matches / n"
                        + " (best attacker key) | corrected p | claimed keys | verdict |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Run run : r.runs()) {
            for (Claim c : run.claims()) {
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %s (%.3f) | %d | %d | %s | %.1f%% | %.1f%% | %d / %d | 1e%.1f | %s | %s |%n",
                        run.attack(),
                        run.preset(),
                        run.flagged() ? "yes" : "no",
                        run.attackerRate(),
                        run.stolen(),
                        run.attackerMarks(),
                        c.surrogate(),
                        100 * c.trainAccuracy(),
                        100 * c.fidelity(),
                        c.matches(),
                        c.n(),
                        c.log10P(),
                        c.claimedKeys().isEmpty() ? "-" : String.join(", ", c.claimedKeys()),
                        c.claimed() ? (c.rightKey() ? "**claimed, right key**" : "**WRONG KEY**") : "not claimed"));
            }
        }
        md.append("\n## Independent models and honest keys\n\n");
        md.append("| attack | preset | independent checks | false claims | smallest corrected p | honest top-1"
                + " agreement (all honest rows) | smallest honest key's | honest keys flagged |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (Run run : r.runs()) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %d | %d | %.3g | %.2f%% | %.2f%% | %d |%n",
                    run.attack(),
                    run.preset(),
                    run.independentChecks(),
                    run.independentClaims(),
                    run.independentMinP(),
                    100 * run.honestAgreement(),
                    100 * run.honestMinAgreement(),
                    run.honestFlagged()));
        }
        md.append(String.format(
                Locale.ROOT,
                "%nIndependent models: %d per run (6 softmax regressions, 6 64-32-10 MLPs, 3 %d-unit MLPs fitted"
                        + " to 100%% of Digits.train(); different seeds and epochs), each tested against every"
                        + " key of the run's ledger.%n",
                r.independentModels(),
                HIDDEN));
        md.append("\n## Why generalising surrogates are not claimed\n\n"
                + "A watermark label is a wrong label on a few inputs. A model that generalises predicts the"
                + " true class on them (it learns the function, and a handful of contradicting points among"
                + " thousands is noise it smooths over), so it matches at about chance. The claim needs the"
                + " thief to have fitted its training answers, the setting DAWN assumes; the table shows how"
                + " far each generalising surrogate fitted its stolen labels (train acc) and what that gave.\n");
        return md.toString();
    }

    static String goals(Results r) {
        List<String> missed = new ArrayList<>();
        int fitted = 0;
        int fittedRight = 0;
        int checks = 0;
        int falseClaims = 0;
        double minP = 1;
        double honestMin = 1;
        double honestPooledMin = 1;
        int generalisingClaimed = 0;
        int generalising = 0;
        for (Run run : r.runs()) {
            checks += run.independentChecks();
            falseClaims += run.independentClaims();
            minP = Math.min(minP, run.independentMinP());
            if (!Double.isNaN(run.honestMinAgreement()) && run.honestFlagged() == 0) {
                honestMin = Math.min(honestMin, run.honestMinAgreement());
                honestPooledMin = Math.min(honestPooledMin, run.honestAgreement());
            }
            for (Claim c : run.claims()) {
                if (c.surrogate().startsWith("fitted") && c.stolen() >= 5_000) {
                    fitted++;
                    if (c.claimed() && c.rightKey()) {
                        fittedRight++;
                    } else {
                        missed.add(run.attack());
                    }
                } else if (c.surrogate().startsWith("generalising")) {
                    generalising++;
                    if (c.claimed() && c.rightKey()) {
                        generalisingClaimed++;
                    }
                }
            }
        }
        StringBuilder g = new StringBuilder("| goal | result | numbers |\n|---|---|---|\n");
        g.append(String.format(
                Locale.ROOT,
                "| claimed with the right key: every thief that fits >= 5,000 stolen answers | %s | %d of %d%s |%n",
                fittedRight == fitted && fitted > 0 ? "**met**" : "**missed**",
                fittedRight,
                fitted,
                missed.isEmpty() ? "" : "; not: " + String.join(", ", missed)));
        g.append(String.format(
                Locale.ROOT,
                "| never claimed: independent models (>= 100 checks) | %s | %d claims in %d checks; smallest"
                        + " corrected p-value %.3g |%n",
                falseClaims == 0 && checks >= 100 ? "**met**" : "**missed**",
                falseClaims,
                checks,
                minP));
        g.append(String.format(
                Locale.ROOT,
                "| honest cost at the base rate %s: top-1 agreement >= 99.5%% | %s | all honest rows of a run:"
                        + " at least %.2f%%; the smallest single honest key (a few hundred rows): %.2f%% |%n",
                BASE_RATE,
                honestPooledMin >= 0.995 ? "**met**" : "**missed**",
                100 * honestPooledMin,
                100 * honestMin));
        g.append(String.format(
                Locale.ROOT,
                "| (reported) surrogates that generalise | - | %d of %d claimed with the right key |%n",
                generalisingClaimed,
                generalising));
        return g.toString();
    }

    static String json(Results r) throws Exception {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("base_rate", BASE_RATE);
        root.put("escalated_rate", ESCALATED_RATE);
        root.put("independent_models", r.independentModels());
        root.put("seconds", r.seconds());
        ArrayNode runs = root.putArray("runs");
        for (Run run : r.runs()) {
            runs.add(m.valueToTree(run));
        }
        return m.writeValueAsString(root);
    }

    /** {@code java ... WatermarkClaims [--out DIR] [--attacks a,b]}: the experiment alone. */
    public static void main(String[] args) throws Exception {
        Logs.quiet("WARN");
        Evaluation.noDelayModelServer();
        Path out = Path.of("docs");
        List<Case> cases = cases();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--attacks" -> {
                    List<String> names = List.of(args[++i].split(","));
                    cases = cases.stream()
                            .filter(c -> names.contains(c.spec().name()))
                            .toList();
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Results r = new WatermarkClaims(20_261_122L, 2, System.out::println).run(cases);
        Files.createDirectories(out);
        Files.writeString(out.resolve("watermark-claims.md"), markdown(r, "./moat eval --claims-only"));
        Files.writeString(out.resolve("watermark-claims.json"), json(r));
        System.out.println(goals(r));
        System.exit(0);
    }
}
