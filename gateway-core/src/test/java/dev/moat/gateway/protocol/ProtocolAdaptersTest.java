package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig.GenericPointers;
import org.junit.jupiter.api.Test;

class ProtocolAdaptersTest {

    @Test
    void everyProtocolHasAnAdapterThatSpeaksIt() {
        for (Protocol p : Protocol.values()) {
            GenericPointers pointers = p == Protocol.GENERIC ? new GenericPointers("/data", "/out", null) : null;
            assertThat(ProtocolAdapters.forUpstream(Bodies.upstream(p, pointers))
                            .protocol())
                    .isEqualTo(p);
        }
    }

    @Test
    void aGenericUpstreamWithoutPointersIsAConfigurationError() {
        assertThatThrownBy(() -> ProtocolAdapters.forUpstream(Bodies.upstream(Protocol.GENERIC, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("upstreams.model");
    }
}
