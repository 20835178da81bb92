package dev.moat.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that are not regular ones: named pipes, with and without a writer. */
class YamlFilesTest {

    @TempDir
    Path dir;

    Path fifo() throws Exception {
        Path p = dir.resolve("keys.yaml");
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        assertThat(mk.waitFor()).isZero();
        return p;
    }

    /**
     * Regression: a keys file (or config) that is a named pipe no one writes to blocked {@code moat
     * validate} for good, and a reload too, which holds the reload lock: every later reload waited
     * behind it. Now it is a reason, after the wait.
     */
    @Test
    void aPipeNoOneWritesToIsAReasonNotAHang() throws Exception {
        YamlFiles.Text t = YamlFiles.read(fifo(), "YAML file holding a list of keys", Duration.ofSeconds(1));
        assertThat(t.text()).isNull();
        assertThat(t.problem())
                .isEqualTo("gave nothing to read within 1 s (a pipe no one writes to? expected a readable YAML file"
                        + " holding a list of keys)");
    }

    /** A pipe with a writer ({@code --config <(envsubst < moat.yaml)}) is read as before. */
    @Test
    void aPipeSomeoneWritesToIsRead() throws Exception {
        Path p = fifo();
        Thread writer = new Thread(() -> {
            try (OutputStream out = Files.newOutputStream(p)) {
                out.write("- {id: alice}\n".getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        writer.start();
        YamlFiles.Text t = YamlFiles.read(p, "YAML file", Duration.ofSeconds(30));
        writer.join();
        assertThat(t.problem()).isNull();
        assertThat(t.text()).isEqualTo("- {id: alice}\n");
    }
}
