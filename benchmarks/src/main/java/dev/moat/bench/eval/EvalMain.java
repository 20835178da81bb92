package dev.moat.bench.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ./moat eval [--quick]}: the extraction evaluation (issue 5). Runs every attack against
 * every defence preset through a real gateway and the real sample model over loopback, in
 * simulated time, and writes {@code docs/evaluation.md} and {@code docs/evaluation.json}.
 *
 * <p>Options: {@code --quick} (about a minute), {@code --out DIR} (default {@code docs}),
 * {@code --attacks a,b}, {@code --presets p,q}, {@code --budget N}, {@code --threads N},
 * {@code --no-llm}.
 */
public final class EvalMain {

    private EvalMain() {}

    public static void main(String[] args) throws Exception {
        Logs.quiet("WARN");
        EvalSettings settings = EvalSettings.full();
        Path out = Path.of("docs");
        List<String> attacks = null;
        List<String> presets = null;
        Integer budget = null;
        Integer threads = null;
        boolean llm = true;
        boolean claims = true;
        boolean claimsOnly = false;
        String command = "./moat eval";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    settings = EvalSettings.quick();
                    command = "./moat eval --quick";
                }
                case "--out" -> out = Path.of(value(args, ++i));
                case "--attacks" -> attacks = Arrays.asList(value(args, ++i).split(","));
                case "--presets" -> presets = Arrays.asList(value(args, ++i).split(","));
                case "--budget" -> budget = Integer.parseInt(value(args, ++i));
                case "--threads" -> threads = Integer.parseInt(value(args, ++i));
                case "--no-llm" -> llm = false;
                case "--no-claims" -> claims = false;
                case "--claims-only" -> claimsOnly = true;
                case "-h", "--help" -> {
                    System.out.println("usage: moat eval [--quick] [--out DIR] [--attacks a,b] [--presets p,q] "
                            + "[--budget N] [--threads N] [--no-llm] [--no-claims | --claims-only]");
                    return;
                }
                default -> {
                    System.err.println("moat eval: unknown option " + args[i] + " (try --help)");
                    System.exit(2);
                }
            }
        }
        settings = settings.only(attacks, presets);
        if (budget != null) {
            settings = settings.withBudget(budget);
        }
        if (threads != null) {
            settings = new EvalSettings(
                    settings.mode(),
                    settings.seed(),
                    settings.attacks(),
                    settings.presets(),
                    settings.attackStart(),
                    settings.maxSeconds(),
                    settings.softmaxEpochs(),
                    settings.mlpEpochs(),
                    settings.llmPrompts(),
                    threads);
        }
        if (!llm) {
            settings = settings.withLlmPrompts(0);
        }
        if (settings.attacks().isEmpty() || settings.presets().isEmpty()) {
            System.err.println("moat eval: no attack or no preset selected");
            System.exit(2);
        }
        if (claimsOnly) {
            WatermarkClaimsHook.run(settings, out, "./moat eval --claims-only");
            System.exit(0);
        }
        System.out.printf(
                "moat eval (%s): %d attacks x %d presets, %d threads%n",
                settings.mode(), settings.attacks().size(), settings.presets().size(), settings.threads());
        Evaluation.Results results = new Evaluation(settings, line -> {
                    synchronized (System.out) {
                        System.out.println("  " + line);
                    }
                })
                .run();
        Files.createDirectories(out);
        Report report = new Report(results, command);
        Files.writeString(out.resolve("evaluation.md"), report.markdown());
        Files.writeString(out.resolve("evaluation.json"), report.json());
        System.out.println();
        System.out.println(report.summaryTable());
        System.out.printf(
                "%nwrote %s and %s (%.0f s)%n",
                out.resolve("evaluation.md"), out.resolve("evaluation.json"), results.wallSeconds());
        if (claims && settings.mode().equals("full")) {
            WatermarkClaimsHook.run(settings, out, command);
        }
        if (EvalGateway.STUCK_CLOSES.get() > 0) {
            System.out.println("note: " + EvalGateway.STUCK_CLOSES.get()
                    + " gateway(s) did not finish closing (see EvalGateway.close)");
        }
        // a gateway stuck in close keeps non-daemon event loop threads alive
        System.exit(0);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            System.err.println("moat eval: " + args[i - 1] + " needs a value");
            System.exit(2);
        }
        return args[i];
    }
}
