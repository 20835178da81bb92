package dev.moat.gateway.proxy;

import dev.moat.gateway.ratelimit.RateLimitHeaders;
import dev.moat.gateway.ratelimit.RateLimiter;
import dev.moat.gateway.ratelimit.TokenBudget;
import dev.moat.gateway.ratelimit.TokenMeter;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;

/**
 * The LLM token budget of one admitted exchange: the estimate taken at admission, the meter that
 * reads the answer's usage as it passes, and the correction when the exchange ends (an answer that
 * is not 2xx, or none at all, gives the whole estimate back). Lives on the exchange's event loop.
 */
final class LlmTokens {
    private final TokenBudget budget;
    private final RateLimiter.Decision admitted;
    private TokenMeter meter;

    LlmTokens(TokenBudget budget, RateLimiter.Decision admitted) {
        this.budget = budget;
        this.admitted = admitted;
    }

    /** The answer's head arrived: meter its body when it is a success. */
    void onHead(HttpResponse head, long maxBytes) {
        if (head.status().code() / 100 == 2) {
            meter = new TokenMeter(AnswerProcessor.streams(head), maxBytes, budget.estimate());
        }
    }

    /** A piece of the upstream's answer (left untouched). */
    void onContent(ByteBuf content) {
        if (meter != null) {
            meter.observe(content);
        }
    }

    /** Adds the token policy and the budget as admitted to an answer's headers. */
    void writeHeaders(HttpHeaders headers) {
        RateLimitHeaders.writeTokens(headers, admitted);
    }

    /** The exchange ended: charge what the answer used. */
    void settle() {
        budget.settle(meter == null ? 0 : meter.used());
    }
}
