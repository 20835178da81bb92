package dev.moat.gateway.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.gateway.audit.AuditVerifier;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.LedgerFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The evidence directory's layout, its manifest, and {@code moat evidence verify}: every file's
 * SHA-256 against the manifest (no file missing, none added), the copied audit trail's hash
 * chain, the key's audit records against the trail's lines, and the ledger extract's key.
 *
 * <p>Verify holds no file whole that can be large: the audit trail (a copy of the deployment's
 * whole trail, hundreds of MB) and the ledger extract are read line by line, every file is hashed
 * in blocks. A file it parses whole (the manifest, the summary, the key's records) over
 * {@link #MAX_READ} bytes is refused by its size, unread; a line over {@link #MAX_READ}
 * characters as soon as it is past it. Either is a read failure naming the file.
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

    /**
     * The most verify reads into memory at once: a file parsed whole, or one line of a file read
     * line by line. What an export writes stays far below it: the manifest is under a kilobyte, the
     * summary grows by about 8 bytes and {@code audit-key.jsonl} by about 300 per audit record of the
     * key (level changes, blocks, admin events: tens or hundreds in a key's life, not one per
     * request), a ledger line holds one query's features (an image of 150,000 values is about 3 MB).
     * A file past it is a forgery, refused by its size; the limit keeps what verify holds (a
     * few times the file, parsed) within the default heap of a machine with a few GB.
     */
    static final long MAX_READ = 64L << 20;

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
                files.put(name, sha256(dir.resolve(name))); // streamed: the trail's copy can be large
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
        byte[] manifestBytes = readWhole(manifestFile, Files::readAllBytes);
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
        Path trail = dir.resolve(AUDIT_TRAIL);
        AuditVerifier.Result chain = read(trail, f -> {
            try (BufferedReader lines = lines(f)) {
                return AuditVerifier.verify(lines);
            }
        });
        if (!chain.intact()) {
            problems.add(AUDIT_TRAIL + ": hash chain " + chain.summary());
        }
        JsonNode summary = readWhole(dir.resolve(SUMMARY_JSON), f -> EvidenceExport.JSON.readTree(f.toFile()));
        List<String> keyLines = readWhole(dir.resolve(AUDIT_KEY), f -> Files.readAllLines(f, StandardCharsets.UTF_8));
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
            checkKeyLines(trail, keyLines, numbers, problems);
        }
        checkLedger(dir.resolve(LEDGER), summary, problems);
    }

    /**
     * Each of the key's records against the trail line the summary numbers for it, in one pass over
     * the trail that holds only the lines claimed: the trail can be far larger than memory.
     */
    private static void checkKeyLines(Path trail, List<String> keyLines, JsonNode numbers, List<String> problems)
            throws IOException {
        TreeMap<Integer, List<Integer>> claims = new TreeMap<>(); // trail line -> the key records naming it
        for (int i = 0; i < keyLines.size(); i++) {
            claims.computeIfAbsent(numbers.get(i).asInt(), n -> new ArrayList<>())
                    .add(i);
        }
        claims.headMap(1).clear(); // no line 0 or below: those records match nothing
        boolean[] matches = new boolean[keyLines.size()];
        read(trail, f -> {
            try (BufferedReader lines = lines(f)) {
                String line;
                for (int n = 1; !claims.isEmpty() && (line = lines.readLine()) != null; n++) {
                    List<Integer> records = claims.remove(n);
                    if (records != null) {
                        for (int i : records) {
                            matches[i] = line.equals(keyLines.get(i));
                        }
                    }
                }
            }
            return null;
        });
        for (int i = 0; i < keyLines.size(); i++) {
            if (!matches[i]) {
                problems.add(AUDIT_KEY + ":" + (i + 1) + ": not line "
                        + numbers.get(i).asInt() + " of the audit trail");
            }
        }
    }

    /** Every ledger entry is the summary's key's, and there are as many as it says; read line by line. */
    private static void checkLedger(Path ledger, JsonNode summary, List<String> problems) {
        String key = summary.path("key").asText();
        int expected = summary.path("ledger_entries").asInt();
        final class Tally implements Consumer<LedgerEntry> {
            int entries;
            int firstOther; // the first entry that is not the key's (1-based), or 0
            String otherKey;

            @Override
            public void accept(LedgerEntry e) {
                entries++;
                if (firstOther == 0 && !key.equals(e.key())) {
                    firstOther = entries;
                    otherKey = e.key();
                }
            }
        }
        Tally tally = new Tally();
        try (BufferedReader lines = lines(ledger)) {
            LedgerFiles.forEach(ledger, lines, tally);
        } catch (IOException e) {
            problems.add(LEDGER + ": " + e.getMessage());
            return;
        }
        if (tally.firstOther != 0) {
            problems.add(LEDGER + ":" + tally.firstOther + ": key " + tally.otherKey + ", not " + key);
        }
        if (tally.entries != expected) {
            problems.add(LEDGER + ": " + tally.entries + " entries, summary says " + expected);
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
        }
    }

    /**
     * {@code file} read whole by {@code how}, as {@link #read}; a file over {@link #MAX_READ} is
     * refused by its size before any of it is read (a forged manifest can list a file of any size).
     */
    private static <T> T readWhole(Path file, Reading<T> how) throws IOException {
        return read(file, f -> {
            long size = Files.size(f);
            if (size > MAX_READ) {
                throw new FileSystemException(
                        f.toString(), null, "too large to read: " + size + " bytes (limit " + MAX_READ + ")");
            }
            return how.read(f);
        });
    }

    /** {@code file}'s UTF-8 text line by line, a line over {@link #MAX_READ} characters refused. */
    private static BufferedReader lines(Path file) throws IOException {
        Reader text = new InputStreamReader(
                Files.newInputStream(file),
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT));
        return new BufferedReader(new LineLimitReader(text, file, MAX_READ), 1 << 16);
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
