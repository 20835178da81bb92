package dev.moat.gateway.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    public static Result verify(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String expected = AuditLog.GENESIS;
        int n = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            n++;
            Matcher m = PREV.matcher(line);
            if (!m.find()) {
                return new Result(false, n, i + 1, "no \"prev\" hash");
            }
            if (!m.group(1).equals(expected)) {
                return new Result(
                        false,
                        n,
                        i + 1,
                        "\"prev\" does not match the SHA-256 of the line before"
                                + (i == 0 ? " (the first line must follow the genesis hash)" : ""));
            }
            expected = AuditLog.sha256(line);
        }
        return new Result(true, n, -1, null);
    }
}
