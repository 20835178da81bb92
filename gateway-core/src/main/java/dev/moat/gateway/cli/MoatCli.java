package dev.moat.gateway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code moat}: the gateway's command line. */
@Command(
        name = "moat",
        mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT,
        version = "moat 0.1.0",
        usageHelpWidth = 110,
        description = {
            "A gateway that keeps ML models from being stolen through their own APIs.",
            "demo, eval and sample-model run from the benchmarks jar: start them with the ./moat script.",
            "keys list|create|revoke|rotate|block|unblock call the admin API (--admin URL, MOAT_ADMIN_TOKEN)."
        },
        subcommands = {
            RunCommand.class,
            ValidateCommand.class,
            KeysCommand.class,
            WatermarkCommand.class,
            AuditCommand.class,
            CompletionCommand.class,
            BenchmarksJarCommands.Demo.class,
            BenchmarksJarCommands.Eval.class,
            BenchmarksJarCommands.SampleModel.class
        })
public final class MoatCli implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new MoatCli()).execute(args);
        if (code != 0 || args.length == 0 || !"run".equals(args[0])) {
            System.exit(code);
        }
    }
}
