package dev.moat.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.RateLimit;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How an answer's usage is read, and what an unreadable answer costs. */
class TokenMeterTest {

    static long used(TokenMeter m, String... pieces) {
        for (String p : pieces) {
            ByteBuf b = Unpooled.copiedBuffer(p, StandardCharsets.UTF_8);
            m.observe(b);
            assertThat(b.readerIndex()).isZero(); // left untouched
            b.release();
        }
        return m.used();
    }

    @Test
    void jsonUsageTotalOrPromptPlusCompletion() {
        assertThat(used(new TokenMeter(false, 1 << 20, 9), "{\"usage\":{\"total_tokens\":", "12}}"))
                .isEqualTo(12);
        assertThat(used(new TokenMeter(false, 1 << 20, 9), "{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}"))
                .isEqualTo(7);
    }

    @Test
    void anAnswerWithoutUsageIsNeverFree() {
        // the prompt estimate plus a quarter of the answer's bytes
        assertThat(used(new TokenMeter(false, 1 << 20, 9), "{\"choices\":[]}")).isEqualTo(9 + 4);
        assertThat(used(new TokenMeter(false, 1 << 20, 9), "not json at all")).isEqualTo(9 + 4);
        // too long to parse: charged by length, even if a small usage were claimed
        assertThat(used(new TokenMeter(false, 16, 9), "{\"usage\":{\"total_tokens\":1},\"pad\":\"xxxxxxxxxxxxxxxx\"}"))
                .isEqualTo(9 + 14);
    }

    @Test
    void streamsUseTheFinalUsageEventSplitAcrossChunks() {
        assertThat(used(
                        new TokenMeter(true, 1 << 20, 9),
                        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[],\"us",
                        "age\":{\"total_tokens\":21}}\r\n\r\ndata: [DONE]\n\n"))
                .isEqualTo(21);
    }

    @Test
    void streamsWithoutUsageCountContentChunks() {
        assertThat(used(
                        new TokenMeter(true, 1 << 20, 9),
                        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
                        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
                        "data: {\"choices\":[{\"text\":\"b\"}]}\n\n",
                        "data: {\"choices\":[{\"delta\":{\"content\":\"c\"}}]}")) // cut off: no final newline
                .isEqualTo(9 + 3);
    }

    @Test
    void theEstimateIsAQuarterOfTheBodyCappedByTheSmallestBudget() {
        List<RateLimit> budgets = List.of(RateLimit.parse("1000/1m"), RateLimit.parse("50/1h"));
        assertThat(TokenBudget.estimate(-1, budgets)).isEqualTo(1);
        assertThat(TokenBudget.estimate(9, budgets)).isEqualTo(3);
        assertThat(TokenBudget.estimate(4000, budgets)).isEqualTo(50);
    }

    @Test
    void anAbsurdUsageIsChargedAsAThousandBudgetsWithoutFailing() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1);
        RateLimiter limiter = new RateLimiter(100, java.time.Duration.ofHours(1), now::get);
        List<RateLimit> budgets = List.of(RateLimit.parse("100/1h"));
        TokenBudget.Check c = TokenBudget.check(limiter, "k", budgets, 0, 40);
        assertThat(c.allowed()).isTrue();
        c.charge().settle(Long.MAX_VALUE / 2);
        RateLimiter.Decision next = limiter.tryConsumeLlmTokens("k", budgets, 1, 0);
        assertThat(next.allowed()).isFalse();
        // 100 000 tokens of debt at 100 per hour: a thousand hours
        assertThat(next.retryAfterSeconds()).isBetween(999L * 3600, 1001L * 3600);
    }
}
