package dev.moat.config;

import static dev.moat.config.ConfigErrorsTest.BASE;
import static dev.moat.config.ConfigErrorsTest.errors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.moat.config.load.ConfigLoader;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * YAML written to break the loader rather than to configure a gateway: each is one error at its
 * line, never a StackOverflowError or an OutOfMemoryError (which {@code moat validate} printed as a
 * stack trace, and which a reload would have thrown inside the running gateway).
 */
class HostileYamlTest {

    /** Regression: a value holding an alias of itself recursed until StackOverflowError. */
    @Test
    void aRecursiveAliasIsAnErrorAtItsAnchor() {
        assertThat(errors(BASE + """
                        policies:
                          p:
                            detectors:
                              prada: {delta: &a [*a]}
                        """))
                .containsExactly("test.yaml:8:22: YAML: the value anchored here holds an alias of itself"
                        + " (expected no recursive aliases)");
        assertThat(errors(BASE + """
                        server:
                          <<: &m [*m]
                        """))
                .containsExactly("test.yaml:6:7: YAML: the value anchored here holds an alias of itself"
                        + " (expected no recursive aliases)");
    }

    /**
     * Regression: 48 aliases (under SnakeYAML's limit of 50) doubling 24 times are 2^25 values when
     * the detector parameters are read as plain values: OutOfMemoryError.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void anAliasBombIsRefusedWhereItCrossesTheLimit() {
        StringBuilder yaml = new StringBuilder(BASE + "policies:\n  p:\n    detectors:\n      prada:\n");
        yaml.append("        l0: &l0 [x, x]\n");
        for (int i = 1; i < 25; i++) {
            yaml.append("        l%d: &l%d [*l%d, *l%d]\n".formatted(i, i, i - 1, i - 1));
        }
        assertThat(errors(yaml.toString()))
                .containsExactly("test.yaml:23:14: YAML: aliases expand the document by more than 100000 values"
                        + " (expected aliases that add at most 100000; is an alias of aliases repeated?)");
    }

    /** Regression: both were "1:1: YAML: YAMLException (expected a valid YAML document)". */
    @Test
    void snakeYamlsLimitsSayWhichAndWhere() {
        assertThat(errors(BASE + "server: {a: &a [1], b: [" + "*a, ".repeat(60) + "]}\n"))
                .singleElement()
                .asString()
                .startsWith("test.yaml:5:")
                .endsWith(
                        "YAML: more than 50 aliases of lists or mappings (expected at most 50; write the values out)");
        assertThat(errors(BASE + "server: " + "[".repeat(60) + "]".repeat(60) + "\n"))
                .singleElement()
                .asString()
                .startsWith("test.yaml:5:")
                .endsWith("YAML: lists and mappings nested deeper than 50 levels (expected at most 50)");
    }

    /** Regression: "1:1: YAML: ReaderException", with no line; the line, holding a token, is not quoted. */
    @Test
    void aControlCharacterIsReportedAtItsPositionWithoutTheLine() {
        assertThat(errors(BASE + "admin: {token: \"tok\u0001en-s3cret-value\"}\n"))
                .containsExactly(
                        "test.yaml:5:20: YAML: the character U+0001 cannot appear in a YAML file"
                                + " (expected printable text; write a control character escaped in double quotes, e.g. \"\\t\")");
    }

    /** Regression: {@code <<: 5} merged nothing, without a word. */
    @Test
    void aMergeOfAScalarIsAnError() {
        assertThat(errors(BASE + "server:\n  <<: 5\n"))
                .containsExactly("test.yaml:6:7: server.<<: \"5\" (expected a mapping or a list of mappings to merge"
                        + " (an alias such as *defaults))");
    }

    /** Regression: {@code delta: "0.9"} was "\"0.9\" (expected a number in [0, 1])", a number refused as not one. */
    @Test
    void aQuotedNumberForADetectorSaysTheQuotesMadeItText() {
        assertThat(errors(BASE + "policies: {p: {detectors: {prada: {delta: \"0.9\"}}}}\n"))
                .containsExactly("test.yaml:5:43: policies.p.detectors.prada.delta: \"0.9\", quoted (expected a number"
                        + " in [0, 1], unquoted: quotes make it text)");
    }

    /** Regression: a tenant's pooled detector is read twice, and each of its errors was reported twice. */
    @Test
    void aTenantsPooledDetectorReportsEachErrorOnce() {
        assertThat(errors(BASE + "policies: {p: {detectors: {tenant: {prada: {delta: 0.9, delta: 0.5}}}}}\n"))
                .containsExactly("test.yaml:5:57: policies.p.detectors.tenant.prada.delta: duplicate field (expected"
                        + " each name once; first at 5:45)");
    }

