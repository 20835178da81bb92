package dev.moat.bench.eval;

import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.server.ModelServer;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.Verification;
import dev.moat.policies.watermark.WatermarkVerifier;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Runs every attack against every preset (each run on its own gateway, in parallel up to
 * {@link EvalSettings#threads()}), trains the surrogates, verifies watermarks, and runs the LLM
 * probe with and without Moat's LLM rules.
 */
public final class Evaluation {

    /**
     * Everything the report needs. The accuracy and reference fidelities are those of the first
     * model's plan; {@link #models} has them for every model.
     */
    public record Results(
            EvalSettings settings,
            List<RunRecord> runs,
            List<LlmProbe.Result> llm,
            double victimAccuracy,
            double independentSoftmaxFidelity,
            double independentMlpFidelity,
            double wallSeconds,
            List<ModelFacts> models) {

        public Results(
                EvalSettings settings,
                List<RunRecord> runs,
                List<LlmProbe.Result> llm,
                double victimAccuracy,
                double independentSoftmaxFidelity,
                double independentMlpFidelity,
                double wallSeconds) {
            this(
                    settings,
                    runs,
                    llm,
                    victimAccuracy,
                    independentSoftmaxFidelity,
                    independentMlpFidelity,
                    wallSeconds,
                    List.of());
        }

        /** The results of one model's plan only (settings, runs and reference numbers). */
        Results forModel(SampleModel model) {
            ModelFacts f = models.stream()
                    .filter(m -> m.model().equals(model.id()))
                    .findFirst()
                    .orElse(new ModelFacts(
                            model.id(),
                            model.features(),
                            victimAccuracy,
                            independentSoftmaxFidelity,
                            independentMlpFidelity));
            EvalSettings s =
                    settings.withPlans(settings.plan(model).map(List::of).orElse(List.of()));
            return new Results(
                    s,
                    runs.stream().filter(r -> r.model().equals(model.id())).toList(),
                    llm,
                    f.victimAccuracy(),
                    f.independentSoftmaxFidelity(),
                    f.independentMlpFidelity(),
                    wallSeconds,
                    List.of(f));
        }
    }

    /** A served model's test accuracy and the fidelity of independent models trained on its true labels. */
    public record ModelFacts(
            String model,
            int features,
            double victimAccuracy,
            double independentSoftmaxFidelity,
            double independentMlpFidelity) {}

    /** Per-run progress for the console: {@code run 12/84, eta 1m40s}, on top of each run's line. */
    public interface Progress {
        void run(int done, int total, double etaSeconds, String line);

        void note(String line);
    }

    static {
        noDelayModelServer();
    }

    /**
     * The JDK {@code HttpServer} behind {@code ModelServer} writes headers and body in separate
     * segments with Nagle's algorithm on, so each answer waits ~40 ms for the peer's delayed ACK;
     * this switches Nagle off (read once, before the first server starts).
     */
    static void noDelayModelServer() {
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final EvalSettings settings;
    private final Progress progress;
    private final Map<SampleModel, Classifier> independentMlp = new java.util.concurrent.ConcurrentHashMap<>();

    /** An evaluation that reports each finished run's line to {@code progress}. */
    public Evaluation(EvalSettings settings, Consumer<String> progress) {
        this(settings, new Progress() {
            @Override
            public void run(int done, int total, double etaSeconds, String line) {
                progress.accept(line);
            }

            @Override
            public void note(String line) {
                progress.accept(line);
            }
        });
    }

    public Evaluation(EvalSettings settings, Progress progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /** An MLP of the served architecture trained on the true labels with another seed: an independent model. */
    private Classifier independentMlp(SampleModel m) {
        return independentMlp.computeIfAbsent(m, k -> {
            Digits.Part train = k.data().train();
            return DigitsModel.train(train.x(), train.y(), 4_242L, k == SampleModel.DIGITS ? DigitsModel.EPOCHS : 15);
        });
    }

    public Results run() throws Exception {
        long t0 = System.nanoTime();
        List<RunRecord> runs = new ArrayList<>();
        List<LlmProbe.Result> llm = new ArrayList<>();
        List<ModelFacts> facts = new ArrayList<>();
        Map<SampleModel, ModelServer> servers = new java.util.EnumMap<>(SampleModel.class);
        try {
            for (EvalSettings.Plan p : settings.plans()) {
                p.model().model();
                servers.put(
                        p.model(),
                        ModelServer.start(ModelServer.Options.defaults().withModel(p.model())));
            }
            List<EvalSettings.Cell> cells = settings.cells();
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, settings.threads()));
            java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
            try {
                List<Future<RunRecord>> futures = new ArrayList<>();
                for (EvalSettings.Cell c : cells) {
                    futures.add(pool.submit(() -> {
                        RunRecord r = one(c, servers.get(c.model()));
                        int n = done.incrementAndGet();
                        double elapsed = (System.nanoTime() - t0) / 1e9;
                        progress.run(n, cells.size(), elapsed / n * (cells.size() - n), line(r, elapsed));
                        return r;
                    }));
                }
                for (Future<RunRecord> f : futures) {
                    runs.add(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
            if (settings.llmPrompts() > 0 && !servers.isEmpty()) {
                URI base = servers.values().iterator().next().baseUri();
                LlmProbe probe = new LlmProbe();
                llm.add(probe.run(base, false, settings.llmPrompts()));
                llm.add(probe.run(base, true, settings.llmPrompts()));
                llm.forEach(r -> progress.note(String.format(
                        "llm %-15s recovered %d/%d logit vectors, rank %d (hidden %d), statuses %s",
                        r.variant(), r.vectorsRecovered(), r.prompts(), r.rank(), r.hiddenSize(), r.statuses())));
            }
        } finally {
            servers.values().forEach(ModelServer::close);
        }
        for (EvalSettings.Plan p : settings.plans()) {
            Digits.Part test = p.model().data().test();
            DigitsModel victim = p.model().model();
            facts.add(new ModelFacts(
                    p.model().id(),
                    p.model().features(),
                    victim.accuracy(test),
                    Metrics.fidelity(p.model().independentSoftmax(), victim, test),
                    Metrics.fidelity(independentMlp(p.model()), victim, test)));
        }
        ModelFacts first = facts.isEmpty() ? new ModelFacts("-", 0, Double.NaN, Double.NaN, Double.NaN) : facts.get(0);
        return new Results(
                settings,
                runs,
                llm,
                first.victimAccuracy(),
                first.independentSoftmaxFidelity(),
                first.independentMlpFidelity(),
                (System.nanoTime() - t0) / 1e9,
                facts);
    }

    private RunRecord one(EvalSettings.Cell cell, ModelServer model) throws Exception {
        long t0 = System.nanoTime();
        AttackSpec spec = cell.attack();
        Preset preset = cell.preset();
        SampleModel sample = cell.model();
        long seed = settings.attackSeed(spec);
        // the realistic population (45,000 rows of the 50x key alone) under `full` on the 8x8 model
        // only: `strict` has the same detectors, and on the wide model it would multiply the eval's
        // run time; the other runs keep the standard five keys
        HonestUser.Population population = preset.name().equals(Goals.FULL) && sample == SampleModel.DIGITS
                ? HonestUser.Population.REALISTIC
                : HonestUser.Population.STANDARD;
        RunOutcome o = new AttackRun(
                        spec, preset, seed, settings.attackStart(), settings.maxSeconds(), sample, population)
                .execute(model.baseUri());
        List<Surrogates.Scored> scored = new Surrogates(settings.softmaxEpochs(), settings.mlpEpochs(), sample)
                .train(o.stolenX, o.stolenAnswers, spec.labelOnly(), seed);
        Classifier independentSoftmax = sample.independentSoftmax();
        List<RunRecord.WatermarkCheck> wm = new ArrayList<>();
        List<RunRecord.WatermarkCheck> independent = new ArrayList<>();
        if (preset.watermarks()) {
            for (Surrogates.Scored s : scored) {
                wm.add(verify("surrogate-" + s.name(), o.attackerWatermarks, s.model()));
            }
            independent.add(verify("independent-softmax", o.attackerWatermarks, independentSoftmax));
            independent.add(verify("independent-mlp", o.attackerWatermarks, independentMlp(sample)));
        }
        RunRecord r = new RunRecord(
                sample.id(),
                spec.name(),
                preset.name(),
                spec.labelOnly(),
                o.keys,
                o.rowsSent,
                o.rowsAnswered,
                o.requests,
                o.throttledRequests,
                o.blockedRequests,
                o.firstAlarmAt < 0 ? null : o.firstAlarmAt,
                o.alarmBy,
                o.firstBlockAt < 0 ? null : o.firstBlockAt,
                o.keysBlocked,
                o.maxRisk,
                o.attackSeconds,
                scored.stream()
                        .map(s -> new RunRecord.SurrogateScore(s.name(), s.accuracy(), s.fidelity()))
                        .toList(),
                wm,
                independent,
                o.attackerWatermarks.size(),
                List.copyOf(o.honest),
                o.droppedEvents,
                o.crossRequests,
                Map.copyOf(o.crossStatuses));
        runSeconds.put(r, (System.nanoTime() - t0) / 1e9);
        return r;
    }

    private final Map<RunRecord, Double> runSeconds = new java.util.concurrent.ConcurrentHashMap<>();

    private String line(RunRecord r, double elapsed) {
        return String.format(
                java.util.Locale.ROOT,
                "%-8s %-18s %-9s sent %5d answered %5d alarm %-6s block %-6s fidelity %s honest flagged %d  (%.1fs)",
                r.model(),
                r.attack(),
                r.preset(),
                r.rowsSent(),
                r.rowsAnswered(),
                r.firstAlarmAt() == null ? "-" : r.firstAlarmAt(),
                r.firstBlockAt() == null ? "-" : r.firstBlockAt(),
                Double.isNaN(r.bestFidelity()) ? "-" : String.format(java.util.Locale.ROOT, "%.3f", r.bestFidelity()),
                r.honestFlagged(),
                runSeconds.getOrDefault(r, Double.NaN));
    }

    static RunRecord.WatermarkCheck verify(String suspect, List<LedgerEntry> entries, Classifier model) {
        Verification v = new WatermarkVerifier().verify(entries, model::label);
        return new RunRecord.WatermarkCheck(suspect, v.n(), v.matches(), v.pValue(), v.log10PValue(), v.claimed());
    }

    /** For tests: the watermark checks of a run keyed by suspect. */
    static Map<String, RunRecord.WatermarkCheck> bySuspect(List<RunRecord.WatermarkCheck> checks) {
        Map<String, RunRecord.WatermarkCheck> m = new java.util.LinkedHashMap<>();
        checks.forEach(c -> m.put(c.suspect(), c));
        return m;
    }
}
