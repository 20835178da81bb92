package dev.moat.gateway.admin;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;

/**
 * An authorised {@code /admin/*} call as the admin handlers see it: decoded path and query, and the
 * body as text (the admin listener aggregates at most 64 KiB).
 *
 * @param path the decoded path without its query
 * @param query decoded query parameters
 * @param body the request body, empty when none
 */
public record AdminRequest(HttpMethod method, String path, Map<String, List<String>> query, String body) {

    public AdminRequest {
        query = Map.copyOf(query);
        body = body == null ? "" : body;
    }

    /**
     * Parses a request target ({@code /admin/keys?level=ok}); a bad percent-escape ({@code %zz},
     * a lone {@code %}) is a 400 problem.
     */
    public static AdminRequest of(HttpMethod method, String uri, String body) throws AdminProblemException {
        QueryStringDecoder d = new QueryStringDecoder(uri);
        try {
            return new AdminRequest(method, d.path(), d.parameters(), body);
        } catch (IllegalArgumentException e) {
            throw new AdminProblemException(
                    AdminProblems.badRequest("the request target is not valid percent-encoding"));
        }
    }

    /** The first value of a query parameter, or null. */
    public String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }
}
