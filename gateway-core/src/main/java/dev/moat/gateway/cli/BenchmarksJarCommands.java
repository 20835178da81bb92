package dev.moat.gateway.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code demo}, {@code eval} and {@code sample-model}: they live in the benchmarks jar (they need the
 * sample model, the attackers and the evaluation harness), which the {@code ./moat} script runs for
 * them. Listed here so {@code moat --help} shows every command; run from the gateway jar they say so.
 */
final class BenchmarksJarCommands {

    private BenchmarksJarCommands() {}

    abstract static class Elsewhere implements Callable<Integer> {
        @Unmatched
        List<String> args;

        abstract String name();

        @Override
        public Integer call() {
            System.err.println("moat " + name() + " runs from the benchmarks jar: use the ./moat script in the repo"
                    + " root (`./moat " + name() + "`), which builds and runs it.");
            return 2;
        }
    }

    @Command(
            name = "demo",
            description = "Sample model + gateway + honest clients + a thief, live (~10 s); runs as ./moat demo.")
    static final class Demo extends Elsewhere {
        @Override
        String name() {
            return "demo";
        }
    }

    @Command(
            name = "eval",
            description = "The attack x defence evaluation (--quick for a short run); runs as ./moat eval.")
    static final class Eval extends Elsewhere {
        @Override
        String name() {
            return "eval";
        }
    }

    @Command(
            name = "sample-model",
            description = "The sample digits model server on 127.0.0.1:8501; runs as ./moat sample-model.")
    static final class SampleModel extends Elsewhere {
        @Override
        String name() {
            return "sample-model";
        }
    }
}
