package dev.moat.gateway.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.MoatConfig;
import dev.moat.config.RouteConfig;
import dev.moat.config.load.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * What can be checked of {@code docker/} without a Docker engine: the compose file's references
 * (services, build stages, files, volumes), what it publishes, where its secrets come from, the
 * container's default config (valid, pointing at the compose model service, with a policy), and the
 * Dockerfile's shape (multi-stage from source, non-root, health check, state volume).
 */
class ContainerFilesTest {

    static final Path DOCKER = Path.of("..", "docker");
    static final Path DOCKERFILE = DOCKER.resolve("Dockerfile");

    @SuppressWarnings("unchecked")
    static Map<String, Object> compose() throws Exception {
        return compose("compose.yaml");
    }

    static Map<String, Object> compose(String file) throws Exception {
        return new Yaml().load(Files.readString(DOCKER.resolve(file)));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> services() throws Exception {
        return services("compose.yaml");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> services(String file) throws Exception {
        return (Map<String, Map<String, Object>>) compose(file).get("services");
    }

    static List<String> stages() throws Exception {
        List<String> stages = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^FROM \\S+ AS (\\S+)$").matcher(Files.readString(DOCKERFILE));
        while (m.find()) {
            stages.add(m.group(1));
        }
        return stages;
    }

    /**
     * Both compose files: every service a service depends on exists, every build names a stage the
     * Dockerfile has, every mounted file exists, every named volume is declared, and a config a
     * service runs with is one the image holds or one mounted into it (session 42's audit:
     * compose-cluster.yaml ran a jar and a config no image held, so it could not start).
     */
    @ParameterizedTest
    @ValueSource(strings = {"compose.yaml", "compose-cluster.yaml"})
    @SuppressWarnings("unchecked")
    void everyReferenceInTheComposeFileResolves(String file) throws Exception {
        Map<String, Map<String, Object>> services = services(file);
        Map<String, Object> volumes = (Map<String, Object>) compose(file).getOrDefault("volumes", Map.of());
        String dockerfile = Files.readString(DOCKERFILE);
        for (var e : services.entrySet()) {
            Map<String, Object> svc = e.getValue();
            for (Object dep : (List<Object>) svc.getOrDefault("depends_on", List.of())) {
                assertThat(services).as(e.getKey() + ".depends_on").containsKey((String) dep);
            }
            if (svc.get("build") instanceof Map<?, ?> build) {
                assertThat(DOCKER.resolve((String) build.get("context")).resolve((String) build.get("dockerfile")))
                        .exists();
                assertThat(stages()).as(e.getKey() + ".build.target").contains((String) build.get("target"));
            }
            List<String> mountedAt = new ArrayList<>();
            for (Object v : (List<Object>) svc.getOrDefault("volumes", List.of())) {
                String[] parts = ((String) v).split(":");
                String source = parts[0];
                mountedAt.add(parts[1]);
                if (source.startsWith(".")) {
                    assertThat(DOCKER.resolve(source))
                            .as(e.getKey() + " mounts " + source)
                            .exists();
                } else {
                    assertThat(volumes).as("named volume " + source).containsKey(source);
                }
            }
            assertThat(svc).as(e.getKey() + ": the images' own entry points").doesNotContainKey("entrypoint");
            List<Object> command = (List<Object>) svc.getOrDefault("command", List.of());
            int config = command.indexOf("--config");
            if (config >= 0 && e.getKey().startsWith("moat")) {
                String path = (String) command.get(config + 1);
                assertThat(mountedAt.contains(path)
                                || dockerfile.contains(
                                        "COPY docker/" + Path.of(path).getFileName() + " " + path))
                        .as(e.getKey() + " runs with " + path + ": mounted, or copied into the image")
                        .isTrue();
            }
        }
        if (file.equals("compose.yaml")) {
            assertThat(services).containsKeys("model", "moat", "prometheus", "grafana");
            assertThat(Files.readString(DOCKER.resolve("prometheus.yml"))).contains("moat:9090");
        } else {
            assertThat(services).containsKeys("model", "redis", "moat-1", "moat-2", "lb");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void onlyTheGatewayIsPublishedBeyondLoopbackAndSecretsComeFromTheEnvironment() throws Exception {
        for (var e : services().entrySet()) {
            for (Object p : (List<Object>) e.getValue().getOrDefault("ports", List.of())) {
                String port = (String) p;
                if (!port.equals("8080:8080")) {
                    assertThat(port).as(e.getKey() + " publishes").startsWith("127.0.0.1:");
                }
                if (e.getKey().equals("moat")) {
                    assertThat(port).as("the admin listener").doesNotEndWith(":9090");
                }
            }
        }
        Map<String, Object> moatEnv =
                (Map<String, Object>) services().get("moat").get("environment");
        assertThat((String) moatEnv.get("MOAT_ADMIN_TOKEN")).startsWith("${MOAT_ADMIN_TOKEN:?");
        assertThat((String) moatEnv.get("MOAT_WATERMARK_SECRET")).startsWith("${MOAT_WATERMARK_SECRET:?");
        Map<String, Object> grafanaEnv =
                (Map<String, Object>) services().get("grafana").get("environment");
        assertThat((String) grafanaEnv.get("GF_SECURITY_ADMIN_PASSWORD")).startsWith("${GRAFANA_ADMIN_PASSWORD:?");
        String all = Files.readString(DOCKER.resolve("compose.yaml")) + Files.readString(DOCKER.resolve("moat.yaml"));
        assertThat(all).doesNotContain("change-me").doesNotContain(":-admin");
    }

    @Test
    void theDefaultConfigProxiesToTheComposeModelWithAPolicy() throws Exception {
        MoatConfig c = ConfigLoader.load(
                DOCKER.resolve("moat.yaml"),
                Map.of(
                        "MOAT_ADMIN_TOKEN", "t",
                        "MOAT_WATERMARK_SECRET", "a-watermark-secret-for-the-test",
                        "MOAT_KEYS_FILE",
                                DOCKER.resolve("keys.demo.yaml")
                                        .toAbsolutePath()
                                        .toString()));
        assertThat(c.server().listen().host()).isEqualTo("0.0.0.0");
        assertThat(c.admin().listen().port()).isEqualTo(9090);
        assertThat(c.upstreams().get("digits").url().getHost()).isEqualTo("model");
        assertThat(services()).containsKey(c.upstreams().get("digits").url().getHost());
        assertThat(c.routes()).extracting(RouteConfig::policy).doesNotContainNull();
        assertThat(c.audit().file().toString()).startsWith("/var/lib/moat/");
        assertThat(c.keys()).isNotEmpty();
    }

    @Test
    void theDockerfileBuildsFromSourceAndRunsAsANonRootUserWithAHealthCheck() throws Exception {
        String df = Files.readString(DOCKERFILE);
        assertThat(stages()).containsExactly("build", "model", "gateway"); // the gateway is the default target
        assertThat(df)
                .contains("mvn -B")
                .doesNotContain("COPY gateway-core/target")
                .doesNotContain("benchmarks.jar");
        String gateway = df.substring(df.indexOf("AS gateway"));
        assertThat(gateway)
                .contains("USER 10001")
                .contains("VOLUME [\"/var/lib/moat\"]")
                .containsPattern("HEALTHCHECK .*\\n.*/healthz")
                .contains("/tcp/127.0.0.1/9090")
                .doesNotContain("USER root");
        assertThat(Files.readString(Path.of("..", ".dockerignore")))
                .contains("**/target/")
                .contains(".git/");
    }
}
