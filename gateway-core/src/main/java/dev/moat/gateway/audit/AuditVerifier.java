package dev.moat.gateway.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks an {@link AuditLog} file's hash chain: every line's {@code prev} is the SHA-256 of the line before. */
public final class AuditVerifier {

    private static final Pattern PREV = Pattern.compile("\"prev\":\"([0-9a-f]{64})\"\\}$");

    /** The outcome: intact, or the first line (1-based) where the chain breaks and why. */
    public record Result(boolean intact, int lines, int brokenAt, String reason) {
        public String summary() {
            return intact ? "intact: " + lines + " record(s)" : "broken at line " + brokenAt + ": " + reason;
        }
    }

    private AuditVerifier() {}

    /** Checks the file, read line by line: a trail of any length. */
    public static Result verify(Path file) throws IOException {
        try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return verify(lines);
        }
    }

    /**
     * Checks the lines {@code lines} reads, holding one at a time; the caller opens it (and may
     * bound its lines) and closes it.
     */
    public static Result verify(BufferedReader lines) throws IOException {
        String expected = AuditLog.GENESIS;
        int n = 0;
        int lineNo = 0;
        for (String line; (line = lines.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            n++;
            Matcher m = PREV.matcher(line);
            if (!m.find()) {
                return new Result(false, n, lineNo, "no \"prev\" hash");
            }
            if (!m.group(1).equals(expected)) {
                return new Result(
                        false,
                        n,
                        lineNo,
                        "\"prev\" does not match the SHA-256 of the line before"
                                + (lineNo == 1 ? " (the first line must follow the genesis hash)" : ""));
            }
            expected = AuditLog.sha256(line);
        }
        return new Result(true, n, -1, null);
    }
}
