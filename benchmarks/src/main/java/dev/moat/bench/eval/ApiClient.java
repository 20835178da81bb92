package dev.moat.bench.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A client of the gateway's tfserving route over real HTTP/1.1 with keep-alive, as an API customer
 * would call it: {@code POST {"instances": [...]}} with {@code Authorization: Bearer <secret>}.
 */
final class ApiClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One answer: the HTTP status, the prediction rows (only for 200), and the server's
     * Retry-After in seconds (429/403), 0 when absent.
     */
    record Reply(int status, double[][] rows, long retryAfterSeconds) {
        boolean ok() {
            return status == 200;
        }
    }

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final URI target;

    ApiClient(URI target) {
        this.target = target;
    }

    Reply predict(String secret, double[][] rows) {
        HttpRequest request = HttpRequest.newBuilder(target)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + secret)
                .POST(HttpRequest.BodyPublishers.ofString(body(rows)))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("request to " + target + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        long retryAfter = response.headers().firstValueAsLong("Retry-After").orElse(0);
        if (response.statusCode() != 200) {
            return new Reply(response.statusCode(), null, retryAfter);
        }
        return new Reply(200, parse(response.body(), rows.length), retryAfter);
    }

    /** One cheap chat completion ({@code max_tokens: 1}, one row of logprobs) on {@code chat}; its status. */
    int chat(URI chat, String secret) {
        HttpRequest request = HttpRequest.newBuilder(chat)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + secret)
                .POST(
                        HttpRequest.BodyPublishers.ofString(
                                "{\"max_tokens\":1,\"logprobs\":true,\"top_logprobs\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException("request to " + chat + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static String body(double[][] rows) {
        StringBuilder sb = new StringBuilder(rows.length * 64 * 6 + 16).append("{\"instances\":[");
        for (int i = 0; i < rows.length; i++) {
            sb.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < rows[i].length; j++) {
                if (j > 0) {
                    sb.append(',');
                }
                double v = rows[i][j];
                if (v == Math.rint(v) && Math.abs(v) < 1e9) {
                    sb.append((long) v);
                } else {
                    sb.append(v);
                }
            }
            sb.append(']');
        }
        return sb.append("]}").toString();
    }

    static double[][] parse(String body, int expectedRows) {
        try {
            JsonNode preds = JSON.readTree(body).get("predictions");
            if (preds == null || !preds.isArray() || preds.size() != expectedRows) {
                throw new IllegalStateException("answer without " + expectedRows + " prediction rows: "
                        + body.substring(0, Math.min(200, body.length())));
            }
            double[][] out = new double[preds.size()][];
            for (int i = 0; i < out.length; i++) {
                JsonNode row = preds.get(i);
                out[i] = new double[row.size()];
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] = row.get(j).asDouble();
                }
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("unparseable answer: " + e.getMessage(), e);
        }
    }
}
