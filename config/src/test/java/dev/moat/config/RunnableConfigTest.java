package dev.moat.config;

import static dev.moat.config.ConfigErrorsTest.BASE;
import static dev.moat.config.ConfigErrorsTest.errors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.load.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values the loader passed and the gateway then could not run: {@code moat validate} said ok, and
 * {@code moat run} died with a stack trace, ran out of memory, answered every request 500, or
 * routed no request to a route. Each is now an error at its line.
 */
class RunnableConfigTest {

    static final String ROUTE = """
            upstreams:
              digits: {url: "http://127.0.0.1:8501"}
            routes:
            """;

    /**
     * Regression: requests are normalised before routing (no "//", dot segment, escape, space or
     * non-ASCII) and matched case-blind, so these routes took no request: the traffic meant for
     * their policy went to another route.
     */
    @Test
    void pathPrefixesNoRequestCanMatchAreRefused() {
        String expected = " (expected a path in the form requests are matched in: no \"//\", \".\" or \"..\" segment,"
                + " no %, ?, #, ;, \\, space or non-ASCII character (no request would reach the route))";
        assertThat(errors(ROUTE + """
                  - {path_prefix: /v1, upstream: digits}
                  - {path_prefix: "/a/../b", upstream: digits}
                  - {path_prefix: "/a%2Fb", upstream: digits}
                  - {path_prefix: "/a b", upstream: digits}
                  - {path_prefix: "/a?x", upstream: digits}
                  - {path_prefix: "//a", upstream: digits}
                  - {path_prefix: "/caf\u00e9", upstream: digits}
                  - {path_prefix: /V1, upstream: digits}
                  - {path_prefix: /v1/, upstream: digits}
                """))
                .containsExactly(
                        "test.yaml:5:19: routes[1].path_prefix: \"/a/../b\"" + expected,
                        "test.yaml:6:19: routes[2].path_prefix: \"/a%2Fb\"" + expected,
                        "test.yaml:7:19: routes[3].path_prefix: \"/a b\"" + expected,
                        "test.yaml:8:19: routes[4].path_prefix: \"/a?x\"" + expected,
                        "test.yaml:9:19: routes[5].path_prefix: \"//a\"" + expected,
                        "test.yaml:10:19: routes[6].path_prefix: \"/caf\u00e9\"" + expected,
                        "test.yaml:11:19: routes[7].path_prefix: \"/V1\" (expected a path_prefix used by one route"
                                + " only (routes match case-blind); also at test.yaml:4:19)");
    }

    /** Regression: two errors at one place, one expecting a list and one "at least one route". */
    @Test
    void routesWrittenAsAMappingIsOneError() {
        assertThat(errors(ROUTE.replace("routes:\n", "routes: {path_prefix: /v1, upstream: digits}\n")))
                .containsExactly("test.yaml:3:9: routes: a mapping (expected a list of routes)");
    }

    /**
     * Regression: {@code idle: 999999999999d} validated and {@code moat run} died of
     * "ArithmeticException: long overflow"; {@code "2000000000/1s"} validated and every request was a 500
     * (Bucket4j refuses a refill faster than a token a nanosecond).
     */
    @Test
    void durationsAndRatesTheGatewayCannotHoldAreRefused() throws ConfigException {
        assertThat(errors(BASE + """
                server: {timeouts: {idle: 999999999999d, drain: 3651d}}
                tiers: {free: {limits: ["2000000000/1s", "5/3651d"]}}
                """))
                .containsExactly(
                        "test.yaml:5:27: server.timeouts.idle: \"999999999999d\" (expected a positive duration like"
                                + " 500ms, 30s, 5m, 1h or 1d, at most 3650d)",
                        "test.yaml:5:49: server.timeouts.drain: \"3651d\" (expected a duration like 500ms, 30s, 5m,"
                                + " 1h or 1d, at most 3650d)",
                        "test.yaml:6:25: tiers.free.limits[0]: \"2000000000/1s\" (expected a rate like \"100/1m\","
                                + " \"5000/1d\" or \"10/s\": at most one per nanosecond, over at most 3650d)",
                        "test.yaml:6:42: tiers.free.limits[1]: \"5/3651d\" (expected a rate like \"100/1m\","
                                + " \"5000/1d\" or \"10/s\": at most one per nanosecond, over at most 3650d)");
        MoatConfig longest = ConfigLoader.parse(
                BASE + "server: {timeouts: {idle: 3650d}}\ntiers: {free: {limits: [\"1000000000/1s\"]}}\n",
                "test.yaml",
                Map.of());
        assertThat(longest.server().timeouts().idle()).isEqualTo(Duration.ofDays(3650));
    }

