package dev.moat.detectors.prada;

import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.HonestClient;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Not an assertion: prints a digest of everything {@link CrossKeyParents} decides (every score, every
 * reason, the search counters) over honest and attacking streams at 64 / 784 / 3,072 inputs and
 * store sizes 16 / 300 / 4,096, so a change to the store's layout or the search's order can be
 * compared old against new (the digest must not move when the decisions must not).
 */
class CrossKeyDigestProbe {

    @Test
    void digest() throws Exception {
        DigitsModel model = DigitsModel.get();
        for (int dims : new int[] {64, 784, 3072}) {
            for (int storeSize : new int[] {16, 300, 4096}) {
                for (int sample : new int[] {1, 8}) {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    CrossKeyParents store = new CrossKeyParents(
                            CrossKeyParents.Settings.from(
                                    Map.of("sample_seed", 7L, "store_size", storeSize, "sample", sample)),
                            k -> {});
                    HonestClient[] clients = new HonestClient[50];
                    for (int k = 0; k < clients.length; k++) {
                        clients[k] = new HonestClient(k);
                    }
                    Random rnd = new UnsharedRandom(dims * 31L + storeSize);
                    double[] lastHonest = null;
                    for (int r = 0; r < 6_000; r++) {
                        double[] x = clients[r % clients.length].next();
                        String key = "k" + (r % clients.length);
                        if (r % 7 == 3 && lastHonest != null) {
                            // an attacker's sign step from the last honest row (another key's), sent by one of 5 keys
                            x = new double[64];
                            for (int j = 0; j < 64; j++) {
                                x[j] = Math.max(0, Math.min(16, lastHonest[j] + (rnd.nextBoolean() ? 1 : -1)));
                            }
                            key = "a" + (r % 5);
                        } else if (r % 11 == 5 && lastHonest != null) {
                            x = lastHonest.clone(); // the same public image from another key
                            key = "c" + (r % 3);
                        } else {
                            lastHonest = x;
                        }
                        double[] wide = x;
                        if (dims > 64) {
                            wide = new double[dims];
                            for (int j = 0; j < dims; j++) {
                                wide[j] = (r & 1) == 0
                                        ? x[j % 64]
                                        : Math.max(0, Math.min(16, x[j % 64] + 0.01 * ((j * 7919 + r) % 13 - 6)));
                            }
                        }
                        double score = store.observe(key, new double[][] {wide}, new double[][] {model.predict(x)});
                        md.update(Long.toString(Double.doubleToLongBits(score)).getBytes());
                        if (r % 97 == 0) {
                            store.store("s" + (r % 4), new double[][] {wide}, new double[][] {model.predict(x)});
                        }
                    }
                    StringBuilder reasons = new StringBuilder();
                    for (int k = 0; k < 50; k++) {
                        reasons.append(store.reason("k" + k));
                    }
                    for (int k = 0; k < 5; k++) {
                        reasons.append(store.reason("a" + k));
                    }
                    for (int k = 0; k < 3; k++) {
                        reasons.append(store.reason("c" + k));
                    }
                    md.update(reasons.toString().getBytes());
                    System.out.printf(
                            "digest dims=%d store=%d sample=%d: %s searches=%d hits=%d banded=%d sketched=%d compared=%d tested=%d a0=%.3f%n",
                            dims,
                            storeSize,
                            sample,
                            HexFormat.of().formatHex(md.digest()).substring(0, 16),
                            store.searches(),
                            store.hits(),
                            store.banded(),
                            store.sketched(),
                            store.compared(),
                            store.tested(),
                            store.observe("a0", new double[0][], new double[0][]));
                }
            }
        }
    }
}
