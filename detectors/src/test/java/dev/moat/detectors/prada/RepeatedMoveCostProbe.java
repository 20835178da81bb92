package dev.moat.detectors.prada;

import dev.moat.detectors.support.Unsure;
import dev.moat.fixtures.traffic.QuerySource;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Probe, not a test (behind {@code -Drepeatcostprobe=true}; timed, so never in the suite): what the
 * repeated move costs {@code cross_key} per row on records of {@code -Dwidths=13,30,48,63,100}
 * inputs ({@link Unsure#cells}, mixed scales): 12 honest keys' rows in turn into one store (every
 * row searched with {@code sample: 1}, as for a young or hot key, or 1 in 8 with the default), thread
 * CPU per row over the last {@code -Drows=12000} of twice that, and the repeated move's pairs per
 * searched row. Prints {@code REPCOST} lines.
 */
class RepeatedMoveCostProbe {

    @Test
    @EnabledIfSystemProperty(named = "repeatcostprobe", matches = "true")
    void cost() {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        int rows = Integer.getInteger("rows", 12_000);
        for (String w : System.getProperty("widths", "13,30,48,63,100").split(",")) {
            int width = Integer.parseInt(w.trim());
            Unsure d = Unsure.cells(1, 0.9, width);
            for (int sample : new int[] {1, 8}) {
                QuerySource[] peers = new QuerySource[12];
                for (int k = 0; k < peers.length; k++) {
                    peers[k] = d.peer(100 + k);
                }
                CrossKeyParents store = new CrossKeyParents(
                        CrossKeyParents.Settings.from(Map.of("sample_seed", 1L, "sample", sample)), null);
                double[][] in = new double[1][];
                double[][] out = new double[1][];
                long cpu = 0;
                long searched0 = 0;
                long pairs0 = 0;
                for (int i = 0; i < 2 * rows; i++) {
                    if (i == rows) {
                        searched0 = store.searched();
                        pairs0 = store.repeatPairs();
                    }
                    in[0] = peers[i % peers.length].next();
                    out[0] = d.predict(in[0]);
                    long t0 = bean.getCurrentThreadCpuTime();
                    store.observe("honest-" + i % peers.length, in, out);
                    if (i >= rows) {
                        cpu += bean.getCurrentThreadCpuTime() - t0;
                    }
                }
                long searched = store.searched() - searched0;
                System.out.printf(
                        Locale.ROOT,
                        "REPCOST width %d sample %d: %.2f us a row, %.2f searched, %.1f repeat pairs a searched row, hits %d%n",
                        width,
                        sample,
                        cpu / 1e3 / rows,
                        (double) searched / rows,
                        (double) (store.repeatPairs() - pairs0) / Math.max(1, searched),
                        store.hits());
            }
        }
    }
}
