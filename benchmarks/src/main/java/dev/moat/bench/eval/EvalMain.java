package dev.moat.bench.eval;

import dev.moat.fixtures.SampleModel;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./moat eval [--quick] [--write-docs]}: the extraction evaluation (issues 5 and 9). Runs
 * every attack against every defence preset, on the 8x8 digits model and the wide (32x32) one,
 * through a real gateway and the real sample model over loopback, in simulated time. Writes
 * {@code target/eval/evaluation.md} and {@code .json}, or with {@code --write-docs}
 * {@code docs/evaluation.md} and {@code .json} (the committed report). Progress
 * ({@code run 12/84, eta 1m40s}) goes to stderr; the in-process gateways log to
 * {@code target/eval/gateway.log}, never to the console.
 */
@Command(
        name = "moat eval",
        mixinStandardHelpOptions = true,
        description =
                "Runs the extraction evaluation: every attack against every defence preset, on both sample models,"
                        + " through real gateways in simulated time.")
public final class EvalMain implements Callable<Integer> {

    @Option(names = "--quick", description = "the short version (about a minute on a quiet machine)")
    boolean quick;

    @Option(
            names = "--write-docs",
            description = "write docs/evaluation.md and .json (the committed report) instead of target/eval")
    boolean writeDocs;

    @Option(names = "--out", paramLabel = "DIR", description = "where to write the report (default target/eval)")
    Path out;

    @Option(names = "--models", split = ",", paramLabel = "M", description = "only these models (digits, digits32)")
    List<String> models;

    @Option(names = "--attacks", split = ",", paramLabel = "A", description = "only these attacks")
    List<String> attacks;

    @Option(names = "--presets", split = ",", paramLabel = "P", description = "only these presets")
    List<String> presets;

    @Option(names = "--budget", paramLabel = "N", description = "every attack's budget in answered rows")
    Integer budget;

    @Option(names = "--threads", paramLabel = "N", description = "runs in parallel (default 2)")
    Integer threads;

    @Option(names = "--no-llm", description = "skip the LLM logit-extraction probe")
    boolean noLlm;

    public static void main(String[] args) {
        int code = new CommandLine(new EvalMain()).execute(args);
        // a gateway stuck in close keeps non-daemon event loop threads alive
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        Path target = Path.of("target", "eval");
        Files.createDirectories(target);
        Logs.toFile(target.resolve("gateway.log"));
        EvalSettings settings = quick ? EvalSettings.quick() : EvalSettings.full();
        String command = "./moat eval" + (quick ? " --quick" : "") + (writeDocs ? " --write-docs" : "");
        if (models != null) {
            models.forEach(SampleModel::named); // a clear error for an unknown model
        }
        settings = settings.only(models, attacks, presets);
        if (budget != null) {
            settings = settings.withBudget(budget);
        }
        if (threads != null) {
            settings = settings.withThreads(threads);
        }
        if (noLlm) {
            settings = settings.withLlmPrompts(0);
        }
        PrintStream err = System.err;
        if (settings.cells().isEmpty()) {
            err.println("moat eval: no run selected (check --models, --attacks, --presets)");
            return 2;
        }
        Path dir = out != null ? out : writeDocs ? Path.of("docs") : target;
        err.printf(
                "moat eval (%s): %d runs on %d model(s), %d threads; gateway logs in %s%n",
                settings.mode(),
                settings.cells().size(),
                settings.plans().size(),
                settings.threads(),
                target.resolve("gateway.log"));
        Evaluation.Results results = new Evaluation(settings, new Evaluation.Progress() {
                    @Override
                    public synchronized void run(int done, int total, double etaSeconds, String line) {
                        err.printf("run %d/%d, eta %s  %s%n", done, total, eta(etaSeconds), line);
                    }

                    @Override
                    public synchronized void note(String line) {
                        err.println("  " + line);
                    }
                })
                .run();
        Files.createDirectories(dir);
        Report report = new Report(results, command);
        Files.writeString(dir.resolve("evaluation.md"), report.markdown());
        Files.writeString(dir.resolve("evaluation.json"), report.json());
        System.out.println();
        System.out.println(report.summaryTable());
        System.out.printf(
                "%nwrote %s and %s (%.0f s)%n",
                dir.resolve("evaluation.md"), dir.resolve("evaluation.json"), results.wallSeconds());
        if (EvalGateway.STUCK_CLOSES.get() > 0) {
            System.out.println("note: " + EvalGateway.STUCK_CLOSES.get()
                    + " gateway(s) did not finish closing (see EvalGateway.close)");
        }
        return 0;
    }

    /** {@code 1m40s}, {@code 12s}, {@code 1h02m}. */
    static String eta(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        if (s < 60) {
            return s + "s";
        }
        if (s < 3_600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3_600, (s % 3_600) / 60);
    }
}
