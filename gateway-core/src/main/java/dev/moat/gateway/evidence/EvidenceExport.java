package dev.moat.gateway.evidence;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.moat.config.KeyConfig;
import dev.moat.config.MoatConfig;
import dev.moat.config.OutputSpec;
import dev.moat.config.PolicyConfig;
import dev.moat.gateway.audit.AuditVerifier;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.LedgerFiles;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the evidence file for one API key: what an owner hands to a lawyer or a platform's trust
 * team. The directory holds
 * <ul>
 *   <li>{@code audit-trail.jsonl}: a copy of the whole audit trail, so its hash chain can be
 *       checked without Moat ({@code moat audit verify}); it names other keys too</li>
 *   <li>{@code audit-key.jsonl}: the key's own records (and its tenant's), verbatim; their line
 *       numbers in the trail are in {@code summary.json}</li>
 *   <li>{@code ledger.jsonl}: the key's watermark ledger entries (read through the ledger index)</li>
 *   <li>{@code detector-reasons.jsonl}: the key's level changes over time with the detectors'
 *       reasons, parsed from the audit records</li>
 *   <li>{@code policies.json}: the policies in force (secrets redacted) and the config's SHA-256</li>
 *   <li>{@code summary.json}, {@code summary.md}: what the files show, in numbers and in words</li>
 *   <li>{@code manifest.json}: the SHA-256 of every other file; its own SHA-256 is printed at
 *       export, to be recorded elsewhere (an e-mail, a ticket) so the manifest cannot be swapped</li>
 * </ul>
 */
public final class EvidenceExport {

    /**
     * Indented JSON that writes every type a policy holds: durations (throttle periods, blocks) as
     * ISO-8601 text ({@code "PT1H"}), paths as written, and each output transform under its YAML
     * name ({@code {"top_k": {"k": 3}}}, {@code {"label_only": {}}}).
     */
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .registerModule(new SimpleModule().addSerializer(Path.class, ToStringSerializer.instance))
            .addMixIn(OutputSpec.class, OutputSpecNames.class);

    private static final ObjectMapper LINE = new ObjectMapper();
    private static final Pattern LEVEL_CHANGE = Pattern.compile("^(\\w+)->(\\w+) risk=([0-9.eE+-]+) ?(.*)$");

    private EvidenceExport() {}

    /** The YAML names of the output transforms, for {@link #JSON}. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.WRAPPER_OBJECT)
    @JsonSubTypes({
        @JsonSubTypes.Type(value = OutputSpec.TopK.class, name = "top_k"),
        @JsonSubTypes.Type(value = OutputSpec.Round.class, name = "round"),
        @JsonSubTypes.Type(value = OutputSpec.LabelOnly.class, name = "label_only"),
        @JsonSubTypes.Type(value = OutputSpec.Noise.class, name = "noise"),
        @JsonSubTypes.Type(value = OutputSpec.ReverseSigmoid.class, name = "reverse_sigmoid"),
        @JsonSubTypes.Type(value = OutputSpec.Strip.class, name = "strip"),
        @JsonSubTypes.Type(value = OutputSpec.Watermark.class, name = "watermark")
    })
    private interface OutputSpecNames {}

    /** What was written. */
    public record Result(Path dir, String manifestSha256, int auditRecords, int ledgerEntries, boolean chainIntact) {}

    /**
     * @param config     the loaded config (audit file, ledgers, policies)
     * @param configFile the config file as on disk, hashed as the config in force
     * @param keyId      the key to export
     * @param out        the directory to write (created; must be empty if it exists). The files are
     *                   written into a directory beside it, renamed to {@code out} when complete: on
     *                   failure {@code out} is left as it was
     * @throws IOException when an input cannot be read (an audit line that is not JSON, a broken
     *                     ledger) or {@code out} cannot be written; nothing is left behind
     */
    public static Result export(MoatConfig config, Path configFile, String keyId, Path out) throws IOException {
        try (StagedDirectory staged = StagedDirectory.beside(out)) {
            Result r = write(config, configFile, keyId, staged.path());
            staged.commit();
            return new Result(out, r.manifestSha256(), r.auditRecords(), r.ledgerEntries(), r.chainIntact());
        }
    }

