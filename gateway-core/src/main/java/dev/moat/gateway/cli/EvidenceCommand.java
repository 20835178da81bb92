package dev.moat.gateway.cli;

import dev.moat.config.ConfigException;
import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import dev.moat.gateway.evidence.Evidence;
import dev.moat.gateway.evidence.EvidenceExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code moat evidence --config FILE --key ID --out DIR} writes one key's evidence file (audit
 * records with the chain checked, ledger entries, detector reasons over time, policies and config
 * hash, summary, manifest), or exits 2 with the reason and nothing written; {@code moat evidence
 * verify DIR} checks nothing in it was altered.
 */
@Command(
        name = "evidence",
        description = "Write the evidence file for one API key (audit records, ledger entries, reasons, summary).",
        subcommands = EvidenceCommand.Verify.class)
final class EvidenceCommand implements Callable<Integer> {

    @Option(names = "--config", description = "The gateway's YAML config (for the audit file, ledgers and policies).")
    Path config;

    @Option(names = "--key", description = "The API key id.")
    String key;

    @Option(names = "--out", description = "The directory to write (new or empty).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (config == null || key == null || out == null) {
            System.err.println("moat evidence: --config, --key and --out are required (or: moat evidence verify DIR)");
            return 2;
        }
        MoatConfig c;
        try {
            c = ConfigLoader.load(config);
        } catch (ConfigException e) {
            e.errors().forEach(err -> System.err.println(err));
            return 2;
        }
        if (c.keys().stream().noneMatch(k -> k.id().equals(key))) {
            System.err.println("moat evidence: note: key \"" + key + "\" is not in " + config
                    + " (exporting what the audit trail and ledgers hold for it)");
        }
        EvidenceExport.Result r;
        try {
            r = EvidenceExport.export(c, config, key, out);
        } catch (IOException e) {
            System.err.println("moat evidence: " + FileErrors.describe(e) + " (nothing written to " + out + ")");
            return 2;
        }
        System.out.printf(
                "wrote %s: %d audit record(s) (chain %s), %d ledger entr%s%n",
                r.dir(),
                r.auditRecords(),
                r.chainIntact() ? "intact" : "BROKEN",
                r.ledgerEntries(),
                r.ledgerEntries() == 1 ? "y" : "ies");
        System.out.println("manifest SHA-256: " + r.manifestSha256() + "  (record it elsewhere; check with"
                + " moat evidence verify " + r.dir() + " --expect-manifest " + r.manifestSha256() + ")");
        return 0;
    }

    @Command(
            name = "verify",
            description = "Exit 0 when every file matches the manifest and the audit chain is intact, 1 otherwise"
                    + " (a file that cannot be read included), 2 when there is no such directory.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", description = "The evidence directory.")
        Path dir;

        @Option(names = "--expect-manifest", description = "The manifest SHA-256 printed at export.")
        String expectManifest;

        @Override
        public Integer call() throws Exception {
            if (!Files.isDirectory(dir)) {
                return fail(dir + (Files.exists(dir) ? ": not a directory" : ": no such directory"));
            }
            Evidence.Check c;
            try {
                c = Evidence.verify(dir, expectManifest);
            } catch (IOException e) {
                // nothing can be said of a file that cannot be read: the directory does not verify
                System.err.println("moat evidence verify: " + FileErrors.describe(e) + " (not verified)");
                return 1;
            }
            if (c.intact()) {
                System.out.println("intact: every file matches the manifest (SHA-256 " + c.manifestSha256()
                        + "), audit chain intact");
                return 0;
            }
            System.out.println("ALTERED:");
            c.problems().forEach(p -> System.out.println("  " + p));
            return 1;
        }

        private static int fail(String problem) {
            System.err.println("moat evidence verify: " + problem);
            return 2;
        }
    }
}
