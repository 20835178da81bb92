package dev.moat.gateway.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code moat completion}: a bash/zsh completion script, from picocli's {@link AutoComplete}. */
@Command(
        name = "completion",
        description = {
            "Print a bash/zsh completion script for moat.",
            "Try: source <(./moat completion)   or save it in /etc/bash_completion.d/moat"
        })
final class CompletionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine root = spec.root().commandLine();
        System.out.print(AutoComplete.bash(root.getCommandName(), root));
        return 0;
    }
}