    /** Writes every file of the evidence into {@code out}, which exists and is empty. */
    private static Result write(MoatConfig config, Path configFile, String keyId, Path out) throws IOException {
        KeyConfig key = config.keys().stream()
                .filter(k -> k.id().equals(keyId))
                .findFirst()
                .orElse(null);
        String tenant = key == null ? null : key.tenant();

        // audit trail: the whole chain copied line by line (a deployment's trail can be far larger than
        // the CLI's heap; one line is held at a time), the key's records picked out on the way
        Path auditFile = config.audit().file();
        Path trailCopy = out.resolve(Evidence.AUDIT_TRAIL);
        List<String> keyLines = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        List<ObjectNode> reasons = new ArrayList<>();
        String maxLevel = "ok";
        int blocks = 0;
        try (BufferedReader trail = auditFile != null && Files.exists(auditFile)
                        ? Files.newBufferedReader(auditFile, StandardCharsets.UTF_8)
                        : new BufferedReader(Reader.nullReader());
                BufferedWriter copy = Files.newBufferedWriter(trailCopy, StandardCharsets.UTF_8)) {
            int i = -1;
            for (String line; (line = trail.readLine()) != null; ) {
                i++;
                // each line ended by the platform's separator, as Files.write(path, lines) wrote the copy
                copy.write(line);
                copy.newLine();
                if (line.isBlank()) {
                    continue;
                }
                JsonNode r;
                try {
                    r = LINE.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new IOException(auditFile + ":" + (i + 1) + ": not JSON (" + e.getOriginalMessage() + ")", e);
                }
                String k = r.path("key").asText(null);
                if (!keyId.equals(k) && !(tenant != null && ("tenant:" + tenant).equals(k))) {
                    continue;
                }
                keyLines.add(line);
                lineNumbers.add(i + 1);
                String event = r.path("event").asText();
                if (event.equals("block")) {
                    blocks++;
                }
                if (event.endsWith("level_change")) {
                    ObjectNode reason = LINE.createObjectNode();
                    reason.put("time", r.path("time").asText());
                    reason.put("event", event);
                    reason.put("audit_line", i + 1);
                    String detail = r.path("detail").asText();
                    Matcher m = LEVEL_CHANGE.matcher(detail);
                    if (m.matches()) {
                        reason.put("from", m.group(1));
                        reason.put("to", m.group(2));
                        reason.put("risk", Double.parseDouble(m.group(3)));
                        reason.put("reasons", m.group(4));
                        if (event.equals("level_change") && rank(m.group(2)) > rank(maxLevel)) {
                            maxLevel = m.group(2);
                        }
                    } else {
                        reason.put("detail", detail);
                    }
                    reasons.add(reason);
                }
            }
        }
        AuditVerifier.Result chain = AuditVerifier.verify(trailCopy);
        Files.write(out.resolve(Evidence.AUDIT_KEY), keyLines, StandardCharsets.UTF_8);
        List<String> reasonLines = new ArrayList<>();
        for (ObjectNode r : reasons) {
            reasonLines.add(LINE.writeValueAsString(r));
        }
        Files.write(out.resolve(Evidence.REASONS), reasonLines, StandardCharsets.UTF_8);

        // ledger: the key's entries from every ledger a policy writes
        Set<Path> ledgers = new LinkedHashSet<>();
        for (PolicyConfig p : config.policies().values()) {
            for (OutputSpec o : p.outputs()) {
                if (o instanceof OutputSpec.Watermark w && w.ledger() != null) {
                    ledgers.add(w.ledger().toAbsolutePath().normalize());
                }
            }
        }
        List<LedgerEntry> entries = new ArrayList<>();
        for (Path l : ledgers) {
            entries.addAll(LedgerFiles.readKey(l, keyId));
        }
        LedgerFiles.write(out.resolve(Evidence.LEDGER), entries);

        // policies in force, secrets redacted, and the config's hash
        String configSha = Evidence.sha256(Files.readAllBytes(configFile));
        ObjectNode policies = JSON.createObjectNode();
        policies.put("config_file", configFile.toAbsolutePath().toString());
        policies.put("config_sha256", configSha);
        ObjectNode byName = policies.putObject("policies");
        config.policies().forEach((name, p) -> byName.set(name, redact(JSON.valueToTree(p))));
        Files.writeString(out.resolve(Evidence.POLICIES), JSON.writeValueAsString(policies));

        // summary
        ObjectNode summary = JSON.createObjectNode();
        summary.put("key", keyId);
        summary.put("tenant", tenant);
        summary.put("key_in_config", key != null);
        summary.put("exported_at", Instant.now().toString());
        summary.put("config_sha256", configSha);
        summary.put("audit_file", auditFile == null ? null : auditFile.toString());
        summary.put("audit_chain_intact", chain.intact());
        summary.put("audit_chain", chain.summary());
        summary.put("audit_trail_records", chain.lines());
        summary.put("audit_key_records", keyLines.size());
        ArrayNode lines = summary.putArray("audit_key_lines");
        lineNumbers.forEach(lines::add);
        summary.put("level_changes", reasons.size());
        summary.put("max_level", maxLevel);
        summary.put("blocks", blocks);
        ArrayNode ledgerPaths = summary.putArray("ledgers");
        ledgers.forEach(l -> ledgerPaths.add(l.toString()));
        summary.put("ledger_entries", entries.size());
        summary.put(
                "first_watermark",
                entries.isEmpty() ? null : entries.get(0).time().toString());
        summary.put(
                "last_watermark",
                entries.isEmpty()
                        ? null
                        : entries.get(entries.size() - 1).time().toString());
        Files.writeString(out.resolve(Evidence.SUMMARY_JSON), JSON.writeValueAsString(summary));
        Files.writeString(out.resolve(Evidence.SUMMARY_MD), markdown(summary, reasons));

        String manifestSha = Evidence.writeManifest(out);
        return new Result(out, manifestSha, keyLines.size(), entries.size(), chain.intact());
    }

