package dev.moat.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

class GatewayHeadersTest {

    @Test
    void theNamesThatSkipRevalidationAreValidTokens() {
        HttpHeaders netty = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        for (AsciiString name : GatewayHeaders.setEachExchange()) {
            netty.set(name, "v"); // Netty's own validator: throws for a name that is not a token
        }
        assertThat(netty.size()).isEqualTo(GatewayHeaders.setEachExchange().size());
    }

    @Test
    void everyOtherNameIsStillValidated() {
        HttpHeaders h = GatewayHeaders.FACTORY.newHeaders();
        assertThatThrownBy(() -> h.set("bad name", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.add("x-request-id\r\nx-evil", "v")).isInstanceOf(IllegalArgumentException.class);
        // equal content, another object: validated (and valid)
        h.set(new AsciiString("x-request-id"), "v");
        assertThatThrownBy(() -> h.set(new AsciiString("x request id"), "v"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void valuesAreStillValidated() {
        HttpHeaders h = GatewayHeaders.FACTORY.newHeaders();
        assertThatThrownBy(() -> h.set(GatewayHeaders.X_REQUEST_ID, "a\r\nx-evil: 1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void asciiValuesBecomeAsciiStringsAndOthersStayStrings() {
        assertThat(HeaderValues.ascii("127.0.0.1"))
                .isInstanceOf(AsciiString.class)
                .hasToString("127.0.0.1");
        assertThat(HeaderValues.ascii("modèle:8501")).isInstanceOf(String.class).hasToString("modèle:8501");
        assertThat(HeaderValues.ascii(null)).isNull();
    }

    @Test
    void decimalsAreLongToString() {
        long[] vs = {0, 1, 9, 10, 99, 100, 12345, -1, -10, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        for (long v : vs) {
            byte[] b = new byte[24];
            int end = HeaderValues.decimal(v, b, 2);
            assertThat(new String(b, 2, end - 2, java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo(Long.toString(v));
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            long v = r.nextLong() >> r.nextInt(64);
            byte[] b = new byte[20];
            int end = HeaderValues.decimal(v, b, 0);
            assertThat(new String(b, 0, end, java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo(Long.toString(v));
            assertThat(HeaderValues.decimalLength(v)).isEqualTo(Long.toString(v).length());
        }
        for (long v : vs) {
            assertThat(HeaderValues.decimalLength(v)).isEqualTo(Long.toString(v).length());
        }
    }
}