    /**
     * Regression: port 99999 validated (every request then failed); credentials, a query and a
     * fragment were dropped without a word, and an error quoted the password.
     */
    @Test
    void upstreamUrlsWithABadPortCredentialsOrAQueryAreRefusedAndCredentialsHidden() {
        assertThat(errors("""
                upstreams:
                  a: {url: "http://127.0.0.1:99999"}
                  b: {url: "http://model:hunter2@127.0.0.1:8501"}
                  c: {url: "http://127.0.0.1:8501/v1?api-key=xyz"}
                  d: {url: "ftp://user:hunter2@127.0.0.1"}
                routes:
                  - {path_prefix: /v1, upstream: a}
                """))
                .containsExactly(
                        "test.yaml:2:12: upstreams.a.url: \"http://127.0.0.1:99999\" (expected a URL whose port is"
                                + " from 1 to 65535)",
                        "test.yaml:3:12: upstreams.b.url: (value hidden) (expected an upstream URL without"
                                + " user:password@, ?query or #fragment (the gateway sends none of them))",
                        "test.yaml:4:12: upstreams.c.url: \"http://127.0.0.1:8501/v1?api-key=xyz\" (expected an"
                                + " upstream URL without user:password@, ?query or #fragment (the gateway sends none of"
                                + " them))",
                        "test.yaml:5:12: upstreams.d.url: (value hidden) (expected an absolute http:// or https://"
                                + " URL with a host)");
    }

    /**
     * Regression: an upstream named with an underscore, as Docker Compose services often are
     * ({@code http://model_server:8501}), was refused as "a URL with a host": Java's URI parses no
     * host there, though DNS and the gateway's resolver take the name. Its host, port and Host header
     * are read from the authority; a bad port and user info are still refused, and the webhook (sent
     * by Java's HTTP client, which takes no such name) still wants a host URI parses.
     */
    @Test
    void anUpstreamNamedWithAnUnderscoreIsAccepted() throws ConfigException {
        MoatConfig c = ConfigLoader.parse(BASE.replace(ROUTE, """
                        upstreams:
                          digits: {url: "http://model_server:8501/base"}
                          other: {url: "https://tf_serving.internal"}
                        routes:
                        """), "test.yaml", java.util.Map.of());
        UpstreamConfig u = c.upstreams().get("digits");
        assertThat(u.host()).isEqualTo("model_server");
        assertThat(u.port()).isEqualTo(8501);
        assertThat(u.authority()).isEqualTo("model_server:8501");
        assertThat(u.basePath()).isEqualTo("/base");
        UpstreamConfig o = c.upstreams().get("other");
        assertThat(o.host()).isEqualTo("tf_serving.internal");
        assertThat(o.port()).isEqualTo(443);
        assertThat(o.authority()).isEqualTo("tf_serving.internal");
        assertThat(errors("""
                upstreams:
                  a: {url: "http://model_server:99999"}
                  b: {url: "http://user:pw@model_server:8501"}
                routes:
                  - {path_prefix: /v1, upstream: a}
                alerts: {webhook: "http://alert_sink:9000/hook"}
                """))
                .containsExactly(
                        "test.yaml:2:12: upstreams.a.url: \"http://model_server:99999\" (expected a URL whose port is"
                                + " from 1 to 65535)",
                        "test.yaml:3:12: upstreams.b.url: (value hidden) (expected an absolute http:// or https://"
                                + " URL with a host)",
                        "test.yaml:6:19: alerts.webhook: (value hidden) (expected an absolute http:// or https://"
                                + " URL with a host)");
    }

