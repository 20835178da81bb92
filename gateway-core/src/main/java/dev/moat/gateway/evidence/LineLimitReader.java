package dev.moat.gateway.evidence;

import java.io.FilterReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * A file's text that fails, naming the file, on a line longer than a limit: under a
 * {@link java.io.BufferedReader}, whose {@code readLine} would otherwise gather a line of any
 * length (a forged file of one line) in memory. It counts the characters as the buffer fills, so
 * no more than the limit of such a line is ever held.
 */
final class LineLimitReader extends FilterReader {

    private final Path file;
    private final long limit;
    private long run; // characters since the last line break

    LineLimitReader(Reader in, Path file, long limit) {
        super(in);
        this.file = file;
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        int c = super.read();
        if (c >= 0) {
            count((char) c);
        }
        return c;
    }

    @Override
    public int read(char[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        for (int i = off; i < off + n; i++) {
            count(buf[i]);
        }
        return n;
    }

    private void count(char c) throws FileSystemException {
        if (c == '\n' || c == '\r') {
            run = 0;
        } else if (++run > limit) {
            throw new FileSystemException(
                    file.toString(), null, "too large to read: a line longer than " + limit + " characters");
        }
    }
}
