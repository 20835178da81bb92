package dev.moat.gateway.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The access log's line formats (the JSON one is what an operator's log pipeline parses). */
class AccessLogTest {

    private static final AccessLog.Entry ENTRY = new AccessLog.Entry(
            "r1", "POST", "/v1/\"x\"", "alice", "model", 200, 3000, 100, 12_034_567, 1_000_999, "ok");

    @Test
    void millisHaveThreeDecimalsWithoutStringFormat() {
        assertThat(AccessLog.millis(12_034_567)).isEqualTo("12.034");
        assertThat(AccessLog.millis(999)).isEqualTo("0.000");
        assertThat(AccessLog.millis(1_000_999)).isEqualTo("1.000");
        assertThat(AccessLog.millis(5_600_000_000L)).isEqualTo("5600.000");
        assertThat(AccessLog.millis(-1)).isEqualTo("-1");
    }

    @Test
    void jsonLineParsesWithTheFieldsAnOperatorNeeds() throws Exception {
        JsonNode n = new ObjectMapper().readTree(AccessLog.json(ENTRY));
        assertThat(n.get("path").asText()).isEqualTo("/v1/\"x\"");
        assertThat(n.get("key").asText()).isEqualTo("alice");
        assertThat(n.get("status").asInt()).isEqualTo(200);
        assertThat(n.get("upstream_ms").decimalValue()).isEqualByComparingTo("12.034");
        assertThat(n.get("total_ms").decimalValue()).isEqualByComparingTo("1.000");
    }

    @Test
    void aDisabledLogSaysSoBeforeAnEntryIsBuilt() {
        assertThat(new AccessLog(false, "json").enabled()).isFalse();
    }
}
