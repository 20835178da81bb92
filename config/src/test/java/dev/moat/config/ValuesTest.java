package dev.moat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValuesTest {

    @ParameterizedTest
    @CsvSource({"500ms, PT0.5S", "30s, PT30S", "5m, PT5M", "1h, PT1H", "1d, PT24H", "0s, PT0S", "' 10 s ', PT10S"})
    void durations(String text, Duration expected) {
        assertThat(Values.duration(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "30", "1.5s", "-1s", "1w", "1S", "s", "1h30m", "999999999999999999d"})
    void notDurations(String text) {
        assertThat(Values.duration(text)).isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "512, 512",
        "512B, 512",
        "16KiB, 16384",
        "4MiB, 4194304",
        "1GiB, 1073741824",
        "2TiB, 2199023255552",
        "10KB, 10000",
        "10kB, 10000",
        "3MB, 3000000",
        "1GB, 1000000000",
        "0, 0"
    })
    void sizes(String text, long expected) {
        assertThat(Values.size(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "KiB", "1.5MiB", "-1", "16kib", "4 MiBs", "9999999999999999999", "9000000TiB"})
    void notSizes(String text) {
        assertThat(Values.size(text)).isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "100/1m, 100, PT1M",
        "5000/1d, 5000, PT24H",
        "10/s, 10, PT1S",
        "10/ s, 10, PT1S",
        "3/500ms, 3, PT0.5S",
        "1/2h, 1, PT2H"
    })
    void rates(String text, long capacity, Duration period) {
        assertThat(Values.rate(text)).isEqualTo(new RateLimit(capacity, period, text.trim()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0/1m", "100/0s", "100", "100/", "/1m", "100/1w", "1.5/1m", "-1/1m", "100 per minute"})
    void notRates(String text) {
        assertThat(Values.rate(text)).isNull();
    }

    @Test
    void hostPorts() {
        assertThat(Values.hostPort("0.0.0.0:8080")).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(Values.hostPort("localhost:0")).isEqualTo(new HostPort("localhost", 0));
        assertThat(Values.hostPort("[::1]:65535")).isEqualTo(new HostPort("::1", 65535));
        assertThat(new HostPort("::1", 9090)).hasToString("[::1]:9090");
        for (String bad :
                new String[] {":8080", "host", "host:", "host:65536", "host:-1", "host:+80", "::1:80", "a b:1"}) {
            assertThat(Values.hostPort(bad)).as(bad).isNull();
        }
    }

    @Test
    void numbersAndBooleans() {
        assertThat(Values.integer("-12")).isEqualTo(-12L);
        assertThat(Values.integer("99999999999999999999")).isNull();
        assertThat(Values.integer("1.0")).isNull();
        assertThat(Values.decimal(".5")).isEqualTo(0.5);
        assertThat(Values.decimal("1e-3")).isEqualTo(0.001);
        assertThat(Values.decimal("NaN")).isNull();
        assertThat(Values.decimal("1e999")).isNull();
        assertThat(Values.bool("TRUE")).isTrue();
        assertThat(Values.bool("yes")).isNull();
    }

    @Test
    void sha256AndPointers() {
        assertThat(Values.sha256Hex("AB".repeat(32))).isEqualTo("ab".repeat(32));
        assertThat(Values.sha256Hex("ab".repeat(31))).isNull();
        assertThat(Values.sha256Hex("zz".repeat(32))).isNull();
        assertThat(Values.jsonPointer("/a~1b/0")).isEqualTo("/a~1b/0");
        assertThat(Values.jsonPointer("/a~2")).isNull();
        assertThat(Values.jsonPointer("")).isNull();
        assertThat(Values.jsonPointer("a/b")).isNull();
    }

    @Test
    void publicParseHelpersExplainRejections() {
        assertThat(RateLimit.parse("20/1m")).isEqualTo(new RateLimit(20, Duration.ofMinutes(1), "20/1m"));
        assertThatThrownBy(() -> RateLimit.parse("20 a minute"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a rate like");
        assertThatThrownBy(() -> HostPort.parse("nowhere"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"host:port\"");
    }
}
