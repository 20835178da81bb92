package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.RandomAttacker;
import dev.moat.gateway.cli.CliTest;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.LedgerFiles;
import dev.moat.policies.watermark.WatermarkLedger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moat evidence} over a real run: an attacker flagged through the gateway, the evidence file
 * for its key, {@code moat evidence verify} passing, then failing for every file altered, removed
 * or added, and for a swapped manifest; without a run, a ladder of every kind of step written to
 * {@code policies.json}.
 */
class EvidenceIT {

    static {
        // the JDK HttpServer under the fixture answers ~40 ms late with Nagle on (read once per JVM)
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theEvidenceFileVerifiesAndEveryTamperingIsCaught() throws Exception {
        Path dir = Files.createTempDirectory("moat-evidence");
        Path ledger = dir.resolve("ledger.jsonl");
        Path audit = dir.resolve("audit.jsonl");
        String keys = Gateway.keyEntries("honest-", "honest-secret-", 3, null);
        String yaml = Gateway.common("\"1000000/1m\"", keys)
                + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                policies:
                  guarded:
                    outputs:
                      - watermark: {rate: 0.05, secret: "evidence-test-watermark-secret", ledger: "%s"}
                    # three keys and a thief: no peer reference forms, so coverage is given its cells and the
                    # digits' honest novelty by a calibration file (CoverageCalibration); without one it has no
                    # opinion
                    detectors: {prada: {}, volume: {}, boundary: {}, ood: {}, coverage: {}}
                    escalation:
                      - {at: 0.5, watermark: {rate: 0.2}}
                audit: {file: "%s"}
                """.formatted(ledger, audit)
                + CoverageCalibration.detection(dir);
        try (Gateway gw = Gateway.start(yaml, upstream.baseUri())) {
            HonestClient[] honest = {new HonestClient(1), new HonestClient(2), new HonestClient(3)};
            RandomAttacker thief = new RandomAttacker(12);
            for (int q = 0; q < 2_000; q += 10) {
                for (int k = 0; k < honest.length; k++) {
                    double[][] hx = {honest[k].next(), honest[k].next()};
                    gw.post("/v1/models/digits:predict", "honest-secret-" + k, body(hx));
                }
                double[][] ax = new double[10][];
                for (int i = 0; i < 10; i++) {
                    ax[i] = thief.next();
                }
                assertThat(gw.post("/v1/models/digits:predict", Gateway.ALICE, body(ax))
                                .statusCode())
                        .isEqualTo(200);
                gw.advance(Duration.ofSeconds(2));
                gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
                if (gw.server.defences().engine().verdict("alice").risk() >= 0.5) {
                    break;
                }
            }
        }
        Path config = operatorConfig(dir, yaml);

        Path out = dir.resolve("evidence-alice");
        CliTest.Run r =
                CliTest.run("evidence", "--config", config.toString(), "--key", "alice", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        System.out.println(r.out().trim());
        String manifestSha = r.out().replaceAll("(?s).*manifest SHA-256: ([0-9a-f]{64}).*", "$1");
        assertThat(manifestSha).hasSize(64);

        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("key").asText()).isEqualTo("alice");
        assertThat(summary.get("tenant").asText()).isEqualTo("acme");
        assertThat(summary.get("audit_chain_intact").asBoolean()).isTrue();
        assertThat(summary.get("level_changes").asInt()).isPositive();
        assertThat(summary.get("ledger_entries").asInt()).isGreaterThan(10);
        assertThat(Files.readString(out.resolve("detector-reasons.jsonl")))
                .contains("\"from\":\"ok\"")
                .contains("\"reasons\":\"");
        assertThat(Files.readString(out.resolve("ledger.jsonl")))
                .contains("\"key\":\"alice\"")
                .doesNotContain("honest-");
        assertThat(Files.readString(out.resolve("policies.json")))
                .contains("(redacted)")
                .doesNotContain("evidence-test-watermark-secret");
        assertThat(Files.readString(out.resolve("summary.md"))).contains("Detector reasons over time");

        assertThat(verify(out, manifestSha).code()).isZero();

        List<String> files;
        try (Stream<Path> s = Files.list(out)) {
            files = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(files)
                .contains(
                        "audit-trail.jsonl",
                        "audit-key.jsonl",
                        "ledger.jsonl",
                        "detector-reasons.jsonl",
                        "policies.json",
                        "summary.json",
                        "summary.md",
                        "manifest.json");
        for (String f : files) {
            // altered: one byte changed in the middle
            Path copy = copyOf(out, dir.resolve("altered-" + f));
            byte[] bytes = Files.readAllBytes(copy.resolve(f));
            assertThat(bytes.length).as(f + " is empty").isPositive();
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(copy.resolve(f), bytes);
            CliTest.Run v = verify(copy, manifestSha);
            assertThat(v.code())
                    .as("verify after altering " + f + ": " + v.out())
                    .isEqualTo(1);
            assertThat(v.out()).contains("ALTERED").contains(f.equals("manifest.json") ? "manifest" : f);

            Path removed = copyOf(out, dir.resolve("removed-" + f));
            Files.delete(removed.resolve(f));
            assertThat(verify(removed, null).code()).as("verify without " + f).isEqualTo(1);
        }
        Path added = copyOf(out, dir.resolve("added"));
        Files.writeString(added.resolve("note.txt"), "planted");
        assertThat(verify(added, null).out()).contains("note.txt: not in the manifest");

        // a consistent forgery (manifest rewritten to match) is caught only by the recorded manifest hash
        Path forged = copyOf(out, dir.resolve("forged"));
        List<String> lines = Files.readAllLines(forged.resolve("ledger.jsonl"), StandardCharsets.UTF_8);
        Files.write(forged.resolve("ledger.jsonl"), lines.subList(0, lines.size() / 2));
        Files.delete(forged.resolve("manifest.json"));
        CliTest.Run reManifest = CliTest.run("evidence", "verify", forged.toString());
        assertThat(reManifest.code()).isEqualTo(1); // manifest missing
    }

    /**
     * A ladder with every kind of step. Throttle and block steps hold durations, which the export
     * once wrote with a mapper that had no java.time support: it failed on the first such step
     * ("Java 8 date/time type java.time.Duration not supported by default").
     */
    @Test
    void aLadderWithThrottleAndBlockStepsIsExportedWithReadableDurations(@TempDir Path dir) throws Exception {
        Path out = exportLadderEvidence(dir);

        JsonNode guarded = JSON.readTree(out.resolve("policies.json").toFile()).at("/policies/guarded");
        assertThat(guarded.get("outputs").get(0).get("watermark").get("secret").asText())
                .isEqualTo("(redacted)");
        assertThat(guarded.at("/outputs/0/watermark/ledger").asText())
                .isEqualTo(dir.resolve("ledger.jsonl").toString());
        JsonNode ladder = guarded.get("escalation");
        assertThat(ladder).hasSize(4);
        assertThat(ladder.get(0).get("at").asDouble()).isEqualTo(0.3);
        assertThat(ladder.get(0).get("perturb").get(0).get("top_k").get("k").asInt())
                .isEqualTo(2);
        assertThat(ladder.get(0).get("perturb").get(1).has("label_only")).isTrue();
        assertThat(ladder.get(1).get("watermarkRate").asDouble()).isEqualTo(0.2);
        JsonNode throttle = ladder.get(2).get("throttle");
        assertThat(throttle).hasSize(2);
        assertThat(throttle.get(0).get("text").asText()).isEqualTo("20/1m");
        assertThat(throttle.get(0).get("capacity").asLong()).isEqualTo(20);
        assertThat(throttle.get(0).get("period").asText()).isEqualTo("PT1M");
        assertThat(throttle.get(1).get("period").asText()).isEqualTo("PT24H");
        assertThat(ladder.get(3).get("block").asText()).isEqualTo("PT1H");
        assertThat(CliTest.run("evidence", "verify", out.toString()).code()).isZero();
    }

    /**
     * An export that fails part-way (a ledger line that is not an entry: read after three of the
     * eight files are written; an audit line that is not JSON) leaves {@code out} as it was, no
     * half-written directory that {@code verify} would call altered, and says what was wrong in
     * one line, exit 2. A directory that is not empty is refused; an empty one is replaced by the
     * finished export.
     */
    @Test
    void aFailedExportLeavesNothingBehindAndSaysWhy(@TempDir Path dir) throws Exception {
        Path config = operatorConfig(dir, ladderPolicy(dir));
        Path ledger = dir.resolve("ledger.jsonl");
        Path audit = dir.resolve("audit.jsonl");
        Path out = dir.resolve("evidence-alice");
        for (String broken : List.of("ledger", "audit")) {
            Files.deleteIfExists(ledger);
            Files.deleteIfExists(audit);
            Files.writeString(broken.equals("ledger") ? ledger : audit, "this is not JSON\n");
            List<String> before = names(dir);
            for (boolean outExists : new boolean[] {false, true}) {
                if (outExists) {
                    Files.createDirectory(out);
                }
                CliTest.Run r = CliTest.run(
                        "evidence", "--config", config.toString(), "--key", "alice", "--out", out.toString());
                String what = broken + (outExists ? ", out empty" : ", out new") + ": " + r.err();
                assertThat(r.code()).as(what).isEqualTo(2);
                assertThat(r.err().trim()).as(what).doesNotContain("\n").doesNotContain("Exception");
                assertThat(r.err())
                        .as(what)
                        .startsWith("moat evidence: " + (broken.equals("ledger") ? ledger : audit + ":1:"))
                        .contains("nothing written to " + out);
                if (outExists) {
                    assertThat(out).as(what).isEmptyDirectory();
                    Files.delete(out);
                } else {
                    assertThat(out).as(what).doesNotExist();
                }
                assertThat(names(dir)).as(what).isEqualTo(before);
            }
        }

        // a directory that is not empty is refused the same way, and keeps what it held
        Files.delete(audit);
        Files.createDirectory(out);
        Files.writeString(out.resolve("notes.txt"), "kept");
        CliTest.Run r =
                CliTest.run("evidence", "--config", config.toString(), "--key", "alice", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("moat evidence: " + out + " is not empty");
        assertThat(names(out)).containsExactly("notes.txt");

        // and an empty one is filled: the finished directory takes its place, nothing else stays
        Files.delete(out.resolve("notes.txt"));
        List<String> before = names(dir);
        r = CliTest.run("evidence", "--config", config.toString(), "--key", "alice", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(names(out)).hasSize(8).contains("manifest.json");
        assertThat(names(dir)).isEqualTo(before);
        assertThat(CliTest.run("evidence", "verify", out.toString()).code()).isZero();
    }

    /**
     * {@code --out} as the OS resolves it (session 42's review: the staged rename failed on a symbolic
     * link to an empty directory, "Not a directory", and on {@code link/../out}, whose parent the
     * path's text named elsewhere): the export lands in the directory the link points to, and beside
     * the link's target for {@code link/../out}.
     */
    @Test
    void anExportFollowsSymbolicLinksAsTheOsDoes(@TempDir Path dir) throws Exception {
        Path config = operatorConfig(dir, ladderPolicy(dir));
        Path real = Files.createDirectories(dir.resolve("elsewhere/real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        CliTest.Run r =
                CliTest.run("evidence", "--config", config.toString(), "--key", "alice", "--out", link.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(names(real)).hasSize(8).contains("manifest.json");
        assertThat(CliTest.run("evidence", "verify", link.toString()).code()).isZero();
        Path viaParent = link.resolve("..").resolve("second");
        r = CliTest.run("evidence", "--config", config.toString(), "--key", "alice", "--out", viaParent.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(names(dir.resolve("elsewhere/second"))).hasSize(8).contains("manifest.json");
    }

    /**
     * A file of the export that cannot be read ended {@code verify} in a stack trace: a read that
     * fails with an I/O error (here a link to {@code /proc/self/mem}, whose first page no process can
     * read, root included, where {@code chmod 000} stops only others), and, behind a manifest made
     * again to match, a summary that is not JSON and key records that are not UTF-8. Each is one line
     * naming the file and the reason, exit 1: nothing can be said of that file.
     */
    @Test
    void aFileThatCannotBeReadFailsVerificationInOneLine(@TempDir Path dir) throws Exception {
        Path out = exportLadderEvidence(dir);

        Path ioError = copyOf(out, dir.resolve("io-error"));
        Files.delete(ioError.resolve("ledger.jsonl"));
        Files.createSymbolicLink(ioError.resolve("ledger.jsonl"), Path.of("/proc/self/mem"));
        assertUnreadable(ioError, ioError.resolve("ledger.jsonl") + ": Input/output error");

        Path notJson = copyOf(out, dir.resolve("not-json"));
        Files.writeString(notJson.resolve("summary.json"), "not JSON");
        remanifest(notJson);
        assertUnreadable(notJson, notJson.resolve("summary.json") + ": not JSON");

        Path notText = copyOf(out, dir.resolve("not-text"));
        Files.write(notText.resolve("audit-key.jsonl"), new byte[] {(byte) 0xff, (byte) 0xfe, '\n'});
        remanifest(notText);
        assertUnreadable(notText, notText.resolve("audit-key.jsonl") + ": not UTF-8 text");
    }

    /**
     * What a forger can put behind a manifest made again to match still ended {@code verify} in a
     * stack trace, or passed: a summary whose {@code audit_key_lines} is an object (a
     * NullPointerException), an empty summary (intact, exit 0: it named no key), and a file too large
     * to read into memory (an OutOfMemoryError: {@code Files.readAllBytes} of a file over 2 GiB,
     * sparse here; now hashed in blocks, and refused by its size where it would be read whole:
     * {@link #aFileOverTheReadLimitIsRefusedByItsSizeUnread}). Each must be a verdict, exit 1, with
     * no stack trace.
     */
    @Test
    void aForgedSummaryOrAHugeFileFailsVerificationWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path out = exportLadderEvidence(dir);

        Path objectLines = copyOf(out, dir.resolve("object-lines"));
        var summary = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(objectLines.resolve("summary.json").toFile());
        // one record of the key, which the summary numbers in an object rather than an array
        Files.writeString(objectLines.resolve("audit-key.jsonl"), "{}\n");
        summary.set("audit_key_lines", JSON.createObjectNode().put("first", 1));
        Files.write(objectLines.resolve("summary.json"), JSON.writeValueAsBytes(summary));
        remanifest(objectLines);
        CliTest.Run v = CliTest.run("evidence", "verify", objectLines.toString());
        assertThat(v.code()).as(v.err()).isEqualTo(1);
        assertThat(v.err()).as(v.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(v.out()).contains("ALTERED").contains("summary.json: not an export's summary");

        Path empty = copyOf(out, dir.resolve("empty-summary"));
        Files.writeString(empty.resolve("summary.json"), "");
        remanifest(empty);
        v = CliTest.run("evidence", "verify", empty.toString());
        assertThat(v.code()).as(v.out()).isEqualTo(1);
        assertThat(v.out()).contains("summary.json: not an export's summary");

        // just over 2 GiB: more than a byte array holds, so Files.readAllBytes fails at once
        long tooLarge = (2L << 30) + 1;
        Path huge = copyOf(out, dir.resolve("huge"));
        try (var f = new java.io.RandomAccessFile(huge.resolve("ledger.jsonl").toFile(), "rw")) {
            f.setLength(tooLarge);
        }
        v = CliTest.run("evidence", "verify", huge.toString());
        assertThat(v.code()).as(v.err()).isEqualTo(1);
        assertThat(v.err() + v.out()).as(v.err()).doesNotContain("Error").doesNotContain("\tat ");
        assertThat(v.out()).contains("ALTERED").contains("ledger.jsonl: SHA-256");
    }

    /**
     * What verify reads whole (the manifest, the summary, the key's records) is refused by its size
     * over 64 MiB, and a line of what it reads line by line (the audit trail) over 64 Mi characters,
     * in one line naming the file, the size and the limit, exit 1. Once an OutOfMemoryError, caught
     * and made a verdict; before the limit, a forged file just under the JVM's array limit was read
     * whole. Files of NUL bytes, sparse; a summary of exactly the limit is read (and is not JSON).
     */
    @Test
    void aFileOverTheReadLimitIsRefusedByItsSizeUnread(@TempDir Path dir) throws Exception {
        Path out = exportLadderEvidence(dir);
        long limit = 64L << 20;

        // over 2 GiB: no byte array holds it, so this verdict can only come before a read
        Path manifest = copyOf(out, dir.resolve("huge-manifest"));
        zeros(manifest.resolve("manifest.json"), (2L << 30) + 1);
        assertUnreadable(
                manifest, manifest.resolve("manifest.json") + ": too large to read: 2147483649 bytes (limit 67108864)");

        for (String file : List.of("summary.json", "audit-key.jsonl")) {
            Path over = copyOf(out, dir.resolve("over-" + file));
            zeros(over.resolve(file), limit + 1);
            remanifest(over);
            assertUnreadable(over, over.resolve(file) + ": too large to read: 67108865 bytes (limit 67108864)");
        }
        Path atLimit = copyOf(out, dir.resolve("at-limit"));
        zeros(atLimit.resolve("summary.json"), limit);
        remanifest(atLimit);
        assertUnreadable(atLimit, atLimit.resolve("summary.json") + ": not JSON");

        // the trail is read line by line, whatever its size, but a line of it is held whole
        Path longLine = copyOf(out, dir.resolve("long-line"));
        zeros(longLine.resolve("audit-trail.jsonl"), limit + 1);
        remanifest(longLine);
        assertUnreadable(
                longLine,
                longLine.resolve("audit-trail.jsonl") + ": too large to read: a line longer than 67108864 characters");
    }

    /**
     * The audit trail copied into an export is the deployment's whole trail: 300,000 records here,
     * 68 MB. The export copies it and {@code verify} checks its chain and the key's records against
     * it line by line, each in a JVM of 32 MiB of heap (both read the whole trail into memory; the
     * verify said "too large to read into memory"), and still names a key record that is not the line it claims to be, or that
     * claims a line past the end.
     */
    @Test
    void aLargeAuditTrailIsVerifiedLineByLine(@TempDir Path dir) throws Exception {
        int records = 300_000;
        List<Integer> aliceAt = List.of(1, 2, 150_001, records + 1); // line numbers: one blank line at 3
        String prev = "0".repeat(64);
        try (var w = Files.newBufferedWriter(dir.resolve("audit.jsonl"), StandardCharsets.UTF_8)) {
            var sha = java.security.MessageDigest.getInstance("SHA-256");
            for (int line = 1; line <= records + 1; line++) {
                if (line == 3) {
                    w.write("\n");
                    continue;
                }
                String key = aliceAt.contains(line) ? "alice" : "key-" + (line % 997);
                String record = "{\"seq\":" + line + ",\"time\":\"2026-11-28T10:00:00Z\",\"event\":\"key_rotate\""
                        + ",\"key\":\"" + key + "\",\"detail\":\"grace=PT24H, padding the record to the length"
                        + " of a real one\",\"prev\":\"" + prev + "\"}";
                w.write(record);
                w.write("\n");
                prev = java.util.HexFormat.of().formatHex(sha.digest(record.getBytes(StandardCharsets.UTF_8)));
            }
        }
        Path out = exportLadderEvidence(dir);
        assertThat(Files.size(out.resolve("audit-trail.jsonl"))).isGreaterThan(50_000_000L);
        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("audit_key_lines").toString())
                .isEqualTo(aliceAt.toString().replace(" ", ""));

        CliTest.Run v = CliTest.run("evidence", "verify", out.toString());
        assertThat(v.code()).as(v.out() + v.err()).isZero();
        assertThat(v.out()).startsWith("intact: ");

        // the export and the verify in a JVM of 32 MiB of heap: both hold one line of the trail at a time
        Path config = operatorConfig(Files.createDirectory(dir.resolve("small")), ladderPolicy(dir));
        Path smallOut = dir.resolve("small").resolve("evidence-alice");
        String exported =
                smallHeap("evidence", "--config", config.toString(), "--key", "alice", "--out", smallOut.toString());
        assertThat(JSON.readTree(smallOut.resolve("summary.json").toFile()).get("audit_key_lines"))
                .as(exported)
                .isEqualTo(summary.get("audit_key_lines"));
        assertThat(Files.mismatch(smallOut.resolve("audit-trail.jsonl"), out.resolve("audit-trail.jsonl")))
                .isEqualTo(-1L);
        assertThat(smallHeap("evidence", "verify", smallOut.toString())).startsWith("intact: ");

        // the third record altered, the fourth claiming a line past the trail's end
        Path tampered = copyOf(out, dir.resolve("tampered"));
        List<String> keyLines = Files.readAllLines(tampered.resolve("audit-key.jsonl"), StandardCharsets.UTF_8);
        Files.write(
                tampered.resolve("audit-key.jsonl"),
                List.of(keyLines.get(0), keyLines.get(1), keyLines.get(2).replace("PT24H", "PT48H"), keyLines.get(3)),
                StandardCharsets.UTF_8);
        var forged = (com.fasterxml.jackson.databind.node.ObjectNode) summary;
        ((com.fasterxml.jackson.databind.node.ArrayNode) forged.get("audit_key_lines")).set(3, records + 2);
        Files.write(tampered.resolve("summary.json"), JSON.writeValueAsBytes(forged));
        remanifest(tampered);
        v = CliTest.run("evidence", "verify", tampered.toString());
        assertThat(v.code()).as(v.out() + v.err()).isEqualTo(1);
        assertThat(v.out())
                .isEqualTo("ALTERED:\n"
                        + "  audit-key.jsonl:3: not line 150001 of the audit trail\n"
                        + "  audit-key.jsonl:4: not line 300002 of the audit trail\n");
    }

    /**
     * The ledger extract, read entry by entry: behind a manifest made again to match, an entry of
     * another key is named (the first only), a count unlike the summary's is named, and a line that
     * is not an entry is named by its file and line, each as a problem, exit 1.
     */
    @Test
    void theLedgerExtractIsCheckedEntryByEntry(@TempDir Path dir) throws Exception {
        java.time.Instant t = java.time.Instant.parse("2026-11-28T10:00:00Z");
        LedgerFiles.write(
                dir.resolve("ledger.jsonl"),
                List.of(
                        new LedgerEntry(new double[] {0.1, 0.2}, 1, 10, "alice", t),
                        new LedgerEntry(new double[] {0.3, 0.4}, 2, 10, "bob", t),
                        new LedgerEntry(new double[] {0.5, 0.6}, 3, 10, "alice", t),
                        new LedgerEntry(new double[] {0.7, 0.8}, 4, 10, "alice", t)));
        Path out = exportLadderEvidence(dir);
        assertThat(JSON.readTree(out.resolve("summary.json").toFile())
                        .get("ledger_entries")
                        .asInt())
                .isEqualTo(3);
        assertThat(CliTest.run("evidence", "verify", out.toString()).code()).isZero();

        Path others = copyOf(out, dir.resolve("others"));
        List<LedgerEntry> alices = WatermarkLedger.read(others.resolve("ledger.jsonl"));
        LedgerFiles.write(
                others.resolve("ledger.jsonl"),
                List.of(
                        alices.get(0),
                        new LedgerEntry(new double[] {0.3, 0.4}, 2, 10, "bob", t),
                        alices.get(1),
                        new LedgerEntry(new double[] {0.9, 1.0}, 5, 10, null, t),
                        alices.get(2)));
        remanifest(others);
        CliTest.Run v = CliTest.run("evidence", "verify", others.toString());
        assertThat(v.code()).as(v.out() + v.err()).isEqualTo(1);
        assertThat(v.out())
                .isEqualTo(
                        "ALTERED:\n  ledger.jsonl:2: key bob, not alice\n  ledger.jsonl: 5 entries, summary says 3\n");

        Path malformed = copyOf(out, dir.resolve("malformed"));
        Files.writeString(
                malformed.resolve("ledger.jsonl"), "\nnot an entry\n", java.nio.file.StandardOpenOption.APPEND);
        remanifest(malformed);
        v = CliTest.run("evidence", "verify", malformed.toString());
        assertThat(v.code()).as(v.out() + v.err()).isEqualTo(1);
        assertThat(v.out())
                .startsWith("ALTERED:\n  ledger.jsonl: " + malformed.resolve("ledger.jsonl") + ":5: column ")
                .hasLineCount(2);
    }

    /** {@code file} made {@code length} NUL bytes, sparse: its size costs no disk. */
    private static void zeros(Path file, long length) throws Exception {
        try (var f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(0);
            f.setLength(length);
        }
    }

    private static void assertUnreadable(Path dir, String reason) {
        CliTest.Run v = CliTest.run("evidence", "verify", dir.toString());
        assertThat(v.code()).as(v.err()).isEqualTo(1);
        assertThat(v.err().trim()).as(v.err()).isEqualTo("moat evidence verify: " + reason + " (not verified)");
        assertThat(v.out()).isEmpty();
    }

    /** The manifest written again over the directory's files, as a forger would. */
    private static void remanifest(Path dir) throws Exception {
        var files = JSON.createObjectNode();
        for (String name : names(dir)) {
            if (!name.equals("manifest.json")) {
                byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                        .digest(Files.readAllBytes(dir.resolve(name)));
                files.put(name, java.util.HexFormat.of().formatHex(digest));
            }
        }
        var manifest = JSON.createObjectNode().put("algorithm", "SHA-256");
        manifest.set("files", files);
        Files.write(dir.resolve("manifest.json"), JSON.writeValueAsBytes(manifest));
    }

    /** A guarded policy whose ladder has a perturb, a watermark, a throttle and a block step. */
    /** Alice's evidence under a policy whose ladder throttles and blocks, exported with the CLI (exit 0). */
    /** What the CLI says, run with {@code args} in a JVM of 32 MiB of heap; fails unless it exits 0. */
    private static String smallHeap(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.moat.gateway.cli.MoatCli"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(said).isZero();
        return said;
    }

    private static Path exportLadderEvidence(Path dir) throws Exception {
        Path config = operatorConfig(dir, ladderPolicy(dir));
        Path out = dir.resolve("evidence-alice");
        CliTest.Run r =
                CliTest.run("evidence", "--config", config.toString(), "--key", "alice", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return out;
    }

    private static String ladderPolicy(Path dir) {
        return Gateway.common("\"100/1m\"") + """
                upstreams:
                  tf: {url: "http://127.0.0.1:9", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: guarded}
                policies:
                  guarded:
                    outputs:
                      - watermark: {rate: 0.05, secret: "evidence-test-watermark-secret", ledger: "%s"}
                    detectors: {prada: {}}
                    escalation:
                      - {at: 0.3, perturb: [{top_k: 2}, {label_only: true}]}
                      - {at: 0.5, watermark: {rate: 0.2}}
                      - {at: 0.8, throttle: ["20/1m", "500/1d"]}
                      - {at: 0.95, block: 1h}
                audit: {file: "%s"}
                """.formatted(dir.resolve("ledger.jsonl"), dir.resolve("audit.jsonl"));
    }

    /** The config file as an operator has it: the YAML with the environment filled in. */
    private static Path operatorConfig(Path dir, String yaml) throws Exception {
        String filled = yaml;
        for (Map.Entry<String, String> e : Gateway.env(upstream.baseUri()).entrySet()) {
            filled = filled.replace("${" + e.getKey() + "}", e.getValue());
        }
        return Files.writeString(dir.resolve("moat.yaml"), filled);
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static CliTest.Run verify(Path dir, String manifestSha) {
        return manifestSha == null
                ? CliTest.run("evidence", "verify", dir.toString())
                : CliTest.run("evidence", "verify", dir.toString(), "--expect-manifest", manifestSha);
    }

    private static Path copyOf(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }

    static String body(double[][] rows) throws Exception {
        return "{\"instances\": " + JSON.writeValueAsString(rows) + "}";
    }
}
