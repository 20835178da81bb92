package dev.moat.config;

import static dev.moat.config.ConfigErrorsTest.BASE;
import static dev.moat.config.ConfigErrorsTest.errors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.load.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvSubstitutionTest {

    private static MoatConfig parse(String yaml, Map<String, String> env) throws ConfigException {
        return ConfigLoader.parse(yaml, "test.yaml", env);
    }

    @Test
    void aSetVariableReplacesTheReference() throws ConfigException {
        MoatConfig c = parse(
                BASE + "admin: {listen: \"${HOST}:${PORT}\", token: \"${TOKEN}\"}\n",
                Map.of("HOST", "10.0.0.1", "PORT", "9999", "TOKEN", "t0ken"));

        assertThat(c.admin().listen()).isEqualTo(new HostPort("10.0.0.1", 9999));
        assertThat(c.admin().token()).isEqualTo("t0ken");
    }

    @Test
    void theDefaultAppliesWhenUnsetOrEmpty() throws ConfigException {
        String yaml = BASE + "admin: {token: \"${TOKEN:-fallback}\"}\n";

        assertThat(parse(yaml, Map.of()).admin().token()).isEqualTo("fallback");
        assertThat(parse(yaml, Map.of("TOKEN", "")).admin().token()).isEqualTo("fallback");
        assertThat(parse(yaml, Map.of("TOKEN", "set")).admin().token()).isEqualTo("set");
    }

    @Test
    void substitutedTextIsParsedForItsField() throws ConfigException {
        MoatConfig c = parse(
                BASE + "server: {limits: {max_connections: \"${MAXC:-250}\"}, timeouts: {idle: \"${IDLE}\"}}\n",
                Map.of("IDLE", "5m"));

        assertThat(c.server().limits().maxConnections()).isEqualTo(250);
        assertThat(c.server().timeouts().idle()).hasMinutes(5);
    }

    @Test
    void anUnsetVariableWithoutDefaultIsAnErrorAtItsValue() {
        assertThat(errors(BASE + "admin:\n  token: \"${MOAT_ADMIN_TOKEN}\"\n"))
                .containsExactly("test.yaml:6:10: admin.token: environment variable MOAT_ADMIN_TOKEN is not set "
                        + "(expected it set, or a default: ${MOAT_ADMIN_TOKEN:-default})");
    }

    @Test
    void aBadValueFromTheEnvironmentIsShownUnlessSecret() {
        assertThat(errors(BASE + "server: {listen: \"${LISTEN}\"}\n", Map.of("LISTEN", "nowhere")))
                .containsExactly(
                        "test.yaml:5:18: server.listen: \"nowhere\" (expected \"host:port\" with a port from 0 to 65535)");
        assertThat(errors(BASE + "admin: {token: \"${T}\"}\n", Map.of("T", "secret with space")))
                .containsExactly(
                        "test.yaml:5:16: admin.token: (value hidden) (expected a non-empty token without spaces)");
    }

    @Test
    void malformedReferencesAreErrors() {
        assertThat(errors(BASE + "admin: {token: \"${OOPS\"}\n"))
                .containsExactly("test.yaml:5:16: admin.token: unclosed \"${\" (expected ${NAME} or ${NAME:-default})");
        assertThat(errors(BASE + "audit: {file: \"${1BAD}\"}\n"))
                .containsExactly(
                        "test.yaml:5:15: audit.file: \"${1BAD}\" is not a variable reference (expected ${NAME} or ${NAME:-default})");
    }

    @Test
    void doubleDollarWritesALiteralReference() throws ConfigException {
        assertThat(parse(BASE + "admin: {token: \"$${NOT_A_VAR}\"}\n", Map.of())
                        .admin()
                        .token())
                .isEqualTo("${NOT_A_VAR}");
    }

    @Test
    void detectorParametersAreTypedAfterSubstitution() throws ConfigException {
        MoatConfig c = parse(BASE + """
                policies:
                  p:
                    detectors:
                      prada:
                        delta: "${DELTA:-0.8}"
                        min_distances: ${MIN:-50}
                      volume: ~
                      ood: {reference_confidences: "0.9"}
                      tenant: {use: prada, prada: {delta: 0.5}}
                """, Map.of());

        // Quoted "${DELTA:-0.8}" (needed in flow style) still yields a number; a quoted literal stays text.
        assertThat(c.policies().get("p").detectors().get("prada"))
                .containsExactly(Map.entry("delta", 0.8), Map.entry("min_distances", 50L));
        assertThat(c.policies().get("p").detectors().get("ood"))
                .containsExactly(Map.entry("reference_confidences", "0.9"));
        assertThat(c.policies().get("p").detectors().get("tenant"))
                .containsExactly(Map.entry("use", "prada"), Map.entry("prada", Map.of("delta", 0.5)));
        assertThat(c.policies().get("p").detectors().get("volume")).isEmpty();
    }
}
