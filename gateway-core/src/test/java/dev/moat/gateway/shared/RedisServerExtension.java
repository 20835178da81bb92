package dev.moat.gateway.shared;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@code redis-server} (the Debian package) on a free port, started for a test class and
 * stopped after it; flushed before each test. Tests can kill it and start it again on the same
 * port. Without redis-server the tests are skipped, except in CI ({@code MOAT_REQUIRE_REDIS}, set by
 * {@code .ci/run}) where they fail.
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

    private Process process;
    private int port;
    private Path dir;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        boolean present = Files.isExecutable(Path.of("/usr/bin/redis-server"));
        boolean required = System.getenv("MOAT_REQUIRE_REDIS") != null;
        if (!present && required) {
            throw new IllegalStateException("redis-server is not installed (apt-get install redis-server)");
        }
        assumeTrue(present, "redis-server not installed (.ci/run installs it and sets MOAT_REQUIRE_REDIS)");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        dir = Files.createTempDirectory("moat-redis");
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (process != null && process.isAlive()) {
            command("FLUSHALL");
        } else {
            forgetSavedData(); // a test that stopped it saving left its data
            start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        kill();
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts redis-server on this extension's port (again, after {@link #kill()}); returns when it answers. */
    public void start() throws IOException, InterruptedException {
        process = new ProcessBuilder(
                        "/usr/bin/redis-server",
                        "--port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        dir.toString(),
                        "--enable-debug-command",
                        "yes")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (command("PING").contains("PONG")) {
                    return;
                }
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("redis-server did not start; see " + dir.resolve("redis.log"));
    }

    /** Kills redis-server at once (SIGKILL): its data is lost, as in a crash without persistence. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        forgetSavedData();
    }

    /**
     * Stops redis-server after writing its data to disk ({@code SHUTDOWN SAVE}): the next {@link
     * #start()} reads it back, as a Redis with persistence does after an outage.
     */
    public void shutdownSaving() throws IOException, InterruptedException {
        try {
            command("SHUTDOWN SAVE");
        } catch (IOException e) {
            // the server closes the connection as it exits
        }
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("redis-server did not shut down");
        }
    }

    private void forgetSavedData() {
        try {
            Files.deleteIfExists(dir.resolve("dump.rdb"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Sends one inline command and returns the first line of the reply. */
    public String command(String inline) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write((inline + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                sb.append((char) c);
            }
            return sb.toString().trim();
        }
    }

    /** Makes Redis stall for {@code seconds} (DEBUG SLEEP), from another thread: a slow Redis. */
    public Thread stall(double seconds) {
        Thread t = new Thread(() -> {
            try {
                command("DEBUG SLEEP " + seconds);
            } catch (IOException e) {
                // the test sees the effect, or not
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
