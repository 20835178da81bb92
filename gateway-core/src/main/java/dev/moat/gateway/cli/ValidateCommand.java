package dev.moat.gateway.cli;

import dev.moat.config.ConfigException;
import dev.moat.config.load.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moat validate --config FILE}: exit 0 and {@code ok}, or exit 2 with {@code FILE:LINE:COL: message} per error. */
@Command(name = "validate", description = "Check a config file; print ok or every error.")
final class ValidateCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "The YAML config file.")
    Path config;

    @Override
    public Integer call() {
        try {
            ConfigLoader.load(config);
            System.out.println("ok");
            return 0;
        } catch (ConfigException e) {
            e.errors().forEach(err -> System.err.println(err));
            return 2;
        }
    }
}
