package dev.moat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.moat.config.load.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysFileTest {
    static final String A = "a".repeat(64);
    static final String B = "b".repeat(64);

    @TempDir
    Path dir;

    private Path config(String keysPart) throws IOException {
        Path file = dir.resolve("moat.yaml");
        Files.writeString(file, ConfigErrorsTest.BASE + """
                tiers: {free: {limits: ["10/s"]}}
                keys:
                  - {id: alice, sha256: "%s", tier: free}
                """.formatted(A) + keysPart);
        return file;
    }

    @Test
    void keysFromBothPlacesAreJoinedAndPathsResolveAgainstTheConfigDirectory() throws Exception {
        Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(
                dir.resolve("secrets/keys.yaml"),
                "- {id: bob, sha256: \"%s\", tier: free, tenant: acme}\n".formatted(B));
        Path file = config("keys_file: secrets/keys.yaml\naudit: {file: logs/audit.jsonl}\n");

        MoatConfig c = ConfigLoader.load(file, Map.of());

        assertThat(c.keys())
                .containsExactly(new KeyConfig("alice", A, "free", null), new KeyConfig("bob", B, "free", "acme"));
        assertThat(c.audit().file()).isEqualTo(dir.toAbsolutePath().resolve("logs/audit.jsonl"));
    }

    @Test
    void errorsInTheKeysFileNameTheKeysFile() throws Exception {
        Files.writeString(dir.resolve("keys.yaml"), """
                - {id: bob, sha256: "%s", tier: gold}
                - {id: alice, sha256: "%s", tier: free}
                """.formatted(B, "c".repeat(64)));
        Path file = config("keys_file: keys.yaml\n");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, Map.of()));

        String keysFile = dir.resolve("keys.yaml").toString();
        assertThat(e.errors())
                .extracting(ConfigError::toString)
                .containsExactly(
                        keysFile + ":1:95: keys[0].tier: \"gold\" (expected one of: free)",
                        keysFile + ":2:8: keys[1].id: \"alice\" (expected a unique id; \"alice\" is already at " + file
                                + ":7:10)");
    }

    @Test
    void aMissingKeysFileIsReportedAtTheReference() throws Exception {
        Path file = config("keys_file: nope.yaml\n");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, Map.of()));

        assertThat(e.errors())
                .extracting(ConfigError::toString)
                .containsExactly(file + ":8:12: keys_file: \"nope.yaml\" cannot be read: NoSuchFileException "
                        + "(expected a readable YAML file holding a list of keys)");
    }

    @Test
    void aKeysFileThatIsNotAListSaysSo() throws Exception {
        Files.writeString(dir.resolve("keys.yaml"), "keys:\n  - {id: bob}\n");
        Path file = config("keys_file: keys.yaml\n");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, Map.of()));

        assertThat(e.errors())
                .extracting(ConfigError::toString)
                .containsExactly(dir.resolve("keys.yaml")
                        + ":1:1: keys: a mapping (expected a YAML list of keys, each {id, sha256, tier, tenant})");
    }

    @Test
    void anUnreadableConfigFileIsOneError() {
        Path missing = dir.resolve("absent.yaml");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(missing, Map.of()));

        assertThat(e.getMessage())
                .isEqualTo(missing + ":1:1: cannot be read: NoSuchFileException (expected a readable YAML file)");
    }
}
