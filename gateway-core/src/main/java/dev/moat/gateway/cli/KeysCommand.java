package dev.moat.gateway.cli;

import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.auth.Secrets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moat keys new}: a fresh secret, printed once, and the YAML entry holding only its SHA-256. */
@Command(
        name = "keys",
        description = {
            "Manage API keys: YAML entries offline, runtime keys through the admin API.",
            "'new' prints a YAML entry; the others call a running gateway (--admin URL, MOAT_ADMIN_TOKEN)."
        },
        subcommands = {
            KeysCommand.New.class,
            KeysAdminCommands.ListKeys.class,
            KeysAdminCommands.Create.class,
            KeysAdminCommands.Revoke.class,
            KeysAdminCommands.Rotate.class,
            KeysAdminCommands.Block.class,
            KeysAdminCommands.Unblock.class,
            KeysAdminCommands.Reset.class
        })
final class KeysCommand implements Runnable {

    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    @Command(
            name = "new",
            description = "A key for the YAML: the secret once on stderr, the config entry (SHA-256 only) on stdout.")
    static final class New implements Callable<Integer> {
        @Option(names = "--id", description = "Key id (default: a random one).")
        String id;

        @Option(names = "--tier", defaultValue = "free", description = "Tier (default: ${DEFAULT-VALUE}).")
        String tier;

        @Option(names = "--tenant", description = "Tenant (optional).")
        String tenant;

        @Override
        public Integer call() {
            String secret = Secrets.newSecret();
            String keyId = id != null ? id : Secrets.newKeyId();
            // the secret goes to stderr, the YAML to stdout: `moat keys new >> keys.yaml` never stores it
            System.err.println("secret for " + keyId + " (shown once; give it to the client, store it nowhere else):");
            System.err.println(secret);
            System.err.println("the config entry follows on stdout (a list item for the end of the 'keys:' section):");
            System.out.println("  - {id: " + keyId + ", sha256: \"" + KeyStore.sha256Hex(secret) + "\", tier: " + tier
                    + (tenant != null ? ", tenant: " + tenant : "") + "}");
            return 0;
        }
    }
}
