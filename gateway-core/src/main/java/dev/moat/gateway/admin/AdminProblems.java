package dev.moat.gateway.admin;

import dev.moat.gateway.http.Problem;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The admin API's problem types (RFC 9457): every admin error answers with one of these. */
public final class AdminProblems {

    private AdminProblems() {}

    public static Problem notFound(String detail) {
        return new Problem("admin-not-found", HttpResponseStatus.NOT_FOUND, "No such admin resource", detail);
    }

    public static Problem methodNotAllowed(String detail) {
        return new Problem(
                "method-not-allowed", HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed here", detail);
    }

    /** A body or query the admin API cannot act on: names the field and what was expected. */
    public static Problem invalid(String detail) {
        return new Problem(
                "invalid-admin-request", HttpResponseStatus.UNPROCESSABLE_ENTITY, "Invalid admin request", detail);
    }

    public static Problem conflict(String detail) {
        return new Problem("conflict", HttpResponseStatus.CONFLICT, "Conflicts with the current state", detail);
    }

    public static Problem badRequest(String detail) {
        return Problem.badRequest(detail);
    }

    public static Problem failed(String detail) {
        return new Problem(
                "admin-call-failed", HttpResponseStatus.INTERNAL_SERVER_ERROR, "The admin call failed", detail);
    }
}
