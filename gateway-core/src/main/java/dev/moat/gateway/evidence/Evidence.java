package dev.moat.gateway.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.gateway.audit.AuditVerifier;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.WatermarkLedger;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The evidence directory's layout, its manifest, and {@code moat evidence verify}: every file's
 * SHA-256 against the manifest (no file missing, none added), the copied audit trail's hash
 * chain, the key's audit records against the trail's lines, and the ledger extract's key.
 */
public final class Evidence {

    public static final String AUDIT_TRAIL = "audit-trail.jsonl";
    public static final String AUDIT_KEY = "audit-key.jsonl";
    public static final String LEDGER = "ledger.jsonl";
    public static final String REASONS = "detector-reasons.jsonl";
    public static final String POLICIES = "policies.json";
    public static final String SUMMARY_JSON = "summary.json";
    public static final String SUMMARY_MD = "summary.md";
    public static final String MANIFEST = "manifest.json";

    private Evidence() {}

    /** The outcome of a check: intact, or every problem found. */
    public record Check(boolean intact, List<String> problems, String manifestSha256) {}

    /** Writes {@code manifest.json} over every other regular file in {@code dir}; returns its SHA-256. */
    static String writeManifest(Path dir) throws IOException {
        ObjectNode m = EvidenceExport.JSON.createObjectNode();
        m.put("algorithm", "SHA-256");
        ObjectNode files = m.putObject("files");
        for (String name : names(dir)) {
            if (!name.equals(MANIFEST)) {
                files.put(name, sha256(Files.readAllBytes(dir.resolve(name))));
            }
        }
        byte[] bytes = EvidenceExport.JSON.writeValueAsBytes(m);
        Files.write(dir.resolve(MANIFEST), bytes);
        return sha256(bytes);
    }

