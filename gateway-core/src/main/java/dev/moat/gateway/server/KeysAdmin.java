package dev.moat.gateway.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.config.KeyConfig;
import dev.moat.gateway.admin.AdminBody;
import dev.moat.gateway.admin.AdminHandler.Reply;
import dev.moat.gateway.admin.AdminProblemException;
import dev.moat.gateway.admin.AdminProblems;
import dev.moat.gateway.admin.AdminRequest;
import dev.moat.gateway.auth.ApiKey;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.auth.Secrets;
import dev.moat.gateway.runtime.Snapshot;
import dev.moat.gateway.state.StateStore;
import dev.moat.gateway.state.StateStore.KeyRecord;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code /admin/keys} and {@code /admin/keys/{id}[/action]}: list, create, describe, revoke, rotate,
 * block, unblock and reset keys at runtime. Runs on the admin worker (it waits for the state store
 * to make a change durable before answering). Every change is audited; a secret is returned once,
 * by create and rotate, and only its SHA-256 is stored.
 */
final class KeysAdmin {

    /** The longest rotation grace and manual block accepted. */
    static final Duration MAX_GRACE = Duration.ofDays(30);

    static final Duration MAX_BLOCK = Duration.ofDays(365);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MoatServer server;

    KeysAdmin(MoatServer server) {
        this.server = server;
    }

    /** Handles a call whose path starts with {@code /admin/keys}. */
    Reply handle(AdminRequest req) throws AdminProblemException {
        String rest = req.path().substring("/admin/keys".length());
        if (rest.isEmpty() || rest.equals("/")) {
            if (req.method() == HttpMethod.GET) {
                return json(HttpResponseStatus.OK, KeyListing.page(keys(), server.defences(), KeyListing.parse(req)));
            }
            if (req.method() == HttpMethod.POST) {
                return create(req);
            }
            return Reply.methodNotAllowed("GET, POST");
        }
        String[] parts = rest.substring(1).split("/", -1);
        if (parts.length > 2) {
            throw new AdminProblemException(AdminProblems.notFound("no such admin endpoint"));
        }
        String action = parts.length == 2 ? parts[1] : "";
        String allow = allowed(action);
        if (allow == null) {
            throw new AdminProblemException(AdminProblems.notFound(
                    "no key action '" + action + "' (expected one of: rotate, block, unblock, reset)"));
        }
        if (!allow.contains(req.method().name())) {
            return Reply.methodNotAllowed(allow);
        }
        KeyStore.Entry entry = keys().entry(parts[0]);
        if (entry == null) {
            throw new AdminProblemException(AdminProblems.notFound(
                    "unknown key id '" + parts[0] + "'" + (server.stateStore().revoked(parts[0]) ? " (revoked)" : "")));
        }
        ApiKey key = entry.key();
        return switch (action) {
            case "" -> req.method() == HttpMethod.GET ? describe(key) : revoke(key);
            case "rotate" -> rotate(entry, req);
            case "block" -> block(key, req);
            case "unblock" -> {
                server.defences().unblock(key.id());
                String pending = durable(server.stateStore().unblock(key.id(), now()));
                yield json(HttpResponseStatus.OK, withPending(Map.of("id", key.id(), "result", "unblocked"), pending));
            }
            default -> {
                server.defences().reset(key.id()); // waits for the detection worker: not on the loop
                yield json(HttpResponseStatus.OK, Map.of("id", key.id(), "result", "reset"));
            }
        };
    }

    private static String allowed(String action) {
        return switch (action) {
            case "" -> "GET, DELETE";
            case "rotate", "block", "unblock", "reset" -> "POST";
            default -> null;
        };
    }

    private Reply describe(ApiKey key) {
        Snapshot snap = server.snapshot();
        return Reply.json(
                HttpResponseStatus.OK, KeyReport.describe(key, keys().entry(key.id()), snap, server.defences()));
    }

    private Reply create(AdminRequest req) throws AdminProblemException {
        AdminBody body = AdminBody.parse(req.body(), Set.of("id", "tier", "tenant", "expires_at"));
        String id = body.id("id");
        if (id == null) {
            id = Secrets.newKeyId();
        }
        Set<String> tiers = server.snapshot().config().tiers().keySet();
        String tier = body.string("tier");
        if (tier == null || !tiers.contains(tier)) {
            throw new AdminProblemException(AdminProblems.invalid(
                    "tier: " + (tier == null ? "required" : "\"" + tier + "\"") + " (expected one of: "
                            + String.join(", ", tiers.stream().sorted().toList()) + ")"));
        }
        String tenant = body.id("tenant");
        Instant expires = body.instant("expires_at");
        long now = now();
        if (expires != null && expires.toEpochMilli() <= now) {
            throw new AdminProblemException(
                    AdminProblems.invalid("expires_at: \"" + expires + "\" is not in the future"));
        }
        if (server.stateStore().revoked(id)) {
            throw new AdminProblemException(
                    AdminProblems.conflict("key id '" + id + "' was revoked; ids are never reused"));
        }
        if (keys().entry(id) != null || server.keys().declared(id)) {
            throw new AdminProblemException(AdminProblems.conflict("key id '" + id + "' exists"));
        }
        String secret = Secrets.newSecret();
        long expiresAt = expires == null ? 0 : expires.toEpochMilli();
        String pending = durable(server.stateStore()
                .putKey(new KeyRecord(id, KeyStore.sha256Hex(secret), tier, tenant, expiresAt, null, 0, now)));
        server.defences().audit("key_create", id, "tier=" + tier + " tenant=" + tenant + " expires_at=" + expires);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("tier", tier);
        out.put("tenant", tenant);
        out.put("expires_at", expires == null ? null : expires.toString());
        out.put("secret", secret);
        return json(HttpResponseStatus.CREATED, withPending(out, pending));
    }