    private static int rank(String level) {
        return switch (level) {
            case "suspicious" -> 1;
            case "extracting" -> 2;
            default -> 0;
        };
    }

    /** Replaces every {@code secret} field's value (the watermark key) with a marker. */
    private static JsonNode redact(JsonNode node) {
        if (node instanceof ObjectNode o) {
            if (o.has("secret")) {
                o.put("secret", "(redacted)");
            }
            o.forEach(EvidenceExport::redact);
        } else if (node instanceof ArrayNode a) {
            a.forEach(EvidenceExport::redact);
        }
        return node;
    }

    private static String markdown(ObjectNode s, List<ObjectNode> reasons) {
        StringBuilder md = new StringBuilder();
        md.append("# Moat evidence: key `").append(s.get("key").asText()).append("`\n\n");
        md.append(String.format(
                Locale.ROOT,
                "Exported %s. Tenant: %s. Config SHA-256: `%s`.%n%n",
                s.get("exported_at").asText(),
                s.get("tenant").isNull() ? "none" : "`" + s.get("tenant").asText() + "`",
                s.get("config_sha256").asText()));
        md.append("| what | value |\n|---|---|\n");
        md.append("| audit trail | ").append(s.get("audit_chain").asText()).append(" |\n");
        md.append("| audit records of this key | ")
                .append(s.get("audit_key_records").asInt())
                .append(" |\n");
        md.append("| level changes | ").append(s.get("level_changes").asInt()).append(" |\n");
        md.append("| highest level | ").append(s.get("max_level").asText()).append(" |\n");
        md.append("| blocks | ").append(s.get("blocks").asInt()).append(" |\n");
        md.append("| watermarked answers served (ledger) | ")
                .append(s.get("ledger_entries").asInt())
                .append(" |\n");
        md.append("| first / last watermark | ")
                .append(s.get("first_watermark").asText("-"))
                .append(" / ")
                .append(s.get("last_watermark").asText("-"))
                .append(" |\n\n");
        md.append("## Detector reasons over time\n\n");
        if (reasons.isEmpty()) {
            md.append("No level changes recorded for this key.\n");
        } else {
            md.append("| time | change | risk | reasons |\n|---|---|---|---|\n");
            for (ObjectNode r : reasons) {
                md.append("| ")
                        .append(r.path("time").asText())
                        .append(" | ")
                        .append(r.path("from").asText("?"))
                        .append(" -> ")
                        .append(r.path("to").asText("?"))
                        .append(" | ")
                        .append(r.path("risk").asText("-"))
                        .append(" | ")
                        .append(r.path("reasons")
                                .asText(r.path("detail").asText())
                                .replace("|", "\\|"))
                        .append(" |\n");
            }
        }
        md.append("\n## Files\n\n");
        md.append(
                "- `audit-trail.jsonl`: the whole audit trail (hash-chained; `moat audit verify audit-trail.jsonl`)\n");
        md.append("- `audit-key.jsonl`: this key's records, verbatim (their trail lines are in summary.json)\n");
        md.append("- `ledger.jsonl`: the watermarked answers served to this key; test a suspect model with\n");
        md.append("  `moat watermark verify --ledger ledger.jsonl --target URL`\n");
        md.append("- `detector-reasons.jsonl`: the level changes with the detectors' reasons\n");
        md.append("- `policies.json`: the policies in force (secrets redacted) and the config's SHA-256\n");
        md.append("- `manifest.json`: SHA-256 of every file; check with `moat evidence verify DIR`\n");
        return md.toString();
    }
}
