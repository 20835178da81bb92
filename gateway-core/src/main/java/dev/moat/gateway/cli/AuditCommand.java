package dev.moat.gateway.cli;

import dev.moat.gateway.audit.AuditVerifier;
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
            description = "Exit 0 when the hash chain is intact, 1 with the first broken line otherwise.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", description = "The audit file (JSON lines).")
        Path file;

        @Override
        public Integer call() throws Exception {
            AuditVerifier.Result r = AuditVerifier.verify(file);
            System.out.println(r.summary());
            return r.intact() ? 0 : 1;
        }
    }
}
