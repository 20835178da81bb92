package dev.moat.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code moat keys list|create|revoke|rotate|block|unblock}: the admin API's key endpoints from a
 * shell. Table output by default, the API's JSON with {@code --json}. Exit 0 on success, 1 when the
 * API answers an error (its problem detail on stderr), 2 on a usage error.
 */
final class KeysAdminCommands {

    private KeysAdminCommands() {}

    /** Shared by every subcommand: the admin client and the output form. */
    abstract static class AdminCall implements Callable<Integer> {
        @Mixin
        AdminClient client;

        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        abstract AdminClient.Answer send() throws Exception;

        abstract void table(JsonNode body);

        @Override
        public Integer call() throws Exception {
            AdminClient.Answer a;
            try {
                a = send();
            } catch (java.net.ConnectException e) {
                // its message is empty: "moat: java.net.ConnectException" named neither the URL nor the cause
                System.err.println("moat: cannot reach the admin API at " + client.admin
                        + ": connection refused (is the gateway running, and is --admin or MOAT_ADMIN_URL its"
                        + " admin listener?)");
                return 1;
            } catch (java.net.http.HttpTimeoutException e) {
                System.err.println("moat: the admin API at " + client.admin + " did not answer in time");
                return 1;
            } catch (IllegalStateException | java.io.IOException e) {
                System.err.println("moat: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                return 1;
            }
            if (!a.ok()) {
                System.err.println("moat: " + a.error());
                return 1;
            }
            if (json) {
                System.out.println(a.body().toPrettyString());
            } else {
                table(a.body());
                if (a.body().hasNonNull("pending")) {
                    // done here, not yet in the shared store (Redis unreachable): said, not an error
                    System.err.println("moat: note: " + a.body().get("pending").asText());
                }
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List keys, highest risk first (this instance's risk).")
    static final class ListKeys extends AdminCall {
        @Option(names = "--level", description = "Only keys at this level: ok, suspicious or extracting.")
        String level;

        @Option(
                names = "--blocked",
                arity = "0..1",
                fallbackValue = "true",
                description = "Only blocked keys (or --blocked=false).")
        Boolean blocked;

        @Option(
                names = "--flagged",
                arity = "0..1",
                fallbackValue = "true",
                description = "Only flagged keys: a level other than ok, blocked, or a shared risk at the"
                        + " suspicious threshold or over (or --flagged=false).")
        Boolean flagged;

        @Option(names = "--tenant", description = "Only this tenant's keys.")
        String tenant;

        @Option(names = "--limit", defaultValue = "100", description = "Keys per page (default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--cursor", description = "The next_cursor of a previous page.")
        String cursor;

        @Override
        AdminClient.Answer send() throws Exception {
            StringBuilder q = new StringBuilder("/admin/keys?limit=").append(limit);
            param(q, "level", level);
            param(q, "blocked", blocked == null ? null : blocked.toString());
            param(q, "flagged", flagged == null ? null : flagged.toString());
            param(q, "tenant", tenant);
            param(q, "cursor", cursor);
            return client.call("GET", q.toString(), null);
        }

        @Override
        void table(JsonNode body) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "TIER", "TENANT", "RISK", "LEVEL", "QUERIES", "BLOCKED UNTIL", "LAST SEEN"});
            for (JsonNode k : body.get("keys")) {
                rows.add(new String[] {
                    text(k, "id"),
                    text(k, "tier"),
                    text(k, "tenant"),
                    String.format("%.3f", k.get("risk").asDouble()),
                    text(k, "level"),
                    text(k, "queries"),
                    text(k, "blocked_until"),
                    text(k, "last_seen")
                });
            }
            print(rows);
            JsonNode next = body.get("next_cursor");
            if (next != null && !next.isNull()) {
                System.out.println("more: --cursor " + next.asText());
            }
        }

        private static void param(StringBuilder q, String name, String value) {
            if (value != null) {
                q.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        }
    }

    @Command(name = "create", description = "Create a key at runtime; prints its secret once.")
    static final class Create extends AdminCall {
        @Option(names = "--id", description = "Key id (default: a random one).")
        String id;

        @Option(names = "--tier", required = true, description = "Tier (one of the config's tiers).")
        String tier;

        @Option(names = "--tenant", description = "Tenant (optional).")
        String tenant;

        @Option(names = "--expires-at", description = "RFC 3339 time after which the key gets 401.")
        String expiresAt;

        @Override
        AdminClient.Answer send() throws Exception {
            Map<String, Object> body = new LinkedHashMap<>();
            put(body, "id", id);
            put(body, "tier", tier);
            put(body, "tenant", tenant);
            put(body, "expires_at", expiresAt);
            return client.call("POST", "/admin/keys", body);
        }

        @Override
        void table(JsonNode body) {
            System.out.println("created " + text(body, "id") + " (tier " + text(body, "tier") + ", tenant "
                    + text(body, "tenant") + ", expires " + text(body, "expires_at") + ")");
            System.out.println("secret (shown once; give it to the client, store it nowhere else):");
            System.out.println(text(body, "secret"));
        }
    }

    @Command(name = "revoke", description = "Revoke a key for good: 401 from now on, YAML keys included.")
    static final class Revoke extends AdminCall {
        @Parameters(index = "0", description = "Key id.")
        String id;

        @Override
        AdminClient.Answer send() throws Exception {
            return client.call("DELETE", "/admin/keys/" + encode(id), null);
        }

        @Override
        void table(JsonNode body) {
            System.out.println("revoked " + text(body, "id") + " at " + text(body, "revoked_at"));
        }
    }

    @Command(name = "rotate", description = "Give a key a new secret; the old one works until the grace ends.")
    static final class Rotate extends AdminCall {
        @Parameters(index = "0", description = "Key id.")
        String id;

        @Option(
                names = "--grace",
                defaultValue = "0s",
                description = "How long the old secret keeps working, e.g. 24h (default: ${DEFAULT-VALUE}).")
        String grace;

        @Override
        AdminClient.Answer send() throws Exception {
            return client.call("POST", "/admin/keys/" + encode(id) + "/rotate", Map.of("grace", grace));
        }

        @Override
        void table(JsonNode body) {
            System.out.println(
                    "rotated " + text(body, "id") + "; old secret valid until " + text(body, "previous_valid_until"));
            System.out.println("new secret (shown once):");
            System.out.println(text(body, "secret"));
        }
    }

    @Command(name = "block", description = "Block a key on every route for a while (audited with the reason).")
    static final class Block extends AdminCall {
        @Parameters(index = "0", description = "Key id.")
        String id;

        @Option(names = "--for", required = true, description = "How long, e.g. 1h.")
        String duration;

        @Option(names = "--reason", defaultValue = "", description = "Why (goes to the audit trail).")
        String reason;

        @Override
        AdminClient.Answer send() throws Exception {
            return client.call(
                    "POST", "/admin/keys/" + encode(id) + "/block", Map.of("for", duration, "reason", reason));
        }

        @Override
        void table(JsonNode body) {
            System.out.println("blocked " + text(body, "id") + " until " + text(body, "blocked_until"));
        }
    }

    @Command(name = "unblock", description = "Lift a key's block.")
    static final class Unblock extends AdminCall {
        @Parameters(index = "0", description = "Key id.")
        String id;

        @Override
        AdminClient.Answer send() throws Exception {
            return client.call("POST", "/admin/keys/" + encode(id) + "/unblock", null);
        }

        @Override
        void table(JsonNode body) {
            System.out.println("unblocked " + text(body, "id"));
        }
    }

    @Command(
            name = "reset",
            description = "Forget a key's detector state, block and throttle (on every instance, with Redis).")
    static final class Reset extends AdminCall {
        @Parameters(index = "0", description = "Key id.")
        String id;

        @Override
        AdminClient.Answer send() throws Exception {
            return client.call("POST", "/admin/keys/" + encode(id) + "/reset", null);
        }

        @Override
        void table(JsonNode body) {
            System.out.println("reset " + text(body, "id"));
        }
    }

    static String encode(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static void put(Map<String, Object> body, String field, String value) {
        if (value != null) {
            body.put(field, value);
        }
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "-" : v.asText();
    }

    /** Left-aligned columns, two spaces apart. */
    static void print(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                sb.append(i == r.length - 1 ? r[i] : String.format("%-" + width[i] + "s  ", r[i]));
            }
            System.out.println(sb.toString().stripTrailing());
        }
    }
}
