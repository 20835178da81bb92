package dev.moat.detectors;

import dev.moat.detectors.engine.DetectionEngine;
import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.engine.EngineListener;
import dev.moat.detectors.engine.EngineSettings;
import dev.moat.detectors.engine.QueryEvent;
import dev.moat.detectors.support.CentroidModel;
import dev.moat.detectors.support.Traffic;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A text check, not a test of behaviour: prints a digest of every detector's reason after every
 * query of deterministic streams (honest, random, JbDA, boundary, bursts over hours; capped
 * scores), one per detector, and of the verdicts the engine publishes (tenant reasons included).
 * Run it on two builds; equal digests mean operators read the same texts. Runs only with {@code
 * -Dmoat.reasonsDigest=true}.
 */
class ReasonsDigestProbe {

    @Test
    void detectors() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("moat.reasonsDigest"));
        List<Map<String, Map<String, Object>>> configs = List.of(
                Map.of("volume", Map.of(), "boundary", Map.of(), "coverage", Map.of(), "ood", Map.of()),
                Map.of(
                        "volume", Map.of("daily_budget", 50, "max_score", 0.3),
                        "boundary", Map.of("min_queries", 20),
                        "coverage", Map.of(),
                        // a configured reference: the KS statistic and its p-value from the first answers
                        "ood", Map.of("reference_confidences", "0.9,0.95,0.99,0.6,0.8,0.97", "min_queries", 20)));
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        for (var config : configs) {
            for (var name : List.of("volume", "boundary", "coverage", "ood")) {
                Detector.Factory f = DetectorProfile.fromConfig(Map.of(name, config.get(name)))
                        .factories()
                        .get(0);
                for (int k = 0; k < 6; k++) {
                    @SuppressWarnings("unchecked")
                    Detector<Object> d = (Detector<Object>) f.create();
                    Object s = d.newState();
                    MessageDigest one = MessageDigest.getInstance("SHA-256");
                    List<double[]> rows = stream(k);
                    long t = 1_000_000;
                    for (int q = 0; q < rows.size(); q++) {
                        double[] x = rows.get(q);
                        t += k % 2 == 0 ? 1_000 : (q % 50 == 0 ? 3_600_000 : 20);
                        d.update(s, x, CentroidModel.DIGITS.predict(x), t);
                        String line =
                                Long.toHexString(Double.doubleToLongBits(d.score(s, t))) + " " + d.reason(s, t) + "\n";
                        one.update(line.getBytes(StandardCharsets.UTF_8));
                    }
                    byte[] h = one.digest();
                    all.update(h);
                    System.out.println("REASONS-DIGEST " + name + " " + config.get(name) + " stream " + k + " "
                            + HexFormat.of().formatHex(h, 0, 8));
                }
            }
        }
        System.out.println("REASONS-DIGEST ALL " + HexFormat.of().formatHex(all.digest()));
    }

    @Test
    void verdicts() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("moat.reasonsDigest"));
        Map<String, Map<String, Object>> config = new LinkedHashMap<>();
        for (String n : List.of("prada", "volume", "boundary", "ood", "coverage")) {
            config.put(n, n.equals("prada") ? Map.of("step_sample_seed", 7) : Map.of());
        }
        config.put("tenant", Map.of("min_keys", 2));
        DetectorProfile profile = DetectorProfile.fromConfig(config);
        long[] now = {1_000_000};
        // a fixed clock: the worker publishes asynchronously, so a moving one would make the decay differ run to run
        InstantSource clock = InstantSource.fixed(Instant.ofEpochMilli(1_000_000));
        EngineSettings one = new EngineSettings(1, 1 << 16, 10_000, Duration.ofHours(1), 0.5, 0.8, Duration.ofHours(1));
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        int[] kinds = new int[4];
        try (DetectionEngine engine = new DetectionEngine(one, clock, EngineListener.NONE)) {
            SplittableRandom r = new SplittableRandom(3);
            List<List<double[]>> streams = List.of(stream(0), stream(1), stream(2), stream(3), stream(4), stream(5));
            for (int q = 0; q < 400; q++) {
                for (int k = 0; k < streams.size(); k++) {
                    double[] x = streams.get(k).get(q % streams.get(k).size());
                    now[0] += 50 + r.nextInt(100);
                    engine.submit(new QueryEvent(
                            "k" + k,
                            "t" + (k % 3),
                            "/m",
                            now[0],
                            new double[][] {x},
                            new double[][] {CentroidModel.DIGITS.predict(x)},
                            profile));
                }
                if (q % 10 == 9) {
                    engine.awaitIdle(Duration.ofMinutes(1));
                    for (int k = 0; k < streams.size(); k++) {
                        Verdict v = engine.verdict("k" + k);
                        String line = v.level() + " " + v.queries() + " " + v.scores() + "\n";
                        all.update(line.getBytes(StandardCharsets.UTF_8));
                        kinds[0] += line.contains("(p=") ? 1 : 0;
                        kinds[1] += line.contains("pooled risk") ? 1 : 0;
                        kinds[2] += line.contains("prada: W=") ? 1 : 0;
                        kinds[3] += line.contains("z=n/a") ? 0 : 1;
                    }
                }
            }
        }
        System.out.println("REASONS-DIGEST VERDICTS " + HexFormat.of().formatHex(all.digest())
                + " (verdicts with an ood p-value " + kinds[0] + ", a tenant reason " + kinds[1] + ", a prada W "
                + kinds[2] + ", a volume z " + kinds[3] + ")");
    }

    private static List<double[]> stream(int k) {
        CentroidModel m = CentroidModel.DIGITS;
        return switch (k) {
            case 0 -> Traffic.honest(600, 1);
            case 1 -> Traffic.uniform(600, 2);
            case 2 -> Traffic.jbda(600, 3, m);
            case 3 -> Traffic.natural(600, 4, 1.0, true);
            case 4 -> Traffic.boundary(600, 5, m);
            default -> Traffic.interpolations(600, 6);
        };
    }
}
