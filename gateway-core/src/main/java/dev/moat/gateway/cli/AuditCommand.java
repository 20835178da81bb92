package dev.moat.gateway.cli;

import dev.moat.gateway.audit.AuditVerifier;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code moat audit verify FILE}: is the audit trail's hash chain intact, and where does it break. */
@Command(name = "audit", description = "Check the audit trail.", subcommands = AuditCommand.Verify.class)
final class AuditCommand implements Runnable {

    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    @Command(
            name = "verify",
            description = "Exit 0 when the hash chain is intact, 1 with the first broken line otherwise,"
                    + " 2 when the file cannot be read.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", description = "The audit file (JSON lines).")
        Path file;

        @Override
        public Integer call() {
            if (Files.isDirectory(file)) {
                return fail(file + ": a directory, not an audit file");
            }
            AuditVerifier.Result r;
            try {
                r = AuditVerifier.verify(file);
            } catch (CharacterCodingException e) {
                // AuditLog writes UTF-8: bytes that are not were put there by someone else
                System.out.println("broken: " + file + " is not UTF-8 text (no audit trail Moat wrote)");
                return 1;
            } catch (IOException e) {
                return fail(FileErrors.describe(e));
            }
            System.out.println(r.summary());
            return r.intact() ? 0 : 1;
        }

        private static int fail(String problem) {
            System.err.println("moat audit verify: " + problem);
            return 2;
        }
    }
}
