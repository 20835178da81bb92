package dev.moat.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers {@code --help} with exit 0, and the top-level help lists every command. */
class HelpTest {

    @Test
    void everySubcommandAnswersHelpWithExitZero() {
        List<List<String>> paths = new ArrayList<>();
        collect(new CommandLine(new MoatCli()), new ArrayList<>(), paths);
        assertThat(paths).hasSizeGreaterThan(15);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            CliTest.Run r = CliTest.run(args.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", args) + ": " + r.err()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Usage: moat");
        }
    }

    @Test
    void theTopLevelHelpListsTheBenchmarksJarCommandsAndSaysHowTheyRun() {
        CliTest.Run r = CliTest.run("--help");
        assertThat(r.code()).isZero();
        for (String cmd : List.of(
                "run", "validate", "keys", "watermark", "audit", "completion", "demo", "eval", "sample-model")) {
            assertThat(r.out()).containsPattern("(?m)^\\s+" + cmd + "\\s");
        }
        assertThat(r.out()).contains("./moat");
        CliTest.Run demo = CliTest.run("demo");
        assertThat(demo.code()).isEqualTo(2);
        assertThat(demo.err()).contains("./moat demo");
    }

    @Test
    void completionPrintsABashScriptCoveringTheKeysCommands() {
        CliTest.Run r = CliTest.run("completion");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("complete -F").contains("rotate").contains("--grace");
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(path);
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals(sub.getCommandName())) {
                return; // an alias
            }
            List<String> p = new ArrayList<>(path);
            p.add(name);
            collect(sub, p, out);
        });
    }
}
