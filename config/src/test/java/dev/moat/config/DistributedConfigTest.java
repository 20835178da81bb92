package dev.moat.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.load.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code distributed} and {@code state} sections: values, defaults, errors. */
class DistributedConfigTest {

    static MoatConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(ConfigErrorsTest.BASE + yaml, "test.yaml", Map.of());
    }

    @Test
    void redisWithItsFailureSettingsAndAStateFile() throws Exception {
        MoatConfig c = parse("""
                distributed: {redis: "rediss://:pw@redis:6380/2", fail_open: false, instances: 3, timeout: 20ms}
                state: {file: /var/lib/moat/state.json}
                """);
        assertThat(c.distributed())
                .isEqualTo(new DistributedConfig("rediss://:pw@redis:6380/2", false, 3, Duration.ofMillis(20)));
        assertThat(c.state().file()).isEqualTo(Path.of("/var/lib/moat/state.json"));
    }

    @Test
    void defaultsAreOneInstanceFiftyMillisecondsFailOpenAndNoStateFile() throws Exception {
        MoatConfig c = parse("distributed: {redis: \"redis-sentinel://sentinel:26379/0#mymaster\"}\n");
        assertThat(c.distributed().failOpen()).isTrue();
        assertThat(c.distributed().instances()).isEqualTo(1);
        assertThat(c.distributed().timeout()).isEqualTo(Duration.ofMillis(50));
        assertThat(c.state()).isEqualTo(StateConfig.NONE);
    }

    @Test
    void badValuesNameTheFieldAndTheExpectation() {
        assertThat(ConfigErrorsTest.errors(ConfigErrorsTest.BASE + """
                distributed: {redis: "redis://r:6379", instances: 0, timeout: soon, shards: 2}
                state: {path: x}
                """))
                .hasSize(4)
                .anySatisfy(e -> assertThat(e).startsWith("test.yaml:5:").contains("distributed.instances"))
                .anySatisfy(e -> assertThat(e).contains("distributed.timeout"))
                .anySatisfy(e -> assertThat(e).contains("distributed.shards: unknown field"))
                .anySatisfy(e -> assertThat(e).contains("state.path: unknown field"));
    }
}
