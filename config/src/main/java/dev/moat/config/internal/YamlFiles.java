package dev.moat.config.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a config or keys file whole, at most {@link #MAX_BYTES}: a path that is a directory, a file
 * past the limit or an endless device ({@code /dev/zero}) is a reason, not an out-of-memory error in
 * a gateway that was asked to reload. Pipes still work ({@code --config <(envsubst < moat.yaml)}).
 */
public final class YamlFiles {
    /** 16 MiB: about 130,000 keys in a keys file; SnakeYAML's tree takes some 25 bytes per character. */
    public static final int MAX_BYTES = 16 << 20;

    /** The file's text, or why there is none (never quoting the file's content). */
    public record Text(String text, String problem) {}

    private YamlFiles() {}

    /** @param what what the file should be, for messages: {@code "YAML file"}, {@code "YAML file holding a list of keys"} */
    public static Text read(Path file, String what) {
        if (Files.isDirectory(file)) {
            return problem("is a directory (expected a " + what + ")");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            return problem("cannot be read: " + e.getClass().getSimpleName() + " (expected a readable " + what + ")");
        }
        if (bytes.length > MAX_BYTES) {
            return problem("is larger than 16 MiB (expected a " + what + " of at most 16 MiB)");
        }
        try {
            return new Text(
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString(),
                    null);
        } catch (CharacterCodingException e) {
            return problem("is not valid UTF-8 (expected a UTF-8 " + what + ")");
        }
    }

    private static Text problem(String why) {
        return new Text(null, why);
    }
}
