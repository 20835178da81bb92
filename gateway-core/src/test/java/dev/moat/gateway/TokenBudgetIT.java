package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LLM token budgets ({@code tokens:} of a tier) over real sockets, against the fixture LLM: the
 * estimate before the request, the answer's usage (JSON and streamed) after it, the headers.
 */
class TokenBudgetIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    /** The fixture's usage for {@link #chat}: 5 prompt tokens (role and content) + 3 completion tokens. */
    static final int USAGE = 8;

    Gateway gw;

    void start(String budget) throws Exception {
        gw = Gateway.start(Gateway.common("\"1000/1m\"], tokens: [\"" + budget + "\"") + """
                upstreams:
                  llm: {url: "${UPSTREAM}", protocol: openai}
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /v1/chat/completions, upstream: llm}
                  - {path_prefix: /v1/completions, upstream: llm, policy: llm}
                  - {path_prefix: /v1/models/digits, upstream: model}
                policies:
                  llm:
                    llm: {max_top_logprobs: 5, logprob_decimals: 2}
                """, upstream.baseUri());
    }

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static String chat(String extra) {
        return "{\"model\":\"moat-tiny-16\",\"messages\":[{\"role\":\"user\",\"content\":\"tell me about moats\"}],\"max_tokens\":3"
                + extra + "}";
    }

    /** The gateway's estimate for a body: ceil(bytes / 4). */
    static long estimate(String body) {
        return (body.getBytes(StandardCharsets.UTF_8).length + 3) / 4;
    }

    /** The {@code r} of the token item in the RateLimit header. */
    static long tokensRemaining(HttpResponse<String> r, String budget) {
        String header = r.headers().firstValue("RateLimit").orElseThrow();
        Matcher m = Pattern.compile("\"tokens-" + Pattern.quote(budget) + "\";r=(\\d+);t=\\d+")
                .matcher(header);
        assertThat(m.find()).as(header).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void jsonUsageIsChargedAndTheOverEstimateGivenBack() throws Exception {
        start("100/1h");
        String body = chat("");
        assertThat(estimate(body)).isGreaterThan(USAGE); // so the correction gives tokens back
        HttpResponse<String> first = gw.post("/v1/chat/completions", Gateway.ALICE, body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.body()).contains("\"total_tokens\":" + USAGE);
        assertThat(tokensRemaining(first, "100/1h")).isEqualTo(100 - estimate(body));
        assertThat(first.headers().firstValue("RateLimit-Policy"))
                .hasValue("\"1000/1m\";q=1000;w=60, \"tokens-100/1h\";q=100;w=3600");

        HttpResponse<String> second = gw.post("/v1/chat/completions", Gateway.ALICE, body);
        assertThat(second.statusCode()).isEqualTo(200);
        // the first request cost its usage, not its estimate
        assertThat(tokensRemaining(second, "100/1h")).isEqualTo(100 - USAGE - estimate(body));
    }

    @Test
    void inspectingLlmRoutesAreChargedToo() throws Exception {
        start("100/1h");
        String body = "{\"model\":\"moat-tiny-16\",\"prompt\":\"a moat\",\"max_tokens\":2}";
        HttpResponse<String> first = gw.post("/v1/completions", Gateway.ALICE, body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        HttpResponse<String> second = gw.post("/v1/completions", Gateway.ALICE, body);
        assertThat(tokensRemaining(second, "100/1h")).isEqualTo(100 - 4 - estimate(body)); // 2 prompt + 2 completion
    }

    @Test
    void streamedUsageIsChargedFromTheFinalUsageEventOrByCounting() throws Exception {
        start("1000/1h");
        String withUsage = chat(",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        HttpResponse<String> r1 = gw.post("/v1/chat/completions", Gateway.ALICE, withUsage);
        assertThat(r1.statusCode()).isEqualTo(200);
        assertThat(r1.body()).contains("\"total_tokens\":" + USAGE).contains("data: [DONE]");

        String noUsage = chat(",\"stream\":true");
        HttpResponse<String> r2 = gw.post("/v1/chat/completions", Gateway.ALICE, noUsage);
        assertThat(r2.statusCode()).isEqualTo(200);
        assertThat(tokensRemaining(r2, "1000/1h")).isEqualTo(1000 - USAGE - estimate(noUsage));

        HttpResponse<String> r3 = gw.post("/v1/chat/completions", Gateway.ALICE, withUsage);
        // without a usage event: the prompt estimate plus one token per content chunk (3)
        assertThat(tokensRemaining(r3, "1000/1h"))
                .isEqualTo(1000 - USAGE - (estimate(noUsage) + 3) - estimate(withUsage));
    }

    @Test
    void aSpentBudgetAnswers429WithRetryAfterWithoutAnUpstreamCall() throws Exception {
        start("60/1h");
        String body = chat("");
        long est = estimate(body);
        int expected = 0;
        for (long left = 60; left >= est; left -= USAGE) {
            expected++;
        }
        int admitted = 0;
        HttpResponse<String> r;
        while ((r = gw.post("/v1/chat/completions", Gateway.ALICE, body)).statusCode() == 200) {
            admitted++;
            assertThat(admitted).isLessThanOrEqualTo(expected);
        }
        assertThat(admitted).isEqualTo(expected);
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("rate-limited").contains("token budget");
        assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
                .isPositive();
        assertThat(r.headers().firstValue("RateLimit-Policy").orElseThrow()).contains("\"tokens-60/1h\";q=60;w=3600");
        long before = upstream.server().requests("/v1/chat");
        assertThat(gw.post("/v1/chat/completions", Gateway.ALICE, body).statusCode())
                .isEqualTo(429);
        assertThat(upstream.server().requests("/v1/chat")).isEqualTo(before);
        // another key has its own budget
        assertThat(gw.post("/v1/chat/completions", Gateway.BOB, body).statusCode())
                .isEqualTo(200);
        // the budget refills
        gw.nanos.addAndGet(TimeUnit.HOURS.toNanos(1));
        assertThat(gw.post("/v1/chat/completions", Gateway.ALICE, body).statusCode())
                .isEqualTo(200);
    }

    @Test
    void aLongPromptIsAdmittedOnAFullBudgetThenItsUsageIsOwed() throws Exception {
        start("5/1h"); // smaller than one answer's usage: the estimate is capped, the usage goes into debt
        String body = chat("");
        assertThat(gw.post("/v1/chat/completions", Gateway.ALICE, body).statusCode())
                .isEqualTo(200);
        HttpResponse<String> r = gw.post("/v1/chat/completions", Gateway.ALICE, body);
        assertThat(r.statusCode()).isEqualTo(429);
        // 2 tokens of debt plus the next estimate (5) refill at 5/h: more than an hour
        assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
                .isGreaterThan(3600);
    }

    @Test
    void bypassChunkedBodyWithoutContentLengthIsStillChargedItsUsage() throws Exception {
        start("100/1h");
        byte[] body = chat("").getBytes(StandardCharsets.UTF_8);
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(gw.uri("/v1/chat/completions"))
                .header("Authorization", "Bearer " + Gateway.ALICE)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(body)))
                .build();
        HttpResponse<String> r = gw.http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(tokensRemaining(r, "100/1h")).isEqualTo(100 - 1); // no length: estimated at one token
        HttpResponse<String> next = gw.post("/v1/chat/completions", Gateway.ALICE, chat(""));
        assertThat(tokensRemaining(next, "100/1h")).isEqualTo(100 - USAGE - estimate(chat("")));
    }

    @Test
    void routesWithoutTheLlmProtocolAreUnaffected() throws Exception {
        start("5/1h");
        assertThat(gw.post("/v1/chat/completions", Gateway.ALICE, chat("")).statusCode())
                .isEqualTo(200);
        assertThat(gw.post("/v1/chat/completions", Gateway.ALICE, chat("")).statusCode())
                .isEqualTo(429);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = gw.get("/v1/models/digits", Gateway.ALICE);
            assertThat(r.statusCode()).as(r.body()).isNotEqualTo(429);
            assertThat(r.headers().firstValue("RateLimit-Policy")).hasValue("\"1000/1m\";q=1000;w=60");
            assertThat(r.headers().firstValue("RateLimit").orElseThrow()).doesNotContain("tokens-");
        }
    }
}
