package dev.moat.gateway.log;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The access log's text fields (the JSON lines come from Logback's encoder: {@code JsonLogsIT}). */
class AccessLogTest {

    @Test
    void millisHaveThreeDecimalsWithoutStringFormat() {
        assertThat(AccessLog.millis(12_034_567)).isEqualTo("12.034");
        assertThat(AccessLog.millis(999)).isEqualTo("0.000");
        assertThat(AccessLog.millis(1_000_999)).isEqualTo("1.000");
        assertThat(AccessLog.millis(5_600_000_000L)).isEqualTo("5600.000");
        assertThat(AccessLog.millis(-1)).isEqualTo("-1");
    }

    @Test
    void aDisabledLogSaysSoBeforeAnEntryIsBuilt() {
        assertThat(new AccessLog(false, "json").enabled()).isFalse();
    }
}
