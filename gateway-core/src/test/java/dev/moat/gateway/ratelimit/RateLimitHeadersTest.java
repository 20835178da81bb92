package dev.moat.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {

    /** The field as the concatenation wrote it before it was written into one array. */
    private static String concatenated(String text, long r, long t) {
        return '"' + text + "\";r=" + r + ";t=" + t;
    }

    @Test
    void theItemIsWhatTheConcatenationWrote() {
        String[] texts = {"100/1m", "100000000/1m", "5000/1d", "10/s", "1/250ms", ""};
        long[] values = {0, 1, 59, 60, 86_400, 99_999_999, Long.MAX_VALUE, -1};
        for (String text : texts) {
            for (long r : values) {
                for (long t : values) {
                    CharSequence item = RateLimitHeaders.item(text, r, t);
                    assertThat(item).isInstanceOf(AsciiString.class);
                    assertThat(item.toString()).isEqualTo(concatenated(text, r, t));
                }
            }
        }
    }

    @Test
    void aNonAsciiLimitTextIsNotTruncated() {
        CharSequence item = RateLimitHeaders.item("100/1mé", 3, 4);
        assertThat(item.toString()).isEqualTo(concatenated("100/1mé", 3, 4));
    }
}