    /**
     * Checks an evidence directory.
     *
     * @param expectManifest the manifest's SHA-256 as recorded at export, or {@code null} to skip
     * @throws IOException when a file in it cannot be read (permissions, an I/O error, text that is
     *     not UTF-8, a JSON file that is not JSON): a {@link FileSystemException} naming the file and
     *     the reason; nothing can be said of that file, so the directory does not verify
     */
    public static Check verify(Path dir, String expectManifest) throws IOException {
        List<String> problems = new ArrayList<>();
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            return new Check(false, List.of(MANIFEST + ": missing"), null);
        }
        byte[] manifestBytes = read(manifestFile, Files::readAllBytes);
        String manifestSha = sha256(manifestBytes);
        if (expectManifest != null && !expectManifest.equalsIgnoreCase(manifestSha)) {
            problems.add(MANIFEST + ": SHA-256 " + manifestSha + " is not the one recorded at export (" + expectManifest
                    + ")");
        }
        JsonNode files;
        try {
            files = EvidenceExport.JSON.readTree(manifestBytes).path("files");
        } catch (IOException e) {
            return new Check(false, List.of(MANIFEST + ": not JSON (" + e.getMessage() + ")"), manifestSha);
        }
        TreeSet<String> present = names(dir);
        present.remove(MANIFEST);
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!present.remove(f.getKey())) {
                problems.add(f.getKey() + ": listed in the manifest but missing");
                continue;
            }
            String actual = read(dir.resolve(f.getKey()), Evidence::sha256); // streamed: any size
            if (!actual.equals(f.getValue().asText())) {
                problems.add(f.getKey() + ": SHA-256 " + actual + " does not match the manifest's "
                        + f.getValue().asText() + " (altered)");
            }
        }
        present.forEach(name -> problems.add(name + ": not in the manifest (added)"));
        for (String required : List.of(AUDIT_TRAIL, AUDIT_KEY, LEDGER, SUMMARY_JSON)) {
            if (!Files.isRegularFile(dir.resolve(required))) {
                problems.add(required + ": missing");
            }
        }
        if (problems.isEmpty()) {
            checkContents(dir, problems);
        }
        return new Check(problems.isEmpty(), List.copyOf(problems), manifestSha);
    }

    /** The chain, the key's records against the trail, the ledger extract's key. */
    private static void checkContents(Path dir, List<String> problems) throws IOException {
        AuditVerifier.Result chain = read(dir.resolve(AUDIT_TRAIL), AuditVerifier::verify);
        if (!chain.intact()) {
            problems.add(AUDIT_TRAIL + ": hash chain " + chain.summary());
        }
        JsonNode summary = read(dir.resolve(SUMMARY_JSON), f -> EvidenceExport.JSON.readTree(f.toFile()));
        List<String> trail = read(dir.resolve(AUDIT_TRAIL), f -> Files.readAllLines(f, StandardCharsets.UTF_8));
        List<String> keyLines = read(dir.resolve(AUDIT_KEY), f -> Files.readAllLines(f, StandardCharsets.UTF_8));
        if (summary == null
                || !summary.path("key").isTextual()
                || !summary.path("audit_key_lines").isArray()
                || !summary.path("ledger_entries").isIntegralNumber()) {
            // what export writes, or a forgery: an empty summary named no key and verified, line numbers
            // in an object ended verify in a NullPointerException
            problems.add(SUMMARY_JSON + ": not an export's summary (expected an object with key, audit_key_lines"
                    + " and ledger_entries)");
            return;
        }
        JsonNode numbers = summary.path("audit_key_lines");
        if (numbers.size() != keyLines.size()) {
            problems.add(AUDIT_KEY + ": " + keyLines.size() + " records, summary lists " + numbers.size());
        } else {
            for (int i = 0; i < keyLines.size(); i++) {
                int n = numbers.get(i).asInt();
                if (n < 1 || n > trail.size() || !trail.get(n - 1).equals(keyLines.get(i))) {
                    problems.add(AUDIT_KEY + ":" + (i + 1) + ": not line " + n + " of the audit trail");
                }
            }
        }
        String key = summary.path("key").asText();
        try {
            List<LedgerEntry> entries = WatermarkLedger.read(dir.resolve(LEDGER));
            for (int i = 0; i < entries.size(); i++) {
                if (!key.equals(entries.get(i).key())) {
                    problems.add(
                            LEDGER + ":" + (i + 1) + ": key " + entries.get(i).key() + ", not " + key);
                    break;
                }
            }
            if (entries.size() != summary.path("ledger_entries").asInt()) {
                problems.add(LEDGER + ": " + entries.size() + " entries, summary says "
                        + summary.path("ledger_entries").asInt());
            }
        } catch (IOException e) {
            problems.add(LEDGER + ": " + e.getMessage());
        }
    }

    private static TreeSet<String> names(Path dir) throws IOException {
        return read(dir, d -> {
            TreeSet<String> out = new TreeSet<>();
            try (var s = Files.list(d)) {
                s.filter(Files::isRegularFile)
                        .forEach(p -> out.add(p.getFileName().toString()));
            }
            return out;
        });
    }

    /** How a file is read. */
    private interface Reading<T> {
        T read(Path file) throws IOException;
    }

    /**
     * {@code file} read by {@code how}, or an exception that names it: a read failure without a file
     * name (an I/O error, bytes that are not UTF-8, a JSON parse) said nothing of which file it was.
     */
    private static <T> T read(Path file, Reading<T> how) throws IOException {
        try {
            return how.read(file);
        } catch (IOException e) {
            throw e instanceof FileSystemException f && f.getFile() != null ? f : named(file, e);
        } catch (OutOfMemoryError e) {
            // a file too large to hold (a forged manifest can list one): a verdict, not a stack trace;
            // what was allocated for it is garbage now
            throw new FileSystemException(file.toString(), null, "too large to read into memory");
        }
    }

    private static FileSystemException named(Path file, IOException e) {
        String reason = e instanceof CharacterCodingException
                ? "not UTF-8 text"
                : e instanceof JsonProcessingException
                        ? "not JSON"
                        : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        FileSystemException named = new FileSystemException(file.toString(), null, reason);
        named.initCause(e);
        return named;
    }

    /** The file's SHA-256, read in blocks: a file of any size. */
    private static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 16];
        try (var in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
