package dev.moat.gateway.ratelimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads how many tokens an OpenAI-style answer used, from the bytes as they pass (it never changes
 * or keeps the caller's buffers).
 *
 * <ul>
 *   <li>A JSON answer: its {@code usage.total_tokens} (or {@code prompt_tokens + completion_tokens}).
 *       The body is copied (up to {@code maxBytes}) and parsed when it ends.
 *   <li>A stream (server-sent events): the {@code usage} of the final chunk when the stream carries one
 *       ({@code stream_options.include_usage}); otherwise the prompt estimate plus one token per
 *       chunk that carries content.
 * </ul>
 * An answer whose usage cannot be read (not JSON, too long, no {@code usage}) is charged the prompt
 * estimate plus a quarter of its length in bytes: never free.
 */
public final class TokenMeter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean stream;
    private final long maxBytes;
    private final long promptEstimate;
    private ByteArrayOutputStream body = new ByteArrayOutputStream(256);
    private long bytes;
    private long contentChunks;
    private long usage = -1;

    /**
     * @param stream the answer is {@code text/event-stream}
     * @param promptEstimate the estimate taken before the request, charged for the prompt when the
     *     answer does not say
     */
    public TokenMeter(boolean stream, long maxBytes, long promptEstimate) {
        this.stream = stream;
        this.maxBytes = maxBytes;
        this.promptEstimate = promptEstimate;
    }

    /** Looks at a piece of the answer (readable bytes, left as they are). */
    public void observe(ByteBuf chunk) {
        int n = chunk.readableBytes();
        bytes += n;
        if (body == null) {
            return;
        }
        if (!stream && bytes > maxBytes) {
            body = null; // too long to parse: charged by length
            return;
        }
        byte[] copy = new byte[n];
        chunk.getBytes(chunk.readerIndex(), copy);
        if (!stream) {
            body.write(copy, 0, n);
            return;
        }
        for (byte b : copy) {
            if (b == '\n') {
                line(body.toString(StandardCharsets.UTF_8));
                body.reset();
            } else if (body.size() < maxBytes) {
                body.write(b);
            }
        }
    }

    /** The tokens the answer used, once it ended (or was cut off). */
    public long used() {
        if (stream) {
            if (body != null && body.size() > 0) {
                line(body.toString(StandardCharsets.UTF_8));
                body.reset();
            }
            return usage >= 0 ? usage : promptEstimate + contentChunks;
        }
        if (body != null) {
            try {
                long u = usageOf(JSON.readTree(body.toByteArray()));
                if (u >= 0) {
                    return u;
                }
            } catch (IOException | RuntimeException e) {
                // not JSON: charged by length below
            }
        }
        return promptEstimate + (bytes + 3) / 4;
    }

    private void line(String line) {
        String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        if (!l.startsWith("data:")) {
            return;
        }
        String data = l.substring(5).strip();
        if (data.isEmpty() || data.equals("[DONE]")) {
            return;
        }
        JsonNode event;
        try {
            event = JSON.readTree(data);
        } catch (IOException e) {
            return;
        }
        long u = usageOf(event);
        if (u >= 0) {
            usage = u;
        }
        for (JsonNode choice : event.path("choices")) {
            String text = choice.path("delta").path("content").asText("");
            if (text.isEmpty()) {
                text = choice.path("text").asText("");
            }
            if (!text.isEmpty()) {
                contentChunks++;
            }
        }
    }

    /** {@code usage.total_tokens}, or prompt plus completion tokens, or -1. */
    static long usageOf(JsonNode doc) {
        JsonNode u = doc.path("usage");
        if (!u.isObject()) {
            return -1;
        }
        if (u.path("total_tokens").canConvertToLong() && u.path("total_tokens").isIntegralNumber()) {
            return Math.max(0, u.path("total_tokens").asLong());
        }
        JsonNode p = u.path("prompt_tokens");
        JsonNode c = u.path("completion_tokens");
        if (p.isIntegralNumber() || c.isIntegralNumber()) {
            return Math.max(0, p.asLong(0)) + Math.max(0, c.asLong(0));
        }
        return -1;
    }
}
