package dev.moat.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.gateway.auth.KeyStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI contract of DESIGN.md section 3: validate's exit codes and output, keys new, and the
 * verify commands' exit 2 for input that is missing rather than altered.
 */
public class CliTest {

    public record Run(int code, String out, String err) {}

    public static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = new CommandLine(new MoatCli()).execute(args);
            return new Run(
                    code,
                    ownLines(out.toString(StandardCharsets.UTF_8)),
                    ownLines(err.toString(StandardCharsets.UTF_8)));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The start of a line of the gateway's log pattern: time, level, thread. */
    private static final java.util.regex.Pattern LOG_LINE =
            java.util.regex.Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +[A-Z]+ +\\[");

    /**
     * The command's output without what other code wrote to the process's streams meanwhile: the
     * lines Jazzer's agent writes when it instruments a class the command loads ("INFO: Instrumented
     * ... with custom hooks only"; the fuzz tests install that agent in the test JVM, so whether a
     * command's first run prints them depends on which tests ran before it), and log lines of other
     * threads.
     */
    private static String ownLines(String err) {
        String self = "[" + Thread.currentThread().getName() + "]";
        return err.lines()
                .filter(l -> !l.startsWith("INFO: Instrumented "))
                // log lines of other threads (a gateway of an earlier test stopping in the background logged
                // "moat stopped" into one capture): stderr is the process's, the command runs on this thread
                .filter(l -> !(LOG_LINE.matcher(l).lookingAt() && !l.contains(self)))
                .map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
    }

    @Test
    void everyExampleConfigValidates() throws Exception {
        Path examples = Path.of("..", "config", "examples");
        List<Path> files;
        try (Stream<Path> s = Files.list(examples)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).toList();
        }
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            Run r = run("validate", "--config", f.toString());
            assertThat(r.code()).as(f + ": " + r.err()).isZero();
            assertThat(r.out().trim()).isEqualTo("ok");
        }
    }

    @Test
    void anInvalidConfigExitsTwoWithFileLineColumn(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                upstreams:
                  m: {url: "ftp://nowhere", protocol: tfserving}
                routes:
                  - {path_prefix: nope, upstream: m}
                """);
        Run r = run("validate", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        String[] lines = r.err().trim().split("\n");
        assertThat(lines.length).isGreaterThanOrEqualTo(2);
        for (String line : lines) {
            assertThat(line).matches(Pattern.quote(bad.toString()) + ":\\d+:\\d+: .*");
        }
    }

    static final String BAD_DETECTORS = """
            upstreams:
              m: {url: "http://127.0.0.1:8501"}
            routes:
              - {path_prefix: /v1, upstream: m, policy: p}
            policies:
              p:
                detectors:
                  boundary: {bogus: 1}
                  volume: {bogus: 3}
              q:
                detectors:
                  boundary: {max_widening: 50}
            """;

    /**
     * Regression: these three were {@code ok}, exit 0, because only some detectors' parameters were
     * checked at load; {@code moat run} then died on the detector's exception with no file or line.
     */
    @Test
    void validateReportsEveryBadDetectorParameterAtItsLineWithWhatWasExpected(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, BAD_DETECTORS);
        Run r = run("validate", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().trim().split("\n"))
                .containsExactly(
                        bad + ":8:18: policies.p.detectors.boundary.bogus: unknown parameter (expected one of: "
                                + "default_share, margin, max_widening, min_keys, min_queries, reference_share, run_near, "
                                + "run_seed, tolerance, window, z_high, z_low)",
                        bad + ":9:16: policies.p.detectors.volume.bogus: unknown parameter (expected one of: "
                                + "daily_budget, half_life_minutes, max_score, min_keys, z_high, z_low)",
                        bad
                                + ":12:32: policies.q.detectors.boundary.max_widening: \"50\" (expected a number in [1, 10])");
    }

    /** What only the detector knows (cross_key's store, 256 MiB at most, for its coordinates) is validate's error too. */
    @Test
    void validateReportsWhatADetectorItselfRefusesAtTheDetectorsLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                upstreams:
                  m: {url: "http://127.0.0.1:8501"}
                routes:
                  - {path_prefix: /v1, upstream: m, policy: p}
                policies:
                  p:
                    detectors:
                      cross_key: {store_size: 1000000, coordinates: 4096}
                """);
        Run r = run("validate", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().trim())
                .isEqualTo(bad + ":8:7: policies.p.detectors.cross_key: store_size: 1000000 (expected: at most 63791 "
                        + "rows with 4096 coordinates (a store of at most 256 MiB per width))");
    }

    /**
     * A {@code detection.calibration} that is missing or does not parse is validate's error, as it is
     * run's (session 42's review: validate said ok, run exited 2).
     */
    @Test
    @Timeout(30)
    void validateReadsTheCalibrationFileAsRunDoes(@TempDir Path dir) throws Exception {
        Path garbage = Files.writeString(dir.resolve("bad.moat"), "garbage\n");
        for (Path calibration : List.of(dir.resolve("missing.moat"), garbage)) {
            Path cfg = dir.resolve("c.yaml");
            Files.writeString(
                    cfg,
                    BAD_DETECTORS
                                    .replace("boundary: {bogus: 1}", "boundary: {}")
                                    .replace("volume: {bogus: 3}", "volume: {}")
                                    .replace("boundary: {max_widening: 50}", "boundary: {}")
                            + "detection: {calibration: \"" + calibration + "\"}\n");
            Run v = run("validate", "--config", cfg.toString());
            assertThat(v.code()).as(v.out() + v.err()).isEqualTo(2);
            assertThat(v.err()).contains("detection.calibration").contains(calibration.toString());
            // at the field's line (it was c.yaml:0:0), the calibration's own line for one that does not parse
            assertThat(v.err().trim()).startsWith(cfg + ":13:26: detection.calibration: ");
            if (calibration.equals(garbage)) {
                assertThat(v.err()).contains(garbage + ":1:1: \"garbage\" (expected: name = value)");
            }
            Run r = run("run", "--config", cfg.toString());
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err().trim()).isEqualTo(v.err().trim());
        }
    }

    /** Regression: run died on the detector's IllegalArgumentException, exit 1 with a stack trace and no line. */
    @Test
    @Timeout(30)
    void runExitsTwoWithTheSameErrorsAsValidateAndNoStackTrace(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, BAD_DETECTORS);
        Run r = run("run", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().trim())
                .isEqualTo(run("validate", "--config", bad.toString()).err().trim());
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /**
     * Regression: each of these validated ok, and run died with a stack trace (exit 1): an audit trail
     * that is a directory, a detection queue smaller than its workers, an idle timeout that overflowed
     * a nanosecond clock. Now validate and run print the same errors, each at its line.
     */
    @Test
    @Timeout(30)
    void validateRefusesWhatRunCrashedOnAndRunSaysTheSame(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("audit"));
        Path cfg = Files.writeString(dir.resolve("c.yaml"), """
                upstreams:
                  m: {url: "http://127.0.0.1:8501"}
                routes:
                  - {path_prefix: /v1, upstream: m}
                server: {listen: "127.0.0.1:0", timeouts: {idle: 999999999999d}}
                admin: {listen: "127.0.0.1:0"}
                audit: {file: audit}
                detection: {workers: 8, queue_capacity: 4}
                """);
        Run v = run("validate", "--config", cfg.toString());
        assertThat(v.code()).isEqualTo(2);
        assertThat(v.err().trim().split("\n"))
                .hasSize(3)
                .satisfiesExactly(
                        l -> assertThat(l).startsWith(cfg + ":5:50: server.timeouts.idle: "),
                        l -> assertThat(l).startsWith(cfg + ":7:15: audit.file: "),
                        l -> assertThat(l).startsWith(cfg + ":8:41: detection.queue_capacity: "));
        Run r = run("run", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().trim()).isEqualTo(v.err().trim());
    }

    /** Regression: a port taken by another process was Netty's stack trace ("bind(..) failed"), exit 1. */
    @Test
    @Timeout(30)
    void runOnAPortTakenByAnotherProcessSaysWhichInOneLine(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path cfg = Files.writeString(dir.resolve("c.yaml"), """
                    upstreams:
                      m: {url: "http://127.0.0.1:8501"}
                    routes:
                      - {path_prefix: /v1, upstream: m}
                    server: {listen: "127.0.0.1:%d"}
                    admin: {listen: "127.0.0.1:0"}
                    """.formatted(taken.getLocalPort()));
            Run r = run("run", "--config", cfg.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().lines().filter(l -> l.startsWith(cfg.toString())))
                    .singleElement()
                    .asString()
                    .startsWith(cfg + ": cannot start: server.listen 127.0.0.1:" + taken.getLocalPort()
                            + " cannot be bound: ");
            assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
        }
    }

    @Test
    void keysNewPrintsTheSecretOnItsOwnLineOutsideTheYaml() {
        Run r = run("keys", "new", "--id", "carol", "--tier", "pro", "--tenant", "acme");
        assertThat(r.code()).isZero();
        Matcher secret = Pattern.compile("(?m)^(moat_[A-Za-z0-9_-]{43})$").matcher(r.err());
        assertThat(secret.find()).as("the secret alone on a line of stderr").isTrue();
        String s = secret.group(1);
        // stdout is only the YAML entry: `moat keys new >> keys.yaml` never stores the secret
        assertThat(r.out().trim())
                .isEqualTo("- {id: carol, sha256: \"" + KeyStore.sha256Hex(s) + "\", tier: pro, tenant: acme}");
        assertThat(r.out()).doesNotContain(s);
        assertThat(r.err().indexOf(s)).isEqualTo(r.err().lastIndexOf(s));
    }

    /**
     * A missing audit file, or a directory, is bad input: one line and exit 2 (it was a
     * NoSuchFileException's stack trace and exit 1, the code of a broken chain, which stays 1).
     */
    @Test
    void auditVerifyOfAMissingFileSaysSoInOneLineAndExitsTwo(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nonexistent.jsonl");
        Run r = run("audit", "verify", missing.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("moat audit verify: " + missing + ": no such file" + System.lineSeparator());
        assertThat(r.out()).isEmpty();

        Run d = run("audit", "verify", dir.toString());
        assertThat(d.code()).as(d.err()).isEqualTo(2);
        assertThat(d.err().trim()).isEqualTo("moat audit verify: " + dir + ": a directory, not an audit file");

        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"event\":\"block\"}\n");
        Run b = run("audit", "verify", broken.toString());
        assertThat(b.code()).isEqualTo(1);
        assertThat(b.out()).startsWith("broken at line 1");

        Path notText = Files.write(dir.resolve("not-text.jsonl"), new byte[] {'{', (byte) 0xff, '}', '\n'});
        Run t = run("audit", "verify", notText.toString());
        assertThat(t.code()).as(t.err()).isEqualTo(1);
        assertThat(t.out().trim()).isEqualTo("broken: " + notText + " is not UTF-8 text (no audit trail Moat wrote)");
    }

    /** The same for an evidence directory: missing, or a file, is bad input, not an altered export. */
    @Test
    void evidenceVerifyOfAMissingDirectorySaysSoInOneLineAndExitsTwo(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("evidence-nobody");
        Run r = run("evidence", "verify", missing.toString());
        assertThat(r.code()).as(r.out()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("moat evidence verify: " + missing + ": no such directory" + System.lineSeparator());
        assertThat(r.out()).isEmpty();

        Path file = Files.writeString(dir.resolve("manifest.json"), "{}");
        Run f = run("evidence", "verify", file.toString());
        assertThat(f.code()).as(f.out()).isEqualTo(2);
        assertThat(f.err().trim()).isEqualTo("moat evidence verify: " + file + ": not a directory");
    }
}
