package dev.moat.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The CLI's side of the admin API: {@code --admin URL} and the token from {@code MOAT_ADMIN_TOKEN}
 * (never an option, so it stays out of shell history and {@code ps}). A picocli mixin.
 */
final class AdminClient {

    /** What the admin API answered: status and parsed JSON body. */
    record Answer(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The problem's detail (or the body) for an error line. */
        String error() {
            JsonNode d = body.get("detail");
            return "HTTP " + status + ": " + (d == null ? body.toString() : d.asText());
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();

    @Option(
            names = "--admin",
            defaultValue = "${MOAT_ADMIN_URL:-http://127.0.0.1:9090}",
            description = "The admin listener's URL (default: $MOAT_ADMIN_URL or ${DEFAULT-VALUE}).")
    URI admin;

    /** Where the token comes from: {@code MOAT_ADMIN_TOKEN}; tests in this package swap it. */
    static java.util.function.Supplier<String> tokenSource = () -> System.getenv("MOAT_ADMIN_TOKEN");

    Answer call(String method, String path, Object body) throws IOException, InterruptedException {
        String token = tokenSource.get();
        if (token == null || token.isBlank()) {
            throw new IllegalStateException("set MOAT_ADMIN_TOKEN to the gateway's admin token");
        }
        String base = admin.toString().replaceAll("/+$", "");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode node;
        try {
            node = r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            node = JSON.getNodeFactory().textNode(r.body());
        }
        return new Answer(r.statusCode(), node);
    }
}
