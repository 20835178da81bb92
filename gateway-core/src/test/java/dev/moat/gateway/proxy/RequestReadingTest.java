package dev.moat.gateway.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/**
 * The policy stage's reading of a request ({@link AnswerProcessor#onRequest}) on an {@link
 * EmbeddedGateway}, the request's body a buffer that counts how often it is parsed.
 */
class RequestReadingTest {

    static final String OPENAI_ROUTE = """
            upstreams:
              llm: {url: "http://127.0.0.1:9", protocol: openai}
            routes:
              - {path_prefix: /v1/completions, upstream: llm, policy: rounded}
            policies:
              rounded:
                outputs:
                  - round: 1
            """;

    /**
     * A heap buffer that counts the reads of its backing array: {@code JsonBodies.read} takes it once
     * per parse, and nothing else on the way to the upstream call does.
     */
    static final class CountingBody extends UnpooledHeapByteBuf {
        int arrayReads;

        CountingBody(String json) {
            super(UnpooledByteBufAllocator.DEFAULT, json.getBytes(UTF_8), Integer.MAX_VALUE);
        }

        @Override
        public byte[] array() {
            arrayReads++;
            return super.array();
        }
    }

    /** The OpenAI adapter parsed a body for its rows and again for the answers it asks (prompts x n). */
    @Test
    void anOpenAiRequestBodyIsParsedOncePerRequest() throws Exception {
        try (EmbeddedGateway gw = new EmbeddedGateway(OPENAI_ROUTE)) {
            EmbeddedChannel ch = gw.connect("10.0.0.1");
            // two prompts x 1000 completions: more than the tier's bucket holds, so it is refused
            // after both the rows and the answers were read, and no upstream is needed
            CountingBody body = new CountingBody("{\"model\": \"m\", \"prompt\": [\"a\", \"b\"], \"n\": 1000}");
            HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/completions");
            head.headers()
                    .set(HttpHeaderNames.HOST, "x")
                    .set("X-API-Key", EmbeddedGateway.KEY)
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            ch.writeInbound(head, new DefaultLastHttpContent(body));
            ch.runPendingTasks();
            String answer = EmbeddedGateway.written(ch);
            boolean leftOver = ch.finishAndReleaseAll(); // before any assertion: nothing leaks if one fails
            assertThat(body.arrayReads).as("parses of the body").isEqualTo(1);
            assertThat(answer)
                    .as("refused for what it asks, before any upstream call")
                    .startsWith("HTTP/1.1 429 ")
                    .contains("a batch of 2000 rows");
            assertFalse(leftOver);
        }
    }
}
