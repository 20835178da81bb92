package dev.moat.bench.eval;

import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.ModelServer;
import dev.moat.fixtures.SoftmaxRegression;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.Verification;
import dev.moat.policies.watermark.WatermarkVerifier;
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

    /** Everything the report needs. */
    public record Results(
            EvalSettings settings,
            List<RunRecord> runs,
            List<LlmProbe.Result> llm,
            double victimAccuracy,
            double independentSoftmaxFidelity,
            double independentMlpFidelity,
            double wallSeconds) {}

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
    private final Consumer<String> progress;
    private final Classifier independentSoftmax = SoftmaxRegression.get();
    private final Classifier independentMlp;

    public Evaluation(EvalSettings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
        Digits.Part train = Digits.get().train();
        this.independentMlp = DigitsModel.train(train.x(), train.y(), 4_242L, DigitsModel.EPOCHS);
    }

    public Results run() throws Exception {
        long t0 = System.nanoTime();
        DigitsModel.get();
        List<RunRecord> runs = new ArrayList<>();
        List<LlmProbe.Result> llm = new ArrayList<>();
        try (ModelServer model = ModelServer.start()) {
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, settings.threads()));
            try {
                List<Future<RunRecord>> futures = new ArrayList<>();
                for (AttackSpec spec : settings.attacks()) {
                    for (Preset preset : settings.presets()) {
                        futures.add(pool.submit(() -> one(spec, preset, model)));
                    }
                }
                for (Future<RunRecord> f : futures) {
                    runs.add(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
            if (settings.llmPrompts() > 0) {
                LlmProbe probe = new LlmProbe();
                llm.add(probe.run(model.baseUri(), false, settings.llmPrompts()));
                llm.add(probe.run(model.baseUri(), true, settings.llmPrompts()));
                llm.forEach(r -> progress.accept(String.format(
                        "llm %-15s recovered %d/%d logit vectors, rank %d (hidden %d), statuses %s",
                        r.variant(), r.vectorsRecovered(), r.prompts(), r.rank(), r.hiddenSize(), r.statuses())));
            }
        }
        Digits.Part test = Digits.get().test();
        return new Results(
                settings,
                runs,
                llm,
                DigitsModel.get().accuracy(test),
                Metrics.fidelity(independentSoftmax, DigitsModel.get(), test),
                Metrics.fidelity(independentMlp, DigitsModel.get(), test),
                (System.nanoTime() - t0) / 1e9);
    }

    private RunRecord one(AttackSpec spec, Preset preset, ModelServer model) throws Exception {
        long t0 = System.nanoTime();
        long seed = settings.attackSeed(spec);
        RunOutcome o = new AttackRun(spec, preset, seed, settings.attackStart(), settings.maxSeconds())
                .execute(model.baseUri());
        List<Surrogates.Scored> scored = new Surrogates(settings.softmaxEpochs(), settings.mlpEpochs())
                .train(o.stolenX, o.stolenAnswers, spec.labelOnly(), seed);
        List<RunRecord.WatermarkCheck> wm = new ArrayList<>();
        List<RunRecord.WatermarkCheck> independent = new ArrayList<>();
        if (preset.watermarks()) {
            for (Surrogates.Scored s : scored) {
                wm.add(verify("surrogate-" + s.name(), o.attackerWatermarks, s.model()));
            }
            independent.add(verify("independent-softmax", o.attackerWatermarks, independentSoftmax));
            independent.add(verify("independent-mlp", o.attackerWatermarks, independentMlp));
        }
        RunRecord r = new RunRecord(
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
                o.droppedEvents);
        progress.accept(String.format(
                "%-15s %-10s sent %5d answered %5d alarm %-6s block %-6s fidelity %s honest flagged %d  (%.1fs)",
                spec.name(),
                preset.name(),
                r.rowsSent(),
                r.rowsAnswered(),
                r.firstAlarmAt() == null ? "-" : r.firstAlarmAt(),
                r.firstBlockAt() == null ? "-" : r.firstBlockAt(),
                Double.isNaN(r.bestFidelity()) ? "-" : String.format("%.3f", r.bestFidelity()),
                r.honestFlagged(),
                (System.nanoTime() - t0) / 1e9));
        return r;
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
