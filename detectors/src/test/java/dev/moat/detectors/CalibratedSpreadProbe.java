package dev.moat.detectors;

import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Unsure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Survey (not a test): {@link UnsureModelsProbe}'s populations online and under a calibration recorded
 * from eight other honest keys of the same model ({@link CalibratedSpreadTest#recorded}), at several
 * widths, seeds and coordinate draws. Prints, per run, the honest keys flagged and each attacker's
 * first flag. {@code -Dcalspreadprobe=true [-Dmodels=clinical,wine,cells20,...] [-Dtop1=0.7]
 * [-Dseeds=1,2] [-Dinputseeds=7]}.
 */
class CalibratedSpreadProbe {

    @Test
    @EnabledIfSystemProperty(named = "calspreadprobe", matches = "true")
    void survey() throws Exception {
        Path dir = Files.createTempDirectory("calspread");
        for (String m : System.getProperty("models", "clinical,wine,cells17,cells20,cells30,cells48,cells63")
                .split(",")) {
            for (String t : System.getProperty("top1", "0.7").split(",")) {
                for (String sd : System.getProperty("seeds", "1,2").split(",")) {
                    long seed = Long.parseLong(sd);
                    Unsure d = UnsureModelsProbe.model(m, seed, Double.parseDouble(t));
                    Calibration c = CalibratedSpreadTest.recorded(d, seed, 8, 600, dir);
                    for (String is : System.getProperty("inputseeds", "7").split(",")) {
                        long inputSeed = Long.parseLong(is);
                        // online; the whole file; only its spread lines (the other detectors learn online)
                        Calibration spreadOnly = new Calibration(
                                        c.keys(), c.queries(), null, null, null, null, Double.NaN, Double.NaN)
                                .withSpread(c.spreadRows(), c.spreadPeersMedian(), c.spreadPeersSigma());
                        for (String mode : new String[] {"online", "calibrated", "spread-only"}) {
                            Calibration used = switch (mode) {
                                case "calibrated" -> c;
                                case "spread-only" -> spreadOnly;
                                default -> null;
                            };
                            Scenario s = UnsureModelsProbe.population(
                                            d, seed, false, true, CalibratedSpreadTest.all(used, inputSeed))
                                    .run();
                            TreeMap<String, Long> honest = new TreeMap<>();
                            TreeMap<String, Long> attackers = new TreeMap<>();
                            for (String k : s.maxRisk.keySet()) {
                                Long at = s.suspiciousAt.get(k);
                                if (k.startsWith("honest")) {
                                    if (at != null) {
                                        DetectorScore ood =
                                                s.firstFlag.get(k).scores().get("ood");
                                        boolean spread =
                                                ood != null && ood.reason().contains("inputs spread like no peer's");
                                        honest.put(
                                                k + "(" + WideRandomStepTest.firing(s, k) + (spread ? " SPREAD" : "")
                                                        + ")",
                                                at);
                                    }
                                } else {
                                    attackers.put(k, at == null ? -1 : at);
                                }
                            }
                            System.out.printf(
                                    Locale.ROOT,
                                    "CALSPREAD %s@%s/s%d input_seed %d %s (peers %.3f +- %.3f): honest flagged %s;"
                                            + " attackers %s%n",
                                    d.name(),
                                    t,
                                    seed,
                                    inputSeed,
                                    mode,
                                    c.spreadPeersMedian(),
                                    c.spreadPeersSigma(),
                                    honest,
                                    attackers);
                        }
                    }
                }
            }
        }
    }
}
