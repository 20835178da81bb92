package dev.moat.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.Gateway;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code moat keys list|create|rotate|block|unblock|revoke} against a real gateway's admin API. */
class KeysCliIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern SECRET = Pattern.compile("(?m)^(moat_[A-Za-z0-9_-]{43})$");

    Gateway gw;
    String admin;

    @BeforeEach
    void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"1000/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}", response_timeout: 20s}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """, upstream.baseUri());
        admin = "http://127.0.0.1:" + gw.server.adminPort();
        AdminClient.tokenSource = () -> Gateway.ADMIN_TOKEN;
    }

    @AfterEach
    void stop() {
        AdminClient.tokenSource = () -> System.getenv("MOAT_ADMIN_TOKEN");
        gw.close();
    }

    CliTest.Run cli(String... args) {
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--admin";
        full[args.length + 1] = admin;
        return CliTest.run(full);
    }

    static String secret(CliTest.Run r) {
        Matcher m = SECRET.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        return m.group(1);
    }

    /** Regression: a port with nothing listening printed "moat: java.net.ConnectException" and nothing else. */
    @Test
    void anAdminUrlWithNothingListeningIsNamedWithTheCause() throws Exception {
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + free;
        CliTest.Run r = CliTest.run("keys", "list", "--admin", url);
        assertThat(r.code()).isEqualTo(1);
        // the line the command wrote (the @BeforeEach gateway's start-up log, written late by the async
        // appender on the same thread, can land in the capture too)
        assertThat(r.err().lines().filter(l -> l.startsWith("moat: ")))
                .singleElement()
                .asString()
                .startsWith("moat: cannot reach the admin API at " + url + ": connection refused");
    }

    @Test
    void createUseRotateBlockUnblockRevokeFromTheCommandLine() throws Exception {
        CliTest.Run created = cli("keys", "create", "--id", "carol", "--tier", "free", "--tenant", "acme");
        assertThat(created.code()).as(created.err()).isZero();
        String first = secret(created);
        assertThat(gw.get("/echo", first).statusCode()).isEqualTo(200);

        // a reset from the command line (there was none: "keys reset" suggested the irreversible "revoke")
        CliTest.Run reset = cli("keys", "reset", "carol");
        assertThat(reset.code()).as(reset.err()).isZero();
        assertThat(reset.out().trim()).isEqualTo("reset carol");

        CliTest.Run list = cli("keys", "list");
        assertThat(list.code()).isZero();
        assertThat(list.out()).containsPattern("(?m)^ID\\s+TIER\\s+TENANT\\s+RISK\\s+LEVEL\\s+QUERIES");
        assertThat(list.out()).containsPattern("(?m)^carol\\s+free\\s+acme\\s+0\\.000\\s+ok");

        CliTest.Run json = cli("keys", "list", "--json", "--tenant", "acme");
        // stdout is shared with the gateway's access log in this JVM: take the JSON document alone
        JsonNode page = JSON.readTree(json.out().substring(json.out().indexOf("{\n")));
        assertThat(page.get("keys")).hasSize(2); // alice and carol
        assertThat(page.has("next_cursor")).isTrue();

        CliTest.Run rotated = cli("keys", "rotate", "carol", "--grace", "10m");
        assertThat(rotated.code()).as(rotated.err()).isZero();
        String second = secret(rotated);
        assertThat(gw.get("/echo", first).statusCode()).isEqualTo(200);
        gw.advance(Duration.ofMinutes(11));
        assertThat(gw.get("/echo", first).statusCode()).isEqualTo(401);
        assertThat(gw.get("/echo", second).statusCode()).isEqualTo(200);

        assertThat(cli("keys", "block", "carol", "--for", "1h", "--reason", "cli test")
                        .code())
                .isZero();
        assertThat(gw.get("/echo", second).statusCode()).isEqualTo(403);
        CliTest.Run blocked = cli("keys", "list", "--blocked");
        assertThat(blocked.out()).contains("carol").doesNotContain("alice");
        // carol is blocked at risk 0: flagged; alice and bob, quiet and unblocked, are not
        assertThat(cli("keys", "list", "--flagged").out()).contains("carol").doesNotContain("alice");
        assertThat(cli("keys", "list", "--flagged=false").out())
                .contains("alice")
                .doesNotContain("carol");
        assertThat(cli("keys", "unblock", "carol").code()).isZero();
        assertThat(gw.get("/echo", second).statusCode()).isEqualTo(200);

        CliTest.Run revoked = cli("keys", "revoke", "carol");
        assertThat(revoked.code()).isZero();
        assertThat(revoked.out()).contains("revoked carol");
        assertThat(gw.get("/echo", second).statusCode()).isEqualTo(401);
    }

    @Test
    void anApiErrorExitsOneWithTheProblemDetail() {
        CliTest.Run r = cli("keys", "create", "--id", "x", "--tier", "gold");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("HTTP 422").contains("tier").contains("free");
        CliTest.Run unknown = cli("keys", "revoke", "nobody");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("HTTP 404").contains("nobody");
    }

    @Test
    void withoutATokenTheCliSaysWhatToSet() {
        AdminClient.tokenSource = () -> null;
        CliTest.Run r = cli("keys", "list");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("MOAT_ADMIN_TOKEN");
    }
}
