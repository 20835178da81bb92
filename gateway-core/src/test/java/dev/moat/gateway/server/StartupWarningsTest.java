package dev.moat.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.MoatConfig;
import dev.moat.config.load.ConfigLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the gateway warns about at startup: a guessable admin token, an exposed admin listener, no policy. */
class StartupWarningsTest {

    static List<String> warnings(String admin, String policy) throws Exception {
        MoatConfig c = ConfigLoader.parse("""
                admin: %s
                upstreams:
                  m: {url: "http://127.0.0.1:1", protocol: tfserving}
                routes:
                  - {path_prefix: /v1, upstream: m%s}
                policies:
                  p: {outputs: [{top_k: 1}]}
                """.formatted(admin, policy), "t.yaml", Map.of());
        return StartupWarnings.check(c);
    }

    @Test
    void theQuickstartDefaultTokenIsNamed() throws Exception {
        assertThat(warnings("{listen: \"127.0.0.1:9090\", token: change-me}", ", policy: p"))
                .singleElement()
                .asString()
                .contains("well-known default")
                .contains("change-me");
    }

    @Test
    void aShortTokenIsFlaggedAndALongRandomOneIsNot() throws Exception {
        assertThat(warnings("{listen: \"127.0.0.1:9090\", token: abc123def}", ", policy: p"))
                .singleElement()
                .asString()
                .contains("9 characters");
        assertThat(warnings("{listen: \"127.0.0.1:9090\", token: 3f9a0c1d2e4b5a69e1f2}", ", policy: p"))
                .isEmpty();
    }

    @Test
    void anAdminListenerOffLoopbackIsFlagged() throws Exception {
        assertThat(warnings("{listen: \"0.0.0.0:9090\", token: 3f9a0c1d2e4b5a69e1f2}", ", policy: p"))
                .singleElement()
                .asString()
                .contains("not on loopback");
        assertThat(warnings("{listen: \"localhost:9090\", token: 3f9a0c1d2e4b5a69e1f2}", ", policy: p"))
                .isEmpty();
        assertThat(warnings("{listen: \"[::1]:9090\", token: 3f9a0c1d2e4b5a69e1f2}", ", policy: p"))
                .isEmpty();
    }

    @Test
    void aRouteWithoutAPolicyIsFlagged() throws Exception {
        assertThat(warnings("{listen: \"127.0.0.1:9090\", token: 3f9a0c1d2e4b5a69e1f2}", ""))
                .singleElement()
                .asString()
                .contains("/v1 has no policy");
    }
}
