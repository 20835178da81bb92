package dev.moat.gateway.admin;

import java.util.concurrent.CompletableFuture;

/** What the admin listener can ask of the running gateway. */
public interface AdminService {

    /** Prometheus text exposition of every meter. */
    String scrape();

    /** Ready when not draining and every upstream accepts a connection. */
    CompletableFuture<AdminHandler.Reply> ready();

    /** The admin bearer token, or null when admin endpoints are disabled. */
    String token();

    /** An authorised {@code /admin/*} call. */
    CompletableFuture<AdminHandler.Reply> admin(AdminRequest request);
}
