package dev.moat.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.config.ConfigException;
import dev.moat.config.DetectorNames;
import dev.moat.config.DetectorParameters;
import dev.moat.config.load.ConfigLoader;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.params.ParamSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The config loader checks each detector's parameters with a table of its own ({@link
 * DetectorParameters}: the config module cannot depend on the detectors), and the detectors check
 * them again with theirs ({@link DetectorProfile#parameters()}). The two must not drift apart: a
 * name or range the loader lacks is a config that {@code moat validate} calls ok and the gateway
 * refuses, or the reverse. A detector that gains a parameter fails here until the loader knows it.
 */
class DetectorParametersDriftTest {

    static final String BASE = """
            upstreams:
              m: {url: "http://127.0.0.1:8501"}
            routes:
              - {path_prefix: /v1, upstream: m, policy: p}
            policies:
              p:
                detectors:
            """;

    @Test
    void theLoaderKnowsEveryDetectorTheGatewayBuilds() {
        assertThat(DetectorNames.ALL).isEqualTo(DetectorProfile.parameters().keySet());
        assertThat(DetectorParameters.all().keySet())
                .isEqualTo(DetectorProfile.parameters().keySet());
    }

    @Test
    void theLoaderKnowsEveryParameterOfEveryDetectorWithTheDetectorsOwnRange() {
        DetectorProfile.parameters().forEach((detector, specs) -> {
            Map<String, String> declared = new TreeMap<>();
            specs.forEach(s -> declared.put(s.name(), describe(s)));
            Map<String, String> loader = new TreeMap<>();
            DetectorParameters.of(detector).forEach((name, p) -> loader.put(name, describe(p)));
            assertThat(loader).as("the loader's table for " + detector).isEqualTo(declared);
        });
    }

    /**
     * Each parameter alone at the ends of its range, and just past them, through both the loader
     * and the detector: they agree, also where the parameter meets another at its default (the
     * loader keeps those defaults to check {@code z_high} above {@code z_low} and the like).
     */
    @Test
    void theLoaderAndTheDetectorsAcceptAndRefuseTheSameValues() {
        List<String> disagreements = new ArrayList<>();
        DetectorProfile.parameters().forEach((detector, specs) -> {
            for (ParamSpec spec : specs) {
                for (Probe probe : probes(spec)) {
                    Map<String, Object> params = Map.of(spec.name(), probe.value());
                    compare(detector, params, "{" + spec.name() + ": " + probe.yaml() + "}", disagreements);
                    if (spec instanceof ParamSpec.Nested) {
                        continue;
                    }
                    // the tenant's pooled detectors take the same parameters, checked by the same tables
                    if (DetectorProfile.parameters().get("tenant").stream()
                            .anyMatch(t ->
                                    t instanceof ParamSpec.Nested && t.name().equals(detector))) {
                        compare(
                                "tenant",
                                Map.of("use", detector, detector, params),
                                "{use: " + detector + ", " + detector + ": {" + spec.name() + ": " + probe.yaml()
                                        + "}}",
                                disagreements);
                    }
                }
            }
            compare(detector, Map.of("no_such_parameter", 1L), "{no_such_parameter: 1}", disagreements);
        });
        assertThat(disagreements).isEmpty();
    }

    private static void compare(String detector, Map<String, Object> params, String yaml, List<String> out) {
        boolean loaderTakes = loaderTakes(detector + ": " + yaml);
        boolean detectorTakes = detectorTakes(detector, params);
        if (loaderTakes != detectorTakes) {
            out.add(detector + ": " + yaml + ": the loader " + (loaderTakes ? "takes" : "refuses")
                    + " it, the detector " + (detectorTakes ? "takes" : "refuses") + " it");
        }
    }

    private static boolean loaderTakes(String detectorLine) {
        try {
            ConfigLoader.parse(BASE + "          " + detectorLine + "\n", "drift.yaml", Map.of());
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }

    private static boolean detectorTakes(String detector, Map<String, Object> params) {
        try {
            DetectorProfile.fromConfig(Map.of(detector, params));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    record Probe(Object value, String yaml) {}

    private static List<Probe> probes(ParamSpec spec) {
        List<Probe> out = new ArrayList<>();
        if (spec instanceof ParamSpec.Whole w) {
            for (long v : new long[] {w.min(), w.max()}) {
                out.add(new Probe(v, Long.toString(v)));
            }
            if (w.min() > Long.MIN_VALUE) {
                out.add(new Probe(w.min() - 1, Long.toString(w.min() - 1)));
            }
            if (w.max() < Long.MAX_VALUE) {
                out.add(new Probe(w.max() + 1, Long.toString(w.max() + 1)));
            }
        } else if (spec instanceof ParamSpec.Decimal d) {
            double step = Math.max(1e-9, (d.max() - d.min()) / 1000);
            for (double v : new double[] {d.min(), d.max(), d.min() - step, d.max() + step}) {
                out.add(new Probe(v, BigDecimal.valueOf(v).toPlainString()));
            }
        } else if (spec instanceof ParamSpec.Nested) {
            out.add(new Probe(Map.of(), "{}"));
            out.add(new Probe(5L, "5"));
        } else {
            out.add(new Probe(5L, "5"));
        }
        return out;
    }

    private static String describe(ParamSpec s) {
        if (s instanceof ParamSpec.Whole w) {
            return "a whole number in [" + w.min() + ", " + w.max() + "]";
        }
        if (s instanceof ParamSpec.Decimal d) {
            return "a number in [" + d.min() + ", " + d.max() + "]";
        }
        return s instanceof ParamSpec.Text ? "text" : "a nested map";
    }

    private static String describe(DetectorParameters.Param p) {
        if (p instanceof DetectorParameters.Whole w) {
            return "a whole number in [" + w.min() + ", " + w.max() + "]";
        }
        if (p instanceof DetectorParameters.Decimal d) {
            return "a number in [" + d.min() + ", " + d.max() + "]";
        }
        return p instanceof DetectorParameters.Text ? "text" : "a nested map";
    }
}