    /**
     * Regression: SnakeYAML copies a value's characters again for every 1,024 it reads past the
     * start of one value (or comment, or line of a block scalar), so a value of 4 MiB took 8 s and one
     * of 16 MiB, which the file limit lets in, minutes, in {@code moat validate} or in a reload.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aValueOfMegabytesIsRefusedAtItsStartInsteadOfScannedForMinutes() {
        assertThat(errors(BASE + "x: " + "a".repeat(1 << 20) + "\n"))
                .containsExactly("test.yaml:5:4: YAML: a value, comment or line longer than 65536 characters"
                        + " (expected at most 65536)");
        assertThat(errors(BASE + "x: \"" + "a ".repeat(1 << 20) + "\"\n"))
                .containsExactly("test.yaml:5:1: x: unknown field (expected one of: server, admin, upstreams, routes,"
                        + " keys, keys_file, tiers, rate_limiting, policies, detection, distributed, state, audit,"
                        + " alerts, access_log, tracing)");
    }

    /**
     * Regression: scalar aliases add no more than their own text would, yet counted towards the
     * 100,000 values aliases may add: 60,000 keys written {@code tier: *t, tenant: *n} were refused
     * as an alias bomb.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void scalarAliasesAreNotCountedAsExpansion() throws ConfigException {
        StringBuilder yaml = new StringBuilder(BASE + "tiers: {free: {limits: [\"1/s\"]}}\nkeys:\n");
        for (int i = 0; i < 60_000; i++) {
            yaml.append("  - {id: k%d, sha256: \"%064x\", tier: %s, tenant: %s}\n"
                    .formatted(i, i + 1, i == 0 ? "&t free" : "*t", i == 0 ? "&n acme" : "*n"));
        }

        assertThat(ConfigLoader.parse(yaml.toString(), "test.yaml", Map.of()).keys())
                .hasSize(60_000)
                .allSatisfy(k -> assertThat(k.tenant()).isEqualTo("acme"));
    }

    @TempDir
    Path dir;

    /**
     * Regression: a 16 MiB file (under the file limit) of one-letter values, {@code [a,a,a,...]}, is
     * eight million nodes: the loader ran out of a 1 GiB heap (in a reload, inside the gateway).
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sixteenMebibytesOfTinyValuesAreRefusedBeforeTheyRunTheHeapOut() throws Exception {
        StringBuilder list = new StringBuilder("[");
        while (list.length() < dev.moat.config.internal.YamlFiles.MAX_BYTES - 1024) {
            list.append("a,");
        }
        Path file = config("x: " + list.append("]\n"));

        assertThat(loadErrors(file))
                .singleElement()
                .asString()
                .startsWith(file + ":6:")
                .endsWith("YAML: more than 2000000 values (expected at most 2000000 lists, mappings and scalars in"
                        + " one file)");
    }

    /**
     * Regression: every error was kept, so a file of 1.9 million wrong list items ({@code - 5}, 7.6 MB,
     * under every other limit) ran a 1 GiB heap out listing them; a thousand are listed, then one
     * error says the rest are not.
     */
    @Test
    void aFileOfWrongItemsListsAThousandErrorsAndSaysTheRestAreNot() {
        List<String> errors = errors(BASE + "keys:\n" + "  - 5\n".repeat(5_000));

        assertThat(errors).hasSize(1_001);
        assertThat(errors.get(0)).isEqualTo("test.yaml:6:5: keys[0]: \"5\" (expected a mapping)");
        assertThat(errors.get(1_000))
                .isEqualTo("test.yaml:1006:5: more than 1000 errors; the rest are not listed (expected fewer: fix"
                        + " these first)");
    }

    /** A keys file written as JSON on one line (longer than any value's limit) still loads. */
    @Test
    void aKeysFileOfJsonOnOneLineLoads() throws Exception {
        StringBuilder keys = new StringBuilder("[");
        for (int i = 0; i < 2_000; i++) {
            keys.append(i == 0 ? "" : ",")
                    .append("{\"id\":\"k%d\",\"sha256\":\"%064x\",\"tier\":\"free\"}".formatted(i, i + 1));
        }
        Files.writeString(dir.resolve("keys.json"), keys.append("]"));
        assertThat(keys.length()).isGreaterThan(1 << 16);

        assertThat(ConfigLoader.load(config("keys_file: keys.json\n"), Map.of()).keys())
                .hasSize(2_000);
    }

    private Path config(String tail) throws Exception {
        return Files.writeString(dir.resolve("moat.yaml"), BASE + "tiers: {free: {limits: [\"1/s\"]}}\n" + tail);
    }

    private String[] loadErrors(Path file) {
        return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, Map.of())).errors().stream()
                .map(ConfigError::toString)
                .toArray(String[]::new);
    }

    /**
     * Regression: SnakeYAML's 3 MiB default limit refused a keys file of 40,000 keys (5 MB) as
     * "1:1: YAML: YAMLException"; files are now refused past 16 MiB, before they are read whole.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aKeysFileOfFortyThousandKeysLoads() throws Exception {
        StringBuilder keys = new StringBuilder();
        for (int i = 0; i < 40_000; i++) {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(("k" + i).getBytes());
            keys.append("- {id: key-%06d, sha256: \"%s\", tier: free, tenant: tenant-%d}\n"
                    .formatted(i, HexFormat.of().formatHex(hash), i % 100));
        }
        Files.writeString(dir.resolve("keys.yaml"), keys);
        assertThat(keys.length()).isGreaterThan(3 << 20);

        assertThat(ConfigLoader.load(config("keys_file: keys.yaml\n"), Map.of()).keys())
                .hasSize(40_000);
    }

    /** Regression: an endless or huge keys file (/dev/zero, a sparse file) was read whole: OutOfMemoryError. */
    @Test
    void aKeysFileTooLargeOrADirectoryIsOneError() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("huge.yaml").toFile(), "rw")) {
            f.setLength(17L << 20);
        }
        Files.createDirectory(dir.resolve("keys.d"));

        assertThat(loadErrors(config("keys_file: huge.yaml\n")))
                .containsExactly(dir.resolve("moat.yaml") + ":6:12: keys_file: \"huge.yaml\" is larger than 16 MiB"
                        + " (expected a YAML file holding a list of keys of at most 16 MiB)");
        assertThat(loadErrors(config("keys_file: keys.d\n")))
                .containsExactly(dir.resolve("moat.yaml") + ":6:12: keys_file: \"keys.d\" is a directory"
                        + " (expected a YAML file holding a list of keys)");
        assertThat(loadErrors(dir)).containsExactly(dir + ":1:1: is a directory (expected a YAML file)");
    }
}