    private Reply revoke(ApiKey key) throws AdminProblemException {
        long now = now();
        String pending = durable(server.stateStore().revoke(key.id(), now));
        server.defences().audit("key_revoke", key.id(), "by admin");
        return json(
                HttpResponseStatus.OK,
                withPending(
                        Map.of(
                                "id",
                                key.id(),
                                "revoked_at",
                                Instant.ofEpochMilli(now).toString()),
                        pending));
    }

    private Reply rotate(KeyStore.Entry entry, AdminRequest req) throws AdminProblemException {
        AdminBody body = AdminBody.parse(req.body(), Set.of("grace"));
        Duration grace = body.duration("grace", Duration.ZERO, MAX_GRACE);
        ApiKey key = entry.key();
        String currentSha = currentDigest(key.id());
        KeyRecord old = server.stateStore().keys().get(key.id());
        long now = now();
        String secret = Secrets.newSecret();
        long graceEnd = grace.isZero() ? 0 : now + grace.toMillis();
        String pending = durable(server.stateStore()
                .putKey(new KeyRecord(
                        key.id(),
                        KeyStore.sha256Hex(secret),
                        key.tier(),
                        key.tenant(),
                        old == null ? 0 : old.expiresAtMillis(),
                        graceEnd == 0 ? null : currentSha,
                        graceEnd,
                        old == null ? now : old.createdAtMillis())));
        server.defences().audit("key_rotate", key.id(), "grace=" + grace);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", key.id());
        out.put("secret", secret);
        out.put(
                "previous_valid_until",
                graceEnd == 0 ? null : Instant.ofEpochMilli(graceEnd).toString());
        return json(HttpResponseStatus.OK, withPending(out, pending));
    }

    private String currentDigest(String id) {
        KeyRecord r = server.stateStore().keys().get(id);
        if (r != null) {
            return r.sha256();
        }
        for (KeyConfig k : server.snapshot().config().keys()) {
            if (k.id().equals(id)) {
                return k.sha256();
            }
        }
        throw new IllegalStateException("key " + id + " has no digest");
    }

    private Reply block(ApiKey key, AdminRequest req) throws AdminProblemException {
        AdminBody body = AdminBody.parse(req.body(), Set.of("for", "reason"));
        Duration d = body.duration("for", null, MAX_BLOCK);
        String reason = body.string("reason");
        reason = reason == null ? "" : reason;
        if (reason.length() > 500) {
            throw new AdminProblemException(
                    AdminProblems.invalid("reason: " + reason.length() + " characters (expected at most 500)"));
        }
        long until = now() + d.toMillis();
        String pending = durable(server.defences().block(key.id(), until, reason));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", key.id());
        out.put("blocked_until", Instant.ofEpochMilli(until).toString());
        out.put("reason", reason);
        return json(HttpResponseStatus.OK, withPending(out, pending));
    }

    private KeyStore keys() {
        return server.keys().current();
    }

    private long now() {
        return server.clock().millis();
    }

    /**
     * Waits until the store has made a change durable (the admin worker may block; the loop never
     * does). Returns null, or what to tell the caller when the change applies here and the shared
     * store (Redis, unreachable) will hold it only when it answers again: a success, said so in the
     * answer's {@code pending} field. It answered 500 before (session 42's audit), so an operator
     * took a block that held, and a created key whose secret it then never saw, for failures.
     */
    private static String durable(CompletionStage<Void> change) throws AdminProblemException {
        try {
            change.toCompletableFuture().get(10, TimeUnit.SECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminProblemException(AdminProblems.failed("interrupted while saving the change"));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StateStore.Deferred d) {
                return d.getMessage();
            }
            throw notConfirmed();
        } catch (TimeoutException e) {
            throw notConfirmed();
        }
    }

    private static AdminProblemException notConfirmed() {
        return new AdminProblemException(AdminProblems.failed(
                "the state store did not confirm the change (it applies locally; it may not survive a restart)"));
    }

    /** The answer's fields, with {@code pending} when the change waits for the shared store. */
    private static Map<String, Object> withPending(Map<String, Object> out, String pending) {
        if (pending == null) {
            return out;
        }
        Map<String, Object> with = new LinkedHashMap<>(out);
        with.put("pending", pending);
        return with;
    }

    static Reply json(HttpResponseStatus status, Object body) {
        try {
            return Reply.json(status, JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