    /** Regression: validate said ok and run died of "bind(..) failed: Address already in use" with a stack trace. */
    @Test
    void theAdminListenerCannotShareTheServersPort() throws ConfigException {
        assertThat(errors(BASE + "server: {listen: \"0.0.0.0:9000\"}\nadmin: {listen: \"127.0.0.1:9000\"}\n"))
                .containsExactly("test.yaml:6:17: admin.listen: \"127.0.0.1:9000\" (expected an address other than"
                        + " server.listen's 0.0.0.0:9000 (two listeners cannot bind one port))");
        assertThat(errors(BASE + "server: {listen: \"127.0.0.1:9090\"}\n"))
                .containsExactly("test.yaml:1:1: admin.listen: the default 127.0.0.1:9090 (expected an address"
                        + " other than server.listen's 127.0.0.1:9090 (two listeners cannot bind one port))");
        ConfigLoader.parse(
                BASE + "server: {listen: \"127.0.0.1:0\"}\nadmin: {listen: \"127.0.0.1:0\"}\n", "test.yaml", Map.of());
        ConfigLoader.parse(
                BASE + "server: {listen: \"127.0.0.1:9000\"}\nadmin: {listen: \"127.0.0.2:9000\"}\n",
                "test.yaml",
                Map.of());
    }

    /**
     * Regression: {@code workers: 8, queue_capacity: 4} validated and run exited with "queueCapacity: 4
     * (expected: at least workers (8))", no line; a queue of 2^31 slots ran the gateway out of memory.
     */
    @Test
    void detectionQueuesAndKeysAreAtLeastOnePerWorkerAndTheQueueFitsInMemory() {
        assertThat(errors(BASE + "detection: {workers: 8, queue_capacity: 4, max_tracked_keys: 2}\n"))
                .containsExactly(
                        "test.yaml:5:41: detection.queue_capacity: \"4\" (expected an integer of at least"
                                + " detection.workers (8, one share each) and at most 16777216)",
                        "test.yaml:5:62: detection.max_tracked_keys: \"2\" (expected an integer of at least"
                                + " detection.workers (8, one share each))");
        assertThat(errors(BASE + "detection: {queue_capacity: 2147483647}\n"))
                .containsExactly("test.yaml:5:29: detection.queue_capacity: \"2147483647\" (expected an integer of at"
                        + " least detection.workers (1, one share each) and at most 16777216)");
    }

    @TempDir
    Path dir;

    /**
     * Regression: an audit file, state file or watermark ledger that is a directory (or under a
     * regular file) validated, and run died with a stack trace; a missing calibration was reported
     * at line 0, column 0.
     */
    @Test
    void filesTheGatewayWritesOrReadsAreCheckedAtTheirLine() throws Exception {
        Files.createDirectory(dir.resolve("logs"));
        Files.writeString(dir.resolve("plain"), "");
        Path config = Files.writeString(dir.resolve("moat.yaml"), BASE + """
                audit: {file: logs}
                state: {file: plain/state.json}
                detection: {calibration: missing.moat}
                policies:
                  p:
                    outputs: [{watermark: {secret: "0123456789abcdef", ledger: logs}}]
                """);
        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                ConfigException.class, () -> ConfigLoader.load(config, Map.of()));
        assertThat(e.errors())
                .extracting(ConfigError::toString)
                .containsExactly(
                        config + ":5:15: audit.file: \"" + dir.resolve("logs")
                                + "\" is a directory (expected a file the gateway can append the audit trail to)",
                        config + ":6:15: state.file: \"" + dir.resolve("plain/state.json") + "\" cannot be created: "
                                + dir.resolve("plain") + " is not a directory (expected a file the gateway can"
                                + " write its state to)",
                        config + ":7:26: detection.calibration: \"" + dir.resolve("missing.moat")
                                + "\" does not exist (expected a calibration file written by `moat calibrate`)",
                        config + ":10:64: policies.p.outputs[0].watermark.ledger: \"" + dir.resolve("logs")
                                + "\" is a directory (expected a file the gateway can append the watermark ledger to)");
        // a folder that does not exist yet is the gateway's to create
        Files.writeString(config, BASE + "audit: {file: new/dir/audit.jsonl}\n");
        assertThat(ConfigLoader.load(config, Map.of()).audit().file()).isEqualTo(dir.resolve("new/dir/audit.jsonl"));
    }
}
