package dev.moat.bench.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.load.ConfigLoader;
import dev.moat.fixtures.TextModel;
import dev.moat.gateway.auth.KeyStore;
import dev.moat.gateway.server.MoatServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The logit-extraction probe of Carlini et al. (ICML 2024, "Stealing Part of a Production Language
 * Model") against the fixture's OpenAI endpoint, through the gateway. Per prompt: one plain query
 * names the reference token r (the top-1); then for each group of four other tokens the attacker
 * biases them and r by +100 with {@code logit_bias} and asks for the top-5 logprobs, so all five
 * come back and {@code lp(t) - lp(r) = z(t) - z(r)}: 64 queries give the whole 256-logit vector up
 * to a constant. Centred vectors of many prompts are stacked; the number of singular values above
 * 1e-6 of the largest is the model's hidden size.
 */
final class LlmProbe {

    /** What one variant of the probe recovered. */
    record Result(
            String variant,
            String policy,
            int prompts,
            int requests,
            Map<Integer, Integer> statuses,
            int vectorsRecovered,
            int rank,
            int hiddenSize,
            double maxAbsError,
            double[] singularValues) {}

    static final String GUARD = "{max_top_logprobs: 5, logprob_decimals: 2, logit_bias_with_logprobs: reject}";
    private static final String SECRET = "eval-secret-llm-attacker";
    private static final int GROUP = 4;
    private static final double BIAS = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TextModel model = TextModel.get();
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Runs the probe through a gateway whose chat route has the {@code llm} rules or none. */
    Result run(URI upstream, boolean guarded, int prompts) throws Exception {
        String yaml = """
                server: {listen: "127.0.0.1:0", event_loop_threads: 1}
                admin: {listen: "127.0.0.1:0"}
                upstreams:
                  llm: {url: "%s", protocol: openai}
                routes:
                  - {path_prefix: /v1/chat/completions, upstream: llm%s}
                keys:
                  - {id: llm-attacker, sha256: "%s", tier: t}
                tiers:
                  t: {limits: ["1000000/1s"]}
                policies:
                  guard:
                    llm: %s
                access_log: {enabled: false}
                """.formatted(
                        upstream.toString().replaceAll("/+$", ""),
                        guarded ? ", policy: guard" : "",
                        KeyStore.sha256Hex(SECRET),
                        GUARD);
        try (MoatServer server =
                new MoatServer(ConfigLoader.parse(yaml, "eval-llm.yaml", Map.of()), null, System::nanoTime).start()) {
            URI chat = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
            return attack(chat, guarded, prompts);
        }
    }

    private Result attack(URI chat, boolean guarded, int prompts) throws Exception {
        Map<Integer, Integer> statuses = new TreeMap<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < model.vocabSize(); i++) {
            ids.put(model.vocabulary().get(i), i);
        }
        List<double[]> recovered = new ArrayList<>();
        double maxErr = 0;
        int requests = 0;
        for (int p = 0; p < prompts; p++) {
            String content = "Tell me about item " + p + " of the catalogue, please";
            JsonNode first = call(chat, content, Map.of(), statuses);
            requests++;
            if (first == null) {
                continue; // the attacker cannot even learn the reference token
            }
            int ref = ids.get(top(first).get(0).path("token").asText());
            double[] diff = new double[model.vocabSize()];
            boolean complete = true;
            List<Integer> others = new ArrayList<>();
            for (int t = 0; t < model.vocabSize(); t++) {
                if (t != ref) {
                    others.add(t);
                }
            }
            for (int g = 0; g < others.size() && complete; g += GROUP) {
                Map<Integer, Double> bias = new HashMap<>();
                bias.put(ref, BIAS);
                List<Integer> group = others.subList(g, Math.min(others.size(), g + GROUP));
                group.forEach(t -> bias.put(t, BIAS));
                JsonNode answer = call(chat, content, bias, statuses);
                requests++;
                if (answer == null) {
                    complete = false;
                    break;
                }
                Map<Integer, Double> lp = new HashMap<>();
                for (JsonNode e : top(answer)) {
                    lp.put(ids.get(e.path("token").asText()), e.path("logprob").asDouble());
                }
                for (int t : group) {
                    if (!lp.containsKey(t) || !lp.containsKey(ref)) {
                        complete = false;
                        break;
                    }
                    diff[t] = lp.get(t) - lp.get(ref);
                }
            }
            if (!complete) {
                // without logit_bias the attacker sees five logprobs per prompt and nothing else
                continue;
            }
            double[] centred = centre(diff);
            double[] truth = centre(model.logits("user: " + content + "\n", new int[0]));
            for (int t = 0; t < truth.length; t++) {
                maxErr = Math.max(maxErr, Math.abs(truth[t] - centred[t]));
            }
            recovered.add(centred);
        }
        double[] sv = recovered.isEmpty() ? new double[0] : Spectrum.singularValues(recovered.toArray(new double[0][]));
        int rank = Spectrum.rank(sv, 1e-6);
        return new Result(
                guarded ? "moat-llm-guard" : "none",
                guarded ? "llm: " + GUARD : "plain proxy route",
                prompts,
                requests,
                statuses,
                recovered.size(),
                rank,
                model.hiddenSize(),
                recovered.isEmpty() ? Double.NaN : maxErr,
                sv);
    }

    private JsonNode call(URI chat, String content, Map<Integer, Double> bias, Map<Integer, Integer> statuses)
            throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", TextModel.NAME);
        body.putArray("messages").addObject().put("role", "user").put("content", content);
        body.put("max_tokens", 1);
        body.put("logprobs", true);
        body.put("top_logprobs", 5);
        if (!bias.isEmpty()) {
            ObjectNode b = body.putObject("logit_bias");
            bias.forEach((t, v) -> b.put(Integer.toString(t), v));
        }
        HttpRequest request = HttpRequest.newBuilder(chat)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + SECRET)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        statuses.merge(r.statusCode(), 1, Integer::sum);
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static JsonNode top(JsonNode answer) {
        return answer.path("choices")
                .path(0)
                .path("logprobs")
                .path("content")
                .path(0)
                .path("top_logprobs");
    }

    static double[] centre(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] - mean;
        }
        return out;
    }
}
