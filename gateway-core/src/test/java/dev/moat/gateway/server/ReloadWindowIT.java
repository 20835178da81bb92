package dev.moat.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.load.ConfigLoader;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A reload installs the new config, then the new key directory. A request that arrives between the
 * two authenticates against the old directory: its key may name a tier the new config dropped, which
 * has no limits to charge. It is answered 503 with {@code Retry-After}, not failed inside the rate
 * limiter (Bucket4j refuses a bucket without limits) and never served unlimited.
 */
class ReloadWindowIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final String ROUTES = """
            upstreams:
              model: {url: "${UPSTREAM}"}
            routes:
              - {path_prefix: /echo, upstream: model}
            """;

    @Test
    void aRequestBetweenAReloadsConfigAndItsKeysIsToldToRetry() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"100/1m\"") + ROUTES, upstream.baseUri())) {
            assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
            // the tier free is renamed basic: every key moves to it
            gw.rewrite((Gateway.common("\"100/1m\"") + ROUTES)
                    .replace("tier: free", "tier: basic")
                    .replace("  free: {limits:", "  basic: {limits:"));
            // the reload's first half only: the config is in force, the key directory is the old one
            gw.server.runtime().install(ConfigLoader.load(gw.configFile, Gateway.env(upstream.baseUri())));
            HttpResponse<String> between = gw.get("/echo", Gateway.ALICE);
            assertThat(between.statusCode()).as(between.body()).isEqualTo(503);
            assertThat(between.headers().firstValue("retry-after")).hasValue("1");
            assertThat(between.body()).contains("reloaded");
            gw.server.reload();
            assertThat(gw.get("/echo", Gateway.ALICE).statusCode()).isEqualTo(200);
            assertThat(gw.get("/echo", Gateway.BOB).statusCode()).isEqualTo(200);
        }
    }
}
