package dev.moat.gateway.cli;

import dev.moat.config.ConfigException;
import dev.moat.config.MoatConfig;
import dev.moat.gateway.log.LogFormat;
import dev.moat.gateway.server.ConfigSource;
import dev.moat.gateway.server.MoatServer;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code moat run --config FILE}: serve until SIGTERM/SIGINT (graceful drain); SIGHUP reloads. */
@Command(name = "run", description = "Run the gateway.")
final class RunCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = "--config", required = true, description = "The YAML config file.")
    Path config;

    @Override
    public Integer call() throws Exception {
        ConfigSource source = ConfigSource.file(config);
        MoatConfig cfg;
        try {
            cfg = source.load();
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        disableLeakDetectionUnlessAsked();
        LogFormat.use(cfg.accessLog().format());
        LogFormat.routeJulToLogback();
        MoatServer server;
        try {
            server = new MoatServer(cfg, source, System::nanoTime);
        } catch (IllegalArgumentException e) {
            // a policy the loader passed but the gateway cannot compile (a calibration file it cannot read):
            // a config error like the loader's, not a stack trace
            LOG.debug("config rejected at startup", e);
            System.err.println(config + ": " + e.getMessage());
            return 2;
        } catch (UncheckedIOException e) {
            // a file the config names that this process cannot open (permissions, a full disk): one line
            LOG.debug("cannot start", e);
            System.err.println(config + ": cannot start: " + describe(e));
            return 1;
        }
        try {
            server.start();
        } catch (IOException e) {
            // a listener's port taken by another process
            LOG.debug("cannot start", e);
            System.err.println(config + ": cannot start: " + e.getMessage());
            server.close();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            // the async appenders hold the last lines: flush them before the JVM goes
                            if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc) {
                                lc.stop();
                            }
                            stopped.countDown();
                        },
                        "moat-shutdown"));
        try {
            Signal.handle(new Signal("HUP"), sig -> {
                Thread t = new Thread(
                        () -> {
                            try {
                                server.reload();
                            } catch (ConfigException | RuntimeException e) {
                                LOG.debug("reload on SIGHUP rejected", e);
                            }
                        },
                        "moat-reload");
                t.start();
            });
        } catch (IllegalArgumentException e) {
            LOG.warn("SIGHUP not available here; reload with POST /admin/reload");
        }
        stopped.await();
        return 0;
    }

    /** The failure and its cause, each as the JDK words it (a path and what is wrong with it). */
    private static String describe(UncheckedIOException e) {
        IOException cause = e.getCause();
        return e.getMessage() + (cause == null ? "" : " (" + FileErrors.describe(cause) + ")");
    }

    /**
     * Netty's leak detector samples about one buffer in 128 at its default level and records a stack
     * trace for each: 2.4-2.9 % of the gateway's CPU under load (benchmarks/profiles/README.md). Tests
     * run it at "paranoid" and fail on any leak, so production turns it off unless
     * {@code -Dio.netty.leakDetection.level} asks for it (e.g. {@code simple} while chasing a leak).
     */
    static void disableLeakDetectionUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }
}
