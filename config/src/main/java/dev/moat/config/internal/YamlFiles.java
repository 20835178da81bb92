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
 * a gateway that was asked to reload. Pipes still work ({@code --config <(envsubst < moat.yaml)}),
 * but what is not a regular file must give its bytes within {@link #PIPE_WAIT}: a named pipe that
 * no one writes to blocked {@code validate} for good, and a reload too, holding the reload lock.
 */
public final class YamlFiles {
    /** 16 MiB: about 130,000 keys in a keys file; SnakeYAML's tree takes some 25 bytes per character. */
    public static final int MAX_BYTES = 16 << 20;

    /** The file's text, or why there is none (never quoting the file's content). */
    public record Text(String text, String problem) {}

    /** How long a file that is not a regular one (a pipe, a device) may take to give its bytes. */
    static final java.time.Duration PIPE_WAIT = java.time.Duration.ofSeconds(10);

    private YamlFiles() {}

    /** @param what what the file should be, for messages: {@code "YAML file"}, {@code "YAML file holding a list of keys"} */
    public static Text read(Path file, String what) {
        return read(file, what, PIPE_WAIT);
    }

    static Text read(Path file, String what, java.time.Duration pipeWait) {
        if (Files.isDirectory(file)) {
            return problem("is a directory (expected a " + what + ")");
        }
        byte[] bytes;
        try {
            bytes = Files.isRegularFile(file) ? readAll(file) : readAllWithin(file, pipeWait);
        } catch (IOException e) {
            return problem("cannot be read: " + e.getClass().getSimpleName() + " (expected a readable " + what + ")");
        } catch (java.util.concurrent.TimeoutException e) {
            return problem("gave nothing to read within " + pipeWait.toSeconds() + " s (a pipe no one writes to?"
                    + " expected a readable " + what + ")");
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

    private static byte[] readAll(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(MAX_BYTES + 1);
        }
    }

    /**
     * {@link #readAll} on a thread of its own, waited for at most {@code wait}: opening a named pipe
     * blocks until someone writes to it, and no read can be interrupted. A thread left waiting on a
     * pipe ends when someone does (it holds nothing but the pipe).
     */
    private static byte[] readAllWithin(Path file, java.time.Duration wait)
            throws IOException, java.util.concurrent.TimeoutException {
        java.util.concurrent.FutureTask<byte[]> task = new java.util.concurrent.FutureTask<>(() -> readAll(file));
        Thread reader = new Thread(task, "moat-config-pipe-read");
        reader.setDaemon(true);
        reader.start();
        try {
            return task.get(wait.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading " + file);
        }
    }

    private static Text problem(String why) {
        return new Text(null, why);
    }
}
