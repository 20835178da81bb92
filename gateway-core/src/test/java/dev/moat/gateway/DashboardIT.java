package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.config.DetectorNames;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.metrics.MoatMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a fresh gateway exports before any traffic: every counter at zero for each known label value,
 * the process meters, and every metric the Grafana dashboard ({@code docker/}) queries.
 */
class DashboardIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    /** Exported only when {@code distributed.redis} is configured (the shared-state work). */
    private static final Set<String> ONLY_WITH_REDIS = Set.of("moat_redis_up");

    private static final Path DASHBOARD = Path.of("..", "docker", "grafana", "dashboards", "moat.json");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[ {]", Pattern.MULTILINE);
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> PROMQL_WORDS = Set.of(
            "sum",
            "avg",
            "min",
            "max",
            "count",
            "by",
            "without",
            "rate",
            "irate",
            "increase",
            "histogram_quantile",
            "topk",
            "bottomk",
            "delta",
            "deriv",
            "abs",
            "clamp_min",
            "clamp_max",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "and",
            "or",
            "unless",
            "offset",
            "time",
            "vector",
            "scalar",
            "label_replace");

    static Gateway gw;
    static String exposition;

    @BeforeAll
    static void start() throws Exception {
        gw = Gateway.start(Gateway.common("\"10/1m\"") + """
                upstreams:
                  model: {url: "${UPSTREAM}"}
                routes:
                  - {path_prefix: /echo, upstream: model}
                """, upstream.baseUri());
        exposition = gw.metrics(); // before any request
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void countersExistAtZeroBeforeTheFirstEvent() {
        for (String action : MoatMetrics.ACTION_NAMES) {
            assertThat(exposition).contains("moat_actions_total{action=\"" + action + "\"} 0.0");
        }
        for (String detector : DetectorNames.ALL) {
            assertThat(exposition).contains("moat_detector_alerts_total{detector=\"" + detector + "\"} 0.0");
        }
        for (String outcome : MoatMetrics.OUTCOMES) {
            if (!outcome.equals("no_route")) {
                assertThat(exposition).contains("moat_requests_total{outcome=\"" + outcome + "\",route=\"/echo\"} 0.0");
            }
        }
        for (String outcome : MoatMetrics.UNROUTED_OUTCOMES) {
            assertThat(exposition).contains("moat_requests_total{outcome=\"" + outcome + "\",route=\"none\"} 0.0");
        }
        assertThat(exposition)
                .contains("moat_requests_total{outcome=\"no_route\",route=\"none\"} 0.0")
                .contains("moat_detection_dropped_total 0.0")
                .contains("moat_detection_cross_key_sampled_out_total 0.0")
                .contains("moat_keys_flagged{level=\"extracting\"} 0.0")
                .contains("moat_keys_blocked 0.0");
    }

    /**
     * The README's list of {@code moat_requests_total} outcomes is the code's: an operator's
     * dashboard keyed on it misses none (session 42: {@code client_timeout}, {@code method_refused}
     * and {@code shared_state_unavailable} were counted but not listed, or listed but not at zero).
     */
    @Test
    void theReadmeListsEveryRequestOutcome() throws Exception {
        String row = java.nio.file.Files.readAllLines(java.nio.file.Path.of("..", "README.md")).stream()
                .filter(l -> l.startsWith("| `moat_requests_total{route,outcome}` |"))
                .findFirst()
                .orElseThrow();
        // "outcome: a, b, c. notes": the names up to the first full stop
        String names = row.substring(row.indexOf("outcome: ") + "outcome: ".length());
        java.util.Set<String> listed = new java.util.TreeSet<>(
                java.util.List.of(names.substring(0, names.indexOf('.')).split(", ")));
        java.util.Set<String> known = new java.util.TreeSet<>(MoatMetrics.OUTCOMES);
        known.addAll(MoatMetrics.UNROUTED_OUTCOMES);
        assertThat(listed).isEqualTo(known);
    }

    @Test
    void processMetersAreExported() {
        assertThat(exposition)
                .contains("process_cpu_usage")
                .contains("process_uptime_seconds")
                .contains("process_start_time_seconds")
                .contains("process_files_open_files")
                .doesNotContain("process_cpu_time_ns_total") // promtool rejects the name
                .doesNotContain("system_cpu_count");
    }

    @Test
    void everyDashboardQueryNamesAnExportedMetric() throws Exception {
        Set<String> exported = new HashSet<>();
        Matcher m = SAMPLE.matcher(exposition);
        while (m.find()) {
            exported.add(m.group(1));
        }
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        List<String> queried = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            for (JsonNode target : panel.path("targets")) {
                queried.addAll(metricNames(target.path("expr").asText()));
            }
        }
        assertThat(queried)
                .contains(
                        "moat_keys_blocked",
                        "moat_keys_flagged",
                        "moat_detection_dropped_total",
                        "moat_upstream_duration_seconds_bucket",
                        "moat_config_reloads_total")
                .allSatisfy(name -> {
                    if (!ONLY_WITH_REDIS.contains(name)) {
                        assertThat(exported).as("exported metrics").contains(name);
                    }
                });
    }

    @Test
    void theMetricNameParserSeesThroughPromQl() {
        assertThat(metricNames("histogram_quantile(0.9, sum by (le) (rate(a_b_bucket{x=\"y\"}[1m]))) + c"))
                .containsExactly("a_b_bucket", "c");
    }

    /** The metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
    static List<String> metricNames(String expr) {
        String s = expr.replaceAll("\"[^\"]*\"", "\"\"")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^]]*]", "")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "");
        List<String> names = new ArrayList<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String word = m.group();
            if (!PROMQL_WORDS.contains(word)) {
                names.add(word);
            }
        }
        return names;
    }
}
