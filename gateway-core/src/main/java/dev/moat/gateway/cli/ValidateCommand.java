package dev.moat.gateway.cli;

import dev.moat.config.ConfigException;
import dev.moat.gateway.server.ConfigSource;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code moat validate --config FILE}: exit 0 and {@code ok}, or exit 2 with {@code FILE:LINE:COL: message}
 * per error. It reads the file as {@code moat run} does ({@link ConfigSource}, the detectors' own checks
 * included), so a file it calls ok starts.
 */
@Command(name = "validate", description = "Check a config file; print ok or every error.")
final class ValidateCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "The YAML config file.")
    Path config;

    @Override
    public Integer call() {
        try {
            ConfigSource.file(config).load();
            System.out.println("ok");
            return 0;
        } catch (ConfigException e) {
            e.errors().forEach(err -> System.err.println(err));
            return 2;
        }
    }
}
